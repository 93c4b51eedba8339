// The httpRequest action end to end: real token endpoint and API servers on loopback.
#include "action/http_request_action.hpp"
#include "action/response_body.hpp"
#include "oauth2/token_request.hpp"

#include "support/async_run.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "recording_sink.hpp"
#include "support/test_ca.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <regex>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::http_server;
using testing::recorded_request;
using testing::reply;

class action_test : public ::testing::Test {
 protected:
  testing::demo_api api;
  http_server server{api.as_handler()};
  boost::asio::io_context io;
  http::client http{io.get_executor()};

  json::object config(json::object extra = {}) {
    json::object cfg{{"tokenUrl", server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", server.base_url() + "/api"},
                     {"scopes", "items:read"},
                     {"errorTolerance", "noErrors"},
                     {"_account", "cred-1"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    return cfg;
  }
  std::unique_ptr<action::http_request_action> make(json::object cfg) {
    auto created = action::http_request_action::create(http, cfg);
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    return created ? std::move(created).value() : nullptr;
  }
  testing::recording_sink run(action::http_request_action& a, json::object input) {
    testing::recording_sink sink;
    testing::run_async(io, a.process(json::object{{"body", std::move(input)}}, sink));
    return sink;
  }
};

TEST_F(action_test, get_emits_status_headers_and_parsed_body_and_saves_the_new_token) {
  auto a = make(config());
  auto sink = run(*a, {{"url", "/items/2"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(out.at("statusCode").as_int64(), 200);
  EXPECT_EQ(out.at("headers").as_object().at("content-type").as_string(), "application/json");
  EXPECT_EQ(out.at("body").as_object().at("name").as_string(), "Rocket skates");

  auto keys = sink.of("updateKeys");
  ASSERT_EQ(keys.size(), 1u);
  const auto& k = keys[0].payload;
  for (const char* key : {"tokenUrl", "username", "password", "baseUrl", "scopes", "tokens"}) {
    EXPECT_TRUE(k.contains(key)) << "updateKeys lacks " << key;
  }
  EXPECT_FALSE(k.contains("errorTolerance")) << "action fields are not credential keys";
  auto tokens = json::parse(k.at("tokens").as_string()).as_object();
  EXPECT_EQ(tokens.at("access_token").as_string(), api.issued_tokens().at(0));
  EXPECT_TRUE(tokens.contains("tokenExpiryTime"));
  // updateKeys comes before the data it made possible.
  EXPECT_EQ(sink.events.front().kind, "updateKeys");
}

TEST_F(action_test, later_messages_reuse_the_token) {
  auto a = make(config());
  for (int i = 0; i < 5; ++i) {
    auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
    ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
    EXPECT_EQ(sink.of("updateKeys").size(), i == 0 ? 1u : 0u);
  }
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(api.api_requests(), 5u);
  EXPECT_EQ(http.stats().connections_opened, 1u) << "one keep-alive connection for token and API calls";
}

TEST_F(action_test, stored_token_in_the_credential_is_used_without_a_token_request) {
  // A first action instance gets a token; a second one (a restart) is given the saved keys.
  auto first = make(config());
  auto sink = run(*first, {{"url", "/items"}, {"method", "GET"}});
  auto saved = sink.of("updateKeys").at(0).payload.at("tokens");
  auto second = make(config({{"tokens", saved}}));
  auto again = run(*second, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(again.of("data").size(), 1u) << again.all_text();
  EXPECT_TRUE(again.of("updateKeys").empty());
  EXPECT_EQ(api.token_requests(), 1u);
}

TEST_F(action_test, revoked_token_gets_one_refresh_and_one_retry) {
  auto a = make(config());
  ASSERT_EQ(run(*a, {{"url", "/items"}, {"method", "GET"}}).of("data").size(), 1u);
  api.revoke_all();
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("data")[0].payload.at("body").at("statusCode").as_int64(), 200);
  EXPECT_EQ(sink.of("updateKeys").size(), 1u) << "the renewed token is saved";
  EXPECT_EQ(api.token_requests(), 2u);
}

class always_401 : public action_test {
 protected:
  std::atomic<int> api_calls{0};
  http_server rejecting{[this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    ++api_calls;
    auto answer = reply::json(401, R"({"error":"invalid_token"})");
    answer.headers.push_back({"WWW-Authenticate", R"(Bearer error="invalid_token")"});
    return answer;
  }};
  json::object cfg_for(const char* tolerance) {
    return config({{"tokenUrl", rejecting.base_url() + "/oauth/token"},
                   {"baseUrl", rejecting.base_url()},
                   {"errorTolerance", tolerance}});
  }
};

TEST_F(always_401, refreshes_once_then_error_tolerance_decides) {
  auto a = make(cfg_for("noErrors"));
  auto sink = run(*a, {{"url", "/x"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "HTTPError");
  EXPECT_NE(sink.of("error")[0].text.find("401"), std::string::npos);
  EXPECT_EQ(api.token_requests(), 2u) << "one initial token, exactly one refresh";
  EXPECT_EQ(api_calls.load(), 2);
}

TEST_F(always_401, with_tolerance_none_the_second_401_is_emitted) {
  auto a = make(cfg_for("none"));
  auto sink = run(*a, {{"url", "/x"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("data")[0].payload.at("body").at("statusCode").as_int64(), 401);
  EXPECT_EQ(api.token_requests(), 2u);
}

TEST_F(action_test, insufficient_scope_does_not_refresh) {
  http_server forbidding([this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    auto answer = reply::json(403, R"({"error":"insufficient_scope"})");
    answer.headers.push_back({"WWW-Authenticate", R"(Bearer error="insufficient_scope", scope="admin")"});
    return answer;
  });
  auto a = make(config({{"tokenUrl", forbidding.base_url() + "/oauth/token"}, {"baseUrl", forbidding.base_url()}}));
  auto sink = run(*a, {{"url", "/admin"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u);
  EXPECT_NE(sink.of("error")[0].text.find("403"), std::string::npos);
  EXPECT_EQ(api.token_requests(), 1u);
}

// refreshOnStatus (SPEC 2): an API that answers a status of its own choosing (Laravel's 419
// "Page Expired", a gateway's 403) once a token has expired. The first token the API saw is
// refused with `status`; any other token is accepted.
class expiring_api : public action_test {
 protected:
  std::mutex mutex;
  std::string refused_bearer;  // the first token the API saw
  unsigned refusal = 419;
  std::string refusal_challenge;  // WWW-Authenticate of the refusal, none when empty
  std::atomic<int> api_calls{0};
  http_server expiring{[this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    ++api_calls;
    std::lock_guard lock(mutex);
    if (refused_bearer.empty()) refused_bearer = r.header("Authorization");
    if (r.header("Authorization") == refused_bearer) {
      auto answer = reply::json(refusal, R"({"message":"token expired"})");
      if (!refusal_challenge.empty()) answer.headers.push_back({"WWW-Authenticate", refusal_challenge});
      return answer;
    }
    return reply::json(200, R"({"ok":true})");
  }};
  json::object cfg_with(json::object extra = {}) {
    json::object cfg = config({{"tokenUrl", expiring.base_url() + "/oauth/token"}, {"baseUrl", expiring.base_url()}});
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    return cfg;
  }
};

TEST_F(expiring_api, a_listed_status_gets_a_second_token_and_the_retry_succeeds) {
  auto a = make(cfg_with({{"refreshOnStatus", "401,419"}}));
  ASSERT_TRUE(a);
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("data")[0].payload.at("body").at("statusCode").as_int64(), 200);
  EXPECT_EQ(api.token_requests(), 2u) << "the first token, then one renewal";
  EXPECT_EQ(api_calls.load(), 2) << "one call, one retry";
  ASSERT_EQ(sink.of("updateKeys").size(), 2u) << "each new token is saved";
  EXPECT_EQ(sink.of("updateKeys")[1].payload.at("refreshOnStatus").as_string(), "401,419")
      << "refreshOnStatus is a credential key: updateKeys keeps it";
}

TEST_F(expiring_api, without_refresh_on_status_419_is_an_error_and_no_second_token) {
  auto a = make(cfg_with());
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "HTTPError");
  EXPECT_NE(sink.of("error")[0].text.find("419"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(api_calls.load(), 1);
}

TEST_F(expiring_api, a_listed_403_without_insufficient_scope_renews) {
  refusal = 403;
  refusal_challenge = R"(Bearer error="invalid_token")";
  auto a = make(cfg_with({{"refreshOnStatus", "403"}}));
  ASSERT_TRUE(a);
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  EXPECT_EQ(api.token_requests(), 2u);
}

TEST_F(expiring_api, a_403_insufficient_scope_never_renews_even_when_403_is_listed) {
  refusal = 403;
  refusal_challenge = R"(Bearer realm="api", error="insufficient_scope", scope="items:write")";
  auto a = make(cfg_with({{"refreshOnStatus", "401,403,419"}}));
  ASSERT_TRUE(a);
  for (int i = 0; i < 3; ++i) {
    auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
    ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
    EXPECT_NE(sink.of("error")[0].text.find("403"), std::string::npos) << sink.of("error")[0].text;
  }
  EXPECT_EQ(api.token_requests(), 1u) << "a new token with the same scope would be refused the same way";
  EXPECT_EQ(api_calls.load(), 3) << "no retries";
}

TEST_F(expiring_api, a_listed_status_from_a_cross_origin_redirect_target_never_renews) {
  // The redirect target never saw the token (the HTTP client drops Authorization across origins).
  std::atomic<int> elsewhere_calls{0};
  http_server elsewhere([&](const recorded_request&) {
    ++elsewhere_calls;
    return reply::json(419, R"({"message":"token expired"})");
  });
  http_server redirecting([&](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    return reply{.status = 302, .headers = {{"Location", elsewhere.base_url() + "/landing"}}};
  });
  auto a = make(config({{"tokenUrl", redirecting.base_url() + "/oauth/token"},
                        {"baseUrl", redirecting.base_url()},
                        {"refreshOnStatus", "419"}}));
  auto sink = run(*a, {{"url", "/away"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("419"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(elsewhere_calls.load(), 1);
}

TEST_F(action_test, a_bad_refresh_on_status_is_a_configuration_error_naming_the_field) {
  auto created = action::http_request_action::create(http, config({{"refreshOnStatus", "401,expired"}}));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message,
            "refreshOnStatus 'expired' is not an HTTP status code (expected a comma-separated list such as 401,419)");
}

// Additional Properties (SPEC 2): two RFC 8707 resource indicators reach the token endpoint as
// two resource parameters, in order, whichever form they are written in and whichever client
// authentication is used.
struct resource_case {
  const char* form;
  const char* auth;
  const char* additional_properties;
  const char* audience;  // the audience parameter expected beside them
};
void PrintTo(const resource_case& c, std::ostream* os) { *os << c.form << " " << c.auth; }

class additional_properties_end_to_end : public action_test, public ::testing::WithParamInterface<resource_case> {};

TEST_P(additional_properties_end_to_end, the_token_endpoint_receives_every_resource_in_order) {
  auto [form, auth, text, audience] = GetParam();
  auto a = make(config({{"clientAuthentication", auth}, {"additionalProperties", text}}));
  ASSERT_TRUE(a);
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();

  const auto recorded = server.requests();
  ASSERT_FALSE(recorded.empty());
  const auto& token_request = recorded.front();
  ASSERT_EQ(token_request.path(), "/oauth/token");
  const auto& body = token_request.body;
  std::vector<std::string> resources, audiences;
  for (const auto& [name, value] : oauth2::parse_form(body)) {
    if (name == "resource") resources.push_back(value);
    if (name == "audience") audiences.push_back(value);
  }
  EXPECT_EQ(resources, (std::vector<std::string>{"https://a.example/api", "https://b.example/api"})) << body;
  EXPECT_EQ(audiences, std::vector<std::string>{audience}) << body;
  if (std::string(auth) == "basic") {
    EXPECT_TRUE(token_request.has_header("Authorization"));
    EXPECT_EQ(body.find("client_secret"), std::string::npos) << body;
  } else {
    EXPECT_FALSE(token_request.has_header("Authorization"));
    EXPECT_NE(body.find("client_secret=demo-secret"), std::string::npos) << body;
  }
}

INSTANTIATE_TEST_SUITE_P(
    both_forms_both_auth_methods, additional_properties_end_to_end,
    ::testing::Values(
        resource_case{"json", "basic", R"({"resource":["https://a.example/api","https://b.example/api"],"audience":"x,y"})",
                      "x,y"},
        resource_case{"json", "body", R"({"resource":["https://a.example/api","https://b.example/api"],"audience":"x,y"})",
                      "x,y"},
        resource_case{"json_key_written_twice", "basic",
                      R"({"resource":"https://a.example/api","audience":"x,y","resource":"https://b.example/api"})",
                      "x,y"},
        // The CSV form has no way to put a comma in a value.
        resource_case{"csv", "basic", "resource:https://a.example/api,audience:x:y,resource:https://b.example/api", "x:y"},
        resource_case{"csv", "body", "resource:https://a.example/api,audience:x:y,resource:https://b.example/api", "x:y"}),
    [](const ::testing::TestParamInfo<resource_case>& case_info) {
      return std::string(case_info.param.form) + "_" + case_info.param.auth;
    });

struct tolerance_case {
  const char* mode;
  unsigned status;
  const char* expected;  // data, error or rebound
};

class tolerance_matrix : public action_test, public ::testing::WithParamInterface<tolerance_case> {};

TEST_P(tolerance_matrix, decides_by_mode_and_status) {
  auto [mode, status, expected] = GetParam();
  auto a = make(config({{"errorTolerance", mode}}));
  json::object input{{"url", "/status/" + std::to_string(status)}, {"method", "GET"}};
  if (std::string(mode) == "manual") input["httpCodesToThrow"] = json::parse("[[400,403],[405,499]]");
  if (std::string(mode) == "reboundCodes") input["httpCodesToRebound"] = "404, 500";
  auto sink = run(*a, input);
  ASSERT_EQ(sink.of(expected).size(), 1u) << mode << " " << status << ": " << sink.all_text();
  if (std::string(expected) == "data") {
    EXPECT_EQ(sink.of("data")[0].payload.at("body").at("statusCode").as_int64(), status);
  }
}

INSTANTIATE_TEST_SUITE_P(
    every_mode, tolerance_matrix,
    ::testing::Values(tolerance_case{"noErrors", 200, "data"}, tolerance_case{"noErrors", 404, "error"},
                      tolerance_case{"noErrors", 410, "error"}, tolerance_case{"noErrors", 500, "error"},
                      tolerance_case{"notFoundOnly", 200, "data"}, tolerance_case{"notFoundOnly", 404, "data"},
                      tolerance_case{"notFoundOnly", 410, "data"}, tolerance_case{"notFoundOnly", 500, "error"},
                      tolerance_case{"none", 200, "data"}, tolerance_case{"none", 404, "data"},
                      tolerance_case{"none", 410, "data"}, tolerance_case{"none", 500, "data"},
                      tolerance_case{"manual", 200, "data"}, tolerance_case{"manual", 404, "data"},
                      tolerance_case{"manual", 410, "error"}, tolerance_case{"manual", 500, "data"},
                      tolerance_case{"reboundCodes", 200, "data"}, tolerance_case{"reboundCodes", 404, "rebound"},
                      tolerance_case{"reboundCodes", 410, "error"}, tolerance_case{"reboundCodes", 500, "rebound"}),
    [](const ::testing::TestParamInfo<tolerance_case>& case_info) {
      return std::string(case_info.param.mode) + "_" + std::to_string(case_info.param.status);
    });

TEST_F(action_test, manual_with_empty_ranges_never_errors) {
  auto a = make(config({{"errorTolerance", "manual"}}));
  auto sink = run(*a, {{"url", "/status/500"}, {"method", "GET"}, {"httpCodesToThrow", json::array{}}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
}

TEST_F(action_test, rebound_codes_without_a_list_rebounds_nothing) {
  auto a = make(config({{"errorTolerance", "reboundCodes"}}));
  auto ok = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(ok.of("data").size(), 1u) << ok.all_text();
  auto failed = run(*a, {{"url", "/status/503"}, {"method", "GET"}});
  ASSERT_EQ(failed.of("error").size(), 1u) << failed.all_text();
  EXPECT_EQ(failed.of("error")[0].name, "HTTPError") << "a plain HTTP error, not an input error";
  EXPECT_TRUE(failed.of("rebound").empty());
  EXPECT_EQ(api.api_requests(), 2u);
}

TEST_F(action_test, invalid_manual_range_is_an_error_naming_the_value) {
  auto a = make(config({{"errorTolerance", "manual"}}));
  auto sink = run(*a, {{"url", "/status/500"}, {"method", "GET"}, {"httpCodesToThrow", json::parse("[[600,700]]")}});
  ASSERT_EQ(sink.of("error").size(), 1u);
  EXPECT_NE(sink.of("error")[0].text.find("600"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(api.api_requests(), 0u) << "bad input is refused before any call";
}

TEST_F(action_test, error_names_method_url_status_reason_and_body_start) {
  auto a = make(config());
  auto sink = run(*a, {{"url", "/items/42"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u);
  const auto text = sink.of("error")[0].text;
  EXPECT_NE(text.find("GET " + server.base_url() + "/api/items/42"), std::string::npos) << text;
  EXPECT_NE(text.find("404 Not Found"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("error":"not_found")"), std::string::npos) << text;
}

TEST_F(action_test, post_sends_json_body_with_content_type) {
  auto a = make(config());
  auto sink = run(*a, {{"url", "/echo?x=1"}, {"method", "POST"}, {"headers", {{"X-Trace", "abc"}}},
                       {"body", {{"name", "box"}, {"n", 3}}}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  const auto echo = sink.of("data")[0].payload.at("body").at("body").as_object();
  EXPECT_EQ(echo.at("method").as_string(), "POST");
  EXPECT_EQ(echo.at("query").as_string(), "x=1");
  EXPECT_EQ(echo.at("headers").at("content-type").as_string(), "application/json");
  EXPECT_EQ(echo.at("headers").at("x-trace").as_string(), "abc");
  EXPECT_EQ(json::parse(echo.at("body").as_string()), json::parse(R"({"name":"box","n":3})"));
}

TEST_F(action_test, user_authorization_header_is_replaced_by_the_token) {
  auto a = make(config());
  auto sink = run(*a, {{"url", "/echo"}, {"method", "GET"}, {"headers", {{"authorization", "Basic Zm9vOmJhcg=="}}}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  auto recorded = server.requests().back();
  EXPECT_EQ(recorded.header("Authorization"), "Bearer " + api.issued_tokens().at(0));
}

TEST_F(action_test, response_over_the_size_limit_is_an_error) {
  auto a = make(config({{"maxResponseSize", "100"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "RequestError");
}

TEST_F(action_test, hanging_api_ends_in_an_error_after_the_request_timeout) {
  http_server hanging([this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    return reply{.action = reply::kind::hang};
  });
  auto a = make(config({{"tokenUrl", hanging.base_url() + "/oauth/token"}, {"baseUrl", hanging.base_url()},
                        {"requestTimeout", "1"}}));
  auto started = std::chrono::steady_clock::now();
  auto sink = run(*a, {{"url", "/slow"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST_F(action_test, redirect_to_another_origin_does_not_carry_the_token) {
  http_server elsewhere([](const recorded_request&) { return reply::json(200, R"({"landed":true})"); });
  http_server redirecting([&](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    if (r.path() == "/same") {
      return reply{.status = 302, .headers = {{"Location", "/landing"}}};
    }
    if (r.path() == "/landing") return reply::json(200, R"({"same":true})");
    return reply{.status = 302, .headers = {{"Location", elsewhere.base_url() + "/landing"}}};
  });
  auto a = make(config({{"tokenUrl", redirecting.base_url() + "/oauth/token"}, {"baseUrl", redirecting.base_url()}}));

  auto cross = run(*a, {{"url", "/away"}, {"method", "GET"}});
  ASSERT_EQ(cross.of("data").size(), 1u) << cross.all_text();
  EXPECT_TRUE(cross.of("data")[0].payload.at("body").at("body").at("landed").as_bool());
  ASSERT_EQ(elsewhere.request_count(), 1u);
  EXPECT_FALSE(elsewhere.requests()[0].has_header("Authorization"));

  auto same = run(*a, {{"url", "/same"}, {"method", "GET"}});
  ASSERT_EQ(same.of("data").size(), 1u) << same.all_text();
  EXPECT_TRUE(redirecting.requests().back().has_header("Authorization")) << "same origin keeps the token";
}

// Finding 8: the target of a cross-origin redirect never saw the token (the HTTP client drops
// Authorization when a hop leaves the origin), so its 401 says nothing about the token.
TEST_F(action_test, a_401_from_a_cross_origin_redirect_target_never_renews_the_token) {
  std::atomic<int> elsewhere_calls{0};
  http_server elsewhere([&](const recorded_request&) {
    ++elsewhere_calls;
    auto answer = reply::json(401, R"({"error":"invalid_token"})");
    answer.headers.push_back({"WWW-Authenticate", R"(Bearer error="invalid_token")"});
    return answer;
  });
  http_server redirecting([&](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    return reply{.status = 302, .headers = {{"Location", elsewhere.base_url() + "/landing"}}};
  });
  auto a = make(config({{"tokenUrl", redirecting.base_url() + "/oauth/token"}, {"baseUrl", redirecting.base_url()}}));
  constexpr int messages = 5;
  for (int i = 0; i < messages; ++i) {
    auto sink = run(*a, {{"url", "/away"}, {"method", "GET"}});
    ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
    EXPECT_EQ(sink.of("error")[0].name, "HTTPError");
    EXPECT_NE(sink.of("error")[0].text.find("401"), std::string::npos) << sink.of("error")[0].text;
    EXPECT_NE(sink.of("error")[0].text.find(elsewhere.base_url() + "/landing"), std::string::npos)
        << "the error names the URL that answered: " << sink.of("error")[0].text;
  }
  EXPECT_EQ(api.token_requests(), 1u) << "one token for all " << messages << " messages, no renewals";
  EXPECT_EQ(elsewhere_calls.load(), messages) << "one call per message, no retry";
}

TEST_F(action_test, a_401_after_a_same_origin_redirect_still_renews_the_token_once) {
  std::atomic<int> landing_calls{0};
  http_server redirecting([&](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    if (r.path() == "/landing") {
      ++landing_calls;
      auto answer = reply::json(401, R"({"error":"invalid_token"})");
      answer.headers.push_back({"WWW-Authenticate", R"(Bearer error="invalid_token")"});
      return answer;
    }
    return reply{.status = 302, .headers = {{"Location", "/landing"}}};
  });
  auto a = make(config({{"tokenUrl", redirecting.base_url() + "/oauth/token"}, {"baseUrl", redirecting.base_url()}}));
  auto sink = run(*a, {{"url", "/away"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(api.token_requests(), 2u) << "the landing page saw the token: one renewal";
  EXPECT_EQ(landing_calls.load(), 2);
}

// Finding 9 / SPEC 3: a gateway that echoes the request's headers in its error body. The token
// (Authorization), the client secret and the API key (sent in headers of the user's choosing
// here) must reach neither an error text nor a rebound reason, in any of the forms they travel in.
class echoing_api_test : public action_test {
 protected:
  static constexpr const char* api_key = "platform-api-key-Zq+9";
  std::string padding;  // sent before the echoed headers
  http_server echoing{[this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    std::string body = padding + "invalid request headers:";
    for (const auto& h : r.headers) body += " " + h.name + ": " + h.value + ";";
    body += " query: " + r.query();
    auto status = r.path() == "/rebound" ? 503u : 400u;
    return reply::text(status, body);
  }};

  json::object cfg_for(const char* tolerance) {
    return config({{"tokenUrl", echoing.base_url() + "/oauth/token"},
                   {"baseUrl", echoing.base_url()},
                   {"errorTolerance", tolerance}});
  }
  // The input: the client secret and the API key in headers and (form-encoded) in the query.
  json::object input(const char* path) {
    return {{"url", std::string(path) + "?secret=demo-secret&key=platform-api-key-Zq%2B9"},
            {"method", "GET"},
            {"headers", {{"X-Client-Secret", "demo-secret"}, {"X-Api-Key", api_key}}},
            {"httpCodesToRebound", "503"}};
  }
  void expect_redacted(const std::string& text) {
    ASSERT_FALSE(api.issued_tokens().empty());
    EXPECT_EQ(text.find(api.issued_tokens().at(0)), std::string::npos) << "token in: " << text;
    EXPECT_EQ(text.find("demo-secret"), std::string::npos) << "client secret in: " << text;
    EXPECT_EQ(text.find(api_key), std::string::npos) << "API key in: " << text;
    EXPECT_EQ(text.find("platform-api-key-Zq%2B9"), std::string::npos) << "form-encoded API key in: " << text;
    EXPECT_NE(text.find("Bearer [REDACTED]"), std::string::npos) << text;
    EXPECT_NE(text.find("X-Client-Secret: [REDACTED];"), std::string::npos) << text;
    EXPECT_NE(text.find("X-Api-Key: [REDACTED];"), std::string::npos) << text;
  }
  // The API key is a secret of the runtime (the platform worker's ELASTICIO_API_KEY), not of the
  // step's configuration: the runtime names it when it creates the action.
  std::unique_ptr<action::http_request_action> make_with_api_key(json::object cfg) {
    auto created = action::http_request_action::create(http, cfg, {api_key});
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    return created ? std::move(created).value() : nullptr;
  }
};

TEST_F(echoing_api_test, error_text_has_token_secret_and_api_key_redacted) {
  auto a = make_with_api_key(cfg_for("noErrors"));
  auto sink = run(*a, input("/error"));
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "HTTPError");
  EXPECT_NE(sink.of("error")[0].text.find("400"), std::string::npos) << "still names the status";
  expect_redacted(sink.of("error")[0].text);
}

TEST_F(echoing_api_test, rebound_reason_has_token_secret_and_api_key_redacted) {
  auto a = make_with_api_key(cfg_for("reboundCodes"));
  auto sink = run(*a, input("/rebound"));
  ASSERT_EQ(sink.of("rebound").size(), 1u) << sink.all_text();
  const auto reason = sink.of("rebound")[0].text;
  EXPECT_NE(reason.find("503"), std::string::npos) << "still names the status: " << reason;
  expect_redacted(reason);
}

// Redaction happens before the excerpt is cut at 1000 bytes: a token that starts just before the
// cut is replaced whole, never quoted in part.
TEST_F(echoing_api_test, a_token_cut_by_the_1000_byte_excerpt_is_still_redacted) {
  auto a = make_with_api_key(cfg_for("noErrors"));
  // The body starts "<padding>invalid request headers: Host: ...; ...; Authorization: Bearer <token>;":
  // a first run measures where the token lands, a second one moves it across byte 1000.
  auto probe = run(*a, {{"url", "/error"}, {"method", "GET"}});
  ASSERT_EQ(probe.of("error").size(), 1u) << probe.all_text();
  const std::string token = api.issued_tokens().at(0);
  const auto recorded = echoing.requests().back();  // requests() returns a copy
  std::string echoed = "invalid request headers:";
  for (const auto& h : recorded.headers) echoed += " " + h.name + ": " + h.value + ";";
  const auto at = echoed.find(token);
  ASSERT_NE(at, std::string::npos);
  ASSERT_LT(at + 20, 1000u);
  padding = std::string(1000 - 20 - at, '.');  // the token starts at byte 980 of the body

  auto sink = run(*a, {{"url", "/error"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  const auto text = sink.of("error")[0].text;
  EXPECT_EQ(text.find(token.substr(0, 20)), std::string::npos) << "the token's first 20 bytes are quoted: " << text;
  EXPECT_NE(text.find("Bearer [REDACTED]"), std::string::npos) << text;
  // The excerpt is the first 1000 bytes of the redacted body (a marker across the cut kept whole).
  const auto body_start = text.find(std::string(10, '.'));
  ASSERT_NE(body_start, std::string::npos) << text;
  EXPECT_LE(text.size() - body_start, 1000u + std::string_view("[REDACTED]").size()) << text;
}

TEST_F(action_test, bad_input_is_an_input_error_and_the_action_goes_on) {
  auto a = make(config());
  auto bad = run(*a, {{"url", "/items"}, {"method", "FETCH"}});
  ASSERT_EQ(bad.of("error").size(), 1u);
  EXPECT_EQ(bad.of("error")[0].name, "InputError");
  EXPECT_NE(bad.of("error")[0].text.find("FETCH"), std::string::npos);
  auto good = run(*a, {{"url", "/items"}, {"method", "GET"}});
  EXPECT_EQ(good.of("data").size(), 1u);
}

TEST_F(action_test, bad_config_fails_creation_naming_the_field) {
  auto cfg = config({{"requestTimeout", "soon"}});
  auto created = action::http_request_action::create(http, cfg);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("requestTimeout"), std::string::npos) << created.error().message;
}

TEST_F(action_test, token_endpoint_refusal_is_a_token_error_without_the_secret) {
  auto a = make(config({{"password", "not-the-right-secret"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(sink.of("error").size(), 1u);
  EXPECT_EQ(sink.of("error")[0].name, "TokenError");
  EXPECT_NE(sink.of("error")[0].text.find("invalid_client"), std::string::npos);
  EXPECT_EQ(sink.all_text().find("not-the-right-secret"), std::string::npos);
}

TEST_F(action_test, no_secret_reaches_any_event_but_update_keys) {
  auto a = make(config());
  std::string everything;
  for (const char* url : {"/items", "/items/42", "/status/500", "/echo"}) {
    auto sink = run(*a, {{"url", url}, {"method", "GET"}});
    for (const auto& e : sink.events)
      if (e.kind != "updateKeys") everything += e.kind + json::serialize(e.payload) + e.name + e.text;
  }
  EXPECT_EQ(everything.find("demo-secret"), std::string::npos);
  EXPECT_EQ(everything.find(api.issued_tokens().at(0)), std::string::npos);
}

class tls_action_test : public ::testing::Test {
 protected:
  testing::test_ca ca;
  testing::demo_api api;
  boost::asio::io_context io;
};

TEST_F(tls_action_test, https_api_with_a_trusted_ca_works_and_a_wrong_host_name_is_refused) {
  http_server good(api.as_handler(), ca.issue());
  http_server wrong_name(api.as_handler(), ca.issue({.dns_names = {"other.example"}, .ip_addresses = {}}));
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  tls->set_verify_mode(boost::asio::ssl::verify_peer);
  tls->add_certificate_authority(boost::asio::buffer(ca.certificate_pem()));
  http::client http(io.get_executor(), tls);

  auto cfg_for = [](const http_server& s) {
    return json::object{{"tokenUrl", s.base_url() + "/oauth/token"}, {"username", "demo-client"},
                        {"password", "demo-secret"}, {"baseUrl", s.base_url() + "/api"},
                        {"errorTolerance", "noErrors"}};
  };
  auto ok = action::http_request_action::create(http, cfg_for(good));
  ASSERT_TRUE(ok);
  testing::recording_sink sink;
  testing::run_async(io, (*ok)->process(json::object{{"body", {{"url", "/items"}, {"method", "GET"}}}}, sink));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();

  auto bad = action::http_request_action::create(http, cfg_for(wrong_name));
  ASSERT_TRUE(bad);
  testing::recording_sink refused;
  testing::run_async(io, (*bad)->process(json::object{{"body", {{"url", "/items"}, {"method", "GET"}}}}, refused));
  ASSERT_EQ(refused.of("error").size(), 1u) << refused.all_text();
  EXPECT_EQ(refused.of("error")[0].name, "TokenError");
  EXPECT_EQ(wrong_name.request_count(), 0u) << "nothing may be sent to an unverified server";
}

// output_message reads the response's headers in place and sizes its objects
// once: the same message as building it key by key from copies.
std::vector<std::string> key_order(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& kv : o) out.emplace_back(kv.key());
  return out;
}

TEST(output_message, status_headers_and_body_as_before) {
  http::response r;
  r.status = 201;
  r.reason = "Created";
  r.headers = {{"Content-Type", "application/json; charset=utf-8"},
               {"Set-Cookie", "a=1"},
               {"X-Caf\xC3\xA9", "caf\xE9"},  // a non-ASCII name, a latin-1 value
               {"SET-COOKIE", "b=2"},
               {"set-cookie", "c=3"},
               {"Content-Length", "25"}};
  r.body = R"({"id":1,"name":"Anvil"})";
  const json::object m = action::output_message(r);
  EXPECT_EQ(key_order(m), (std::vector<std::string>{"id", "attachments", "body", "headers", "metadata"}));
  static const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  EXPECT_TRUE(std::regex_match(std::string(m.at("id").as_string()), v4)) << m.at("id");
  EXPECT_EQ(m.at("attachments"), json::object{});
  EXPECT_EQ(m.at("headers"), json::object{});
  EXPECT_EQ(m.at("metadata"), json::object{});
  const auto& body = m.at("body").as_object();
  EXPECT_EQ(key_order(body), (std::vector<std::string>{"statusCode", "headers", "body"}));
  EXPECT_EQ(body.at("statusCode"), 201);
  EXPECT_EQ(body.at("body"), json::parse(R"({"id":1,"name":"Anvil"})"));
  std::vector<std::pair<std::string, std::string>> copies;
  for (const auto& h : r.headers) copies.emplace_back(h.name, h.value);
  const json::object expected_headers = action::response_headers_json(copies);
  EXPECT_EQ(json::serialize(body.at("headers")), json::serialize(expected_headers));
  EXPECT_EQ(json::serialize(body.at("headers")),
            R"({"content-type":"application/json; charset=utf-8","set-cookie":["a=1","b=2","c=3"],)"
            "\"x-caf\xC3\xA9\":\"caf\xEF\xBF\xBD\",\"content-length\":\"25\"}");
}

TEST(output_message, binary_body_is_base64_with_the_flag_and_empty_body_is_an_object) {
  http::response r;
  r.status = 200;
  r.headers = {{"Content-Type", "image/png"}};
  r.body = std::string("\x89PNG\0\xFF", 6);
  const json::object m = action::output_message(r);
  const auto& body = m.at("body").as_object();
  EXPECT_EQ(key_order(body), (std::vector<std::string>{"statusCode", "headers", "body", "bodyEncoding"}));
  EXPECT_EQ(body.at("body"), "iVBORwD/");
  EXPECT_EQ(body.at("bodyEncoding"), "base64");

  http::response empty;
  empty.status = 204;
  const json::object e = action::output_message(empty);
  EXPECT_EQ(e.at("body").at("body"), json::object{});
  EXPECT_EQ(e.at("body").at("headers"), json::object{});
  EXPECT_NE(e.at("id"), m.at("id"));
}

// What response_headers_json did before (copies, a search, then an insert).
// (to_utf8 with no charset is the UTF-8 repair; no name or value here starts
// with a byte order mark.)
json::object reference_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  json::object out;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    for (auto& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    std::string key = action::to_utf8(lower, "");
    std::string text = action::to_utf8(value, "");
    auto it = out.find(key);
    if (it == out.end()) {
      out.emplace(key, json::string(text));
    } else if (auto* existing = it->value().if_array()) {
      existing->emplace_back(json::string(text));
    } else {
      json::array values;
      values.emplace_back(std::move(it->value()));
      values.emplace_back(json::string(text));
      it->value() = std::move(values);
    }
  }
  return out;
}

TEST(output_message, headers_in_place_match_the_copied_form_for_any_bytes) {
  std::mt19937 rng(11);
  const std::string alphabet = "aZQ-_ \x80\xC3\xA9\xFF\xE2\x82\xAC\xF0\x9F\x98\x80\xED\xA0";
  for (int round = 0; round < 300; ++round) {
    std::vector<std::pair<std::string, std::string>> copies;
    std::vector<action::header_view> views;
    const std::size_t count = rng() % 6;
    for (std::size_t i = 0; i < count; ++i) {
      std::string name, value;
      for (std::size_t k = rng() % 8; k > 0; --k) name.push_back(alphabet[rng() % alphabet.size()]);
      for (std::size_t k = rng() % 20; k > 0; --k) value.push_back(alphabet[rng() % alphabet.size()]);
      if (rng() % 3 == 0 && !copies.empty()) name = copies.front().first;  // repeated names
      copies.emplace_back(name, value);
    }
    for (const auto& [n, v] : copies) views.push_back({n, v});
    const std::string expected = json::serialize(reference_headers(copies));
    ASSERT_EQ(json::serialize(action::response_headers_json_of(views)), expected) << round;
    ASSERT_EQ(json::serialize(action::response_headers_json(copies)), expected) << round;
  }
}

}  // namespace
}  // namespace oauth2_rest
