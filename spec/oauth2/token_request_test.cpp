// Unit tests: form encoding, credential field parsing and the token request.
#include "oauth2/token_request.hpp"

#include "util/base64.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace oauth2 = oauth2_rest::oauth2;
using pairs = std::vector<std::pair<std::string, std::string>>;
using testing::ElementsAre;
using testing::Pair;

namespace {

std::optional<std::string> header(const oauth2::token_http_request& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

oauth2::client_credentials sample_credentials() {
  oauth2::client_credentials c;
  c.token_url = "https://auth.example.com/oauth/token";
  c.client_id = "my id";
  c.client_secret = "s3cr+t";
  return c;
}

}  // namespace

// --- form encoding ---

TEST(form_encode, secret_with_plus_percent_colon_and_space) {
  EXPECT_EQ(oauth2::form_encode("s3cr+t %:x"), "s3cr%2Bt+%25%3Ax");
}

TEST(form_encode, keeps_unreserved_and_star) {
  EXPECT_EQ(oauth2::form_encode("AZaz09-._*"), "AZaz09-._*");
}

TEST(form_encode, encodes_everything_else_per_byte_in_uppercase_hex) {
  EXPECT_EQ(oauth2::form_encode("~/?&=#"), "%7E%2F%3F%26%3D%23");
  EXPECT_EQ(oauth2::form_encode("\xC3\xA9"), "%C3%A9");  // é in UTF-8
  EXPECT_EQ(oauth2::form_encode(std::string_view("\0\n", 2)), "%00%0A");
  EXPECT_EQ(oauth2::form_encode(""), "");
}

TEST(form_decode, plus_and_escapes) {
  EXPECT_EQ(oauth2::form_decode("s3cr%2Bt+%25%3ax"), "s3cr+t %:x");
  EXPECT_EQ(oauth2::form_decode(""), "");
}

TEST(form_decode, round_trips_form_encode) {
  const std::string text = "a b+c%d:e/f\xC3\xA9~";
  EXPECT_EQ(oauth2::form_decode(oauth2::form_encode(text)), text);
}

TEST(form_decode, rejects_bad_escapes) {
  EXPECT_EQ(oauth2::form_decode("%"), std::nullopt);
  EXPECT_EQ(oauth2::form_decode("abc%2"), std::nullopt);
  EXPECT_EQ(oauth2::form_decode("%zz"), std::nullopt);
  EXPECT_EQ(oauth2::form_decode("%2g"), std::nullopt);
}

TEST(parse_form, decodes_pairs_in_order) {
  EXPECT_THAT(oauth2::parse_form("access_token=a%2Bb&token_type=bearer&scope=x+y"),
              ElementsAre(Pair("access_token", "a+b"), Pair("token_type", "bearer"), Pair("scope", "x y")));
}

TEST(parse_form, skips_malformed_and_empty_pairs) {
  EXPECT_THAT(oauth2::parse_form("&a=1&&=2&b=%zz&c&d=x=y&"),
              ElementsAre(Pair("a", "1"), Pair("c", ""), Pair("d", "x=y")));
  EXPECT_TRUE(oauth2::parse_form("").empty());
}

// --- credential fields ---

TEST(parse_scopes, splits_trims_and_drops_empty_items) {
  EXPECT_EQ(oauth2::parse_scopes("client, users,,"), (std::vector<std::string>{"client", "users"}));
  EXPECT_EQ(oauth2::parse_scopes(" \tread:all\t ,write "), (std::vector<std::string>{"read:all", "write"}));
  EXPECT_TRUE(oauth2::parse_scopes("").empty());
  EXPECT_TRUE(oauth2::parse_scopes(" , ,").empty());
}

TEST(parse_additional_properties, splits_on_the_first_colon) {
  auto parsed = oauth2::parse_additional_properties("audience:https://api.example.com,resource:urn:x:y");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_THAT(*parsed, ElementsAre(Pair("audience", "https://api.example.com"), Pair("resource", "urn:x:y")));
}

TEST(parse_additional_properties, trims_items_keys_and_values_and_skips_empty_items) {
  auto parsed = oauth2::parse_additional_properties(" audience : x ,, client_id:123 ,");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_THAT(*parsed, ElementsAre(Pair("audience", "x"), Pair("client_id", "123")));
}

TEST(parse_additional_properties, empty_field_gives_nothing) {
  auto parsed = oauth2::parse_additional_properties("");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->empty());
}

