// Unit tests: parsing the httpRequest action's merged cfg.
#include "action/action_config.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view secret = "pa55-W0rd-xyzzy";

// A minimal valid cfg; `extra` keys are added or replace the defaults.
json::object cfg_with(std::string_view extra_json = "{}") {
  json::object cfg{{"tokenUrl", "https://auth.example.com/oauth/token"},
                   {"username", "client-1"},
                   {"password", secret}};
  json::value extra = json::parse(extra_json);  // kept alive for the loop
  for (const auto& [k, v] : extra.as_object()) cfg[k] = v;
  return cfg;
}

action_config parsed(const json::object& cfg) {
  auto r = parse_action_config(cfg);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : action_config{};
}

std::string error_of(const json::object& cfg) {
  auto r = parse_action_config(cfg);
  EXPECT_FALSE(r.has_value());
  if (r) return "<parsed>";
  EXPECT_EQ(r.error().code, boost::system::errc::invalid_argument);
  EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
  return r.error().message;
}

TEST(parse_action_config, defaults) {
  auto c = parsed(cfg_with());
  EXPECT_EQ(c.token_url, "https://auth.example.com/oauth/token");
  EXPECT_EQ(c.client_id, "client-1");
  EXPECT_EQ(c.client_secret, secret);
  EXPECT_EQ(c.base_url, "");
  EXPECT_EQ(c.tokens, "");
  EXPECT_EQ(c.scopes, "");
  EXPECT_EQ(c.additional_properties, "");
  EXPECT_EQ(c.client_authentication, "");
  EXPECT_EQ(c.error_tolerance, tolerance::no_errors);
  EXPECT_EQ(c.request_timeout, 60s);
  EXPECT_EQ(c.max_response_size, 20'971'520u);
  EXPECT_EQ(c.refresh_on_status, std::vector<unsigned>{401});
}

TEST(parse_action_config, empty_strings_and_nulls_mean_default) {
  auto c = parsed(cfg_with(R"({"requestTimeout":"","maxResponseSize":" ","errorTolerance":"",
                               "baseUrl":"","tokens":null,"scopes":null})"));
  EXPECT_EQ(c.request_timeout, 60s);
  EXPECT_EQ(c.max_response_size, 20'971'520u);
  EXPECT_EQ(c.error_tolerance, tolerance::no_errors);
  EXPECT_EQ(c.base_url, "");
  EXPECT_EQ(c.tokens, "");
}

TEST(parse_action_config, every_field_as_the_ui_delivers_it) {
  auto c = parsed(cfg_with(R"({
      "tokenUrl":" https://auth/t ", "baseUrl":"https://api.example.com/v2/ ",
      "scopes":"client,users", "additionalProperties":"audience:https://api.example.com",
      "clientAuthentication":"body", "tokens":"{\"access_token\":\"t\"}",
      "errorTolerance":"reboundCodes", "requestTimeout":"2.5", "maxResponseSize":"1048576"})"));
  EXPECT_EQ(c.token_url, "https://auth/t");
  EXPECT_EQ(c.base_url, "https://api.example.com/v2/");
  EXPECT_EQ(c.scopes, "client,users");
  EXPECT_EQ(c.additional_properties, "audience:https://api.example.com");
  EXPECT_EQ(c.client_authentication, "body");
  EXPECT_EQ(c.tokens, "{\"access_token\":\"t\"}");
  EXPECT_EQ(c.error_tolerance, tolerance::rebound_codes);
  EXPECT_EQ(c.request_timeout, 2500ms);
  EXPECT_EQ(c.max_response_size, 1'048'576u);
}

TEST(parse_action_config, numbers_as_json_numbers) {
  auto c = parsed(cfg_with(R"({"requestTimeout":30,"maxResponseSize":1000})"));
  EXPECT_EQ(c.request_timeout, 30s);
  EXPECT_EQ(c.max_response_size, 1000u);
  c = parsed(cfg_with(R"({"requestTimeout":0.25,"maxResponseSize":1e6})"));
  EXPECT_EQ(c.request_timeout, 250ms);
  EXPECT_EQ(c.max_response_size, 1'000'000u);
  c = parsed(cfg_with(R"({"requestTimeout":" 60 ","maxResponseSize":" 20 "})"));
  EXPECT_EQ(c.request_timeout, 60s);
  EXPECT_EQ(c.max_response_size, 20u);
  EXPECT_EQ(parsed(cfg_with(R"({"requestTimeout":"1140"})")).request_timeout, 1140s);
}

TEST(parse_action_config, tokens_object_is_serialized) {
  auto c = parsed(cfg_with(R"({"tokens":{"access_token":"abc","expires_in":3600}})"));
  EXPECT_EQ(c.tokens, R"({"access_token":"abc","expires_in":3600})");
}

