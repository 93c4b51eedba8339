// Unit tests of client authentication beyond a shared secret (SPEC section 7): PEM text rebuilt
// from single-line fields, keys and certificates loaded and matched, client assertions
// (header, claims, and a signature verified here with OpenSSL EVP directly, never through the
// product's code), x5t / x5t#S256 against the openssl command line's fingerprints, and the
// token request bodies of private_key_jwt, client_secret_jwt and tls_client_auth.
#include "oauth2/client_assertion.hpp"
#include "oauth2/client_keys.hpp"
#include "oauth2/pem_text.hpp"
#include "oauth2/token_request.hpp"

#include "support/jws_check.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>

namespace oauth2 = oauth2_rest::oauth2;
namespace json = boost::json;
using oauth2_rest::testing::test_ca;
using namespace oauth2_rest::testing::jws;

namespace {

// --- test-side helpers: OpenSSL directly, independent of the code under test ---

// The openssl command line's fingerprint of the first certificate, in base64url:
// "SHA1 Fingerprint=AB:CD:..." -> bytes -> base64url.
std::string cli_fingerprint(const std::string& pem, const std::string& digest) {
  oauth2_rest::testing::temp_dir dir;
  const auto path = dir.path() / "cert.pem";
  std::ofstream(path) << pem;
  const std::string command = "openssl x509 -noout -fingerprint -" + digest + " -in '" + path.string() + "'";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  char line[512] = {};
  const bool read = std::fgets(line, sizeof line, pipe) != nullptr;
  ::pclose(pipe);
  EXPECT_TRUE(read) << command;
  std::string text(line);
  text = text.substr(text.find('=') + 1);
  std::string bytes;
  for (std::size_t i = 0; i + 1 < text.size(); i += 3) bytes.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return b64url_encode(bytes);
}

// Line breaks gone, as a browser's single-line field leaves them.
std::string one_line(std::string pem, const std::string& separator = " ") {
  std::string out;
  for (char c : pem) {
    if (c == '\n') out += separator;
    else out.push_back(c);
  }
  return out;
}

const test_ca& ca() {
  static test_ca instance;
  return instance;
}

oauth2_rest::testing::tls_identity client_identity(const std::string& key_type) {
  test_ca::leaf_options options;
  options.key_type = key_type;
  options.common_name = "client " + key_type;
  return ca().issue(options);
}

}  // namespace

// --- PEM rebuilt from single-line fields ---

TEST(rebuild_pem, the_canonical_form_of_each_broken_input) {
  const std::string body64 = std::string(64, 'A');
  const std::string canonical =
      "-----BEGIN PRIVATE KEY-----\n" + body64 + "\n" + "QUJD\n-----END PRIVATE KEY-----\n";
  struct row {
    const char* what;
    std::string input;
  };
  const row rows[] = {
      {"already canonical", canonical},
      {"line breaks became spaces", one_line(canonical)},
      {"literal \\n typed", one_line(canonical, "\\n")},
      {"literal \\r\\n typed", one_line(canonical, "\\r\\n")},
      {"CRLF line breaks", one_line(canonical, "\r\n")},
      {"body on one line", "-----BEGIN PRIVATE KEY-----" + body64 + "QUJD-----END PRIVATE KEY-----"},
      {"tabs and several spaces", "  -----BEGIN PRIVATE KEY-----\t" + body64.substr(0, 10) + "   " +
                                      body64.substr(10) + "QU JD  -----END PRIVATE KEY-----  "},
      {"text around the block", "Bag Attributes: localKeyID: 01 02\n" + canonical + "trailing words"},
  };
  for (const auto& r : rows) {
    auto rebuilt = oauth2::rebuild_pem(r.input);
    ASSERT_TRUE(rebuilt) << r.what << ": " << rebuilt.error().message;
    EXPECT_EQ(*rebuilt, canonical) << r.what;
  }
}

TEST(rebuild_pem, keeps_every_block_in_order_with_labels_that_have_spaces) {
  const std::string input =
      "-----BEGIN EC PARAMETERS----- BggqhkjOPQMBBw== -----END EC PARAMETERS----- "
      "-----BEGIN EC PRIVATE KEY----- QUJD -----END EC PRIVATE KEY-----";
  auto rebuilt = oauth2::rebuild_pem(input);
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt,
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
            "-----BEGIN EC PRIVATE KEY-----\nQUJD\n-----END EC PRIVATE KEY-----\n");
}