TEST(parse_additional_properties, empty_value_is_kept) {
  auto parsed = oauth2::parse_additional_properties("prompt:");
  ASSERT_TRUE(parsed);
  EXPECT_THAT(*parsed, ElementsAre(Pair("prompt", "")));
}

TEST(parse_additional_properties, item_without_colon_is_named) {
  auto parsed = oauth2::parse_additional_properties("resource:x,audience");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "additionalProperties: 'audience' has no ':' (expected key:value)");
  EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_credential_field);
}

TEST(parse_additional_properties, empty_key_is_named_by_its_place_not_its_value) {
  auto parsed = oauth2::parse_additional_properties(" :value");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "additionalProperties: item 1 has an empty key (expected key:value)");
  parsed = oauth2::parse_additional_properties("audience:a,, :s3cr3t-assertion");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "additionalProperties: item 2 has an empty key (expected key:value)");
}

TEST(parse_additional_properties, reserved_keys_are_errors) {
  for (const char* key : {"grant_type", "scope", "client_secret"}) {
    auto parsed = oauth2::parse_additional_properties(std::string(key) + ":x");
    ASSERT_FALSE(parsed) << key;
    EXPECT_EQ(parsed.error().message, "additionalProperties: key '" + std::string(key) + "' is reserved");
    EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_credential_field);
  }
}

TEST(parse_additional_properties, keys_are_case_sensitive) {
  auto parsed = oauth2::parse_additional_properties("Scope:x");
  ASSERT_TRUE(parsed);
  EXPECT_THAT(*parsed, ElementsAre(Pair("Scope", "x")));
}

TEST(parse_additional_properties, a_repeated_key_is_kept_once_per_occurrence_in_order) {
  // RFC 8707: several resource indicators are several resource parameters.
  auto parsed = oauth2::parse_additional_properties("resource:https://a,audience:x,resource:https://b");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_THAT(*parsed, ElementsAre(Pair("resource", "https://a"), Pair("audience", "x"), Pair("resource", "https://b")));
}

// --- the JSON form ---

struct json_form_case {
  const char* name;
  const char* text;
  pairs expected;
};
void PrintTo(const json_form_case& c, std::ostream* os) { *os << c.name; }

class additional_properties_json : public testing::TestWithParam<json_form_case> {};

TEST_P(additional_properties_json, reads_as_expected) {
  auto parsed = oauth2::parse_additional_properties(GetParam().text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    table, additional_properties_json,
    testing::Values(
        json_form_case{"strings", R"({"audience":"https://api.example.com","client_id":"123"})",
                       {{"audience", "https://api.example.com"}, {"client_id", "123"}}},
        json_form_case{"an_array_sends_the_key_once_per_element_in_order",
                       R"({"resource":["https://a.example/","https://b.example/"]})",
                       {{"resource", "https://a.example/"}, {"resource", "https://b.example/"}}},
        json_form_case{"values_may_hold_commas_and_colons", R"({"audience":"a,b:c","claims":"{\"x\":1}"})",
                       {{"audience", "a,b:c"}, {"claims", "{\"x\":1}"}}},
        json_form_case{"a_key_written_twice_is_sent_twice_in_order",
                       R"({"resource":"a","audience":"x","resource":["b","c"]})",
                       {{"resource", "a"}, {"audience", "x"}, {"resource", "b"}, {"resource", "c"}}},
        json_form_case{"keys_and_values_are_not_trimmed", R"({" k ":" v "})", {{" k ", " v "}}},
        json_form_case{"escapes_are_decoded", R"({"na\u006de":"caf\u00e9 \ud83d\ude00"})",
                       {{"name", "caf\xC3\xA9 \xF0\x9F\x98\x80"}}},
        json_form_case{"blanks_before_the_brace_and_around_members", " \n\t{ \"a\" : \"1\" ,\r\n \"b\":[ ] } ",
                       {{"a", "1"}}},
        json_form_case{"an_empty_value", R"({"prompt":""})", {{"prompt", ""}}},
        json_form_case{"an_empty_object", "{}", {}}),
    [](const testing::TestParamInfo<json_form_case>& case_info) { return std::string(case_info.param.name); });

struct json_error_case {
  const char* name;
  const char* text;
  const char* message;
};
void PrintTo(const json_error_case& c, std::ostream* os) { *os << c.name; }

class additional_properties_json_errors : public testing::TestWithParam<json_error_case> {};

TEST_P(additional_properties_json_errors, name_the_key_never_the_value) {
  auto parsed = oauth2::parse_additional_properties(GetParam().text);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, GetParam().message);
  EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_credential_field);
  EXPECT_EQ(parsed.error().message.find("s3cr3t"), std::string::npos) << "a value is quoted";
}

