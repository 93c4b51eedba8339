// End to end against a real OpenID provider: panva's oidc-provider (npm, installed by
// scripts/install-test-servers.sh into build/test-servers) on Node's https server on loopback,
// with our test CA (spec/component/oidc_provider_server.mjs). For every client authentication
// method the built `oauth2-rest process` (local mode) gets a token from it and calls its
// protected API route with that token: client_secret_basic, client_secret_post,
// client_secret_jwt, private_key_jwt with RSA (x5t headers, PEM pasted on one line), EC P-256
// (PEM with literal \n), P-384 and Ed25519 keys, and tls_client_auth with a certificate-bound
// token (the API accepts it only over a connection presenting the same certificate). A key the
// provider does not know, and a certificate with another subject, are refused.
// Skipped only when node is not installed.
#include "support/child_process.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// node's path from PATH (child_process executes a path), or "" when it is not installed.
std::string node_path() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::filesystem::path candidate = std::filesystem::path(std::string(dirs.substr(0, colon))) / "node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

std::filesystem::path test_servers_dir() {
  if (const char* dir = std::getenv("OAUTH2_REST_TEST_SERVERS"); dir && *dir) return dir;
  return std::filesystem::path(OAUTH2_REST_SOURCE_DIR) / "build" / "test-servers";
}

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