TEST(rebuild_pem, errors_describe_the_structure_never_the_body) {
  struct row {
    std::string input, message;
  };
  const row rows[] = {
      {"", "no -----BEGIN ...----- line: expected PEM text"},
      {"c2VjcmV0LWtleS1ieXRlcw==", "no -----BEGIN ...----- line: expected PEM text"},
      {"-----BEGIN PRIVATE KEY----- c2VjcmV0", "the PRIVATE KEY block has no matching -----END PRIVATE KEY----- line"},
      {"-----BEGIN PRIVATE KEY----- c2VjcmV0 -----END CERTIFICATE-----",
       "the PRIVATE KEY block has no matching -----END PRIVATE KEY----- line"},
      {"-----BEGIN PRIVATE KEY----- c2Vj!cmV0 -----END PRIVATE KEY-----", "the PRIVATE KEY block is not base64"},
      {"-----BEGIN RSA PRIVATE KEY----- Proc-Type: 4,ENCRYPTED c2VjcmV0 -----END RSA PRIVATE KEY-----",
       "the RSA PRIVATE KEY block has PEM headers (an encrypted key?), which are not supported"},
      {"-----BEGIN PRIVATE KEY----------END PRIVATE KEY-----", "the PRIVATE KEY block is empty"},
      {"-----BEGIN bad-label----- c2VjcmV0 -----END bad-label-----", "a -----BEGIN line has no valid label"},
  };
  for (const auto& r : rows) {
    auto rebuilt = oauth2::rebuild_pem(r.input);
    ASSERT_FALSE(rebuilt) << r.input;
    EXPECT_EQ(rebuilt.error().message, r.message) << r.input;
    EXPECT_EQ(rebuilt.error().message.find("c2VjcmV0"), std::string::npos);
    EXPECT_EQ(rebuilt.error().code, oauth2::input_error::bad_credential_field);
  }
}

TEST(rebuild_pem, a_real_key_and_chain_survive_a_single_line_field) {
  const auto identity = client_identity("RSA");
  for (const std::string separator : {" ", "\\n"}) {
    auto keys = oauth2::load_client_keys(one_line(identity.private_key_pem, separator),
                                         one_line(identity.certificate_chain_pem, separator), "");
    ASSERT_TRUE(keys) << keys.error().message;
    EXPECT_EQ(keys->certificate_chain.size(), 2u) << "leaf and CA";
    EXPECT_TRUE(keys->signing_key_matches_certificate);
  }
}

// --- keys and certificates ---

TEST(load_client_keys, accepts_pkcs8_pkcs1_and_sec1_keys_of_each_supported_type) {
  const std::pair<const char*, oauth2::jws_alg> types[] = {
      {"RSA", oauth2::jws_alg::rs256}, {"P-256", oauth2::jws_alg::es256},
      {"P-384", oauth2::jws_alg::es384}, {"Ed25519", oauth2::jws_alg::eddsa}};
  for (const auto& [type, alg] : types) {
    const auto identity = client_identity(type);
    auto keys = oauth2::load_client_keys(identity.private_key_pem, "", "");
    ASSERT_TRUE(keys) << type << ": " << keys.error().message;
    EXPECT_EQ(keys->signing_alg, alg) << type;
    EXPECT_FALSE(keys->has_certificate());
    if (std::string(type) != "Ed25519") {  // Ed25519 has no traditional form
      const auto traditional = traditional_pem(identity.private_key_pem);
      EXPECT_EQ(traditional.find("-----BEGIN PRIVATE KEY-----"), std::string::npos) << traditional.substr(0, 40);
      auto again = oauth2::load_client_keys(traditional, "", "");
      ASSERT_TRUE(again) << type << " traditional: " << again.error().message;
      EXPECT_EQ(again->signing_alg, alg);
    }
  }
}

