// libFuzzer target: the credential fields the user types: oauth2::parse_additional_properties,
// parse_scopes, parse_client_auth, and the form codec (form_decode, parse_form, form_encode),
// then the token request built from them. Invariants: form_decode(form_encode(x)) == x; scopes
// are trimmed, non-empty and comma-free; property keys are non-empty, unique and not reserved;
// the request body parses back to what was put in; only one authentication method is used
// (key-based methods send no secret, client_id and a client assertion exactly once).
#include "fuzz_support.hpp"
#include "oauth2/token_request.hpp"

#include <set>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_view(data, size);

  auto decoded = oauth2::form_decode(text);
  (void)decoded;
  auto encoded = oauth2::form_encode(text);
  auto back = oauth2::form_decode(encoded);
  fuzz_check(back.has_value() && *back == text, "form_decode(form_encode(x)) != x");
  for (const auto& [k, v] : oauth2::parse_form(text)) fuzz_check(!k.empty(), "empty form name kept");

  auto scopes = oauth2::parse_scopes(text);
  for (const auto& s : scopes) {
    fuzz_check(!s.empty(), "empty scope");
    fuzz_check(s.find(',') == std::string::npos, "scope with a comma");
    fuzz_check(s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t', "scope not trimmed");
  }
  (void)oauth2::parse_client_auth(text);

  auto props = oauth2::parse_additional_properties(text);
  if (!props) return 0;
  std::set<std::string> keys;
  for (const auto& [k, v] : *props) {
    fuzz_check(!k.empty(), "empty additional property key");
    fuzz_check(k != "grant_type" && k != "scope" && k != "client_secret", "reserved key accepted");
    fuzz_check(keys.insert(k).second, "additional property key repeated");
  }

  for (auto auth : {oauth2::client_auth::basic, oauth2::client_auth::body, oauth2::client_auth::private_key_jwt,
                    oauth2::client_auth::client_secret_jwt, oauth2::client_auth::tls_client_auth}) {
    oauth2::client_credentials c;
    c.token_url = "https://auth.example.com/token";
    c.client_id = "client id";
    c.client_secret = "s3cr+t";
    c.scopes = scopes;
    c.additional_properties = *props;
    c.auth = auth;
    (void)oauth2::validate_credentials(c);
    auto req = oauth2::build_token_request(c, "header.claims.signature");
    auto form = oauth2::parse_form(req.body);
    fuzz_check(!form.empty() && form[0].first == "grant_type" && form[0].second == "client_credentials",
               "grant_type not first");
    bool has_basic = false;
    for (const auto& [name, value] : req.headers) has_basic |= name == "Authorization";
    bool has_body_secret = false;
    for (const auto& [name, value] : form) has_body_secret |= name == "client_secret";
    fuzz_check(!(has_basic && has_body_secret), "two client authentication methods");
    if (auth != oauth2::client_auth::basic && auth != oauth2::client_auth::body) {
      fuzz_check(!has_basic && !has_body_secret, "a secret sent beside a key-based method");
    }
    const bool assertion = oauth2::uses_client_assertion(auth);
    std::size_t client_ids = 0, assertions = 0;
    for (const auto& [name, value] : form) {
      client_ids += name == "client_id";
      assertions += name == "client_assertion";
    }
    if (auth != oauth2::client_auth::basic) fuzz_check(client_ids == 1, "client_id not sent exactly once");
    if (assertion) fuzz_check(assertions == 1, "client_assertion not sent exactly once");
    for (const auto& [k, v] : *props) {
      if (auth != oauth2::client_auth::basic && k == "client_id") continue;
      if (assertion && (k == "client_assertion" || k == "client_assertion_type")) continue;
      bool found = false;
      for (const auto& [name, value] : form) found |= name == k && value == v;
      fuzz_check(found, "additional property missing from the request body");
    }
  }
  return 0;
}