#define OAUTH2_REST_JSON_HINT "; write e.g. {\"resource\":[\"https://a\",\"https://b\"]}"

INSTANTIATE_TEST_SUITE_P(
    table, additional_properties_json_errors,
    testing::Values(
        json_error_case{"not_json", R"({"client_assertion":"s3cr3t")",
                        "additionalProperties: starts with '{' but is not a JSON object (incomplete JSON)"
                        OAUTH2_REST_JSON_HINT},
        json_error_case{"text_after_the_object", R"({"a":"s3cr3t"} x)",
                        "additionalProperties: starts with '{' but is not a JSON object (extra data)"
                        OAUTH2_REST_JSON_HINT},
        json_error_case{"a_number", R"({"max_age":3600,"x":"s3cr3t"})",
                        "additionalProperties: the value of key 'max_age' is a number (expected a string or an array "
                        "of strings)"},
        json_error_case{"null", R"({"a":null})",
                        "additionalProperties: the value of key 'a' is null (expected a string or an array of strings)"},
        json_error_case{"an_object", R"({"claims":{"s3cr3t":1}})",
                        "additionalProperties: the value of key 'claims' is an object (expected a string or an array "
                        "of strings)"},
        json_error_case{"an_element_that_is_not_a_string", R"({"resource":["s3cr3t",true]})",
                        "additionalProperties: element 2 of key 'resource' is a boolean (expected a string)"},
        json_error_case{"a_nested_array", R"({"resource":[["s3cr3t"]]})",
                        "additionalProperties: element 1 of key 'resource' is an array (expected a string)"},
        json_error_case{"an_empty_key", R"({"":"s3cr3t"})", "additionalProperties: a key of the JSON object is empty"},
        json_error_case{"grant_type", R"({"grant_type":"s3cr3t"})", "additionalProperties: key 'grant_type' is reserved"},
        json_error_case{"scope_in_an_array", R"({"scope":["s3cr3t"]})", "additionalProperties: key 'scope' is reserved"},
        json_error_case{"client_secret", R"({"audience":"a","client_secret":"s3cr3t"})",
                        "additionalProperties: key 'client_secret' is reserved"}),
    [](const testing::TestParamInfo<json_error_case>& case_info) { return std::string(case_info.param.name); });

TEST(parse_additional_properties, long_items_are_shortened_in_messages) {
  const std::string item(200, 'a');
  auto parsed = oauth2::parse_additional_properties(item);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message,
            "additionalProperties: '" + std::string(80, 'a') + "...' has no ':' (expected key:value)");
}

TEST(parse_client_auth, accepts_basic_body_and_empty) {
  EXPECT_EQ(*oauth2::parse_client_auth(""), oauth2::client_auth::basic);
  EXPECT_EQ(*oauth2::parse_client_auth("basic"), oauth2::client_auth::basic);
  EXPECT_EQ(*oauth2::parse_client_auth("BASIC"), oauth2::client_auth::basic);
  EXPECT_EQ(*oauth2::parse_client_auth(" Basic "), oauth2::client_auth::basic);
  EXPECT_EQ(*oauth2::parse_client_auth("client_secret_basic"), oauth2::client_auth::basic);
  EXPECT_EQ(*oauth2::parse_client_auth("body"), oauth2::client_auth::body);
  EXPECT_EQ(*oauth2::parse_client_auth("Body"), oauth2::client_auth::body);
  EXPECT_EQ(*oauth2::parse_client_auth("client_secret_post"), oauth2::client_auth::body);
}

TEST(parse_client_auth, names_an_unknown_value) {
  auto parsed = oauth2::parse_client_auth("header");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "clientAuthentication: 'header' is not supported (expected basic, body, private_key_jwt, client_secret_jwt or tls_client_auth)");
  EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_credential_field);
}

TEST(validate_credentials, accepts_a_complete_credential) {
  auto c = sample_credentials();
  c.additional_properties = {{"client_id", "123"}};  // fine beside Basic (RFC 6749 3.2.1)
  EXPECT_TRUE(oauth2::validate_credentials(c));
}

TEST(validate_credentials, reports_missing_fields_and_client_id_conflict) {
  auto c = sample_credentials();
  c.token_url = " ";
  EXPECT_EQ(oauth2::validate_credentials(c).error().message, "tokenUrl is empty: set the token endpoint's URL");
  c = sample_credentials();
  c.client_id.clear();
  EXPECT_EQ(oauth2::validate_credentials(c).error().message, "username is empty: set the OAuth2 client id");
  c = sample_credentials();
  c.auth = oauth2::client_auth::body;
  c.additional_properties = {{"client_id", "123"}};
  auto checked = oauth2::validate_credentials(c);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message,
            "additionalProperties: key 'client_id' repeats the username in body client authentication; remove it");
}