TEST(load_client_keys, rejects_unusable_values_naming_the_field_without_the_value) {
  const auto rsa = client_identity("RSA");
  const auto ec = client_identity("P-256");
  auto pem_of = [](EVP_PKEY* key, bool encrypt) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (encrypt) {
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                    const_cast<char*>("pass phrase"));
    } else {
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  pkey_ptr small(EVP_RSA_gen(1024), &EVP_PKEY_free);
  pkey_ptr p521(EVP_EC_gen("P-521"), &EVP_PKEY_free);
  const std::string small_pem = pem_of(small.get(), false);
  const std::string p521_pem = pem_of(p521.get(), false);
  const std::string encrypted = pem_of(read_key(ec.private_key_pem).get(), true);

  struct row {
    std::string private_key, certificate, certificate_key, message;
  };
  const std::string cert_body_garbage = "-----BEGIN CERTIFICATE----- QUJDRA== -----END CERTIFICATE-----";
  const row rows[] = {
      {"not a key at all", "", "", "privateKey: no -----BEGIN ...----- line: expected PEM text"},
      {ec.certificate_chain_pem, "", "", "privateKey is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)"},
      {"-----BEGIN PRIVATE KEY----- QUJDRA== -----END PRIVATE KEY-----", "", "",
       "privateKey is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)"},
      {encrypted, "", "", "privateKey is encrypted: give the key without a pass phrase"},
      {small_pem, "", "", "privateKey: an RSA key must have at least 2048 bits (RFC 7518 3.3)"},
      {p521_pem, "", "", "privateKey: this EC curve is not supported (use P-256 or P-384)"},
      {"", cert_body_garbage, ec.private_key_pem, "clientCertificate is not a PEM certificate"},
      {"", rsa.private_key_pem, rsa.private_key_pem, "clientCertificate is not a PEM certificate"},
      {"", rsa.certificate_chain_pem, "garbage", "clientCertificateKey: no -----BEGIN ...----- line: expected PEM text"},
      {"", rsa.certificate_chain_pem, ec.private_key_pem,
       "clientCertificateKey does not match clientCertificate (the first certificate)"},
      {"", rsa.certificate_chain_pem, "", "clientCertificateKey is required with clientCertificate (privateKey is not its key)"},
      {ec.private_key_pem, rsa.certificate_chain_pem, "",
       "clientCertificateKey is required with clientCertificate (privateKey is not its key)"},
      {"", "", ec.private_key_pem, "clientCertificateKey is set but clientCertificate is empty"},
  };
  for (const auto& r : rows) {
    auto keys = oauth2::load_client_keys(r.private_key, r.certificate, r.certificate_key);
    ASSERT_FALSE(keys) << r.message;
    EXPECT_EQ(keys.error().message, r.message);
    EXPECT_EQ(keys.error().code, oauth2::input_error::bad_credential_field);
    for (const auto* secret : {&rsa.private_key_pem, &ec.private_key_pem}) {
      // No line of a key's body is quoted.
      const std::string body_line = secret->substr(secret->find('\n') + 1, 40);
      EXPECT_EQ(keys.error().message.find(body_line), std::string::npos) << r.message;
    }
  }
}

TEST(load_client_keys, the_certificate_key_may_be_the_private_key_or_its_own_field) {
  const auto identity = client_identity("P-384");
  auto shared = oauth2::load_client_keys(identity.private_key_pem, identity.certificate_chain_pem, "");
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ(shared->certificate_key, shared->signing_key);
  auto own = oauth2::load_client_keys("", identity.certificate_chain_pem, identity.private_key_pem);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_TRUE(own->certificate_key);
  EXPECT_FALSE(own->signing_key);
}

TEST(load_client_keys, x5t_values_are_the_openssl_fingerprints_of_the_first_certificate) {
  const auto identity = client_identity("RSA");
  auto keys = oauth2::load_client_keys(identity.private_key_pem, identity.certificate_chain_pem, "");
  ASSERT_TRUE(keys) << keys.error().message;
  const std::string leaf = identity.certificate_chain_pem.substr(
      0, identity.certificate_chain_pem.find("-----END CERTIFICATE-----") + 25);
  EXPECT_EQ(keys->x5t, cli_fingerprint(leaf, "sha1"));
  EXPECT_EQ(keys->x5t_s256, cli_fingerprint(leaf, "sha256"));
  EXPECT_EQ(keys->x5t.size(), 27u);       // 20 bytes, unpadded
  EXPECT_EQ(keys->x5t_s256.size(), 43u);  // 32 bytes, unpadded
}

// --- client assertions ---

