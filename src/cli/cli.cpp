// Subcommand dispatch and flag parsing for `oauth2-rest`.
#include "cli/cli.hpp"

#include "local/process_mode.hpp"
#include "sail/entry_points.hpp"
#include "util/log.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::cli {
namespace {

constexpr const char* version = "0.1.0";

constexpr const char* main_help =
    "oauth2-rest: REST calls authenticated with the OAuth2 Client Credentials grant,\n"
    "as a step of an integration platform (elastic.io compatible) or from the command line.\n"
    "\n"
    "Usage:\n"
    "  oauth2-rest process --config FILE [--concurrency N]\n"
    "      Local mode: JSON Lines messages on stdin, one JSON event per line on stdout.\n"
    "  oauth2-rest sail\n"
    "      Platform worker: consumes RabbitMQ, configured by ELASTICIO_* variables.\n"
    "  oauth2-rest serve verifyCredentials\n"
    "      Platform service call: verifies ELASTICIO_CFG with a real token request.\n"
    "  oauth2-rest --help | --version\n"
    "\n"
    "Run 'oauth2-rest <command> --help' for the details of a command.\n";

constexpr const char* process_help =
    "Usage: oauth2-rest process --config FILE [--concurrency N]\n"
    "\n"
    "Runs the httpRequest action locally, with no broker.\n"
    "\n"
    "  --config FILE      JSON object with the credential keys (tokenUrl, username, password,\n"
    "                     baseUrl, scopes, additionalProperties, clientAuthentication, privateKey,\n"
    "                     keyId, clientCertificate, clientCertificateKey, refreshOnStatus, tokens)\n"
    "                     and the action fields (errorTolerance, requestTimeout, maxResponseSize,\n"
    "                     retries, pagination, nextPagePointer, maxPages).\n"
    "                     A new token is written back into this file, so the next run reuses it.\n"
    "  --concurrency N    messages processed at once (default 1); the events of one message\n"
    "                     stay together and in order.\n"
    "\n"
    "Input, one message per line:  {\"id\"?: ..., \"body\": {\"url\": ..., \"method\": ..., ...}}\n"
    "Output, one event per line:   {\"event\":\"data\",\"message\":{...}}, {\"event\":\"error\",\"error\":{\"name\",\"message\"}},\n"
    "                              {\"event\":\"rebound\",\"reason\":...}, {\"event\":\"updateKeys\",\"keys\":{...}} (secrets\n"
    "                              redacted), {\"event\":\"end\",\"id\":...}\n"
    "Logs go to stderr (LOG_LEVEL=trace|debug|info|warn|error|fatal, default info).\n";

constexpr const char* sail_help =
    "Usage: oauth2-rest sail\n"
    "\n"
    "The platform worker. Reads ELASTICIO_* environment variables (flow, step, API and AMQP\n"
    "settings), fetches the step configuration from the platform API, consumes\n"
    "ELASTICIO_LISTEN_MESSAGES_ON, runs the httpRequest action for each message and publishes\n"
    "data, error and rebound messages to ELASTICIO_PUBLISH_MESSAGES_TO with publisher confirms.\n"
    "SIGTERM or SIGINT: stop consuming, finish messages in flight, exit 0.\n"
    "Logs are bunyan JSON lines on stdout.\n";

constexpr const char* serve_help =
    "Usage: oauth2-rest serve verifyCredentials\n"
    "\n"
    "Reads the credential from ELASTICIO_CFG, requests a token from its tokenUrl, and POSTs\n"
    "{\"status\":\"success\",\"data\":{\"verified\":true|false,\"reason\"?:...}} to ELASTICIO_POST_RESULT_URL.\n";

int usage_error(const std::string& message, std::string_view command) {
  std::fprintf(stderr, "oauth2-rest%s%s: %s (see 'oauth2-rest%s%s --help')\n", command.empty() ? "" : " ",
               std::string(command).c_str(), message.c_str(), command.empty() ? "" : " ",
               std::string(command).c_str());
  return exit_usage;
}

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

void configure_logging(std::FILE* out) {
  log::settings s;
  s.out = out;
  if (const char* level = std::getenv("LOG_LEVEL"); level && *level) {
    if (auto parsed = log::parse_level(level)) s.min_level = *parsed;
  }
  log::configure(std::move(s));
}

int run_process(const std::vector<std::string_view>& args) {
  local::process_options options;
  bool have_config = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (is_help(arg)) {
      std::fputs(process_help, stdout);
      return 0;
    }
    std::string_view value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto take_value = [&](std::string_view flag) -> bool {
      if (inline_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      (void)flag;
      return true;
    };
    if (arg == "--config") {
      if (!take_value(arg) || value.empty()) return usage_error("--config needs a file name", "process");
      options.config_path = std::string(value);
      have_config = true;
    } else if (arg == "--concurrency") {
      if (!take_value(arg)) return usage_error("--concurrency needs a number", "process");
      unsigned n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0 || n > 100000) {
        return usage_error("--concurrency must be a whole number from 1 to 100000, got '" +
                               std::string(value) + "'",
                           "process");
      }
      options.concurrency = n;
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'", "process");
    }
  }
  if (!have_config) return usage_error("--config FILE is required", "process");
  configure_logging(stderr);
  return local::run_process_mode(options);
}

int run_sail(const std::vector<std::string_view>& args) {
  for (auto arg : args) {
    if (is_help(arg)) {
      std::fputs(sail_help, stdout);
      return 0;
    }
    return usage_error("unknown option '" + std::string(arg) + "'", "sail");
  }
  return sail::run_worker();
}

int run_serve(const std::vector<std::string_view>& args) {
  if (args.empty()) return usage_error("missing the service method (verifyCredentials)", "serve");
  if (is_help(args[0])) {
    std::fputs(serve_help, stdout);
    return 0;
  }
  if (args[0] != "verifyCredentials") {
    return usage_error("unknown service method '" + std::string(args[0]) +
                           "' (this component has only verifyCredentials)",
                       "serve");
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (is_help(args[i])) {
      std::fputs(serve_help, stdout);
      return 0;
    }
    return usage_error("unknown option '" + std::string(args[i]) + "'", "serve");
  }
  return sail::run_verify_credentials();
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(main_help, stderr);
    return exit_usage;
  }
  std::string_view command = args.front();
  std::vector<std::string_view> rest(args.begin() + 1, args.end());
  if (is_help(command)) {
    std::fputs(main_help, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("oauth2-rest %s\n", version);
    return 0;
  }
  if (command == "process") return run_process(rest);
  if (command == "sail") return run_sail(rest);
  if (command == "serve") return run_serve(rest);
  if (command.starts_with("-")) return usage_error("unknown option '" + std::string(command) + "'", "");
  return usage_error("unknown command '" + std::string(command) + "'", "");
}

}  // namespace oauth2_rest::cli
