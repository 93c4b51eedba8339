// oauth2-rest-bench-platform: the platform REST API as the workers see it during benchmarks.
//
//   oauth2-rest-bench-platform --flow FLOW --step STEP --step-json JSON [--port N]
// answers GET /v1/tasks/FLOW/steps/STEP with JSON (the step info: config, is_passthrough, ...),
// keeps the step's credential: its keys start as the step config without `_account`, each
// PATCH /v2/credentials/ID/ (JSON:API {"data":{"attributes":{"keys":{...}}}}) or PUT
// /v1/accounts/ID ({"keys":{...}}) replaces them (200), and GET /v2/credentials/ID/ answers
// {"data":{"id":ID,"type":"credential","attributes":{"keys":{...}}}}, GET /v1/accounts/ID
// {"keys":{...}}, with the keys of the last save (so replicas read each other's tokens). Two API
// endpoints for the stuck-message scenario (a message's absolute `url` can point here):
// GET /hang never answers (until this server stops), GET /sleep/MS answers {"slept":MS} after MS
// milliseconds (asynchronously: the other requests are served meanwhile). Anything else 404.
// Prints "listening on http://127.0.0.1:PORT" once ready, serves until SIGINT or SIGTERM, then
// prints on stderr how many step, credential save, credential read, hang and sleep requests it
// answered, and one line "bench platform windows: N1 N2 ..." (empty when nothing was saved): the
// saved tokens grouped by renewal window. A save opens a new window when its token was requested
// (tokenExpiryTime - expires_in) at or after the renewal time (oauth2::refresh_at) of the token
// that opened the current window; otherwise it is one more token for the same window (another
// replica renewed at the same time). N1, N2, ... are the tokens saved in each window.
#include "support/http_server.hpp"

#include "oauth2/token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

int usage(const std::string& message) {
  std::fprintf(stderr, "oauth2-rest-bench-platform: %s\n"
                       "usage: oauth2-rest-bench-platform --flow FLOW --step STEP --step-json JSON [--port N]\n",
               message.c_str());
  return 2;
}

namespace json = boost::json;
namespace oauth2 = oauth2_rest::oauth2;

// The credential as the platform keeps it, and the renewal windows of the tokens saved in it.
class credential {
 public:
  explicit credential(json::object keys) : keys_(std::move(keys)) {}

  std::string keys_json() {
    std::lock_guard lock(mutex_);
    ++reads_;
    return json::serialize(keys_);
  }

  void save(json::object keys) {
    std::lock_guard lock(mutex_);
    ++saves_;
    if (auto token = token_of(keys)) {
      const auto requested = token->expires_at && token->lifetime
                                 ? std::optional(*token->expires_at - *token->lifetime)
                                 : std::nullopt;
      const auto renew = window_token_ ? oauth2::refresh_at(*window_token_) : std::nullopt;
      if (!window_token_ || (requested && renew && *requested >= *renew)) {
        windows_.push_back(1);
        window_token_ = std::move(token);
      } else {
        ++windows_.back();
      }
    }
    keys_ = std::move(keys);
  }

  std::size_t saves() const { std::lock_guard lock(mutex_); return saves_; }
  std::size_t reads() const { std::lock_guard lock(mutex_); return reads_; }
  std::string windows() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (auto n : windows_) {
      if (!out.empty()) out += ' ';
      out += std::to_string(n);
    }
    return out;
  }

 private:
  static std::optional<oauth2::token> token_of(const json::object& keys) {
    const auto* tokens = keys.if_contains("tokens");
    if (!tokens) return std::nullopt;
    if (tokens->is_string()) return oauth2::parse_stored_tokens(tokens->get_string());
    if (tokens->is_object()) return oauth2::parse_stored_tokens(json::serialize(*tokens));
    return std::nullopt;
  }

  mutable std::mutex mutex_;
  json::object keys_;
  std::size_t saves_ = 0, reads_ = 0;
  std::optional<oauth2::token> window_token_;
  std::vector<std::size_t> windows_;
};

