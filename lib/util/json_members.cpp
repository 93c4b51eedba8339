// Cutting a JSON object's text into its members (see json_members.hpp).
#include "util/json_members.hpp"

#include "util/json_read.hpp"

#include <boost/json/error.hpp>

#include <cstddef>

namespace oauth2_rest {
namespace {

// JSON's four blanks (RFC 8259 section 2).
bool is_json_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The walk below runs only over text read_json has accepted, so every structure is complete;
// every index is still checked against the end, so a disagreement between the walk and the
// reader is an error (`npos`), never a read past the text.
constexpr std::size_t npos = std::string_view::npos;

std::size_t skip_blanks(std::string_view text, std::size_t i) {
  while (i < text.size() && is_json_blank(text[i])) ++i;
  return i;
}

// text[i] is the opening quote; the index after the closing one.
std::size_t end_of_string(std::string_view text, std::size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') ++i;  // the escaped character never closes the string
    else if (text[i] == '"') return i + 1;
  }
  return npos;
}

// text[i] starts a value; the index after it.
std::size_t end_of_value(std::string_view text, std::size_t i) {
  if (i >= text.size()) return npos;
  if (text[i] == '"') return end_of_string(text, i);
  if (text[i] == '{' || text[i] == '[') {
    std::size_t depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        i = end_of_string(text, i);
        if (i == npos) return npos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return npos;
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < text.size() && !is_json_blank(text[i]) && text[i] != ',' && text[i] != '}' && text[i] != ']') ++i;
  return i;
}

}  // namespace

std::vector<json_member> read_json_members(std::string_view text, boost::system::error_code& ec) {
  ec = {};
  const auto whole = read_json(text, ec);
  if (ec) return {};
  if (!whole.is_object()) {
    ec = boost::json::error::not_object;
    return {};
  }

  std::vector<json_member> members;
  members.reserve(whole.get_object().size());
  auto broken = [&] {
    ec = boost::json::error::syntax;
    return std::vector<json_member>{};
  };
  std::size_t i = skip_blanks(text, 0);
  if (i >= text.size() || text[i] != '{') return broken();
  i = skip_blanks(text, i + 1);
  if (i < text.size() && text[i] == '}') return members;
  while (true) {
    const std::size_t key_begin = i;
    if (i >= text.size() || text[i] != '"') return broken();
    i = end_of_string(text, i);
    if (i == npos) return broken();
    const auto key_text = text.substr(key_begin, i - key_begin);
    i = skip_blanks(text, i);
    if (i >= text.size() || text[i] != ':') return broken();
    i = skip_blanks(text, i + 1);
    const std::size_t value_begin = i;
    i = end_of_value(text, i);
    if (i == npos) return broken();
    const auto value_text = text.substr(value_begin, i - value_begin);

    // Each slice read on its own, as the whole was: escapes, lone surrogates and bytes that are
    // not UTF-8 read the same way.
    auto key = read_json(key_text, ec);
    if (ec || !key.is_string()) return broken();
    auto value = read_json(value_text, ec);
    if (ec) return broken();
    members.push_back({std::string(key.get_string()), std::move(value)});

    i = skip_blanks(text, i);
    if (i >= text.size()) return broken();
    if (text[i] == '}') return members;
    if (text[i] != ',') return broken();
    i = skip_blanks(text, i + 1);
  }
}

}  // namespace oauth2_rest
