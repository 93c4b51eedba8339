// Base64: standard encoding (RFC 4648 section 4, '=' padding, no line breaks), and decoding as
// lenient as Node's Buffer.from(text, "base64") on the text of a message body, which is how the
// reference runtime reads protocol 1 bodies and error record fields (code review finding 14).
//
// Decoding, as Node 20 does it (the table in spec/util/base64_test.cpp is its output):
//  - both alphabets, mixed freely ('+' and '-' are 62, '/' and '_' are 63);
//  - every other character is skipped: whitespace and line breaks, but also any other garbage
//    ("Q!U@J#D" is "QUJD");
//  - the first '=' ends the text, wherever it is ("QQ==QUJD" is "A"); padding is optional;
//  - a last group of 2 or 3 characters gives 1 or 2 bytes, a lone last character nothing, and
//    the bits left over are dropped ("QR" is "A");
//  - non-ASCII text counts as Node's string of it does: each UTF-16 code unit by its low byte
//    ("\u0141" reads as 'A', an emoji's high surrogate U+D83D as '='); bytes that are not UTF-8
//    are skipped.
// So every text decodes to some bytes, possibly none: what is not base64 fails later, where the
// bytes are used (decryption), as it does in Node. Canonical padded text takes a fast path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest {

std::string base64_encode(std::string_view bytes);
// base64url without padding (RFC 4648 section 5; RFC 7515 section 2, as JWS uses it).
std::string base64url_encode(std::string_view bytes);
// The bytes Node decodes from `text`. Always has a value (the optional is kept for the
// callers written when decoding could fail).
std::optional<std::string> base64_decode(std::string_view text);
// The same into `out` (its content replaced, its capacity reused).
void base64_decode_into(std::string_view text, std::string& out);
// Whether `text` is canonical padded base64 (standard alphabet, length a multiple of 4, no
// other characters): what a failure after decoding can blame on the text rather than the key.
bool is_canonical_base64(std::string_view text);

}  // namespace oauth2_rest