// The provider derives the public JWK itself (Node's createPublicKey takes a private key PEM).
std::string public_key_of(const testing::tls_identity& identity) { return identity.private_key_pem; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string first_certificate(const std::string& chain) {
  return chain.substr(0, chain.find("-----END CERTIFICATE-----") + 25) + "\n";
}

class oidc_provider_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::test_ca ca;
  std::filesystem::path ca_file;
  std::unique_ptr<testing::child_process> provider;
  std::string base;  // https://localhost:PORT

  testing::tls_identity rsa = issue("RSA", "pkjwt rsa"), p256 = issue("P-256", "pkjwt p256"),
                        p384 = issue("P-384", "pkjwt p384"), ed25519 = issue("Ed25519", "pkjwt ed25519"),
                        tls = issue("P-256", "oidc tls client"), stranger = issue("P-256", "someone else");

  testing::tls_identity issue(const std::string& type, const std::string& name) {
    testing::test_ca::leaf_options options;
    options.key_type = type;
    options.common_name = name;
    return ca.issue(options);
  }

  void SetUp() override {
    const std::string node = node_path();
    if (node.empty()) GTEST_SKIP() << "node is not installed: the oidc-provider end-to-end test needs Node.js";
    const auto modules = test_servers_dir();
    ASSERT_TRUE(std::filesystem::exists(modules / "node_modules" / "oidc-provider" / "package.json"))
        << "oidc-provider is not installed in " << modules << ": run scripts/install-test-servers.sh";
    ca_file = ca.write_certificate(dir.path());
    const auto server = ca.issue();
    write_file(dir.path() / "server.pem", server.certificate_chain_pem);
    write_file(dir.path() / "server.key", server.private_key_pem);
    auto client = [](const char* id, const char* method) {
      return json::object{{"client_id", id}, {"token_endpoint_auth_method", method}};
    };
    json::array clients;
    auto basic = client("basic-client", "client_secret_basic");
    basic["client_secret"] = "basic secret: with + and %";
    clients.push_back(basic);
    auto post = client("post-client", "client_secret_post");
    post["client_secret"] = "post-secret";
    clients.push_back(post);
    auto hs = client("hs256-client", "client_secret_jwt");
    hs["client_secret"] = "a client secret long enough for HMAC SHA-256";
    clients.push_back(hs);
    for (auto [id, identity] : {std::pair{"rsa-client", &rsa}, std::pair{"p256-client", &p256},
                                std::pair{"p384-client", &p384}, std::pair{"ed25519-client", &ed25519}}) {
      auto c = client(id, "private_key_jwt");
      c["public_key_pem"] = public_key_of(*identity);
      c["kid"] = std::string(id) + "-key";
      clients.push_back(c);
    }
    auto mtls = client("tls-client", "tls_client_auth");
    mtls["subject_dn"] = "CN=oidc tls client,O=oauth2-rest tests";
    mtls["bound"] = true;
    clients.push_back(mtls);
    const json::object config{{"modules", modules.string()},
                              {"cert", (dir.path() / "server.pem").string()},
                              {"key", (dir.path() / "server.key").string()},
                              {"ca", ca_file.string()},
                              {"clients", clients}};
    write_file(dir.path() / "provider.json", json::serialize(config));
    const auto script = std::filesystem::path(OAUTH2_REST_SOURCE_DIR) / "spec" / "component" / "oidc_provider_server.mjs";
    std::filesystem::create_directories(dir.path() / "provider-out");
    provider = std::make_unique<testing::child_process>(
        node, std::vector<std::string>{script.string(), (dir.path() / "provider.json").string()},
        std::map<std::string, std::string>{}, dir.path() / "provider-out");
    for (int i = 0; i < 300 && base.empty(); ++i) {
      const std::string out = provider->out();
      if (auto at = out.find("listening "); at != std::string::npos && out.find('\n', at) != std::string::npos) {
        base = "https://localhost:" + std::to_string(std::stoi(out.substr(at + 10)));
        break;
      }
      ASSERT_TRUE(provider->running()) << "oidc-provider exited: " << provider->err();
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_FALSE(base.empty()) << "oidc-provider did not start: " << provider->err();
  }

  // One message through `oauth2-rest process` with this credential; the events it printed.
  std::vector<json::object> run(const std::string& name, json::object credential) {
    credential["tokenUrl"] = base + "/token";
    credential["errorTolerance"] = "noErrors";
    credential["requestTimeout"] = "10";
    const auto path = dir.path() / (name + ".json");
    write_file(path, json::serialize(credential));
    testing::process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", path.string()}};
    spec.input = json::serialize(json::object{{"body", json::object{{"url", base + "/api/whoami"}, {"method", "GET"}}}}) + "\n";
    spec.env["SSL_CERT_FILE"] = ca_file.string();
    auto r = testing::run_process(spec);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    std::vector<json::object> events;
    for (const auto& line : testing::split_lines(r.out)) events.push_back(json::parse(line).as_object());
    last_err = r.err;
    return events;
  }
  std::string last_err;

  // The API's answer (statusCode 200 expected), or fails the test.
  json::object whoami(const std::string& name, json::object credential) {
    const auto events = run(name, std::move(credential));
    for (const auto& e : events) {
      if (e.at("event") == "data") {
        const auto& body = e.at("message").at("body").as_object();
        EXPECT_EQ(body.at("statusCode").as_int64(), 200) << name;
        return body.at("body").as_object();
      }
    }
    ADD_FAILURE() << name << ": no data event: " << json::serialize(json::value_from(events)) << "\n" << last_err
                  << "\nprovider: " << provider->err();
    return {};
  }

  std::string error_of(const std::string& name, json::object credential) {
    for (const auto& e : run(name, std::move(credential)))
      if (e.at("event") == "error") return std::string(e.at("error").at("message").as_string());
    return "(no error)";
  }
};

TEST_F(oidc_provider_test, shared_secret_methods_obtain_a_token_the_api_accepts) {
  auto basic = whoami("basic", {{"username", "basic-client"}, {"password", "basic secret: with + and %"}});
  EXPECT_EQ(basic["client_id"], "basic-client");
  auto post = whoami("post", {{"username", "post-client"}, {"password", "post-secret"}, {"clientAuthentication", "body"}});
  EXPECT_EQ(post["client_id"], "post-client");
  auto hs = whoami("hs256", {{"username", "hs256-client"},
                             {"password", "a client secret long enough for HMAC SHA-256"},
                             {"clientAuthentication", "client_secret_jwt"}});
  EXPECT_EQ(hs["client_id"], "hs256-client");
  EXPECT_EQ(hs["certificate"], nullptr) << "no certificate is offered without clientCertificate";
}

TEST_F(oidc_provider_test, private_key_jwt_with_rsa_ec_and_ed25519_keys_obtains_a_token_the_api_accepts) {
  // RSA as a browser's single-line field leaves it (spaces), with the certificate for x5t and
  // mutual TLS; P-256 with literal \n; the others as they are.
  auto spaced = [](const std::string& pem) { return replace_all(pem, "\n", " "); };
  auto r = whoami("rsa", {{"username", "rsa-client"},
                          {"clientAuthentication", "private_key_jwt"},
                          {"privateKey", spaced(rsa.private_key_pem)},
                          {"clientCertificate", spaced(first_certificate(rsa.certificate_chain_pem))},
                          {"keyId", "rsa-client-key"}});
  EXPECT_EQ(r["client_id"], "rsa-client");
  EXPECT_EQ(r["certificate"], "pkjwt rsa") << "the certificate is offered to the API too";
  auto p = whoami("p256", {{"username", "p256-client"},
                           {"clientAuthentication", "private_key_jwt"},
                           {"privateKey", replace_all(p256.private_key_pem, "\n", "\\n")},
                           {"keyId", "p256-client-key"}});
  EXPECT_EQ(p["client_id"], "p256-client");
  auto p3 = whoami("p384", {{"username", "p384-client"}, {"clientAuthentication", "private_key_jwt"},
                            {"privateKey", p384.private_key_pem}});
  EXPECT_EQ(p3["client_id"], "p384-client");
  auto ed = whoami("ed25519", {{"username", "ed25519-client"}, {"clientAuthentication", "private_key_jwt"},
                               {"privateKey", ed25519.private_key_pem}, {"keyId", "ed25519-client-key"}});
  EXPECT_EQ(ed["client_id"], "ed25519-client");
}

TEST_F(oidc_provider_test, tls_client_auth_obtains_a_certificate_bound_token_the_api_accepts_over_mutual_tls) {
  auto t = whoami("tls", {{"username", "tls-client"},
                          {"clientAuthentication", "tls_client_auth"},
                          {"clientCertificate", tls.certificate_chain_pem},
                          {"clientCertificateKey", tls.private_key_pem}});
  EXPECT_EQ(t["client_id"], "tls-client");
  EXPECT_EQ(t["certificate"], "oidc tls client");
  EXPECT_EQ(t["bound"], true) << "RFC 8705 3: the token is bound to the certificate the API saw";
}

TEST_F(oidc_provider_test, an_unregistered_key_or_certificate_is_refused) {
  const auto wrong_key = error_of("wrong-key", {{"username", "p256-client"},
                                                {"clientAuthentication", "private_key_jwt"},
                                                {"privateKey", stranger.private_key_pem}});
  EXPECT_NE(wrong_key.find("invalid_client"), std::string::npos) << wrong_key;
  const auto wrong_cert = error_of("wrong-cert", {{"username", "tls-client"},
                                                  {"clientAuthentication", "tls_client_auth"},
                                                  {"clientCertificate", stranger.certificate_chain_pem},
                                                  {"clientCertificateKey", stranger.private_key_pem}});
  EXPECT_NE(wrong_cert.find("invalid_client"), std::string::npos) << wrong_cert;
}

}  // namespace
}  // namespace oauth2_rest
