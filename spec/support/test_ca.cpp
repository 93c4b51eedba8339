// The in-process test certificate authority: EC P-256 keys and X509v3 certificates via OpenSSL 3.
#include "test_ca.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <stdexcept>
#include <utility>

namespace oauth2_rest::testing {

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };
struct bn_free { void operator()(BIGNUM* p) const { BN_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

void check(bool ok, const char* what) {
  // Test set-up only: an exception here fails the test that built the CA.
  if (!ok) throw std::runtime_error(std::string("test CA: ") + what + " failed");
}

pkey_ptr make_key(const std::string& type = "P-256") {
  pkey_ptr key;
  if (type == "RSA") key.reset(EVP_RSA_gen(2048));
  else if (type == "Ed25519") key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  else key.reset(EVP_EC_gen(type.c_str()));
  check(key != nullptr, "key generation");
  return key;
}

std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM encoding of a certificate");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM encoding of a key");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

struct certificate_request {
  std::string common_name;
  EVP_PKEY* subject_key = nullptr;
  X509* issuer = nullptr;        // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;
  bool ca = false;
  std::string subject_alt_names;  // "DNS:localhost,IP:127.0.0.1", empty for none
  bool expired = false;
};

void add_extension(X509* cert, X509V3_CTX* context, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str());
  check(ext != nullptr, "building an X509v3 extension");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "adding an X509v3 extension");
}

x509_ptr make_certificate(const certificate_request& req) {
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, X509_VERSION_3) == 1, "setting the version");

  // Random serials: several CAs made in one run must never collide.
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "RAND_bytes");
  serial_bytes[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, bn_free> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  check(serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) != nullptr, "setting the serial");

  constexpr long day = 24 * 60 * 60;
  if (req.expired) {
    X509_gmtime_adj(X509_getm_notBefore(x), -30 * day);
    X509_gmtime_adj(X509_getm_notAfter(x), -1 * day);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(x), -60 * 60);  // tolerate clock skew
    X509_gmtime_adj(X509_getm_notAfter(x), 7 * day);
  }

  check(X509_set_pubkey(x, req.subject_key) == 1, "setting the public key");
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("oauth2-rest tests"), -1, -1, 0);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(req.common_name.c_str()), -1, -1, 0) == 1,
        "setting the subject");
  X509* issuer = req.issuer ? req.issuer : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1, "setting the issuer");

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, x, nullptr, nullptr, 0);
  if (req.ca) {
    add_extension(x, &context, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, &context, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(x, &context, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, &context, NID_key_usage, "critical,digitalSignature");
    add_extension(x, &context, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  // The subject key id first: a self-signed certificate's authority key id refers to it.
  add_extension(x, &context, NID_subject_key_identifier, "hash");
  add_extension(x, &context, NID_authority_key_identifier, "keyid:always");
  if (!req.subject_alt_names.empty()) add_extension(x, &context, NID_subject_alt_name, req.subject_alt_names);

  check(X509_sign(x, req.issuer_key ? req.issuer_key : req.subject_key, EVP_sha256()) > 0, "signing");
  return cert;
}

std::string alt_names(const std::vector<std::string>& dns_names, const std::vector<std::string>& ips) {
  std::string out;
  for (const auto& n : dns_names) out += (out.empty() ? "" : ",") + std::string("DNS:") + n;
  for (const auto& ip : ips) out += (out.empty() ? "" : ",") + std::string("IP:") + ip;
  return out;
}

}  // namespace

struct test_ca::impl {
  pkey_ptr key_;
  x509_ptr certificate_;
};

test_ca::test_ca() : impl_(std::make_unique<impl>()) {
  impl_->key_ = make_key();
  certificate_request req;
  req.common_name = "oauth2-rest test CA";
  req.subject_key = impl_->key_.get();
  req.ca = true;
  impl_->certificate_ = make_certificate(req);
}

test_ca::~test_ca() = default;

std::string test_ca::certificate_pem() const { return to_pem(impl_->certificate_.get()); }

tls_identity test_ca::issue(const leaf_options& options) const {
  pkey_ptr key = make_key(options.key_type);
  certificate_request req;
  req.common_name = !options.common_name.empty() ? options.common_name
                    : options.dns_names.empty()  ? "oauth2-rest test server"
                                                 : options.dns_names.front();
  req.subject_key = key.get();
  req.issuer = impl_->certificate_.get();
  req.issuer_key = impl_->key_.get();
  req.subject_alt_names = alt_names(options.dns_names, options.ip_addresses);
  req.expired = options.expired;
  x509_ptr cert = make_certificate(req);
  return tls_identity{to_pem(cert.get()) + certificate_pem(), to_pem(key.get())};
}

std::filesystem::path test_ca::write_certificate(const std::filesystem::path& dir) const {
  const auto path = dir / "oauth2-rest-test-ca.pem";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << certificate_pem();
  out.close();
  check(static_cast<bool>(out), "writing the CA certificate");
  return path;
}

tls_identity test_ca::self_signed(const std::vector<std::string>& dns_names) {
  pkey_ptr key = make_key();
  certificate_request req;
  req.common_name = dns_names.empty() ? "oauth2-rest self-signed" : dns_names.front();
  req.subject_key = key.get();
  req.subject_alt_names = alt_names(dns_names, {"127.0.0.1"});
  x509_ptr cert = make_certificate(req);
  return tls_identity{to_pem(cert.get()), to_pem(key.get())};
}

}  // namespace oauth2_rest::testing
