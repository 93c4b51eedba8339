// The "httpRequest" action: one REST call with an OAuth2 Client Credentials token.
//
// For each message it builds the request from the message body (url, method,
// headers, body), gets a token (cached, shared across messages, see
// token_client.hpp), sends `Authorization: Bearer <token>`, renews the token
// and retries once when the API answers 401 (invalid_token or no error code)
// or a status listed in refreshOnStatus (but a 403 insufficient_scope) from
// the origin that received the token (a redirect target on another origin
// never saw the token, so its answer never renews it), and then lets
// Error Tolerance decide: emit {statusCode, headers, body}, raise an error,
// or rebound. After every new token it emits updateKeys with ALL credential
// keys (the platform replaces the stored keys entirely).
//
// Retries and pagination (SPEC section 8; the rules are in retry_policy.hpp, link_header.hpp
// and json_pointer.hpp):
// - With `retries` N, each API call (each page's) is tried up to N+1 times, with the pause
//   the policy gives; every retry is logged as a warning with the attempt, the status or the
//   failure and the pause. Error Tolerance then judges the last answer only. The renewal
//   after a 401 is not one of the N retries: it happens at most once per page's call, and
//   its answer goes through the retry rules like any other.
// - With `pagination`, every page is its own data message, in order, its body carrying
//   `page` (1-based) beside statusCode, headers and body; the next URL (Link rel="next" or
//   the string at nextPagePointer) is resolved against the URL that answered. Every page is
//   requested with the same method, headers and body; Authorization goes only to the first
//   request's origin (the 401 renewal too). The pages end at a missing, null or empty next
//   link, at a URL already fetched for this message, or after maxPages pages (a warning
//   names the next URL left unfetched). An error (HTTP status, transport, token, an unusable
//   next link) ends them with its event after the pages already emitted; so does a rebound.
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
// Attachments (SPEC 9, http_request_attachments.cpp): bodyAttachment (a name in the message's
// attachments, or an attachment URL) is opened through the runtime's attachment_store and
// streamed as the body, typed by the attachment's content-type unless the input's headers set
// one (else application/octet-stream); with responseAs=attachment the response body is decoded
// (decoding_sink.hpp) into an upload of the store in pieces, and committed only when Error
// Tolerance emits it. Decisions: bodyAttachment with a non-null body, or on GET/HEAD, is an
// InputError; a stored response whose name is taken in local mode's directory gets a free file
// name but keeps its name in the message.
//
// One instance serves every message of a step; process() may run for many
// messages at once on one executor thread.
#pragma once

#include "action/action_config.hpp"
#include "action/attachment_store.hpp"
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

struct api_request;  // request_builder.hpp

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

// The credential fields of component.json, in its order: updateKeys carries all of them (the
// platform replaces the stored keys entirely), so one missing here is lost at the first new
// token. spec/component/component_json_test checks the list against component.json.
inline constexpr const char* credential_keys[] = {
    "tokenUrl", "username", "password", "baseUrl", "scopes", "additionalProperties",
    "clientAuthentication", "privateKey", "keyId", "clientCertificate", "clientCertificateKey",
    "refreshOnStatus", "tokens"};

// The credential fields that hold secrets (component.json's PasswordFieldView fields): local mode
// prints updateKeys with these redacted. The tokens' secrets are redacted inside "tokens".
inline constexpr const char* secret_credential_keys[] = {"password", "privateKey", "clientCertificateKey"};

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
// The runtime's platform client (API, object storage) must never be offered the customer's
// certificate, so it is never given one. config: the client settings to keep (the proxies of
// the client it stands in for).
result<std::unique_ptr<http::client>> make_client_certificate_http(boost::asio::any_io_executor executor,
                                                                   const oauth2::client_credentials& creds,
                                                                   const tls_context_factory& make_tls = {},
                                                                   http::client_config config = {});

// Whether `r` came from the origin (scheme, host, port) the request with the token was sent to:
// a status from a redirect target on another origin never saw the token, so it never renews it.
bool answered_by_token_origin(std::string_view sent_to, const http::response& r);

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

  // `message` is only read, and must live until the returned awaitable completes (co_await it
  // at once): taken by value it would be a copy of the whole decoded message per call.
  boost::asio::awaitable<void> process(const boost::json::object& message, event_sink& events);

  // Where bodyAttachment is read from and responseAs=attachment stores responses (SPEC 9).
  // Without one, both are an error event naming what is missing.
  void set_attachment_store(std::shared_ptr<attachment_store> store) { attachments_ = std::move(store); }

  const oauth2::token_client& tokens() const { return *tokens_; }
  // The credential keys as they stand now (tokens included).
  const boost::json::object& keys() const { return keys_; }

 private:
  http_request_action(http::client& http, std::unique_ptr<http::client> own_http, action_config config,
                      oauth2::client_credentials creds, std::optional<oauth2::token> initial,
                      boost::json::object keys, std::vector<std::string> runtime_secrets,
                      std::shared_ptr<oauth2::token_store> store);
  void report_new_token(const oauth2::token& t, event_sink& events);
  // http_request_attachments.cpp: the input's bodyAttachment opened (an error text on failure).
  boost::asio::awaitable<result<opened_attachment>> open_body_attachment(const boost::json::object& message,
                                                                         const boost::json::value& reference);

  // One message's state across its pages and retries.
  struct message_state;
  static status empty_sink_for_resend(message_state& state);
  // The outcome of one page's call after its retries: the last answer or transport failure;
  // token_failed when getting or renewing the token failed (the failure is then that error).
  struct call_outcome {
    result<http::response> answer;
    bool token_failed = false;
  };
  // One page's API call at `url`, with its retries and at most one renewal after a 401.
  // with_token: the URL is on the first request's origin (the only one that gets the token).
  boost::asio::awaitable<call_outcome> call_api(const api_request& req, const std::string& url,
                                                bool with_token, message_state& state, event_sink& events);

  // Before http_ and tokens_, which use it: destroyed after them.
  std::unique_ptr<http::client> own_http_;  // the mutual TLS client, if a certificate is configured
  http::client& http_;  // own_http_ or the runtime's
  action_config config_;
  std::unique_ptr<oauth2::token_client> tokens_;
  boost::json::object keys_;
  // The client secret and the runtime's secrets in every form they may be echoed in; the
  // tokens a message used are added per message.
  std::vector<std::string> secret_forms_;
  std::shared_ptr<attachment_store> attachments_;
};

// The data event's message for a response stored as an attachment (SPEC 9):
// attachments {name: {url, size, content-type}}, body {statusCode, headers, attachment: name}.
boost::json::object attachment_output_message(const http::response& r, const std::string& name,
                                              const stored_attachment& stored, const std::string& content_type);

}  // namespace oauth2_rest::action
