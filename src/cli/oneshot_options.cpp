// Flags of `request` and `token` -> options -> the cfg object and the action's input.
#include "cli/oneshot_options.hpp"

#include "util/json_read.hpp"

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace oauth2_rest::cli {
namespace json = boost::json;

namespace {

failure fail(std::string message) {
  return failure{make_error_code(boost::system::errc::invalid_argument), std::move(message)};
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

// Flags that set one cfg key to their value.
struct cfg_flag {
  std::string_view flag;
  const char* key;
};
constexpr cfg_flag cfg_flags[] = {
    {"--token-url", "tokenUrl"},   {"--client-id", "username"},
    {"--scopes", "scopes"},        {"--auth", "clientAuthentication"},
    {"--base-url", "baseUrl"},     {"--additional-properties", "additionalProperties"},
};

}  // namespace

oneshot_parse parse_oneshot_args(oneshot_command command, const std::vector<std::string_view>& args) {
  oneshot_parse out;
  auto& o = out.options;
  const bool request = command == oneshot_command::request;
  bool have_url = false;
  bool options_done = false;
  auto error = [&](std::string text) {
    out.usage_error = std::move(text);
    return out;
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with("-")) {
      if (!request) return error("unexpected argument '" + std::string(arg) + "' (token takes no URL)");
      if (have_url) return error("only one URL may be given");
      o.url = std::string(arg);
      have_url = true;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return out;
    }

    // Split the flag from an attached value: --flag=value, -Xvalue.
    std::string_view flag = arg;
    std::optional<std::string_view> attached;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        flag = arg.substr(0, eq);
        attached = arg.substr(eq + 1);
      }
    } else if (arg.size() > 2) {
      flag = arg.substr(0, 2);
      attached = arg.substr(2);
    }
    if (flag == "--client-secret") {
      return error(
          "--client-secret is refused: a secret on the command line is visible to other users (ps) and stays in "
          "shell history; use --client-secret-file FILE or --client-secret-env NAME");
    }
    std::string_view value;
    auto take = [&]() -> bool {
      if (attached) {
        value = *attached;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    auto needs = [&](const char* what) { return error(std::string(flag) + " needs " + what); };
    auto no_value = [&]() { return !attached.has_value(); };

    bool matched = false;
    for (const auto& f : cfg_flags) {
      if (flag != f.flag) continue;
      matched = true;
      if (!take()) return needs("a value");
      o.cfg_overrides[f.key] = std::string(value);
    }
    if (matched) continue;

    if (flag == "--config") {
      if (!take() || value.empty()) return needs("a file name");
      o.config_path = std::string(value);
    } else if (flag == "--client-secret-file") {
      if (!take() || value.empty()) return needs("a file name");
      o.secret_file = std::string(value);
    } else if (flag == "--client-secret-env") {
      if (!take() || value.empty()) return needs("the name of an environment variable");
      o.secret_env = std::string(value);
    } else if (flag == "--timeout") {
      if (!take()) return needs("a number of seconds");
      double seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || !(seconds > 0) ||
          seconds > 1140) {
        return error("--timeout must be a number of seconds greater than 0 and at most 1140, got '" +
                     std::string(value) + "'");
      }
      o.cfg_overrides["requestTimeout"] = std::string(value);
    } else if (request && (flag == "-X" || flag == "--request")) {
      if (!take() || value.empty()) return needs("a method");
      o.method = std::string(value);
    } else if (request && (flag == "-H" || flag == "--header")) {
      if (!take()) return needs("'Name: value'");
      const auto colon = value.find(':');
      // The value may be a secret (an API key): never quote it.
      if (colon == std::string_view::npos || trim(value.substr(0, colon)).empty()) {
        return error(std::string(flag) + " needs 'Name: value' (argument " + std::to_string(i + 1) +
                     " has no 'Name:')");
      }
      o.headers.emplace_back(trim(value.substr(0, colon)), trim(value.substr(colon + 1)));
    } else if (request && (flag == "-d" || flag == "--data")) {
      if (!take()) return needs("DATA or @FILE");
      if (o.data) return error(std::string(flag) + " may be given once");
      o.data = std::string(value);
    } else if (request && (flag == "-i" || flag == "--include") && no_value()) {
      o.include = true;
    } else if (request && flag == "--fail" && no_value()) {
      o.fail = true;
    } else {
      return error("unknown option '" + std::string(flag) + "'");
    }
  }

  if (request && !have_url) return error("missing the URL");
  if (o.secret_file && o.secret_env) return error("give the secret once: --client-secret-file or --client-secret-env");
  if (!o.config_path && !o.cfg_overrides.contains("tokenUrl")) {
    return error("needs --config FILE, or --token-url URL and --client-id ID");
  }
  if (!o.config_path && !o.cfg_overrides.contains("username")) return error("--token-url needs --client-id ID");
  if (o.data && o.method) {
    std::string m;
    for (char c : trim(*o.method)) m += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (m == "GET" || m == "HEAD") return error("-d cannot be used with -X " + m + " (no body is sent with " + m + ")");
  }
  return out;
}

