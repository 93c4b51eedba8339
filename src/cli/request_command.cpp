// `request` and `token`: the action's credential, request builder and token client, one call.
#include "cli/request_command.hpp"

#include "action/action_config.hpp"
#include "action/http_request_action.hpp"
#include "action/request_builder.hpp"
#include "cli/token_cache.hpp"
#include "http/content_coding.hpp"
#include "http/http_client.hpp"
#include "http/proxy_config.hpp"
#include "oauth2/token_client.hpp"
#include "oauth2/www_authenticate.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

namespace oauth2_rest::cli {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

const char* name_of(oneshot_command c) { return c == oneshot_command::request ? "request" : "token"; }

// The store the token client looks at before asking the endpoint: the cache file again, which
// another oauth2-rest may have renewed in the meantime. Its warnings were shown at start.
class cache_store final : public oauth2::token_store {
 public:
  explicit cache_store(const token_cache& cache) : cache_(cache) {}
  asio::awaitable<std::optional<oauth2::token>> load() override { co_return cache_.load().token; }

 private:
  const token_cache& cache_;
};

bool write_stdout(std::string_view bytes) {
  return std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() && std::fflush(stdout) == 0;
}

class oneshot_run {
 public:
  oneshot_run(oneshot_command command, const oneshot_options& options) : command_(command), options_(options) {}

  int run() {
    auto cfg = build_cfg(options_);
    if (!cfg) return fail(cfg.error().message);
    auto config = action::parse_action_config(*cfg);
    if (!config) return fail(config.error().message);
    config_ = std::move(config).value();
    auto creds = action::make_credentials(config_);
    if (!creds) return fail(creds.error().message);

    if (command_ == oneshot_command::request) {
      auto input = build_input(options_);
      if (!input) return fail(input.error().message);
      auto req = action::build_api_request(*input, config_.base_url);
      if (!req) return fail(req.error().message);
      request_ = std::move(req).value();
    }

    std::optional<oauth2::token> initial;
    std::shared_ptr<oauth2::token_store> store;
    if (auto dir = default_cache_directory()) {
      cache_.emplace(*dir, *creds);
      auto loaded = cache_->load();
      if (!loaded.warning.empty()) warn(loaded.warning);
      initial = std::move(loaded.token);
      store = std::make_shared<cache_store>(*cache_);
    } else {
      warn("no token cache: neither XDG_CACHE_HOME nor HOME is set");
    }

    asio::io_context io{1};
    // The action's client: proxies from the environment, as `process` and `sail` have them.
    http::client_config client_config;
    client_config.proxy = http::proxy_config_from_process_environment();
    // With a clientCertificate, a client of its own that presents it (mutual TLS), as the action has.
    auto mtls = action::make_client_certificate_http(io.get_executor(), *creds, {}, client_config);
    if (!mtls) return fail(mtls.error().message);
    std::unique_ptr<http::client> own_http = std::move(mtls).value();
    std::optional<http::client> plain_http;
    if (!own_http) plain_http.emplace(io.get_executor(), client_config);
    http::client& http = own_http ? *own_http : *plain_http;
    oauth2::token_client tokens(http, std::move(creds).value(), std::move(initial), std::move(store));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          try {
            exit_code_ = co_await call(http, tokens);
          } catch (const std::exception& e) {
            exit_code_ = fail(e.what());
          }
          http.close_idle();
        },
        asio::detached);
    io.run();
    return exit_code_;
  }

 private:
  int fail(const std::string& message) {
    std::fprintf(stderr, "oauth2-rest %s: %s\n", name_of(command_), message.c_str());
    return 1;
  }
  void warn(const std::string& message) {
    std::fprintf(stderr, "oauth2-rest %s: warning: %s\n", name_of(command_), message.c_str());
  }
  void remember(const oauth2::acquired_token& t) {
    if (!t.fetched || !cache_) return;
    if (auto why = cache_->save(*t.value); !why.empty()) warn(why);
  }

  asio::awaitable<int> call(http::client& http, oauth2::token_client& tokens) {
    auto token = co_await tokens.get(config_.request_timeout);
    if (!token) co_return fail("could not get an access token: " + token.error().message);
    remember(*token);
    if (command_ == oneshot_command::token) {
      if (!write_stdout(token->value->access_token + "\n")) co_return fail("cannot write to stdout");
      co_return 0;
    }

    http::request request;
    request.method = request_.method;
    request.url = request_.url;
    for (const auto& [name, value] : request_.headers) request.headers.push_back({name, value});
    http::add_default_accept_encoding(request.headers);
    request.headers.push_back({"Authorization", "Bearer " + token->value->access_token});
    request.body = request_.body;
    http::request_options send_options;
    send_options.timeout = config_.request_timeout;
    send_options.max_response_body = config_.max_response_size;

    auto answer = co_await http.send(request, send_options);
    if (answer && answer->status == 401 && action::answered_by_token_origin(request_.url, *answer) &&
        oauth2::should_refresh(401, http::find_header(answer->headers, "WWW-Authenticate").value_or(""))) {
      // RFC 6750 3.1: a new token, and the request once more.
      auto renewed = co_await tokens.refresh(token->value, config_.request_timeout);
      if (!renewed) co_return fail("the API refused the token and renewing it failed: " + renewed.error().message);
      remember(*renewed);
      for (auto& h : request.headers)
        if (h.name == "Authorization") h.value = "Bearer " + renewed->value->access_token;
      answer = co_await http.send(std::move(request), send_options);
    }
    if (!answer) co_return fail(answer.error().message);

    auto& r = *answer;
    const std::string where = request_.method_name + " " + http::url_without_credentials(r.url.empty() ? request_.url : r.url);
    if (auto decoded = http::decode_response_content(r, config_.max_response_size); !decoded) {
      std::string text = where + ": " + decoded.error().message;
      if (decoded.error().code == http::coding_error::too_large) text += " (maxResponseSize)";
      co_return fail(text);
    }
    if (options_.fail && r.status >= 400) {
      std::fprintf(stderr, "oauth2-rest request: %s answered %u%s%s\n", where.c_str(), r.status,
                   r.reason.empty() ? "" : " ", r.reason.c_str());
      co_return exit_http_error;
    }
    std::string head;
    if (options_.include) {
      head = "HTTP/1.1 " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason) + "\r\n";
      for (const auto& h : r.headers) head += h.name + ": " + h.value + "\r\n";
      head += "\r\n";
    }
    if (!write_stdout(head) || !write_stdout(r.body)) co_return fail("cannot write to stdout");
    co_return 0;
  }

  oneshot_command command_;
  const oneshot_options& options_;
  action::action_config config_;
  action::api_request request_;
  std::optional<token_cache> cache_;
  int exit_code_ = 1;
};

}  // namespace

int run_oneshot(oneshot_command command, const oneshot_options& options) {
  return oneshot_run(command, options).run();
}

}  // namespace oauth2_rest::cli