TEST(parse_action_config, timeout_errors_name_field_and_value) {
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":"abc"})")),
            "requestTimeout 'abc' is not a valid number of seconds");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":"60s"})")),
            "requestTimeout '60s' is not a valid number of seconds");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":"inf"})")),
            "requestTimeout 'inf' is not a valid number of seconds");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":true})")),
            "requestTimeout 'true' is not a valid number of seconds");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":"0"})")),
            "requestTimeout '0' must be greater than 0 and at most 1140 seconds (19 minutes)");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":-5})")),
            "requestTimeout '-5' must be greater than 0 and at most 1140 seconds (19 minutes)");
  EXPECT_EQ(error_of(cfg_with(R"({"requestTimeout":"1140.5"})")),
            "requestTimeout '1140.5' must be greater than 0 and at most 1140 seconds (19 minutes)");
}

TEST(parse_action_config, max_response_size_errors_name_field_and_value) {
  const char* bad[] = {R"("abc")", R"("1.5")", R"("20MB")", R"("-1")", R"("0")", "0", "-3", "1.5",
                       R"("99999999999999999999999")"};
  const char* shown[] = {"abc", "1.5", "20MB", "-1", "0", "0", "-3", "1.5", "99999999999999999999999"};
  for (std::size_t i = 0; i < std::size(bad); ++i) {
    auto cfg = cfg_with(std::string(R"({"maxResponseSize":)") + bad[i] + "}");
    EXPECT_EQ(error_of(cfg), std::string("maxResponseSize '") + shown[i] +
                                 "' is not a positive integer number of bytes");
  }
}

TEST(parse_action_config, required_credentials) {
  auto cfg = cfg_with();
  cfg.erase("tokenUrl");
  EXPECT_EQ(error_of(cfg), "tokenUrl is required");
  EXPECT_EQ(error_of(cfg_with(R"({"tokenUrl":"  "})")), "tokenUrl is required");
  cfg = cfg_with();
  cfg.erase("username");
  EXPECT_EQ(error_of(cfg), "username is required");
  EXPECT_EQ(error_of(cfg_with(R"({"username":""})")), "username is required");
  cfg = cfg_with();
  cfg.erase("password");
  EXPECT_EQ(error_of(cfg), "password is required");
  EXPECT_EQ(error_of(cfg_with(R"({"password":null})")), "password is required");
}

TEST(parse_action_config, password_is_kept_byte_for_byte) {
  EXPECT_EQ(parsed(cfg_with(R"({"password":" s p "})")).client_secret, " s p ");
}

TEST(parse_action_config, non_string_values_for_string_fields_name_the_field_only) {
  EXPECT_EQ(error_of(cfg_with(R"({"password":12345})")), "password must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"password":{"v":"pa55-W0rd-xyzzy"}})")),
            "password must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"username":7})")), "username must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"tokenUrl":7})")), "tokenUrl must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"scopes":["a"]})")), "scopes must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"additionalProperties":{}})")),
            "additionalProperties must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"clientAuthentication":1})")),
            "clientAuthentication must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"errorTolerance":1})")), "errorTolerance must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"tokens":[1]})")), "tokens must be a JSON string or object");
}

TEST(parse_action_config, urls_must_be_absolute_http) {
  EXPECT_EQ(error_of(cfg_with(R"({"tokenUrl":"auth.example.com/token"})")),
            "tokenUrl 'auth.example.com/token' is not an absolute http(s) URL");
  EXPECT_EQ(error_of(cfg_with(R"({"baseUrl":"ftp://files"})")),
            "baseUrl 'ftp://files' is not an absolute http(s) URL");
}

TEST(parse_action_config, error_tolerance_is_parsed) {
  EXPECT_EQ(parsed(cfg_with(R"({"errorTolerance":"manual"})")).error_tolerance, tolerance::manual);
  EXPECT_EQ(error_of(cfg_with(R"({"errorTolerance":"sometimes"})")),
            "errorTolerance 'sometimes' is not one of noErrors, notFoundOnly, none, manual, reboundCodes");
}

TEST(parse_action_config, the_password_value_is_in_no_error_message) {
  // Every failing cfg below carries the secret; error_of checks each message.
  const char* broken[] = {
      R"({"tokenUrl":""})",       R"({"username":""})",          R"({"password":1})",
      R"({"requestTimeout":"x"})", R"({"maxResponseSize":"y"})", R"({"errorTolerance":"z"})",
      R"({"baseUrl":"nope"})",    R"({"tokens":true})",          R"({"refreshOnStatus":"x"})"};
  for (const char* extra : broken) (void)error_of(cfg_with(extra));
}

// --- refreshOnStatus (SPEC 2) ---

TEST(parse_action_config, refresh_on_status_defaults_to_401) {
  EXPECT_EQ(parsed(cfg_with()).refresh_on_status, std::vector<unsigned>{401});
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":""})")).refresh_on_status, std::vector<unsigned>{401});
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":"  "})")).refresh_on_status, std::vector<unsigned>{401});
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":null})")).refresh_on_status, std::vector<unsigned>{401});
}

