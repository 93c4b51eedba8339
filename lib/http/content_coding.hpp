// Content codings of HTTP responses (RFC 9110 8.4, SPEC 3 "Compressed responses"): gzip and
// x-gzip, deflate (zlib-wrapped, or raw as some servers send it) with zlib, br with Brotli.
//
// - Decoding is a stream into a buffer that never grows past the limit (+1 byte to see that there
//   is more): a decompression bomb (1 GiB of zeros is 1 MB of gzip) is an error at the limit, in
//   time and memory proportional to the limit, never to what the bomb would inflate to.
// - Stacked codings ("gzip, br": gzip applied first) are decoded last-applied first, each step
//   bounded by the limit, at most max_stacked_codings of them. Several Content-Encoding fields
//   count as one list, in order (RFC 9110 5.3). "identity" entries are skipped.
// - gzip: concatenated members (RFC 1952 2.2) are decoded one after another. Bytes after the end
//   of the compressed data that do not start another member are ignored, as gzip(1) does: the
//   data they follow is complete and its checksum verified; the same after zlib data. br and raw
//   deflate have no checksum, so bytes after their end make the body corrupt (random bytes often
//   start with a valid empty br stream).
// - deflate: RFC 9110 says zlib format (RFC 1950); some servers send raw deflate (RFC 1951). A
//   body whose first two bytes are a valid zlib header is read as zlib, and if that fails as
//   corrupt, as raw; any other body as raw (curl too falls back to raw when zlib fails).
// - A truncated stream, a corrupt one and a coding we do not know are errors whose message names
//   the coding; the caller adds the method and URL.
//
// Pure: no I/O, no logging; the action and the token client call it on the responses they use.
#pragma once

#include "http/http_client.hpp"
#include "util/result.hpp"

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::http {

// The Accept-Encoding sent unless the caller's headers set one: every coding decoded here.
inline constexpr std::string_view default_accept_encoding = "gzip, deflate, br";

// How many codings one response may stack. Real servers stack at most two (a proxy compressing
// what the origin compressed); each step costs up to the limit in time and memory.
inline constexpr std::size_t max_stacked_codings = 4;

enum class coding_error {
  unsupported = 1,   // a coding not decoded here (compress, zstd, ...)
  corrupt,           // not valid data of its coding
  truncated,         // ends before the end of its compressed data
  too_large,         // decodes to more than the limit
  too_many_codings,  // more than max_stacked_codings
};
const boost::system::error_category& coding_error_category() noexcept;
boost::system::error_code make_error_code(coding_error e) noexcept;

// Whether `coding` (one token, any case) is decoded here: gzip, x-gzip, deflate, br, identity.
bool is_supported_coding(std::string_view coding) noexcept;

// `encoded` decoded as the content coding `coding` (one token, any case; identity returns it as
// it is), into at most `limit` bytes.
result<std::string> decode_content(std::string_view coding, std::string_view encoded, std::size_t limit);

// The response's body decoded as its Content-Encoding fields say, then Content-Encoding and
// Content-Length removed from its headers: they describe bytes the body no longer has. Left as
// it is when there is no Content-Encoding (or only identity) or the body is empty (HEAD, 204,
// 304: nothing was decoded, so the headers stay true). On failure the response is unchanged and
// the message names the coding, e.g. "Content-Encoding gzip: the body is not valid gzip data
// (incorrect header check)".
status decode_response_content(response& r, std::size_t limit);

// Adds "Accept-Encoding: <default_accept_encoding>" unless `headers` have an Accept-Encoding
// (any case, any value: a caller's identity or gzip is sent as it is).
void add_default_accept_encoding(std::vector<header>& headers);

}  // namespace oauth2_rest::http

template <>
struct boost::system::is_error_code_enum<oauth2_rest::http::coding_error> : std::true_type {};
