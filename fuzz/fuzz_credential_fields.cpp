// libFuzzer target: the credential fields the user types: oauth2::parse_additional_properties
// (both forms), parse_scopes, parse_client_auth, and the form codec (form_decode, parse_form,
// form_encode), then the token request built from them; and read_json_members, which the JSON
// form of Additional Properties reads with. Invariants: form_decode(form_encode(x)) == x;
// scopes are trimmed, non-empty and comma-free; property keys are non-empty and not reserved
// (a key may repeat); in the JSON form each key's last occurrence is what read_json holds for
// it; read_json_members agrees with read_json; the request body carries every property in
// order; only one authentication method is used (key-based methods send no secret, client_id
// and a client assertion exactly once).
#include "fuzz_support.hpp"
#include "oauth2/token_request.hpp"
#include "util/json_members.hpp"
#include "util/json_read.hpp"

#include <algorithm>
#include <set>
#include <vector>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

// read_json_members against read_json: the same success, the same keys, and for each key the
// value of its last occurrence (read_json keeps the last, as Node's JSON.parse does).
void check_members(std::string_view text) {
  boost::system::error_code whole_ec, members_ec;
  const auto whole = read_json(text, whole_ec);
  const auto members = read_json_members(text, members_ec);
  const bool is_object = !whole_ec && whole.is_object();
  fuzz_check(is_object == !members_ec, "read_json_members and read_json disagree on the text");
  if (!is_object) return;
  const auto& object = whole.get_object();
  std::set<std::string> keys;
  for (const auto& m : members) {
    keys.insert(m.key);
    fuzz_check(object.contains(m.key), "read_json_members found a key read_json does not have");
  }
  fuzz_check(keys.size() == object.size(), "read_json_members lost a key");
  for (const auto& kv : object) {
    const json_member* last = nullptr;
    for (const auto& m : members)
      if (m.key == kv.key()) last = &m;
    fuzz_check(last != nullptr && last->value == kv.value(), "a key's last occurrence differs from read_json's value");
  }
}

bool starts_json(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

// The JSON form: props are the object's members expanded, so for every key of the object its
// last occurrence's strings end the list of that key's values.
void check_json_form(std::string_view text, const std::vector<std::pair<std::string, std::string>>& props) {
  boost::system::error_code ec;
  const auto whole = read_json(text, ec);
  fuzz_check(!ec && whole.is_object(), "JSON form accepted but not a JSON object");
  for (const auto& kv : whole.get_object()) {
    std::vector<std::string> values;
    for (const auto& [k, v] : props)
      if (k == kv.key()) values.push_back(v);
    std::vector<std::string> last;
    if (kv.value().is_string()) {
      last.emplace_back(kv.value().get_string());
    } else {
      fuzz_check(kv.value().is_array(), "JSON form accepted a value that is not a string or an array");
      for (const auto& e : kv.value().get_array()) {
        fuzz_check(e.is_string(), "JSON form accepted an element that is not a string");
        last.emplace_back(e.get_string());
      }
    }
    fuzz_check(values.size() >= last.size() &&
                   std::equal(last.begin(), last.end(), values.end() - static_cast<std::ptrdiff_t>(last.size())),
               "JSON form: a key's last occurrence is not at the end of its values");
  }
  for (const auto& [k, v] : props) fuzz_check(whole.get_object().contains(k), "JSON form invented a key");
}

}  // namespace

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
  check_members(text);

  auto props = oauth2::parse_additional_properties(text);
  if (!props) return 0;
  for (const auto& [k, v] : *props) {
    fuzz_check(!k.empty(), "empty additional property key");
    fuzz_check(k != "grant_type" && k != "scope" && k != "client_secret", "reserved key accepted");
  }
  if (starts_json(text)) check_json_form(text, *props);

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
    // Every property, in order, right after grant_type and scope (client_id in body mode is the
    // credential's own, sent once at the end).
    std::size_t at = 1;
    if (at < form.size() && form[at].first == "scope" && !scopes.empty()) ++at;
    for (const auto& [k, v] : *props) {
      if (auth != oauth2::client_auth::basic && k == "client_id") continue;
      if (assertion && (k == "client_assertion" || k == "client_assertion_type")) continue;
      fuzz_check(at < form.size() && form[at].first == k && form[at].second == v,
                 "additional property missing from the request body or out of order");
      ++at;
    }
  }
  return 0;
}
