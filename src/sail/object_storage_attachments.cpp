// Attachments in the platform's object storage and steward (object_storage_attachments.hpp).
#include "sail/object_storage_attachments.hpp"

#include "action/attachment_name.hpp"
#include "util/json_read.hpp"
#include "util/log.hpp"
#include "util/uuid.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>
#include <boost/system/errc.hpp>

#include <filesystem>
#include <optional>

namespace oauth2_rest::sail {
namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

constexpr std::chrono::milliseconds transfer_timeout{120'000};

failure fail(boost::system::errc::errc_t code, std::string message) { return failure{make_error_code(code), std::move(message)}; }

std::filesystem::path temp_path() {
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return dir / (".oauth2-rest-" + new_uuid_v4() + ".part");
}

struct storage_config {
  http::client& http;
  std::string uri;  // without trailing '/'; empty: none
  std::string token;
  std::string request_id;
};

// The maester client's retries: network errors and 5xx, twice, 100 ms then 200 ms apart.
asio::awaitable<result<http::response>> with_retries(storage_config& c, const http::request& req,
                                                     http::request_options options, int retries) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int attempt = 0;; ++attempt) {
    if (options.sink) {
      if (auto reset = options.sink->reset(); !reset) co_return std::move(reset).error();
    }
    auto answer = co_await c.http.send(req, options);
    const bool transient = (!answer && answer.error().code != http::error::body_too_large &&
                            answer.error().code != http::error::body_stream_failed) ||
                           (answer && answer->status >= 500);
    if (!transient || attempt >= retries) co_return answer;
    log::warn("object storage call failed, will retry",
              {{"url", http::url_without_credentials(req.url)},
               {"attempt", attempt + 1},
               {"reason", answer ? "status " + std::to_string(answer->status) : answer.error().message}});
    pause.expires_after(std::chrono::milliseconds(100 << attempt));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

class storage_upload final : public action::attachment_upload {
 public:
  storage_upload(std::shared_ptr<storage_config> c, std::unique_ptr<http::file_sink> sink)
      : config_(std::move(c)), sink_(std::move(sink)) {}
  status write(std::string_view piece) override { return sink_->write(piece); }
  status reset() override { return sink_->reset(); }
  const std::string& excerpt() const override { return sink_->excerpt(); }
  std::uint64_t size() const override { return sink_->size(); }

  asio::awaitable<result<action::stored_attachment>> commit(std::string, std::string content_type) override {
    if (auto closed = sink_->finish(); !closed) co_return std::move(closed).error();
    auto source = http::open_file_source(sink_->path());
    if (!source) co_return std::move(source).error();
    http::request req;
    req.method = verb::post;
    req.url = config_->uri + "/objects";
    req.headers = {{"Authorization", "Bearer " + config_->token},
                   {"x-request-id", config_->request_id},
                   {"Content-Type", content_type}};
    req.body_stream = std::move(source).value();
    http::request_options options;
    options.timeout = transfer_timeout;
    options.follow_redirects = false;
    options.max_response_body = 64 * 1024;
    auto answer = co_await with_retries(*config_, req, options, 2);
    if (!answer) co_return failure{answer.error().code, "could not store the response in object storage: " + answer.error().message};
    if (answer->status != 200 && answer->status != 201)
      co_return fail(boost::system::errc::io_error, "could not store the response in object storage: POST " +
                                                        http::url_without_credentials(req.url) + " answered " +
                                                        std::to_string(answer->status));
    boost::system::error_code ec;
    auto doc = read_json(answer->body, ec);
    const boost::json::value* id = nullptr;
    if (!ec && doc.is_object()) id = doc.get_object().if_contains("objectId");
    if (!id || !id->is_string() || id->get_string().empty())
      co_return fail(boost::system::errc::bad_message,
                     "could not store the response in object storage: the answer has no objectId");
    co_return action::stored_attachment{config_->uri + "/objects/" + std::string(id->get_string()) + "?storage_type=maester",
                                        sink_->size()};
  }

 private:
  std::shared_ptr<storage_config> config_;
  std::unique_ptr<http::file_sink> sink_;
};

class object_storage_attachments final : public action::attachment_store {
 public:
  explicit object_storage_attachments(std::shared_ptr<storage_config> c) : config_(std::move(c)) {}

  asio::awaitable<result<action::opened_attachment>> open(std::string reference) override {
    const auto ref = action::classify_reference(reference);
    http::request req;
    req.method = verb::get;
    req.headers = {{"x-request-id", config_->request_id}};
    int retries = 0;
    switch (ref.type) {
      case action::attachment_reference::kind::maester:
        if (config_->uri.empty())
          co_return fail(boost::system::errc::not_supported,
                         "bodyAttachment is in object storage, but ELASTICIO_OBJECT_STORAGE_URI is not set");
        req.url = config_->uri + "/objects/" + ref.value;
        req.headers.push_back({"Authorization", "Bearer " + config_->token});
        retries = 2;
        break;
      case action::attachment_reference::kind::http: req.url = ref.value; break;
      case action::attachment_reference::kind::unsupported:
        co_return fail(boost::system::errc::invalid_argument,
                       "bodyAttachment: storage type \"" + ref.value.substr(0, 100) + "\" is not supported");
      default:
        co_return fail(boost::system::errc::invalid_argument,
                       "bodyAttachment '" + reference.substr(0, 200) +
                           "' is neither an attachment of the message nor an attachment URL");
    }
    auto sink = http::file_sink::create(temp_path(), 0);
    if (!sink) co_return std::move(sink).error();
    http::request_options options;
    options.timeout = transfer_timeout;
    options.max_response_body = max_attachment_bytes;
    options.follow_redirects = ref.type == action::attachment_reference::kind::http;
    options.sink = sink->get();
    auto answer = co_await with_retries(*config_, req, options, retries);
    const std::string where = http::url_without_credentials(req.url);
    if (!answer) co_return failure{answer.error().code, "could not read bodyAttachment: " + answer.error().message};
    if (answer->status != 200)
      co_return fail(boost::system::errc::io_error,
                     "could not read bodyAttachment: GET " + where + " answered " + std::to_string(answer->status));
    if (auto closed = (*sink)->finish(); !closed) co_return std::move(closed).error();
    // Opened, then unlinked with the sink: the open file stays readable and nothing is left behind.
    auto source = http::open_file_source((*sink)->path());
    if (!source) co_return std::move(source).error();
    co_return action::opened_attachment{std::move(source).value(),
                                        std::string(http::find_header(answer->headers, "Content-Type").value_or(""))};
  }

  result<std::unique_ptr<action::attachment_upload>> begin_upload() override {
    if (config_->uri.empty())
      return fail(boost::system::errc::not_supported,
                  "responseAs attachment needs object storage, but ELASTICIO_OBJECT_STORAGE_URI is not set");
    auto sink = http::file_sink::create(temp_path());
    if (!sink) return std::move(sink).error();
    return std::unique_ptr<action::attachment_upload>(new storage_upload(config_, std::move(sink).value()));
  }

 private:
  std::shared_ptr<storage_config> config_;
};

}  // namespace

std::shared_ptr<action::attachment_store> make_object_storage_attachments(http::client& http, const settings& s) {
  auto c = std::make_shared<storage_config>(storage_config{http, s.object_storage_uri.value_or(""),
                                                           s.object_storage_token.value_or(""),
                                                           "f:" + s.flow_id + ";s:" + s.step_id + ";m:"});
  while (!c->uri.empty() && c->uri.back() == '/') c->uri.pop_back();
  return std::make_shared<object_storage_attachments>(std::move(c));
}

}  // namespace oauth2_rest::sail
