// The flags of the one-shot commands `oauth2-rest request [options] URL` and
// `oauth2-rest token [credential options]` (SPEC 10), and the step configuration (cfg) they
// stand for.
//
// The credential is assembled as a cfg object, the same JSON the action reads in local mode
// and on the platform: `--config FILE` gives the whole object (every credential key and
// action field works, present and future), and the flags set or override single keys:
//   --token-url URL            tokenUrl
//   --client-id ID             username
//   --client-secret-file FILE  password, the file's bytes (one final "\n" or "\r\n" dropped)
//   --client-secret-env NAME   password, the environment variable NAME
//   --scopes CSV               scopes
//   --auth METHOD              clientAuthentication (whatever the action accepts)
//   --additional-properties P  additionalProperties
//   --base-url URL             baseUrl
//   --timeout SECONDS          requestTimeout (token call and API call, each)
// The secret never comes from the command line (other users see it in ps, it stays in shell
// history): `--client-secret` is a usage error saying so.
//
// request only: -X/--request METHOD, -H/--header 'Name: value' (repeatable; a later one of the
// same name replaces an earlier one), -d/--data DATA or @FILE (@- for stdin), -i/--include,
// --fail. Short options take their value attached too (-XPOST), long ones after '='.
// -d without -X means POST (as curl); -d with GET or HEAD is a usage error (the action never
// sends a body with them). DATA is sent byte for byte. Its Content-Type, unless a -H gives
// one: application/json when DATA parses as JSON, else application/x-www-form-urlencoded (as
// curl -d).
//
// Usage errors are one line naming the flag, never a header value or a secret.
#pragma once

#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::cli {

enum class oneshot_command { request, token };

struct oneshot_options {
  std::optional<std::string> config_path;
  std::map<std::string, std::string> cfg_overrides;  // cfg key -> value, from the flags
  std::optional<std::string> secret_file;
  std::optional<std::string> secret_env;
  // request only
  std::optional<std::string> method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> data;  // as given: text, or "@FILE"
  bool include = false;
  bool fail = false;
  std::string url;
};

struct oneshot_parse {
  bool help = false;
  std::string usage_error;  // non-empty: exit 2 with this line
  oneshot_options options;
};

oneshot_parse parse_oneshot_args(oneshot_command command, const std::vector<std::string_view>& args);

// The cfg object: the config file (if any), the flags on top, the secret. Errors (exit 1) say
// which file or variable could not be used.
result<boost::json::object> build_cfg(const oneshot_options& options);

// The message body of the action's input (url, method, headers, body), DATA read from its file.
result<boost::json::object> build_input(const oneshot_options& options);

}  // namespace oauth2_rest::cli
