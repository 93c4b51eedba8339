// Which proxy a request goes through, from the environment as curl reads it (SPEC 3, Proxies).
//
// Variables, lower case first and an empty value counting as unset (curl's curl_getenv):
//   https_proxy / HTTPS_PROXY   the proxy for https:// URLs (reached by a CONNECT tunnel)
//   http_proxy  / HTTP_PROXY    the proxy for http:// URLs (sent the request in absolute form)
//   no_proxy    / NO_PROXY      hosts reached directly
// curl itself ignores HTTP_PROXY (a CGI concern: a request's "Proxy:" header becomes
// HTTP_PROXY there); the SPEC names it, and this program is never a CGI, so it is read.
// all_proxy is not read (the SPEC does not name it, and it usually points at SOCKS).
//
// Proxy URLs, as curl parses them: "http://[user[:password]@]host[:port][/...]"; no scheme
// ("proxy:3128") means http; the port defaults to 1080 (curl's default); user and password are
// percent-decoded and sent as Proxy-Authorization: Basic. https:// (TLS to the proxy) and
// socks*:// proxies are not supported: a request that would use one fails, naming the variable.
//
// no_proxy, as curl's proxy_check_noproxy matches it:
//   - the whole value "*" sends everything direct;
//   - entries are separated by commas, blanks around them ignored; as in curl, a blank that is
//     not followed by a comma ends the list ("a b" is just "a");
//   - a host name entry matches that host and every host below it ("example.com" and
//     ".example.com" both match example.com and www.example.com, not nonexample.com); one
//     trailing dot on the entry and on the host is ignored; case-insensitive;
//   - when the host is an IP address only address entries apply: compared as addresses
//     ("::1" matches "0:0::1"), with CIDR prefixes ("10.0.0.0/8", "fd00::/8"; curl >= 7.86);
//     IPv6 entries are written without brackets, as curl wants them.
// Beyond curl (entries that curl would never match, so nothing curl bypasses is proxied here):
//   - "host:port", "1.2.3.4:port", "[::1]:port" (and "[::1]") match that port only (the SPEC
//     lists host:port; Go and wget read it so);
//   - "*" as one entry of a list, and a leading "*." ("*.example.com" as ".example.com").
//
// Pure logic (no I/O); the environment comes in as a lookup function, so tests need no setenv.
// Nothing here puts a credential into a message: proxy_server::url and every problem text are
// free of user and password.
#pragma once

#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::http {

struct proxy_server {
  std::string host;           // name (lower case) or IP address, without brackets
  std::string port;           // numeric
  std::string url;            // "http://host:port" without credentials: for errors and logs
  std::string authorization;  // "Basic ..." for Proxy-Authorization, empty without credentials (a secret)
};

// A proxy URL as curl reads it. The failure message never contains the user or password.
result<proxy_server> parse_proxy_url(std::string_view text);

// A proxy variable as found in the environment: its server, or why its value is unusable.
struct proxy_setting {
  std::string variable;               // "https_proxy", "HTTP_PROXY", ...
  std::optional<proxy_server> server;  // absent when problem says why
  std::string problem;                 // without credentials
};

class no_proxy_list {
 public:
  no_proxy_list() = default;
  explicit no_proxy_list(std::string_view text);

  // host: a name or an IP address without brackets (as in a URL); port: the request's port
  // (the scheme's default when the URL has none).
  bool matches(std::string_view host, unsigned port) const;
  bool matches_all() const { return all_; }

 private:
  struct entry {
    std::string name;  // dots trimmed as curl trims them, for host names
    // The entry as an address (or CIDR network), for hosts that are IP addresses.
    int family = 0;    // 0: not an address, 4 or 6
    std::array<std::uint8_t, 16> address{};
    int prefix_bits = -1;  // -1: the whole address; -2: a prefix that can never match
    std::optional<unsigned> port;  // host:port entries
  };
  bool all_ = false;
  std::vector<entry> entries_;
};

struct proxy_config {
  std::optional<proxy_setting> https;  // for https:// URLs
  std::optional<proxy_setting> http;   // for http:// URLs
  no_proxy_list no_proxy;
  std::string no_proxy_variable;       // where no_proxy came from, empty when unset
  std::string no_proxy_value;          // its text (not a secret), for describe()

  // The proxy for a request (nullptr: direct). The setting may carry a problem instead of a
  // server; the request then fails naming it.
  const proxy_setting* select(bool https_url, std::string_view host, unsigned port) const;
  // One line for the start-up log, without credentials, e.g.
  // "https URLs via http://proxy:3128 (https_proxy); http URLs direct; no_proxy: localhost".
  std::string describe() const;
  bool any() const { return https.has_value() || http.has_value(); }
};

// The value of an environment variable, nullptr when unset (std::getenv's shape).
using proxy_env_lookup = std::function<const char*(const char*)>;

proxy_config proxy_config_from_environment(const proxy_env_lookup& env);
// The same from this process's environment (std::getenv).
proxy_config proxy_config_from_process_environment();

}  // namespace oauth2_rest::http
