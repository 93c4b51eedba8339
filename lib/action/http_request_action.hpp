// The "httpRequest" action: one REST call with an OAuth2 Client Credentials token.
//
// For each message it builds the request from the message body (url, method,
// headers, body), gets a token (cached, shared across messages, see
// token_client.hpp), sends `Authorization: Bearer <token>`, renews the token
// and retries once when the API answers 401 (invalid_token or no error code)
// from the origin that received the token (a 401 from a redirect target on
// another origin never saw the token, so it never renews it), and then lets
// Error Tolerance decide: emit {statusCode, headers, body}, raise an error,
// or rebound. After every new token it emits updateKeys with ALL credential
// keys (the platform replaces the stored keys entirely).
//
// Error texts and rebound reasons quote the status, the reason phrase and the
// first 1000 bytes of the body, with every occurrence of the access token, the
// client secret and the runtime's secrets (the platform API key) replaced by
// [REDACTED], as they are and in their form-encoded and JSON-escaped forms;
// redaction comes before the cut, so a secret across byte 1000 is never quoted
// in part (detail/redact.hpp).
//
// With a clientCertificate in the credential the action makes an HTTP client of its
// own that presents it (mutual TLS, SPEC section 7) to the token endpoint and the
// API; the runtime's client, which also talks to the platform, never does.
//
// One instance serves every message of a step; process() may run for many
// messages at once on one executor thread.
#pragma once

#include "action/action_config.hpp"
#include "action/error_tolerance.hpp"
#include "http/http_client.hpp"
#include "oauth2/token_client.hpp"
#include "oauth2/token_store.hpp"
#include "util/result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace oauth2_rest::action {

// Where one message's events go. The runtime behind it (local mode or the
// platform worker) turns them into output lines or AMQP publishes.
class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual void data(boost::json::object message) = 0;
  // name: a short class of error ("HTTPError", "InputError", ...); message: for the user, no secrets.
  virtual void error(std::string name, std::string message) = 0;
  virtual void rebound(std::string reason) = 0;
  // The complete credential keys, "tokens" updated.
  virtual void update_keys(boost::json::object keys) = 0;
};

// The credential fields of component.json, in its order.
inline constexpr const char* credential_keys[] = {
    "tokenUrl", "username", "password", "baseUrl", "scopes", "additionalProperties",
    "clientAuthentication", "tokens", "privateKey", "keyId", "clientCertificate", "clientCertificateKey"};

// The token client's view of a configuration: Scopes, Additional Properties
// and Client Authentication parsed, privateKey / clientCertificate /
// clientCertificateKey loaded (oauth2/client_keys.hpp); fails naming the bad
// field. With private_key_jwt and a clientCertificate, privateKey must be the
// certificate's key (the x5t headers name the certificate).
result<oauth2::client_credentials> make_credentials(const action_config& config);

// Makes the TLS context a client of the action's own starts from: in the product
// http::make_default_tls_context (the system trust store); tests trust their own CA.
using tls_context_factory = std::function<std::shared_ptr<boost::asio::ssl::context>()>;

// Mutual TLS (SPEC section 7): when the credential holds a clientCertificate, an HTTP client of
// its own whose TLS context presents it, for the token endpoint and the API; null otherwise.
// The runtime's client also calls the platform (API, object storage), which must never be
// offered the customer's certificate, so it is never given one.
result<std::unique_ptr<http::client>> make_client_certificate_http(boost::asio::any_io_executor executor,
                                                                   const oauth2::client_credentials& creds,
                                                                   const tls_context_factory& make_tls = {});

// The data event's message for an API response: {id (a new UUID), attachments,
// body: {statusCode, headers, body, bodyEncoding?}, headers, metadata}.
boost::json::object output_message(const http::response& r);

class http_request_action {
 public:
  // cfg: the step's configuration with the credential keys merged in.
  // runtime_secrets: secrets of the host that the step's configuration does not hold but an
  // error text must never quote either (the platform worker passes ELASTICIO_API_KEY).
  // Fails with a message naming the first bad field.
  // store: where other holders of the credential leave their tokens (oauth2/token_store.hpp),
  // read before asking the token endpoint; none in local mode.
  // http: the runtime's client, used unless the credential holds a clientCertificate; then the
  // action makes its own on the same executor (make_client_certificate_http with make_tls).
  static result<std::unique_ptr<http_request_action>> create(http::client& http,
                                                             const boost::json::object& cfg,
                                                             std::vector<std::string> runtime_secrets = {},
                                                             std::shared_ptr<oauth2::token_store> store = nullptr,
                                                             const tls_context_factory& make_tls = {});

  boost::asio::awaitable<void> process(boost::json::object message, event_sink& events);

  const oauth2::token_client& tokens() const { return *tokens_; }
  // The credential keys as they stand now (tokens included).
  const boost::json::object& keys() const { return keys_; }

 private:
  http_request_action(http::client& http, std::unique_ptr<http::client> own_http, action_config config,
                      oauth2::client_credentials creds, std::optional<oauth2::token> initial,
                      boost::json::object keys, std::vector<std::string> runtime_secrets,
                      std::shared_ptr<oauth2::token_store> store);
  void report_new_token(const oauth2::token& t, event_sink& events);

  // Before http_ and tokens_, which use it: destroyed after them.
  std::unique_ptr<http::client> own_http_;  // the mutual TLS client, if a certificate is configured
  http::client& http_;  // own_http_ or the runtime's
  action_config config_;
  std::unique_ptr<oauth2::token_client> tokens_;
  boost::json::object keys_;
  // The client secret and the runtime's secrets in every form they may be echoed in; the
  // tokens a message used are added per message.
  std::vector<std::string> secret_forms_;
};

}  // namespace oauth2_rest::action
