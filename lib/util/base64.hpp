// Standard base64 (RFC 4648 section 4, with '=' padding, no line breaks).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest {

std::string base64_encode(std::string_view bytes);
// nullopt when the text is not canonical padded base64 (whitespace is not accepted).
std::optional<std::string> base64_decode(std::string_view text);
// The same into `out` (its content replaced, its capacity reused); false, and
// `out` unspecified, where base64_decode gives nullopt.
bool base64_decode_into(std::string_view text, std::string& out);

}  // namespace oauth2_rest
