// libFuzzer target: HTTP response bodies by content type (action::decode_response_body), the
// output headers (response_headers_json) and the charset conversion (to_utf8).
// Input: the Content-Type, '\n', the body. Invariants: the output serializes to valid UTF-8 JSON
// that parses back to the same value; a base64 body decodes to the input bytes; to_utf8 is valid
// UTF-8; every header name is lower case.
#include "action/response_body.hpp"
#include "fuzz_support.hpp"
#include "util/base64.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [content_type, body] = fuzz::split_line(fuzz::as_view(data, size));

  auto decoded = action::decode_response_body(content_type, body);
  fuzz::check_json_round_trip(decoded.body, "decoded body");
  if (body.empty()) fuzz_check(decoded.body.is_object() && decoded.body.get_object().empty(), "empty body is not {}");
  if (decoded.base64) {
    fuzz_check(decoded.body.is_string(), "base64 body is not a string");
    auto raw = base64_decode(decoded.body.get_string());
    fuzz_check(raw.has_value() && *raw == body, "base64 body does not decode to the input");
  }

  // The body's bytes as header lines "name: value".
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view rest = body;
  while (!rest.empty() && headers.size() < 64) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) headers.emplace_back(std::string(line), "");
    else headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  auto json_headers = action::response_headers_json(headers);
  fuzz::check_json_round_trip(json_headers, "response headers");
  for (const auto& kv : json_headers)
    for (char c : kv.key()) fuzz_check(!(c >= 'A' && c <= 'Z'), "header name not lower case");

  const std::string utf8 = action::to_utf8(body, content_type);
  fuzz_check(fuzz::is_valid_utf8(utf8), "to_utf8 output is not valid UTF-8");
  return 0;
}
