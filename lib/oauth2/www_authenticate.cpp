// Parses WWW-Authenticate challenges far enough to find the Bearer error code
// (see www_authenticate.hpp).
#include "oauth2/www_authenticate.hpp"

#include <algorithm>
#include <cstddef>

namespace oauth2_rest::oauth2 {
namespace {

char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 9110 tchar: the characters of a scheme, a parameter name or an unquoted value.
bool is_tchar(char ch) {
  if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

class challenge_reader {
 public:
  explicit challenge_reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip() { ++pos_; }
  void skip_spaces() {
    while (!done() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  std::string_view token() {
    const auto start = pos_;
    while (!done() && is_tchar(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // A quoted-string (backslash escapes a character) or a token.
  std::string value() {
    if (done() || peek() != '"') return std::string(token());
    ++pos_;
    std::string out;
    while (!done() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out.push_back(text_[pos_++]);
    }
    if (!done()) ++pos_;  // closing quote; an unterminated one simply ends the value
    return out;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string bearer_error(std::string_view www_authenticate) {
  // Challenges and their parameters are both comma-separated, so a word is a
  // parameter name when '=' follows it and a new challenge's scheme otherwise.
  challenge_reader in(www_authenticate);
  bool in_bearer = false;
  while (!in.done()) {
    in.skip_spaces();
    if (in.done()) break;
    if (in.peek() == ',') {
      in.skip();
      continue;
    }
    const auto word = in.token();
    if (word.empty()) {
      in.skip();  // a character no grammar allows here (e.g. token68 '/'): step over it
      continue;
    }
    in.skip_spaces();
    if (!in.done() && in.peek() == '=') {
      in.skip();
      in.skip_spaces();
      auto value = in.value();
      if (in_bearer && iequals(word, "error")) return value;
    } else {
      in_bearer = iequals(word, "bearer");
    }
  }
  return {};
}

bool should_refresh(unsigned status, std::string_view www_authenticate) {
  if (status != 401) return false;
  const auto code = bearer_error(www_authenticate);
  return code.empty() || iequals(code, "invalid_token");
}

bool should_refresh(unsigned status, std::string_view www_authenticate, std::span<const unsigned> listed) {
  if (status == 401) return should_refresh(status, www_authenticate);
  if (std::find(listed.begin(), listed.end(), status) == listed.end()) return false;
  return !iequals(bearer_error(www_authenticate), "insufficient_scope");
}

}  // namespace oauth2_rest::oauth2
