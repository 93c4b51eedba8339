// Platform API calls with retries for transient failures.
#include "sail/platform_api.hpp"

#include "sail/lightweight.hpp"
#include "sail/service_result.hpp"
#include "util/base64.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"
#include "util/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace oauth2_rest::sail {
namespace asio = boost::asio;
namespace json = boost::json;
using verb = boost::beast::http::verb;

namespace {

failure status_failure(const http::request& req, const http::response& r) {
  std::string text = std::string(boost::beast::http::to_string(req.method)) + " " +
                     http::url_without_credentials(req.url) + " answered " + std::to_string(r.status);
  if (!r.reason.empty()) text += " " + r.reason;
  // The body is not quoted: an API may echo the request, and a credential save carries secrets.
  return {make_error_code(boost::system::errc::io_error), std::move(text)};
}

}  // namespace

platform_api::platform_api(http::client& http, const settings& s)
    : http_(http),
      api_uri_(s.api_uri),
      step_url_(s.api_uri + "/v1/tasks/" + s.flow_id + "/steps/" + s.step_id),
      authorization_("Basic " + base64_encode(s.api_username + ":" + s.api_key)),
      retries_(std::max(0, s.api_request_retry_attempts)),
      flow_id_(s.flow_id),
      step_id_(s.step_id),
      storage_uri_(s.object_storage_uri),
      storage_token_(s.object_storage_token),
      storage_retries_(s.object_storage_retries),
      storage_timeout_(s.object_storage_timeout_ms) {
  while (storage_uri_ && !storage_uri_->empty() && storage_uri_->back() == '/') storage_uri_->pop_back();
}

asio::awaitable<result<json::object>> platform_api::fetch_credential_keys(const std::string& account_id) {
  if (account_id.empty())
    co_return failure{make_error_code(boost::system::errc::invalid_argument), "the step has no credential id"};
  auto v2 = request(verb::get, api_uri_ + "/v2/credentials/" + account_id + "/");
  auto answer = co_await call(v2, 0);
  bool v1 = answer && (answer->status == 404 || answer->status == 405);
  http::request req = v2;
  if (v1) {
    req = request(verb::get, api_uri_ + "/v1/accounts/" + account_id);
    answer = co_await call(req, 0);
  }
  if (!answer) co_return std::move(answer).error();
  if (answer->status != 200) co_return status_failure(req, *answer);
  boost::system::error_code ec;
  auto doc = read_json(answer->body, ec);
  if (ec || !doc.is_object())
    co_return failure{make_error_code(boost::system::errc::bad_message), "the credential is not a JSON object"};
  const json::object* keys = nullptr;
  if (!v1) {
    if (auto* data = doc.get_object().if_contains("data"); data && data->is_object())
      if (auto* attrs = data->get_object().if_contains("attributes"); attrs && attrs->is_object())
        if (auto* k = attrs->get_object().if_contains("keys"); k && k->is_object()) keys = &k->get_object();
  }
  if (!keys)
    if (auto* k = doc.get_object().if_contains("keys"); k && k->is_object()) keys = &k->get_object();
  if (!keys) co_return failure{make_error_code(boost::system::errc::bad_message), "the credential has no keys"};
  co_return *keys;
}

std::optional<failure> platform_api::storage_problem() const {
  if (storage_uri_ && !storage_uri_->empty()) return std::nullopt;
  return failure{make_error_code(boost::system::errc::invalid_argument),
                 "the message needs object storage, but ELASTICIO_OBJECT_STORAGE_URI is not set"};
}

http::request platform_api::storage_request(verb method, std::string path, const std::string& message_id) const {
  http::request req;
  req.method = method;
  req.url = *storage_uri_ + path;
  req.headers = {{"x-request-id", "f:" + flow_id_ + ";s:" + step_id_ + ";m:" + message_id}};
  if (storage_token_) req.headers.push_back({"Authorization", "Bearer " + *storage_token_});
  return req;
}

namespace {
// The maester client's pause before retry n (0-based): 100 ms * 2^n (it adds up to 20 % at random).
std::chrono::milliseconds storage_pause(int attempt) { return std::chrono::milliseconds(100 << attempt); }
}  // namespace

