// Reading JSON text as Node's JSON.parse reads it (SPEC section 6, code review finding 4): the one
// parser every input of the project goes through (messages, error records, API and token
// responses, step info, local mode lines and config).
//
// Where it differs from boost::json::parse (Boost 1.81), and why:
//  - Nesting up to json_max_depth levels (Boost's default is 32; a message nested 33 deep was
//    dropped as undecodable while Node took it). Node's JSON.parse has no limit, but its
//    JSON.stringify overflows the stack at about 4170 levels (Node 20, default stack), so the
//    reference runtime cannot emit or pass on anything deeper. 4096 stays below that and keeps
//    Boost.JSON's recursive copy and destruction of such a value within about 0.8 MB of stack
//    (3.6 MB under AddressSanitizer), well inside every thread's 8 MB.
//  - A lone UTF-16 surrogate escape ("\ud83d", which Node's JSON.stringify writes when a string
//    cut an emoji in half; "\udc00"; a high surrogate not followed by a low one) reads as U+FFFD,
//    the character Node gives when it turns such a string into UTF-8 bytes. Boost 1.81 has no
//    allow_invalid_utf16: the text is scanned for them first (one memchr pass over the
//    backslashes) and copied with the escapes rewritten only when there is one.
//  - Numbers with a fraction or an exponent are rounded correctly (std::from_chars): Boost 1.81's
//    own conversion is off by one unit in the last place for about a third of all doubles, so
//    a number read and written back would not have Node's digits.
//  - A number beyond a double (1e999, 400 digits) reads as null. Node holds Infinity, which its
//    JSON.stringify writes as null; reading null keeps every value the project holds finite.
//  - Text that is not valid UTF-8 is read with each bad sequence replaced by U+FFFD, as Node
//    decodes bytes to a string before JSON.parse sees them. Only on the failure path: valid text
//    costs nothing.
// The result uses the default memory resource. One parser per thread is kept between calls.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string_view>

namespace oauth2_rest {

// Deepest nesting of arrays and objects read (see above); deeper text fails with
// boost::json::error::too_deep ("too deep").
inline constexpr std::size_t json_max_depth = 4096;

// The value of `text`, or null with `ec` set (a boost::json::error: syntax, too_deep,
// extra_data, incomplete, ...). Never throws but for std::bad_alloc.
boost::json::value read_json(std::string_view text, boost::system::error_code& ec);

}  // namespace oauth2_rest