TEST(client_assertion, header_claims_and_signature_for_each_key_type) {
  const std::pair<const char*, const char*> types[] = {
      {"RSA", "RS256"}, {"P-256", "ES256"}, {"P-384", "ES384"}, {"Ed25519", "EdDSA"}};
  const auto now = std::chrono::system_clock::now();
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  for (const auto& [type, alg] : types) {
    const auto identity = client_identity(type);
    auto keys = oauth2::load_client_keys(identity.private_key_pem, "", "");
    ASSERT_TRUE(keys) << keys.error().message;
    auto made = oauth2::make_private_key_assertion(
        *keys, {"client-1", "https://idp.example/oauth2/token", "key-7", now});
    ASSERT_TRUE(made) << made.error().message;
    const auto token = split(*made);
    EXPECT_EQ(token.header, json::parse(std::string(R"({"alg":")") + alg + R"(","typ":"JWT","kid":"key-7"})")) << type;
    EXPECT_EQ(token.claims.at("iss"), "client-1");
    EXPECT_EQ(token.claims.at("sub"), "client-1");
    EXPECT_EQ(token.claims.at("aud"), "https://idp.example/oauth2/token");
    EXPECT_EQ(token.claims.at("iat").as_int64(), iat);
    EXPECT_EQ(token.claims.at("exp").as_int64(), iat + 60);
    EXPECT_EQ(b64url_decode(std::string(token.claims.at("jti").as_string())).size(), 16u) << "128 random bits";
    EXPECT_EQ(token.claims.size(), 6u);
    auto public_key = read_key(identity.private_key_pem);
    EXPECT_TRUE(verify(public_key.get(), alg, token.signing_input, token.signature)) << type;
    // A changed byte must not verify: the check above could not pass by accident.
    EXPECT_FALSE(verify(public_key.get(), alg, token.signing_input + "x", token.signature)) << type;
  }
}

TEST(client_assertion, x5t_headers_with_a_certificate_and_no_kid_without_a_key_id) {
  const auto identity = client_identity("P-256");
  auto keys = oauth2::load_client_keys(identity.private_key_pem, identity.certificate_chain_pem, "");
  ASSERT_TRUE(keys) << keys.error().message;
  auto made = oauth2::make_private_key_assertion(*keys, {"c", "https://idp.example/token", "", {}});
  ASSERT_TRUE(made);
  const auto token = split(*made);
  const std::string leaf = identity.certificate_chain_pem.substr(
      0, identity.certificate_chain_pem.find("-----END CERTIFICATE-----") + 25);
  EXPECT_EQ(std::string(token.header.at("x5t").as_string()), cli_fingerprint(leaf, "sha1"));
  EXPECT_EQ(std::string(token.header.at("x5t#S256").as_string()), cli_fingerprint(leaf, "sha256"));
  EXPECT_FALSE(token.header.contains("kid"));
}

TEST(client_assertion, hs256_with_the_client_secret) {
  const std::string secret = "a client secret of 32 bytes or more!";
  auto made = oauth2::make_secret_assertion(secret, {"client-2", "https://idp.example/token", "", {}});
  ASSERT_TRUE(made);
  const auto token = split(*made);
  EXPECT_EQ(token.header, json::parse(R"({"alg":"HS256","typ":"JWT"})"));
  EXPECT_EQ(token.claims.at("iss"), "client-2");
  EXPECT_EQ(token.signature, hmac_sha256(secret, token.signing_input));
  EXPECT_NE(token.signature, hmac_sha256(secret + "x", token.signing_input));
}

TEST(client_assertion, every_assertion_has_a_new_jti) {
  const auto identity = client_identity("Ed25519");
  auto keys = oauth2::load_client_keys(identity.private_key_pem, "", "");
  ASSERT_TRUE(keys);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto made = oauth2::make_private_key_assertion(*keys, {"c", "https://idp.example/token", "", {}});
    ASSERT_TRUE(made);
    EXPECT_TRUE(seen.insert(std::string(split(*made).claims.at("jti").as_string())).second);
  }
}

// --- the token request of each method ---

TEST(parse_client_auth, accepts_the_key_based_methods) {
  EXPECT_EQ(*oauth2::parse_client_auth("private_key_jwt"), oauth2::client_auth::private_key_jwt);
  EXPECT_EQ(*oauth2::parse_client_auth(" Client_Secret_JWT "), oauth2::client_auth::client_secret_jwt);
  EXPECT_EQ(*oauth2::parse_client_auth("tls_client_auth"), oauth2::client_auth::tls_client_auth);
}

TEST(build_token_request, an_assertion_in_the_body_and_no_secret_nor_basic_header) {
  for (auto method : {oauth2::client_auth::private_key_jwt, oauth2::client_auth::client_secret_jwt}) {
    oauth2::client_credentials c;
    c.token_url = "https://idp.example/token";
    c.client_id = "my id";
    c.client_secret = "s3cr+t";
    c.auth = method;
    c.additional_properties = {{"client_id", "ignored"}, {"resource", "https://api.example"}};
    const auto request = oauth2::build_token_request(c, "aaa.bbb.ccc");
    EXPECT_EQ(request.body,
              "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example&client_id=my+id"
              "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
              "&client_assertion=aaa.bbb.ccc");
    for (const auto& [name, value] : request.headers) EXPECT_NE(name, "Authorization");
  }
}

TEST(build_token_request, tls_client_auth_sends_only_the_client_id) {
  oauth2::client_credentials c;
  c.token_url = "https://idp.example/token";
  c.client_id = "mtls-client";
  c.client_secret = "unused";
  c.auth = oauth2::client_auth::tls_client_auth;
  c.scopes = {"a"};
  const auto request = oauth2::build_token_request(c);
  EXPECT_EQ(request.body, "grant_type=client_credentials&scope=a&client_id=mtls-client");
  for (const auto& [name, value] : request.headers) EXPECT_NE(name, "Authorization");
}

TEST(validate_credentials, the_assertion_parameters_are_the_components) {
  oauth2::client_credentials c;
  c.token_url = "https://idp.example/token";
  c.client_id = "x";
  c.auth = oauth2::client_auth::private_key_jwt;
  c.additional_properties = {{"client_assertion", "forged"}};
  auto checked = oauth2::validate_credentials(c);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message,
            "additionalProperties: key 'client_assertion' is reserved: the component makes the client assertion");
}
