// Subcommand dispatch and flag parsing for `oauth2-rest`.
#include "cli/cli.hpp"

#include "cli/oneshot_options.hpp"
#include "cli/request_command.hpp"
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
    "  oauth2-rest process --config FILE [--concurrency N] [--attachments DIR] [--progress|--no-progress]\n"
    "      Local mode: JSON Lines messages on stdin, one JSON event per line on stdout.\n"
    "  oauth2-rest request [options] URL\n"
    "      One authenticated request, printed like curl (body on stdout).\n"
    "  oauth2-rest token [credential options]\n"
    "      Prints a valid access token, for curl -H \"Authorization: Bearer $(oauth2-rest token ...)\".\n"
    "  oauth2-rest sail\n"
    "      Platform worker: consumes RabbitMQ, configured by ELASTICIO_* variables.\n"
    "  oauth2-rest serve verifyCredentials\n"
    "      Platform service call: verifies ELASTICIO_CFG with a real token request.\n"
    "  oauth2-rest --help | --version\n"
    "\n"
    "Run 'oauth2-rest <command> --help' for the details of a command.\n";

constexpr const char* process_help =
    "Usage: oauth2-rest process --config FILE [--concurrency N] [--attachments DIR] [--progress|--no-progress]\n"
    "\n"
    "Runs the httpRequest action locally, with no broker.\n"
    "\n"
    "  --config FILE      JSON object with the credential keys (tokenUrl, username, password,\n"
    "                     baseUrl, scopes, additionalProperties, clientAuthentication, privateKey,\n"
    "                     keyId, clientCertificate, clientCertificateKey, refreshOnStatus, tokens)\n"
    "                     and the action fields (errorTolerance, requestTimeout, maxResponseSize,\n"
    "                     retries, pagination, nextPagePointer, maxPages).\n"
    "                     A new token is written back into this file, so the next run reuses it.\n"
    "  --attachments DIR  attachments: bodyAttachment names files in DIR (or is a file:// URL);\n"
    "                     responseAs=attachment writes the response into DIR (its file:// URL in the event)\n"
    "  --concurrency N    messages processed at once (default 1); the events of one message\n"
    "                     stay together and in order.\n"
    "  --progress         a progress line on stderr (lines read, done, errors, messages/s), at\n"
    "  --no-progress      most 10 updates a second, erased at the end; shown by default only\n"
    "                     when stderr is a terminal. Never on stdout.\n"
    "\n"
    "Input, one message per line:  {\"id\"?: ..., \"body\": {\"url\": ..., \"method\": ..., ...}}\n"
    "Output, one event per line:   {\"event\":\"data\",\"message\":{...}}, {\"event\":\"error\",\"error\":{\"name\",\"message\"}},\n"
    "                              {\"event\":\"rebound\",\"reason\":...}, {\"event\":\"updateKeys\",\"keys\":{...}} (secrets\n"
    "                              redacted), {\"event\":\"end\",\"id\":...}\n"
    "Logs go to stderr (LOG_LEVEL=trace|debug|info|warn|error|fatal, default info).\n";

constexpr const char* credential_help =
    "Credential (a config file, flags, or a config file with flags on top):\n"
    "  --config FILE               the local-mode config (as for 'process'): every credential key and\n"
    "                              action field (tokenUrl, username, password, baseUrl, scopes, ...).\n"
    "                              Its 'tokens' are not used and the file is never written: the token\n"
    "                              cache below is the one place these commands keep tokens.\n"
    "  --token-url URL             tokenUrl\n"
    "  --client-id ID              username (the OAuth2 client id)\n"
    "  --client-secret-file FILE   the client secret is this file's content (one final newline dropped)\n"
    "  --client-secret-env NAME    the client secret is the environment variable NAME\n"
    "                              (never on the command line: --client-secret is refused)\n"
    "  --scopes CSV                scopes, e.g. client,users (sent space-delimited)\n"
    "  --auth METHOD               clientAuthentication: basic (default), body, or another method the\n"
    "                              component supports\n"
    "  --additional-properties P   additionalProperties, as in the credential (key:value,...)\n"
    "  --base-url URL              baseUrl: relative request URLs are joined to it\n"
    "  --timeout SECONDS           requestTimeout for the token call and the API call (default 60)\n"
    "\n"
    "Tokens are cached in $XDG_CACHE_HOME/oauth2-rest/ (else ~/.cache/oauth2-rest/), one file\n"
    "(mode 0600, the token only, never the secret) per token URL + client id + scopes + additional\n"
    "properties: a second call within the token's lifetime makes no token request. A cache file\n"
    "that is corrupt, not yours or readable by others is ignored with a warning and replaced.\n";

