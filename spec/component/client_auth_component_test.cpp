// Client authentication beyond a shared secret, in process against the project's loopback
// servers (SPEC section 7): mutual TLS to a token endpoint and an API that require a client
// certificate (accepted with it, refused without), the action's own client presenting it while
// the runtime's never does, and private_key_jwt assertions checked on the wire: a new one
// (new jti) for every token request, retries and renewals included, verified with OpenSSL
// here; an assertion echoed by the token endpoint is redacted from the error.
#include "action/http_request_action.hpp"
#include "oauth2/client_keys.hpp"
#include "oauth2/token_client.hpp"
#include "oauth2/token_request.hpp"

#include "recording_sink.hpp"
#include "support/async_run.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "support/http_server.hpp"
#include "support/jws_check.hpp"
#include "support/test_ca.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <set>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::http_server;
using testing::recorded_request;
using testing::reply;

std::string form_value(const std::string& body, const std::string& name) {
  for (auto& [k, v] : oauth2::parse_form(body))
    if (k == name) return v;
  return {};
}

bool form_has(const std::string& body, const std::string& name) {
  for (auto& [k, v] : oauth2::parse_form(body))
    if (k == name) return true;
  return false;
}

class client_auth_test : public ::testing::Test {
 protected:
  testing::test_ca ca;
  boost::asio::io_context io;

  std::shared_ptr<boost::asio::ssl::context> trusting_context() const {
    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    context->set_verify_mode(boost::asio::ssl::verify_peer);
    const std::string pem = ca.certificate_pem();
    context->add_certificate_authority(boost::asio::buffer(pem));
    return context;
  }
  action::tls_context_factory trust() const {
    return [this] { return trusting_context(); };
  }
  testing::tls_identity server_identity(bool require_client_certificate) const {
    auto identity = ca.issue();
    if (require_client_certificate) identity.client_ca_pem = ca.certificate_pem();
    return identity;
  }
  testing::tls_identity client_identity(const std::string& key_type = "P-256") const {
    testing::test_ca::leaf_options options;
    options.key_type = key_type;
    options.common_name = "mtls client " + key_type;
    return ca.issue(options);
  }
};

reply token_reply(const std::string& token = "at-1") {
  return reply::json(200, R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":3600})");
}

// --- mutual TLS ---

