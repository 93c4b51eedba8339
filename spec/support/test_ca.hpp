// A certificate authority made afresh by each test run (OpenSSL, in process).
//
// issue() signs leaf certificates for chosen names, valid or already expired,
// so TLS tests run against real certificates without any file in the repo.
#pragma once

#include "http_server.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

class test_ca {
 public:
  test_ca();  // a new EC P-256 CA, "oauth2-rest test CA"
  ~test_ca();
  test_ca(const test_ca&) = delete;
  test_ca& operator=(const test_ca&) = delete;

  std::string certificate_pem() const;

  struct leaf_options {
    std::vector<std::string> dns_names{"localhost"};
    std::vector<std::string> ip_addresses{"127.0.0.1"};
    bool expired = false;  // notAfter in the past
    // The leaf's key: "P-256", "P-384", "RSA" (2048 bits) or "Ed25519".
    std::string key_type = "P-256";
    std::string common_name;  // default: the first DNS name
  };
  // A leaf certificate signed by this CA (chain = leaf + CA), for TLS servers and clients
  // (extended key usage serverAuth and clientAuth); its key is PKCS#8 PEM.
  tls_identity issue(const leaf_options& options) const;
  tls_identity issue() const { return issue(leaf_options{}); }

  // Writes the CA certificate to a file (for SSL_CERT_FILE); returns its path.
  std::filesystem::path write_certificate(const std::filesystem::path& dir) const;

  // A self-signed certificate not issued by this CA.
  static tls_identity self_signed(const std::vector<std::string>& dns_names = {"localhost"});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace oauth2_rest::testing
