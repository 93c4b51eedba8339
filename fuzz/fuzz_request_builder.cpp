// libFuzzer target: action::build_api_request (the API request from the message body).
// Input: baseUrl, '\n', the message body as JSON. Invariants: no header the component owns
// (Authorization, Content-Length, Transfer-Encoding) survives; no header name or value carries a
// control character; the method is one of the seven; the URL is absolute http(s).
#include "action/request_builder.hpp"
#include "action/url_join.hpp"
#include "fuzz_support.hpp"

#include <boost/algorithm/string/predicate.hpp>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [base, json] = fuzz::split_line(fuzz::as_view(data, size));
  boost::json::value v;
  if (!fuzz::try_parse_json(json, v) || !v.is_object()) return 0;
  auto req = action::build_api_request(v.get_object(), base);
  if (!req) return 0;
  static const std::string_view methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  bool known = false;
  for (auto m : methods) known |= req->method_name == m;
  fuzz_check(known, "unknown method accepted");
  fuzz_check(action::is_absolute_http_url(req->url), "request URL not absolute");
  for (const auto& [name, value] : req->headers) {
    fuzz_check(!name.empty(), "empty header name");
    fuzz_check(!boost::algorithm::iequals(name, "authorization") &&
                   !boost::algorithm::iequals(name, "content-length") &&
                   !boost::algorithm::iequals(name, "transfer-encoding"),
               "owned header passed through");
    for (char c : name) fuzz_check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f && c != ':', "bad header name byte");
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      fuzz_check(u == '\t' || (u >= 0x20 && u != 0x7f), "control character in a header value");
    }
  }
  if (req->method_name == "GET" || req->method_name == "HEAD") fuzz_check(req->body.empty(), "GET/HEAD with a body");
  (void)action::form_encode_component(json);
  return 0;
}