// The keys of a save's body: data.attributes.keys (v2, JSON:API) or keys (v1).
std::optional<json::object> saved_keys(const std::string& body, bool v2) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::value* at = &doc;
  for (const char* key : v2 ? std::vector<const char*>{"data", "attributes", "keys"} : std::vector<const char*>{"keys"}) {
    const auto* object = at->if_object();
    at = object ? object->if_contains(key) : nullptr;
    if (!at) return std::nullopt;
  }
  if (!at->is_object()) return std::nullopt;
  return at->get_object();
}

}  // namespace

int main(int argc, char** argv) {
  std::string flow, step, step_json;
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage("missing value for '" + std::string(arg) + "'");
    std::string value = argv[++i];
    if (arg == "--flow") flow = value;
    else if (arg == "--step") step = value;
    else if (arg == "--step-json") step_json = value;
    else if (arg == "--port") port = static_cast<unsigned short>(std::stoi(value));
    else return usage("unknown option '" + std::string(arg) + "'");
  }
  if (flow.empty() || step.empty() || step_json.empty()) return usage("--flow, --step and --step-json are required");
  boost::system::error_code ec;
  auto parsed = boost::json::parse(step_json, ec);
  if (ec || !parsed.is_object()) return usage("--step-json is not a JSON object");
  json::object initial_keys;
  if (const auto* config = parsed.get_object().if_contains("config"); config && config->is_object()) {
    for (const auto& field : config->get_object())
      if (field.key() != "_account") initial_keys[field.key()] = field.value();
  }
  credential cred(std::move(initial_keys));

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::atomic<std::size_t> step_requests{0}, hangs{0}, sleeps{0};
  const std::string step_path = "/v1/tasks/" + flow + "/steps/" + step;
  using oauth2_rest::testing::reply;
  oauth2_rest::testing::http_server server(
      [&](const oauth2_rest::testing::recorded_request& r) {
        auto path = r.path();
        if (r.method == "GET" && path == step_path) {
          ++step_requests;
          return reply::json(200, step_json);
        }
        const bool v2 = path.starts_with("/v2/credentials/");
        if (v2 || path.starts_with("/v1/accounts/")) {
          std::string id = path.substr(v2 ? 16 : 13);
          if (!id.empty() && id.back() == '/') id.pop_back();
          if ((v2 && r.method == "PATCH") || (!v2 && r.method == "PUT")) {
            auto keys = saved_keys(r.body, v2);
            if (!keys) return reply::json(400, R"({"error":"no keys in the body"})");
            cred.save(std::move(*keys));
            return reply::json(200, R"({"data":{}})");
          }
          if (r.method == "GET") {
            auto keys = cred.keys_json();
            if (v2)
              return reply::json(200, R"({"data":{"id":)" + json::serialize(json::value(id)) +
                                          R"(,"type":"credential","attributes":{"keys":)" + keys + "}}}");
            return reply::json(200, R"({"keys":)" + keys + "}");
          }
        }
        if (r.method == "GET" && path == "/hang") {
          ++hangs;
          reply hang;
          hang.action = reply::kind::hang;
          return hang;
        }
        if (r.method == "GET" && path.starts_with("/sleep/")) {
          auto ms = std::strtoul(path.c_str() + 7, nullptr, 10);
          ++sleeps;
          auto slept = reply::json(200, "{\"slept\":" + std::to_string(ms) + "}");
          slept.delay = std::chrono::milliseconds(ms);
          return slept;
        }
        return reply::json(404, R"({"error":"not found"})");
      },
      std::nullopt, port);
  std::printf("listening on %s\n", server.base_url().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&stop_signals, &received);
  std::fprintf(stderr,
               "bench platform: %zu step request(s), %zu credential save(s), %zu credential read(s), %zu hang "
               "request(s), %zu sleep request(s)\n",
               step_requests.load(), cred.saves(), cred.reads(), hangs.load(), sleeps.load());
  std::fprintf(stderr, "bench platform windows: %s\n", cred.windows().c_str());
  return 0;
}