TEST_F(client_auth_test, a_token_endpoint_requiring_a_client_certificate_accepts_it_and_refuses_without) {
  http_server server([](const recorded_request&) { return token_reply(); }, server_identity(true));
  const auto identity = client_identity();
  oauth2::client_credentials creds;
  creds.token_url = server.base_url() + "/token";
  creds.client_id = "mtls-client";
  creds.auth = oauth2::client_auth::tls_client_auth;
  auto keys = oauth2::load_client_keys("", identity.certificate_chain_pem, identity.private_key_pem);
  ASSERT_TRUE(keys) << keys.error().message;
  creds.keys = std::make_shared<const oauth2::client_keys>(std::move(keys).value());

  auto with_cert = action::make_client_certificate_http(io.get_executor(), creds, trust());
  ASSERT_TRUE(with_cert && *with_cert);
  oauth2::token_client presenting(**with_cert, creds);
  auto got = testing::run_async(io, presenting.get(5s));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->value->access_token, "at-1");
  ASSERT_EQ(server.request_count(), 1u);
  const auto sent = server.requests().front();
  EXPECT_EQ(sent.client_certificate_subject, "mtls client P-256");
  EXPECT_EQ(sent.body, "grant_type=client_credentials&client_id=mtls-client");
  EXPECT_FALSE(sent.has_header("Authorization"));

  http::client plain(io.get_executor(), trusting_context());
  oauth2::token_client without(plain, creds);
  auto refused = testing::run_async(io, without.get(2s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(server.request_count(), 1u) << "no request got through without a certificate";
}

TEST_F(client_auth_test, the_action_presents_the_certificate_to_token_endpoint_and_api_and_the_runtime_client_never) {
  http_server server(
      [](const recorded_request& r) {
        if (r.path() == "/token") return token_reply();
        return reply::json(200, R"({"ok":true})");
      },
      server_identity(true));
  const auto identity = client_identity("RSA");
  json::object cfg{{"tokenUrl", server.base_url() + "/token"},
                   {"username", "mtls-client"},
                   {"clientAuthentication", "tls_client_auth"},
                   {"clientCertificate", identity.certificate_chain_pem},
                   {"clientCertificateKey", identity.private_key_pem},
                   {"baseUrl", server.base_url() + "/api"},
                   {"errorTolerance", "noErrors"}};
  http::client runtime_http(io.get_executor(), trusting_context());
  auto created = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
  ASSERT_TRUE(created) << created.error().message;
  testing::recording_sink sink;
  testing::run_async(io, (*created)->process(json::object{{"body", json::object{{"url", "/items"}, {"method", "GET"}}}}, sink));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("data")[0].payload.at("body").at("statusCode").as_int64(), 200);
  ASSERT_EQ(server.request_count(), 2u);
  for (const auto& r : server.requests()) EXPECT_EQ(r.client_certificate_subject, "mtls client RSA") << r.path();
  EXPECT_EQ(runtime_http.stats().connections_opened, 0u) << "the runtime's own client is never used for mutual TLS";
  ASSERT_EQ(sink.of("updateKeys").size(), 1u);
  EXPECT_EQ(sink.of("updateKeys")[0].payload.at("clientCertificateKey").as_string(), identity.private_key_pem)
      << "updateKeys carries every credential key (the platform replaces them all)";

  // The same step without the certificate is refused by both servers.
  server.clear_requests();
  cfg["clientAuthentication"] = "basic";
  cfg["password"] = "secret";
  cfg.erase("clientCertificate");
  cfg.erase("clientCertificateKey");
  cfg["requestTimeout"] = "2";
  auto plain = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
  ASSERT_TRUE(plain) << plain.error().message;
  testing::recording_sink refused;
  testing::run_async(io, (*plain)->process(json::object{{"body", json::object{{"url", "/items"}, {"method", "GET"}}}}, refused));
  EXPECT_EQ(refused.of("data").size(), 0u);
  EXPECT_EQ(refused.of("error").size(), 1u) << refused.all_text();
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(client_auth_test, an_api_requiring_a_client_certificate_accepts_the_actions_and_refuses_without) {
  http_server token_server([](const recorded_request&) { return token_reply(); }, server_identity(false));
  http_server api_server([](const recorded_request&) { return reply::json(200, "{}"); }, server_identity(true));
  const auto identity = client_identity("Ed25519");
  json::object cfg{{"tokenUrl", token_server.base_url() + "/token"},
                   {"username", "c"},
                   {"password", "s"},
                   {"clientCertificate", identity.certificate_chain_pem},
                   {"clientCertificateKey", identity.private_key_pem},
                   {"requestTimeout", "2"},
                   {"errorTolerance", "noErrors"}};
  const json::object input{{"url", api_server.base_url() + "/thing"}, {"method", "GET"}};
  http::client runtime_http(io.get_executor(), trusting_context());
  auto with_cert = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
  ASSERT_TRUE(with_cert) << with_cert.error().message;
  testing::recording_sink accepted;
  testing::run_async(io, (*with_cert)->process(json::object{{"body", input}}, accepted));
  ASSERT_EQ(accepted.of("data").size(), 1u) << accepted.all_text();
  ASSERT_EQ(api_server.request_count(), 1u);
  EXPECT_EQ(api_server.requests()[0].client_certificate_subject, "mtls client Ed25519");
  EXPECT_EQ(api_server.requests()[0].header("Authorization"), "Bearer at-1");

  cfg.erase("clientCertificate");
  cfg.erase("clientCertificateKey");
  auto without = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
  ASSERT_TRUE(without);
  testing::recording_sink refused;
  testing::run_async(io, (*without)->process(json::object{{"body", input}}, refused));
  EXPECT_EQ(refused.of("error").size(), 1u) << refused.all_text();
  EXPECT_EQ(api_server.request_count(), 1u) << "no request got through without a certificate";
}

// serve verifyCredentials (src/sail/entry_points.cpp) with tls_client_auth: the token request
// presents the certificate; the result posted to the platform, over TLS that asks for a client
// certificate, presents none (the platform is never offered the customer's certificate).
TEST_F(client_auth_test, verify_credentials_presents_the_certificate_to_the_token_endpoint_only) {
  http_server token_server([](const recorded_request&) { return token_reply(); }, server_identity(true));
  auto platform_identity = server_identity(true);
  platform_identity.client_certificate_optional = true;
  http_server platform([](const recorded_request&) { return reply::json(200, "{}"); }, platform_identity);
  const auto identity = client_identity("P-384");
  testing::temp_dir dir;
  json::object cfg{{"tokenUrl", token_server.base_url() + "/token"},
                   {"username", "mtls-client"},
                   {"clientAuthentication", "tls_client_auth"},
                   {"clientCertificate", identity.certificate_chain_pem},
                   {"clientCertificateKey", identity.private_key_pem}};
  testing::child_process verify(OAUTH2_REST_BINARY, {"serve", "verifyCredentials"},
                                {{"ELASTICIO_CFG", json::serialize(cfg)},
                                 {"ELASTICIO_POST_RESULT_URL", platform.base_url() + "/result"},
                                 {"ELASTICIO_API_USERNAME", "u"}, {"ELASTICIO_API_KEY", "k"},
                                 {"SSL_CERT_FILE", ca.write_certificate(dir.path()).string()}},
                                dir.path());
  ASSERT_EQ(verify.wait(60s).value_or(-2), 0) << verify.err() << verify.out();
  ASSERT_EQ(token_server.request_count(), 1u) << verify.out();
  EXPECT_EQ(token_server.requests()[0].client_certificate_subject, "mtls client P-384");
  ASSERT_EQ(platform.request_count(), 1u);
  const auto posted = platform.requests()[0];
  EXPECT_EQ(json::parse(posted.body).at("data").at("verified"), true) << posted.body;
  EXPECT_EQ(posted.client_certificate_subject, "") << "the platform was offered the client certificate";
}

// --- private_key_jwt on the wire ---

TEST_F(client_auth_test, every_token_request_carries_a_new_assertion_that_openssl_verifies) {
  const auto identity = client_identity("P-256");
  int token_calls = 0;
  http_server server(
      [&](const recorded_request& r) {
        if (r.path() == "/token") {
          ++token_calls;
          if (token_calls == 1) return reply::json(503, R"({"error":"temporarily_unavailable"})");
          return token_reply("at-" + std::to_string(token_calls));
        }
        // The first API call rejects its token, so the action renews it once.
        if (r.header("Authorization") == "Bearer at-2") {
          reply expired = reply::json(401, R"({"error":"invalid_token"})");
          expired.headers.push_back({"WWW-Authenticate", R"(Bearer error="invalid_token")"});
          return expired;
        }
        return reply::json(200, "{}");
      },
      server_identity(false));
  const std::string token_url = server.base_url() + "/token";
  json::object cfg{{"tokenUrl", token_url},
                   {"username", "jwt-client"},
                   {"clientAuthentication", "private_key_jwt"},
                   {"privateKey", identity.private_key_pem},
                   {"keyId", "key-2026"},
                   {"errorTolerance", "noErrors"}};
  http::client runtime_http(io.get_executor(), trusting_context());
  auto created = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
  ASSERT_TRUE(created) << created.error().message;
  testing::recording_sink sink;
  testing::run_async(io, (*created)->process(
                             json::object{{"body", json::object{{"url", server.base_url() + "/api"}, {"method", "GET"}}}}, sink));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text();

  auto public_key = testing::jws::read_key(identity.private_key_pem);
  std::set<std::string> jtis;
  int token_requests = 0;
  for (const auto& r : server.requests()) {
    if (r.path() != "/token") continue;
    ++token_requests;
    EXPECT_FALSE(r.has_header("Authorization"));
    EXPECT_EQ(form_value(r.body, "client_id"), "jwt-client");
    EXPECT_FALSE(form_has(r.body, "client_secret"));
    EXPECT_EQ(form_value(r.body, "client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    const auto assertion = testing::jws::split(form_value(r.body, "client_assertion"));
    EXPECT_EQ(assertion.header.at("alg"), "ES256");
    EXPECT_EQ(assertion.header.at("kid"), "key-2026");
    EXPECT_EQ(assertion.claims.at("aud"), json::value(token_url));
    EXPECT_EQ(assertion.claims.at("iss"), "jwt-client");
    EXPECT_TRUE(testing::jws::verify(public_key.get(), "ES256", assertion.signing_input, assertion.signature));
    jtis.insert(std::string(assertion.claims.at("jti").as_string()));
  }
  EXPECT_EQ(token_requests, 3) << "the 503, its retry, and the renewal after the 401";
  EXPECT_EQ(jtis.size(), 3u) << "a jti never repeats";
}

TEST_F(client_auth_test, an_assertion_or_secret_echoed_by_the_token_endpoint_is_redacted_from_the_error) {
  for (const char* method : {"private_key_jwt", "client_secret_jwt"}) {
    http_server server(
        [](const recorded_request& r) {
          // A careless server quoting the request in its error description.
          return reply::json(400, json::serialize(json::object{
                                      {"error", "invalid_client"}, {"error_description", "bad request: " + r.body}}));
        },
        server_identity(false));
    const auto identity = client_identity("RSA");
    json::object cfg{{"tokenUrl", server.base_url() + "/token"},
                     {"username", "c"},
                     {"password", "a-client-secret-long-enough-for-HS256!"},
                     {"clientAuthentication", method},
                     {"privateKey", identity.private_key_pem},
                     {"errorTolerance", "noErrors"}};
    http::client runtime_http(io.get_executor(), trusting_context());
    auto created = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
    ASSERT_TRUE(created) << created.error().message;
    testing::recording_sink sink;
    testing::run_async(io, (*created)->process(
                               json::object{{"body", json::object{{"url", server.base_url() + "/api"}, {"method", "GET"}}}}, sink));
    ASSERT_EQ(sink.of("error").size(), 1u) << method;
    ASSERT_EQ(server.request_count(), 1u);
    const std::string assertion = form_value(server.requests()[0].body, "client_assertion");
    ASSERT_FALSE(assertion.empty());
    const std::string text = sink.all_text();
    EXPECT_EQ(text.find(assertion), std::string::npos) << method;
    EXPECT_EQ(text.find(assertion.substr(assertion.rfind('.') + 1)), std::string::npos) << "not even the signature";
    EXPECT_NE(text.find("[REDACTED]"), std::string::npos) << text;
    EXPECT_NE(text.find("invalid_client"), std::string::npos);
  }
}

// --- configuration errors ---

TEST_F(client_auth_test, a_method_without_its_field_or_a_mismatched_key_is_a_configuration_error_naming_the_field) {
  const auto rsa = client_identity("RSA");
  const auto ec = client_identity("P-256");
  http::client runtime_http(io.get_executor(), trusting_context());
  auto error_of = [&](json::object extra) {
    json::object cfg{{"tokenUrl", "https://idp.example/token"}, {"username", "c"}, {"errorTolerance", "noErrors"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    auto created = action::http_request_action::create(runtime_http, cfg, {}, nullptr, trust());
    return created ? std::string("(created)") : created.error().message;
  };
  EXPECT_EQ(error_of({{"clientAuthentication", "private_key_jwt"}}), "privateKey is required for private_key_jwt");
  EXPECT_EQ(error_of({{"clientAuthentication", "tls_client_auth"}}), "clientCertificate is required for tls_client_auth");
  EXPECT_EQ(error_of({{"clientAuthentication", "client_secret_jwt"}}), "password is required");
  EXPECT_EQ(error_of({{"clientAuthentication", "basic"}}), "password is required");
  EXPECT_EQ(error_of({{"clientAuthentication", "private_key_jwt"}, {"privateKey", rsa.private_key_pem}}), "(created)");
  EXPECT_EQ(error_of({{"clientAuthentication", "private_key_jwt"},
                      {"privateKey", ec.private_key_pem},
                      {"clientCertificate", rsa.certificate_chain_pem},
                      {"clientCertificateKey", rsa.private_key_pem}}),
            "privateKey does not match clientCertificate (the assertion's x5t headers name that certificate)");
  const std::string mismatch = error_of({{"clientAuthentication", "tls_client_auth"},
                                         {"clientCertificate", rsa.certificate_chain_pem},
                                         {"clientCertificateKey", ec.private_key_pem}});
  EXPECT_EQ(mismatch, "clientCertificateKey does not match clientCertificate (the first certificate)");
  EXPECT_EQ(error_of({{"clientAuthentication", "private_key_jwt"}, {"privateKey", "not a key"}}),
            "privateKey: no -----BEGIN ...----- line: expected PEM text");
}

}  // namespace
}  // namespace oauth2_rest