constexpr const char* request_help =
    "Usage: oauth2-rest request [options] URL\n"
    "\n"
    "One request with an OAuth2 Client Credentials token, printed like curl: the response body\n"
    "on stdout byte for byte (after gzip/deflate/br decoding), errors on stderr. A relative URL is\n"
    "joined to baseUrl. A 401 from the API renews the token and repeats the request once.\n"
    "\n"
    "  -X, --request METHOD        GET (default; POST with -d), POST, PUT, PATCH, DELETE, HEAD, OPTIONS\n"
    "  -H, --header 'Name: value'  a request header (repeatable; Authorization is set by oauth2-rest)\n"
    "  -d, --data DATA | @FILE     request body, sent byte for byte (@- reads stdin); Content-Type,\n"
    "                              unless -H sets one: application/json if DATA is JSON, else\n"
    "                              application/x-www-form-urlencoded (as curl)\n"
    "  -i, --include               the status line and the response headers before the body\n"
    "  --fail                      status >= 400: no body, one line on stderr, exit 22 (as curl)\n";

constexpr const char* request_help_tail =
    "\n"
    "Exit codes: 0 done (any status without --fail), 2 usage error, 22 HTTP error with --fail,\n"
    "1 anything else (configuration, token, network). LOG_LEVEL=warn|info|debug shows logs on\n"
    "stderr (default: errors only).\n";

constexpr const char* token_help =
    "Usage: oauth2-rest token [credential options]\n"
    "\n"
    "Prints a valid access token and a newline, nothing else:\n"
    "  curl -H \"Authorization: Bearer $(oauth2-rest token --config c.json)\" https://api.example.com/x\n";

constexpr const char* token_help_tail =
    "\n"
    "Exit codes: 0 done, 2 usage error, 1 no token (one line on stderr says why).\n";

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
    } else if (arg == "--attachments") {
      if (!take_value(arg) || value.empty()) return usage_error("--attachments needs a directory", "process");
      options.attachments_dir = std::string(value);
    } else if ((arg == "--progress" || arg == "--no-progress") && !inline_value) {
      options.progress = arg == "--progress";
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

int run_oneshot_command(oneshot_command command, const std::vector<std::string_view>& args) {
  const char* name = command == oneshot_command::request ? "request" : "token";
  auto parsed = parse_oneshot_args(command, args);
  if (parsed.help) {
    const bool request = command == oneshot_command::request;
    std::fputs(request ? request_help : token_help, stdout);
    std::fputs("\n", stdout);
    std::fputs(credential_help, stdout);
    std::fputs(request ? request_help_tail : token_help_tail, stdout);
    return 0;
  }
  if (!parsed.usage_error.empty()) return usage_error(parsed.usage_error, name);
  // Logs would crowd the one line a failure prints: errors only unless LOG_LEVEL says otherwise.
  log::settings s;
  s.out = stderr;
  s.min_level = log::level::error;
  if (const char* level = std::getenv("LOG_LEVEL"); level && *level) {
    if (auto l = log::parse_level(level)) s.min_level = *l;
  }
  log::configure(std::move(s));
  return run_oneshot(command, parsed.options);
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
  if (command == "request") return run_oneshot_command(oneshot_command::request, rest);
  if (command == "token") return run_oneshot_command(oneshot_command::token, rest);
  if (command == "serve") return run_serve(rest);
  if (command.starts_with("-")) return usage_error("unknown option '" + std::string(command) + "'", "");
  return usage_error("unknown command '" + std::string(command) + "'", "");
}

}  // namespace oauth2_rest::cli
