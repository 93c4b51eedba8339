// Rebuilding PEM text that lost its line breaks (see pem_text.hpp).
#include "oauth2/pem_text.hpp"

#include <cstddef>

namespace oauth2_rest::oauth2 {
namespace {

constexpr std::string_view begin_mark = "-----BEGIN ";
constexpr std::string_view end_mark = "-----END ";
constexpr std::string_view dashes = "-----";
constexpr std::size_t line_length = 64;  // RFC 7468 section 2: generators wrap at 64
constexpr std::size_t max_label = 64;    // the longest standard label is far shorter

failure pem_error(std::string message) {
  return failure{make_error_code(input_error::bad_credential_field), std::move(message)};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

// RFC 7468 section 3: printable ASCII except '-', words separated by single spaces.
bool is_label(std::string_view label) {
  if (label.empty() || label.size() > max_label || label.front() == ' ' || label.back() == ' ') return false;
  for (std::size_t i = 0; i < label.size(); ++i) {
    const char c = label[i];
    if (c == ' ') {
      if (label[i - 1] == ' ') return false;
    } else if (c < 0x21 || c > 0x7e || c == '-') {
      return false;
    }
  }
  return true;
}

// A literal "\n" or "\r" (backslash, letter) typed for a line break becomes a real one.
std::string unescape_line_breaks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == 'r')) {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

result<std::string> rebuild_pem(std::string_view input) {
  const std::string text = unescape_line_breaks(input);
  const std::string_view rest_all = text;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto begin = rest_all.find(begin_mark, pos);
    if (begin == std::string_view::npos) break;
    const auto label_start = begin + begin_mark.size();
    const auto label_end = rest_all.find(dashes, label_start);
    if (label_end == std::string_view::npos) return pem_error("a -----BEGIN line is not closed by -----");
    const auto label = rest_all.substr(label_start, label_end - label_start);
    if (!is_label(label)) return pem_error("a -----BEGIN line has no valid label");
    const std::string end_line = std::string(end_mark) + std::string(label) + std::string(dashes);
    const auto body_start = label_end + dashes.size();
    const auto end = rest_all.find(end_line, body_start);
    if (end == std::string_view::npos) {
      return pem_error("the " + std::string(label) + " block has no matching -----END " + std::string(label) +
                       "----- line");
    }
    const auto raw_body = rest_all.substr(body_start, end - body_start);
    if (raw_body.find(':') != std::string_view::npos) {
      // "Proc-Type: 4,ENCRYPTED" / "DEK-Info: ..." (RFC 1421 headers): with the line breaks
      // gone they cannot be told from the body reliably, and we take no pass phrase anyway.
      return pem_error("the " + std::string(label) +
                       " block has PEM headers (an encrypted key?), which are not supported");
    }
    std::string body;
    body.reserve(raw_body.size());
    for (char c : raw_body) {
      if (is_space(c)) continue;
      if (!is_base64(c)) return pem_error("the " + std::string(label) + " block is not base64");
      body.push_back(c);
    }
    if (body.empty()) return pem_error("the " + std::string(label) + " block is empty");
    out += begin_mark;
    out += label;
    out += dashes;
    out.push_back('\n');
    for (std::size_t i = 0; i < body.size(); i += line_length) {
      out.append(body, i, line_length);
      out.push_back('\n');
    }
    out += end_line;
    out.push_back('\n');
    pos = end + end_line.size();
  }
  if (out.empty()) return pem_error("no -----BEGIN ...----- line: expected PEM text");
  return out;
}

}  // namespace oauth2_rest::oauth2