result<json::object> build_cfg(const oneshot_options& o) {
  json::object cfg;
  if (o.config_path) {
    auto text = read_whole_file(*o.config_path);
    if (!text) return fail("cannot read config file '" + *o.config_path + "'");
    boost::system::error_code ec;
    auto value = read_json(*text, ec);
    if (ec) return fail("config file '" + *o.config_path + "' is not valid JSON: " + ec.message());
    if (!value.is_object()) return fail("config file '" + *o.config_path + "' must hold a JSON object");
    cfg = std::move(value.as_object());
  }
  for (const auto& [key, value] : o.cfg_overrides) cfg[key] = value;
  if (o.secret_file) {
    auto secret = read_whole_file(*o.secret_file);
    if (!secret) return fail("cannot read the client secret file '" + *o.secret_file + "' (--client-secret-file)");
    // `echo secret > file` adds a newline that is not part of the secret.
    if (secret->ends_with("\r\n")) secret->resize(secret->size() - 2);
    else if (secret->ends_with('\n')) secret->pop_back();
    cfg["password"] = std::move(*secret);
  } else if (o.secret_env) {
    const char* secret = std::getenv(o.secret_env->c_str());
    if (secret == nullptr) {
      return fail("the environment variable " + *o.secret_env + " (--client-secret-env) is not set");
    }
    cfg["password"] = secret;
  }
  return cfg;
}

result<json::object> build_input(const oneshot_options& o) {
  json::object headers;
  for (const auto& [name, value] : o.headers) {
    // A later header of the same name (any case) replaces the earlier one.
    for (auto it = headers.begin(); it != headers.end();) {
      if (iequals(it->key(), name)) it = headers.erase(it);
      else ++it;
    }
    headers[name] = value;
  }
  json::object input;
  input["url"] = o.url;
  if (o.data) {
    std::string body;
    if (o.data->starts_with('@')) {
      const std::string path = o.data->substr(1);
      if (path == "-") {
        body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      } else {
        auto text = read_whole_file(path);
        if (!text) return fail("cannot read the data file '" + path + "' (-d @FILE)");
        body = std::move(*text);
      }
    } else {
      body = *o.data;
    }
    bool has_type = false;
    for (const auto& h : headers) has_type = has_type || iequals(h.key(), "Content-Type");
    if (!has_type) {
      boost::system::error_code ec;
      (void)read_json(body, ec);
      headers["Content-Type"] = ec ? "application/x-www-form-urlencoded" : "application/json";
    }
    // A string body is sent as it is (request_builder.hpp): the bytes given, never re-serialised.
    input["body"] = json::string(body);
  }
  input["method"] = o.method ? *o.method : (o.data ? "POST" : "GET");
  input["headers"] = std::move(headers);
  return input;
}

}  // namespace oauth2_rest::cli
