// oauth2-rest-demo-server: the demo token server and sample API on a loopback port.
//
// Prints one line "listening on http://127.0.0.1:PORT" on stdout once ready, serves
// until SIGINT or SIGTERM, then prints how many token and API requests it answered.
#include "support/demo_api.hpp"
#include "support/http_server.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr const char* help =
    "Usage: oauth2-rest-demo-server [--port N] [--client-id ID] [--client-secret SECRET]\n"
    "                               [--token-lifetime SECONDS]\n"
    "\n"
    "A demo OAuth2 token endpoint (POST /oauth/token) and sample JSON API (/api/items,\n"
    "/api/status/{code}, /api/echo) on 127.0.0.1. Port 0 (the default) picks a free port.\n"
    "Defaults: client id demo-client, secret demo-secret, tokens valid 3600 s.\n";

int usage(const std::string& message) {
  std::fprintf(stderr, "oauth2-rest-demo-server: %s (see --help)\n", message.c_str());
  return 2;
}

bool parse_number(std::string_view text, long long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  oauth2_rest::testing::demo_api_options options;
  long long port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(help, stdout);
      return 0;
    }
    if (i + 1 >= argc) return usage("unknown option or missing value: '" + std::string(arg) + "'");
    std::string_view value = argv[++i];
    long long n = 0;
    if (arg == "--port") {
      if (!parse_number(value, n) || n < 0 || n > 65535) return usage("--port must be 0-65535");
      port = n;
    } else if (arg == "--client-id") {
      options.client_id = value;
    } else if (arg == "--client-secret") {
      options.client_secret = value;
    } else if (arg == "--token-lifetime") {
      if (!parse_number(value, n) || n <= 0) return usage("--token-lifetime must be a positive number of seconds");
      options.token_lifetime = std::chrono::seconds(n);
    } else {
      return usage("unknown option '" + std::string(arg) + "'");
    }
  }

  // Block the stop signals before the server thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  oauth2_rest::testing::demo_api api(options);
  oauth2_rest::testing::http_server server(api.as_handler(), std::nullopt, static_cast<unsigned short>(port));
  std::printf("listening on %s\n", server.base_url().c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  std::fprintf(stderr, "demo server: %zu token request(s), %zu token(s) issued, %zu API request(s)\n",
               api.token_requests(), api.tokens_issued(), api.api_requests());
  return 0;
}
