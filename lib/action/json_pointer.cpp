// RFC 6901 JSON Pointer: parsing the text and selecting a value.
#include "action/json_pointer.hpp"

#include "action/detail/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace oauth2_rest::action {
namespace {

// RFC 6901 4: array-index = %x30 / ( %x31-39 *(%x30-39) ); "-" and anything else select nothing.
bool array_index(std::string_view token, std::size_t size, std::size_t& out) {
  if (token.empty() || token.size() > 19) return false;
  if (token.size() > 1 && token.front() == '0') return false;
  std::size_t value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::size_t>(c - '0');  // 19 digits fit in 64 bits
  }
  if (value >= size) return false;
  out = value;
  return true;
}

}  // namespace

result<json_pointer> parse_json_pointer(std::string_view text) {
  json_pointer out;
  if (text.empty()) return out;
  if (text.front() != '/') return detail::invalid("must be empty or start with '/'");
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      out.tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    const char c = text[i];
    if (c != '~') {
      token.push_back(c);
      continue;
    }
    if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
      token.push_back(text[i + 1] == '0' ? '~' : '/');
      ++i;
      continue;
    }
    return detail::invalid("has '~' not followed by 0 or 1 (at byte " + std::to_string(i + 1) + ")");
  }
  return out;
}

const boost::json::value* find_pointer(const boost::json::value& document, const json_pointer& pointer) {
  const boost::json::value* at = &document;
  for (const auto& token : pointer.tokens) {
    if (const auto* object = at->if_object()) {
      at = object->if_contains(token);
      if (at == nullptr) return nullptr;
    } else if (const auto* array = at->if_array()) {
      std::size_t index = 0;
      if (!array_index(token, array->size(), index)) return nullptr;
      at = &(*array)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

}  // namespace oauth2_rest::action