// --- the request ---

TEST(build_token_request, basic_mode_headers_and_body) {
  auto c = sample_credentials();
  const auto request = oauth2::build_token_request(c);
  EXPECT_THAT(request.headers,
              ElementsAre(Pair("Content-Type", "application/x-www-form-urlencoded"), Pair("Accept", "application/json"),
                          Pair("Authorization", "Basic " + oauth2_rest::base64_encode("my+id:s3cr%2Bt"))));
  EXPECT_EQ(header(request, "Authorization"), "Basic bXkraWQ6czNjciUyQnQ=");
  EXPECT_EQ(request.body, "grant_type=client_credentials");
}

TEST(build_token_request, basic_header_encodes_colon_in_id) {
  auto c = sample_credentials();
  c.client_id = "a:b";
  c.client_secret = "s3cr+t %:x";
  EXPECT_EQ(header(oauth2::build_token_request(c), "Authorization"),
            "Basic " + oauth2_rest::base64_encode("a%3Ab:s3cr%2Bt+%25%3Ax"));
}

TEST(build_token_request, body_mode_sends_credentials_in_the_body_only) {
  auto c = sample_credentials();
  c.auth = oauth2::client_auth::body;
  c.client_secret = "s3cr+t %:x";
  const auto request = oauth2::build_token_request(c);
  EXPECT_EQ(header(request, "Authorization"), std::nullopt);
  EXPECT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.body, "grant_type=client_credentials&client_id=my+id&client_secret=s3cr%2Bt+%25%3Ax");
}

TEST(build_token_request, body_mode_omits_an_empty_secret) {
  auto c = sample_credentials();
  c.auth = oauth2::client_auth::body;
  c.client_secret.clear();
  EXPECT_EQ(oauth2::build_token_request(c).body, "grant_type=client_credentials&client_id=my+id");
}

TEST(build_token_request, basic_mode_never_sends_the_secret_in_the_body) {
  auto c = sample_credentials();
  c.additional_properties = {{"client_id", "123"}};
  EXPECT_EQ(oauth2::build_token_request(c).body, "grant_type=client_credentials&client_id=123");
}

TEST(build_token_request, scopes_are_space_delimited) {
  auto c = sample_credentials();
  c.scopes = oauth2::parse_scopes("client, users,,");
  EXPECT_EQ(oauth2::build_token_request(c).body, "grant_type=client_credentials&scope=client+users");
}

TEST(build_token_request, no_scope_parameter_when_empty) {
  auto c = sample_credentials();
  c.scopes = oauth2::parse_scopes(" , ");
  EXPECT_EQ(oauth2::build_token_request(c).body, "grant_type=client_credentials");
  c.scopes = {""};
  EXPECT_EQ(oauth2::build_token_request(c).body, "grant_type=client_credentials");
}

TEST(build_token_request, additional_properties_are_form_encoded_after_scope) {
  auto c = sample_credentials();
  c.scopes = {"client", "users"};
  c.additional_properties = *oauth2::parse_additional_properties("audience:https://api.example.com,resource:urn:x:y");
  EXPECT_EQ(oauth2::build_token_request(c).body,
            "grant_type=client_credentials&scope=client+users"
            "&audience=https%3A%2F%2Fapi.example.com&resource=urn%3Ax%3Ay");
}

TEST(build_token_request, every_occurrence_of_a_repeated_key_is_sent_in_order_in_both_modes) {
  for (auto auth : {oauth2::client_auth::basic, oauth2::client_auth::body}) {
    auto c = sample_credentials();
    c.auth = auth;
    c.additional_properties = *oauth2::parse_additional_properties(R"({"resource":["https://a/","https://b/"]})");
    const auto body = oauth2::build_token_request(c).body;
    EXPECT_NE(body.find("&resource=https%3A%2F%2Fa%2F&resource=https%3A%2F%2Fb%2F"), std::string::npos) << body;
  }
}

TEST(build_token_request, body_mode_sends_client_id_once) {
  auto c = sample_credentials();
  c.auth = oauth2::client_auth::body;
  c.additional_properties = {{"client_id", "other"}, {"audience", "a"}};
  EXPECT_EQ(oauth2::build_token_request(c).body,
            "grant_type=client_credentials&audience=a&client_id=my+id&client_secret=s3cr%2Bt");
}