asio::awaitable<result<std::string>> platform_api::fetch_object(const std::string& id, const std::string& message_id) {
  if (auto problem = storage_problem()) co_return *problem;
  auto req = storage_request(verb::get, "/objects/" + id, message_id);
  auto answer = co_await call(req, storage_retries_, storage_pause, storage_timeout_);
  if (!answer) co_return std::move(answer).error();
  if (answer->status != 200) co_return status_failure(req, *answer);
  co_return std::move(answer->body);
}

asio::awaitable<result<std::string>> platform_api::store_object(std::string stored, const std::string& message_id) {
  if (auto problem = storage_problem()) co_return *problem;
  auto req = storage_request(verb::post, "/objects", message_id);
  // What the maester client sends for the encrypted stream: its type sniffing finds nothing in
  // ciphertext and falls back to application/json.
  req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(stored);
  auto answer = co_await call(std::move(req), storage_retries_, storage_pause, storage_timeout_);
  if (!answer) co_return std::move(answer).error();
  if (answer->status < 200 || answer->status >= 300) {
    co_return status_failure(storage_request(verb::post, "/objects", message_id), *answer);
  }
  co_return parse_stored_object_id(answer->body);
}

http::request platform_api::request(verb method, std::string url, std::string body) const {
  http::request req;
  req.method = method;
  req.url = std::move(url);
  req.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  return req;
}

asio::awaitable<result<http::response>> platform_api::call(http::request req, int retries,
                                                           std::function<std::chrono::milliseconds(int)> pause_before,
                                                           std::optional<std::chrono::milliseconds> timeout) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int attempt = 0;; ++attempt) {
    http::request_options options;
    options.timeout = timeout.value_or(timeout_);
    options.follow_redirects = false;
    auto answer = co_await http_.send(req, options);
    bool transient = !answer || answer->status >= 500;
    if (!transient || attempt >= retries) co_return answer;
    log::warn("platform call failed, will retry",
              {{"url", http::url_without_credentials(req.url)},
               {"attempt", attempt + 1},
               {"reason", answer ? "status " + std::to_string(answer->status) : answer.error().message}});
    pause.expires_after(pause_before ? pause_before(attempt) : std::chrono::milliseconds(1000));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<result<step_info>> platform_api::fetch_step() {
  auto answer = co_await call(request(verb::get, step_url_), retries_);
  if (!answer) {
    co_return failure{answer.error().code, "could not fetch the step info: " + answer.error().message};
  }
  if (answer->status != 200) {
    auto f = status_failure(request(verb::get, step_url_), *answer);
    co_return failure{f.code, "could not fetch the step info: " + f.message};
  }
  co_return parse_step_info(answer->body);
}

asio::awaitable<status> platform_api::save_keys(const std::string& account_id, const json::object& keys) {
  if (account_id.empty()) {
    co_return failure{make_error_code(boost::system::errc::invalid_argument),
                      "the step has no credential id (cfg._account), so the new token cannot be saved"};
  }
  json::object body{{"data", {{"id", account_id}, {"type", "credential"}, {"attributes", {{"keys", keys}}}}}};
  auto patch = request(verb::patch, api_uri_ + "/v2/credentials/" + account_id + "/", write_json(body));
  auto answer = co_await call(patch, retries_);
  if (answer && (answer->status == 404 || answer->status == 405)) {
    // Installations without the v2 credentials API: the v1 call the reference runtimes make.
    auto put = request(verb::put, api_uri_ + "/v1/accounts/" + account_id,
                       write_json(json::object{{"keys", keys}}));
    auto fallback = co_await call(put, retries_);
    if (!fallback) co_return std::move(fallback).error();
    if (fallback->status >= 300) co_return status_failure(put, *fallback);
    co_return ok;
  }
  if (!answer) co_return std::move(answer).error();
  if (answer->status >= 300) co_return status_failure(patch, *answer);
  co_return ok;
}

asio::awaitable<status> platform_api::post_result(const std::string& url_with_userinfo, std::string body) {
  auto target = split_post_result_url(url_with_userinfo);
  if (!target) co_return std::move(target).error();
  http::request req;
  req.method = verb::post;
  req.url = target->url;
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (target->authorization) req.headers.push_back({"Authorization", *target->authorization});
  req.body = std::move(body);
  auto answer = co_await call(req, retries_);
  if (!answer) co_return std::move(answer).error();
  if (answer->status >= 300) co_return status_failure(req, *answer);
  co_return ok;
}

}  // namespace oauth2_rest::sail
