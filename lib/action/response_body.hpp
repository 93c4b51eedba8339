// Turning an API response into the action's output: the body by content type
// and charset, and the headers as a JSON object (SPEC section 1 "Output",
// component-behaviour.md 7.4).
//
// The body given here is already decoded from its Content-Encoding (gzip, deflate, br:
// http/content_coding.hpp, applied by the action before these rules and before an error quotes
// the body), so "application/gzip" below is a gzip file the API serves, not a compressed answer.
//
// Body rules, in order:
// - An empty body is {} (an empty object), whatever the content type.
// - The media type (before ';', case-insensitive) picks the kind:
//   JSON    application/json, text/json, */*+json (problem+json, ld+json, ...)
//           -> the parsed value; text that does not parse -> the text as a string.
//   text    text/*, application/xml, */*+xml (so image/svg+xml is text),
//           application/javascript, ecmascript, x-www-form-urlencoded, yaml,
//           x-yaml, x-ndjson, graphql, sql, x-sh, csv -> a string.
//   binary  image/*, audio/*, video/*, font/*, model/*, application/octet-stream,
//           pdf, zip, gzip, x-gzip, x-tar, x-7z-compressed, x-rar-compressed,
//           x-bzip2, java-archive, wasm, msword, vnd.ms-*, vnd.openxmlformats-*,
//           vnd.oasis.opendocument.*, x-protobuf, protobuf
//           -> base64 (standard, padded) with base64 = true, so the output gets
//           "bodyEncoding":"base64".
//   other or absent: text in the declared charset if the type has a charset
//           parameter; otherwise sniffed: JSON if it parses, else the text if
//           it is valid UTF-8, else base64.
// - Text (and JSON text) is converted to UTF-8 from the charset parameter:
//   utf-8 (the default, also for unknown charsets), us-ascii, iso-8859-1 /
//   latin1, windows-1252 / cp1252, utf-16 / utf-16le / utf-16be.
//   Decision (as browsers do, WHATWG Encoding Standard): us-ascii and
//   iso-8859-1 are decoded as windows-1252, because servers label
//   windows-1252 text with them; 0x80-0x9F map to the windows-1252
//   characters (0x80 -> U+20AC), the five unassigned bytes to U+0081 etc.
//   A byte order mark is honoured and removed (it overrides the declared
//   UTF-16 byte order); "utf-16" without a BOM is little-endian (WHATWG).
//   Invalid sequences (bad UTF-8, unpaired surrogates, a dangling byte)
//   become U+FFFD, one per maximal invalid subpart, so the output JSON is
//   always valid UTF-8.
// - JSON is parsed after that conversion, so a JSON body with a stray
//   invalid byte still parses (the byte becomes U+FFFD inside its string).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::action {

struct decoded_body {
  boost::json::value body;
  bool base64 = false;  // -> the output gets "bodyEncoding":"base64"
};

decoded_body decode_response_body(std::string_view content_type, std::string_view body);

// Response headers for the output: names lower-cased; a header that appears
// more than once (e.g. set-cookie) becomes an array of its values in order;
// once -> a string. Values that are not valid UTF-8 get U+FFFD replacements.
boost::json::object response_headers_json(
    const std::vector<std::pair<std::string, std::string>>& headers);

// The same for headers seen in place (e.g. an http::response's), without copies.
struct header_view {
  std::string_view name;
  std::string_view value;
};
boost::json::object response_headers_json_of(std::span<const header_view> headers);

// Text in `charset` (a charset label as above; empty or unknown = utf-8)
// converted to valid UTF-8. A leading byte order mark is removed.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace oauth2_rest::action
