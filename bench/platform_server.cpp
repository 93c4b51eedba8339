// oauth2-rest-bench-platform: the platform REST API as the workers see it during benchmarks.
//
//   oauth2-rest-bench-platform --flow FLOW --step STEP --step-json JSON [--port N]
// answers GET /v1/tasks/FLOW/steps/STEP with JSON (the step info: config, is_passthrough, ...),
// PATCH /v2/credentials/... and PUT /v1/accounts/... with 200 (the saved token), and two API
// endpoints for the stuck-message scenario (a message's absolute `url` can point here):
// GET /hang never answers (until this server stops), GET /sleep/MS answers {"slept":MS} after MS
// milliseconds (asynchronously: the other requests are served meanwhile). Anything else 404.
// Prints "listening on http://127.0.0.1:PORT" once ready, serves until SIGINT or SIGTERM, then
// prints on stderr how many step, credential, hang and sleep requests it answered.
#include "support/http_server.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

int usage(const std::string& message) {
  std::fprintf(stderr, "oauth2-rest-bench-platform: %s\n"
                       "usage: oauth2-rest-bench-platform --flow FLOW --step STEP --step-json JSON [--port N]\n",
               message.c_str());
  return 2;
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

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::atomic<std::size_t> step_requests{0}, saves{0}, hangs{0}, sleeps{0};
  const std::string step_path = "/v1/tasks/" + flow + "/steps/" + step;
  using oauth2_rest::testing::reply;
  oauth2_rest::testing::http_server server(
      [&](const oauth2_rest::testing::recorded_request& r) {
        auto path = r.path();
        if (r.method == "GET" && path == step_path) {
          ++step_requests;
          return reply::json(200, step_json);
        }
        if ((r.method == "PATCH" && path.starts_with("/v2/credentials/")) ||
            (r.method == "PUT" && path.starts_with("/v1/accounts/"))) {
          ++saves;
          return reply::json(200, R"({"data":{}})");
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
  std::fprintf(stderr, "bench platform: %zu step request(s), %zu credential save(s), %zu hang request(s), %zu sleep request(s)\n",
               step_requests.load(), saves.load(), hangs.load(), sleeps.load());
  return 0;
}
