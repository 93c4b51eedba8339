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
    "clientAuthentication", "tokens"};

// The token client's view of a configuration: Scopes, Additional Properties
// and Client Authentication parsed; fails naming the bad field.
result<oauth2::client_credentials> make_credentials(const action_config& config);

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
  static result<std::unique_ptr<http_request_action>> create(http::client& http,
                                                             const boost::json::object& cfg,
                                                             std::vector<std::string> runtime_secrets = {},
                                                             std::shared_ptr<oauth2::token_store> store = nullptr);

  boost::asio::awaitable<void> process(boost::json::object message, event_sink& events);

  // Where bodyAttachment is read from and responseAs=attachment stores responses (SPEC 9).
  // Without one, both are an error event naming what is missing.
  void set_attachment_store(std::shared_ptr<attachment_store> store) { attachments_ = std::move(store); }

  const oauth2::token_client& tokens() const { return *tokens_; }
  // The credential keys as they stand now (tokens included).
  const boost::json::object& keys() const { return keys_; }

 private:
  http_request_action(http::client& http, action_config config, oauth2::client_credentials creds,
                      std::optional<oauth2::token> initial, boost::json::object keys,
                      std::vector<std::string> runtime_secrets, std::shared_ptr<oauth2::token_store> store);
  void report_new_token(const oauth2::token& t, event_sink& events);
  // http_request_attachments.cpp: the input's bodyAttachment opened (an error text on failure).
  boost::asio::awaitable<result<opened_attachment>> open_body_attachment(const boost::json::object& message,
                                                                         const boost::json::value& reference);

  http::client& http_;
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
