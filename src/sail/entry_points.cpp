// `oauth2-rest sail` and `oauth2-rest serve verifyCredentials`: start-up, signals (the first
// drains, a second exits at once), service result.
#include "sail/entry_points.hpp"

#include "action/http_request_action.hpp"
#include "sail/amqp_transport.hpp"
#include "sail/credential_token_store.hpp"
#include "sail/object_storage_attachments.hpp"
#include "sail/platform_api.hpp"
#include "sail/service_result.hpp"
#include "sail/settings.hpp"
#include "sail/worker.hpp"
#include "util/json_read.hpp"
#include "util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>

namespace oauth2_rest::sail {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* action_name = "httpRequest";

// Runs one coroutine to completion on the io_context (start-up steps only).
template <class T>
T run_to_completion(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(task)); },
                 [&](std::exception_ptr) { io.stop(); });
  io.run();
  io.restart();
  if (!out) throw std::runtime_error("start-up step did not complete");
  return std::move(*out);
}

// The action's HTTP client (token endpoint and API) honours the proxy variables (SPEC 3); the
// runtime's own calls to platform services use a client of their own that goes direct, as the
// reference runtime's do.
http::client_config action_client_config() {
  http::client_config config;
  config.proxy = http::proxy_config_from_process_environment();
  if (config.proxy->any()) log::info("the step's HTTP requests use proxies", {{"proxies", config.proxy->describe()}});
  return config;
}

void configure_logging(const settings& s) {
  log::settings ls;
  ls.out = stdout;
  ls.name = "oauth2-rest";
  ls.min_level = s.log_level;
  ls.context = s.log_context;
  log::configure(std::move(ls));
}

}  // namespace

int run_worker() {
  auto s = load_settings([](const char* name) { return std::getenv(name); });
  configure_logging(s);
  if (s.function != action_name) {
    log::fatal("Trigger or action \"" + s.function + "\" is not found in component.json!");
    return 1;
  }
  if (s.hook_shutdown) {
    // The platform starts a container just for the shutdown hook; this component has none.
    log::info("shutdown hook requested; this component has no shutdown hook");
    return 0;
  }

  // One thread runs the worker, so socket operations need no locks; the scheduler keeps its lock
  // for completions that Asio's resolver thread posts.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  http::client platform_http(io.get_executor());
  platform_api api(platform_http, s);
  auto step = run_to_completion(io, api.fetch_step());
  if (!step) {
    log::fatal(step.error().message);
    return 1;
  }
  std::string problem;
  // The platform API key is not in the step's configuration, but a gateway could still echo it:
  // the action redacts it from error texts and rebound reasons along with its own secrets.
  // Replicas of the step share its credential: a token another one saved there is used first.
  std::shared_ptr<oauth2::token_store> store;
  if (auto* account = step->config.if_contains("_account"); account && account->is_string() && !account->get_string().empty())
    store = std::make_shared<credential_token_store>(api, std::string(account->get_string()));
  http::client action_http(io.get_executor(), action_client_config());
  auto created = action::http_request_action::create(action_http, step->config, {s.api_key}, store);
  std::unique_ptr<action::http_request_action> action;
  if (const char* noop = std::getenv("OAUTH2_REST_BENCH_NOOP_ACTION"); noop && *noop && *noop != '0') {
    // Benchmarks only (bench/run.sh, the broker-only ceiling): no action and no problem makes
    // the worker emit each input body unchanged, without any HTTP call.
    log::warn("OAUTH2_REST_BENCH_NOOP_ACTION is set: messages are passed through without the action");
  } else if (created) {
    action = std::move(created).value();
    // SPEC 9; object storage and steward are platform services: reached directly, never via a proxy.
    action->set_attachment_store(make_object_storage_attachments(platform_http, s));
  } else {
    // Every message will end in an error naming the problem, so the user sees it in the flow.
    problem = "the step configuration is invalid: " + created.error().message;
    log::error(problem);
  }

  worker w(io, s, std::move(step).value(), api, std::move(action), std::move(problem),
           std::make_unique<amqp_transport>(io.get_executor(), connection_settings_for(s)));
  // The first SIGTERM or SIGINT drains (stop consuming, finish what is in flight, at most
  // OAUTH2_REST_DRAIN_TIMEOUT_MS). A second one exits at once: an operator who signals twice
  // wants out now. Nothing unfinished is acked by doing so: the broker requeues every delivery
  // still unacknowledged when the connection drops, so only the drain is skipped (at-least-once
  // holds). _Exit, not exit: no destructor may ack, publish or block on the way out.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool draining = false;
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signal_number) {
    if (ec) return;
    if (draining) {
      log::warn("second signal: exiting at once; messages in flight stay unacknowledged and return to the queue",
                {{"signal", signal_number}, {"inFlight", w.in_flight()}});
      std::fflush(stdout);
      std::_Exit(128 + signal_number);  // the status a shell reports for a process the signal killed
    }
    draining = true;
    log::info("received a stop signal", {{"signal", signal_number}});
    signals.async_wait(on_signal);
    w.shutdown([&] { io.stop(); });
  };
  signals.async_wait(on_signal);
  w.start();
  log::info("Fully initialized and waiting for messages", {{"prefetch", s.prefetch}});
  io.run();
  log::info("stopped");
  return 0;
}

