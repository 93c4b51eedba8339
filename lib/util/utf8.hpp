// Making arbitrary bytes safe to put in a JSON string.
#pragma once

#include <string>
#include <string_view>

namespace oauth2_rest {

// The text with every invalid or truncated UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view bytes);

// At most `max_bytes` of the text, cut on a character boundary (valid UTF-8 in, valid out).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace oauth2_rest
