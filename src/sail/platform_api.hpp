// The platform's REST API as the worker uses it: step info, saving credential keys,
// and posting a service-mode result. All calls use HTTP Basic with
// ELASTICIO_API_USERNAME:ELASTICIO_API_KEY (the result URL carries its own).
#pragma once

#include "http/http_client.hpp"
#include "sail/settings.hpp"
#include "sail/step_info.hpp"
#include "util/result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
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

  // POST body to the service-mode result URL (Basic from the URL's userinfo, when present).
  boost::asio::awaitable<status> post_result(const std::string& url_with_userinfo, std::string body);

 private:
  boost::asio::awaitable<result<http::response>> call(http::request req, int retries);
  http::request request(boost::beast::http::verb method, std::string url, std::string body = {}) const;

  http::client& http_;
  std::string api_uri_;
  std::string step_url_;
  std::string authorization_;
  int retries_;
  std::chrono::milliseconds timeout_{15'000};
};

}  // namespace oauth2_rest::sail