int run_verify_credentials() {
  const char* result_url = std::getenv("ELASTICIO_POST_RESULT_URL");
  const char* cfg_text = std::getenv("ELASTICIO_CFG");
  std::string missing;
  if (!result_url || !*result_url) missing += "ELASTICIO_POST_RESULT_URL is missing\n";
  if (!cfg_text || !*cfg_text) missing += "ELASTICIO_CFG is missing\n";
  if (!missing.empty()) {
    missing.pop_back();
    throw std::runtime_error(missing);
  }
  log::settings ls;
  ls.out = stdout;
  if (const char* level = std::getenv("LOG_LEVEL"); level && *level) {
    if (auto parsed = log::parse_level(level)) ls.min_level = *parsed;
  }
  log::configure(std::move(ls));

  asio::io_context io{1};
  http::client platform_http(io.get_executor());
  settings service_settings;  // only the retry defaults matter for posting the result
  platform_api api(platform_http, service_settings);
  http::client action_http(io.get_executor(), action_client_config());

  std::string reason;
  boost::system::error_code ec;
  auto cfg = read_json(cfg_text, ec);
  std::unique_ptr<http::client> mtls_http;  // before tokens: destroyed after it
  std::optional<oauth2::token_client> tokens;
  if (ec || !cfg.is_object()) {
    reason = "ELASTICIO_CFG is not a JSON object";
  } else if (auto config = action::parse_action_config(cfg.as_object()); !config) {
    reason = config.error().message;
  } else if (auto creds = action::make_credentials(*config); !creds) {
    reason = creds.error().message;
  } else {
    // A real token request, ignoring any stored token: the point is to prove the credentials.
    // With a clientCertificate it goes through a client of its own that presents it (mutual
    // TLS); the platform calls below keep the runtime's client, which never does.
    auto own_http = action::make_client_certificate_http(io.get_executor(), *creds, {}, action_http.config());
    if (!own_http) {
      reason = own_http.error().message;
    } else {
      mtls_http = std::move(own_http).value();
      tokens.emplace(mtls_http ? *mtls_http : action_http, std::move(creds).value());
      auto token = run_to_completion(io, tokens->get(config->request_timeout));
      if (!token) reason = token.error().message;
    }
  }
  bool verified = reason.empty();
  log::info(verified ? "credentials verified" : "credentials not verified",
            verified ? json::object{} : json::object{{"reason", reason}});
  auto posted = run_to_completion(io, api.post_result(result_url, verified ? verified_body() : not_verified_body(reason)));
  if (!posted) {
    log::error("could not post the verification result", {{"reason", posted.error().message}});
    return 1;
  }
  return 0;
}

}  // namespace oauth2_rest::sail