TEST(parse_action_config, refresh_on_status_is_a_csv_of_codes_that_widens_401) {
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":"401,419"})")).refresh_on_status,
            (std::vector<unsigned>{401, 419}));
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":" 419 , 403,,403 "})")).refresh_on_status,
            (std::vector<unsigned>{401, 403, 419}))
      << "blanks and empty items skipped, duplicates once, sorted, 401 kept";
  EXPECT_EQ(parsed(cfg_with(R"({"refreshOnStatus":419})")).refresh_on_status, (std::vector<unsigned>{401, 419}))
      << "a JSON number is one code";
}

TEST(parse_action_config, a_bad_refresh_on_status_names_the_field_and_the_item) {
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"401,abc"})")),
            "refreshOnStatus 'abc' is not an HTTP status code (expected a comma-separated list such as 401,419)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"401;419"})")),
            "refreshOnStatus '401;419' is not an HTTP status code (expected a comma-separated list such as 401,419)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"+419"})")),
            "refreshOnStatus '+419' is not an HTTP status code (expected a comma-separated list such as 401,419)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"4.5e2"})")),
            "refreshOnStatus '4.5e2' is not an HTTP status code (expected a comma-separated list such as 401,419)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"200"})")),
            "refreshOnStatus '200' is not an error status (expected codes from 400 to 599)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":"600"})")),
            "refreshOnStatus '600' is not an error status (expected codes from 400 to 599)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":419.5})")),
            "refreshOnStatus '419.5' is not an HTTP status code (expected a comma-separated list such as 401,419)");
  EXPECT_EQ(error_of(cfg_with(R"({"refreshOnStatus":[401]})")),
            "refreshOnStatus must be a string of comma-separated status codes");
}

// config_keys is what component.json's test takes for "the keys the component reads": each one
// listed must really be read, so a value no field accepts (an array of arrays) is refused with
// a message that starts with the key's name.
TEST(config_keys, every_key_listed_is_read_by_parse_action_config) {
  for (std::string_view key : config_keys) {
    auto cfg = cfg_with();
    cfg[key] = json::parse("[[]]");
    auto r = parse_action_config(cfg);
    ASSERT_FALSE(r.has_value()) << key << " is listed but an impossible value passes: it is not read";
    EXPECT_EQ(r.error().message.rfind(std::string(key), 0), 0u) << key << ": " << r.error().message;
  }
}

// SPEC section 7: the key fields, and the fields each client authentication method needs.
TEST(parse_action_config, key_fields_are_read_and_each_method_needs_its_field) {
  auto c = parsed(cfg_with(R"({"privateKey":"PEM-1","keyId":" k1 ","clientCertificate":"PEM-2",
                              "clientCertificateKey":"PEM-3","clientAuthentication":"private_key_jwt"})"));
  EXPECT_EQ(c.private_key, "PEM-1");
  EXPECT_EQ(c.key_id, "k1");
  EXPECT_EQ(c.client_certificate, "PEM-2");
  EXPECT_EQ(c.client_certificate_key, "PEM-3");

  auto without_password = [](std::string extra) {
    auto cfg = cfg_with(extra);
    cfg.erase("password");
    return cfg;
  };
  EXPECT_TRUE(parse_action_config(without_password(R"({"clientAuthentication":"private_key_jwt","privateKey":"k"})")));
  EXPECT_TRUE(parse_action_config(without_password(R"({"clientAuthentication":"TLS_client_auth","clientCertificate":"c"})")));
  EXPECT_EQ(error_of(without_password(R"({"clientAuthentication":"client_secret_jwt"})")), "password is required");
  EXPECT_EQ(error_of(without_password(R"({"clientAuthentication":"body"})")), "password is required");
  EXPECT_EQ(error_of(cfg_with(R"({"clientAuthentication":"private_key_jwt","privateKey":"  "})")),
            "privateKey is required for private_key_jwt");
  EXPECT_EQ(error_of(cfg_with(R"({"clientAuthentication":" tls_client_auth "})")),
            "clientCertificate is required for tls_client_auth");
  EXPECT_EQ(error_of(cfg_with(R"({"privateKey":{"d":"secret-key-bytes"}})")), "privateKey must be a string");
  EXPECT_EQ(error_of(cfg_with(R"({"clientCertificateKey":12})")), "clientCertificateKey must be a string");
}

}  // namespace
}  // namespace oauth2_rest::action
