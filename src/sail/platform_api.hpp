// The platform's REST API as the worker uses it: step info, saving credential keys,
// and posting a service-mode result. All calls use HTTP Basic with
// ELASTICIO_API_USERNAME:ELASTICIO_API_KEY (the result URL carries its own).
// Also the object storage of lightweight messages (platform-protocol section 8),
// with its own Bearer token.
#pragma once

#include "http/http_client.hpp"
#include "sail/settings.hpp"
#include "sail/step_info.hpp"
#include "util/result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace oauth2_rest::sail {

class platform_api {
 public:
  platform_api(http::client& http, const settings& s);

  // GET {API}/v1/tasks/{flow}/steps/{step}. Network errors and 5xx are retried
  // (ELASTICIO_API_REQUEST_RETRY_ATTEMPTS extra tries, 1 s apart); 4xx fails at once.
  boost::asio::awaitable<result<step_info>> fetch_step();

  // PATCH {API}/v2/credentials/{id}/ with the JSON:API body and ALL keys (the
  // platform replaces them entirely); on 404 or 405, PUT {API}/v1/accounts/{id}
  // with {"keys": ...}, what the reference runtimes call.
  boost::asio::awaitable<status> save_keys(const std::string& account_id, const boost::json::object& keys);

  // The credential's keys as the platform holds them now: GET {API}/v2/credentials/{id}
  // (JSON:API, data.attributes.keys), falling back to GET /v1/accounts/{id} ({keys}) on 404 or
  // 405. Not retried: a failure only means the caller does without.
  boost::asio::awaitable<result<boost::json::object>> fetch_credential_keys(const std::string& account_id);

  // POST body to the service-mode result URL (Basic from the URL's userinfo, when present).
  boost::asio::awaitable<status> post_result(const std::string& url_with_userinfo, std::string body);

  // GET {ELASTICIO_OBJECT_STORAGE_URI}/objects/{id} with Bearer ELASTICIO_OBJECT_STORAGE_TOKEN and
  // x-request-id f:<flow>;s:<step>;m:<message id>, as the reference runtime's maester client:
  // the stored (still encrypted) bytes. 5xx and network errors (a timeout included: REQUEST_TIMEOUT
  // per attempt, default 10 s) are retried REQUEST_MAX_RETRY times (default twice), 100 ms,
  // 200 ms, 400 ms... apart; other statuses fail at once. Fails at once when no storage is configured.
  boost::asio::awaitable<result<std::string>> fetch_object(const std::string& id, const std::string& message_id);

  // POST {ELASTICIO_OBJECT_STORAGE_URI}/objects with `stored` (the encrypted bytes) as
  // Content-Type application/json, the same headers and retries as fetch_object: the new
  // object's id from the answer's objectId. Any 2xx is success (as axios); 3xx and 4xx fail at once.
  boost::asio::awaitable<result<std::string>> store_object(std::string stored, const std::string& message_id);

 private:
  // Network errors and 5xx are retried `retries` times, pause_before(attempt) apart (1 s when empty).
  boost::asio::awaitable<result<http::response>> call(http::request req, int retries,
                                                      std::function<std::chrono::milliseconds(int)> pause_before = {},
                                                      std::optional<std::chrono::milliseconds> timeout = {});
  std::optional<failure> storage_problem() const;
  http::request storage_request(boost::beast::http::verb method, std::string path, const std::string& message_id) const;
  http::request request(boost::beast::http::verb method, std::string url, std::string body = {}) const;

  http::client& http_;
  std::string api_uri_;
  std::string step_url_;
  std::string authorization_;
  int retries_;
  std::string flow_id_, step_id_;
  std::optional<std::string> storage_uri_, storage_token_;
  int storage_retries_;
  std::chrono::milliseconds storage_timeout_;
  std::chrono::milliseconds timeout_{15'000};
};

}  // namespace oauth2_rest::sail
