// Proxy selection from the environment: proxy URLs, no_proxy matching, curl's precedence.
#include "http/proxy_config.hpp"

#include "util/base64.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cctype>
#include <cstring>

namespace oauth2_rest::http {

namespace {

constexpr const char* default_proxy_port = "1080";  // curl's CURL_DEFAULT_PROXY_PORT

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_space(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// A port written as 1 to 5 digits, 1..65535.
std::optional<unsigned> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value == 0 || value > 65535) return std::nullopt;
  return value;
}

// 4 or 6 when the text is an IPv4 / IPv6 address (inet_pton, as curl checks), else 0.
int address_family(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() >= 64) return 0;
  char buffer[64];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (::inet_pton(AF_INET, buffer, out.data()) == 1) return 4;
  if (::inet_pton(AF_INET6, buffer, out.data()) == 1) return 6;
  return 0;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

// Host names and IPv4 addresses: RFC 3986 unreserved characters (what a resolver can look up).
bool valid_host_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

failure bad_proxy(std::string why) {
  return failure{std::make_error_code(std::errc::invalid_argument), std::move(why)};
}

// curl's match_host: "example.com" and ".example.com" match example.com and its subdomains.
bool name_matches(std::string_view token, std::string_view name) {
  if (token.empty()) return false;
  if (token.size() > name.size()) return false;
  if (token.size() == name.size()) return iequals(token, name);
  return name[name.size() - token.size() - 1] == '.' && iequals(token, name.substr(name.size() - token.size()));
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
  const int bytes = bits / 8, rest = bits % 8;
  if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(bytes)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return ((a[static_cast<std::size_t>(bytes)] ^ b[static_cast<std::size_t>(bytes)]) & mask) == 0;
}

// The first of the two variables that is set and not empty (curl_getenv treats "" as unset).
std::optional<std::pair<std::string, std::string>> first_set(const proxy_env_lookup& env, const char* lower_name,
                                                             const char* upper_name) {
  for (const char* name : {lower_name, upper_name}) {
    const char* value = env(name);
    if (value && *value) return std::make_pair(std::string(name), std::string(value));
  }
  return std::nullopt;
}

proxy_setting make_setting(const std::string& variable, const std::string& value) {
  proxy_setting s;
  s.variable = variable;
  auto parsed = parse_proxy_url(value);
  if (parsed) s.server = std::move(parsed).value();
  else s.problem = parsed.error().message;
  return s;
}

}  // namespace

result<proxy_server> parse_proxy_url(std::string_view text) {
  text = trim_space(text);
  if (text.empty()) return bad_proxy("the proxy URL is empty");
  std::string scheme = "http";
  std::string_view rest = text;
  if (const auto sep = text.find("://"); sep != std::string_view::npos) {
    const std::string_view written = text.substr(0, sep);
    // Only a well-formed scheme is quoted: anything else might be part of a password.
    if (!valid_scheme(written)) return bad_proxy("the proxy URL has an invalid scheme");
    scheme = to_lower(written);
    rest = text.substr(sep + 3);
  }
  if (scheme == "https")
    return bad_proxy("https:// proxies (TLS to the proxy) are not supported; use an http:// proxy URL");
  if (scheme == "socks4" || scheme == "socks4a" || scheme == "socks5" || scheme == "socks5h")
    return bad_proxy("SOCKS proxies (" + scheme + "://) are not supported; use an http:// proxy URL");
  if (scheme != "http") return bad_proxy("unsupported proxy scheme " + scheme + ":// (only http:// proxies are supported)");

  // The path, query and fragment of a proxy URL mean nothing to an HTTP proxy (curl ignores them).
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view userinfo, host_port = authority;
  bool has_userinfo = false;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    has_userinfo = true;
    userinfo = authority.substr(0, at);
    host_port = authority.substr(at + 1);
  }

  proxy_server out;
  std::string_view port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) return bad_proxy("the proxy URL has an unclosed [ in its host");
    const std::string_view inside = host_port.substr(1, close - 1);
    std::array<std::uint8_t, 16> ignored{};
    if (address_family(inside, ignored) != 6) return bad_proxy("the proxy URL's host in [] is not an IPv6 address");
    out.host = to_lower(inside);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_proxy("the proxy URL has characters after its IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = host_port.find(':');
    const std::string_view host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = host_port.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos)
        return bad_proxy("the proxy URL's host has more than one ':' (write IPv6 addresses in [])");
    }
    if (host.empty()) return bad_proxy("the proxy URL has no host");
    if (!valid_host_name(host)) return bad_proxy("the proxy URL's host has characters a host name cannot have");
    out.host = to_lower(host);
  }
  if (port_text.empty()) {
    out.port = default_proxy_port;
  } else {
    const auto port = parse_port(port_text);
    if (!port) return bad_proxy("the proxy URL's port is not a number from 1 to 65535");
    out.port = std::to_string(*port);
  }
  const bool ipv6 = out.host.find(':') != std::string::npos;
  out.url = "http://" + (ipv6 ? "[" + out.host + "]" : out.host) + ":" + out.port;

  if (has_userinfo) {
    const auto colon = userinfo.find(':');
    std::string user, password;
    if (!percent_decode(userinfo.substr(0, colon), user) ||
        (colon != std::string_view::npos && !percent_decode(userinfo.substr(colon + 1), password)))
      return bad_proxy("the proxy URL's user or password has an invalid percent-encoding");
    // "http://@proxy" carries nothing to send; "http://user@proxy" sends "user:" as curl does.
    if (!user.empty() || colon != std::string_view::npos)
      out.authorization = "Basic " + base64_encode(user + ":" + password);
  }
  return out;
}

no_proxy_list::no_proxy_list(std::string_view text) {
  if (text == "*") {  // curl: only the whole value
    all_ = true;
    return;
  }
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_blank(text[i]) && text[i] != ',') ++i;
    std::string_view token = text.substr(start, i - start);
    if (!token.empty()) {
      if (token == "*") {
        all_ = true;
      } else {
        entry e;
        std::string_view host = token;
        // Beyond curl: a port after the host ("host:8080", "[::1]:8080", "[::1]").
        if (host.front() == '[') {
          const auto close = host.find(']');
          if (close == std::string_view::npos) {
            host = {};
          } else {
            const std::string_view after = host.substr(close + 1);
            if (!after.empty()) {
              e.port = after.front() == ':' ? parse_port(after.substr(1)) : std::nullopt;
              if (!e.port) e.port = 0;  // never equal to a request's port
            }
            host = host.substr(1, close - 1);
          }
        } else if (std::count(host.begin(), host.end(), ':') == 1) {
          const auto colon = host.find(':');
          e.port = parse_port(host.substr(colon + 1));
          if (!e.port) e.port = 0;
          host = host.substr(0, colon);
        }
        // Host names: one trailing dot, then one leading dot, are ignored (curl); "*." as ".".
        std::string_view name = host;
        if (!name.empty() && name.back() == '.') name.remove_suffix(1);
        if (name.size() >= 2 && name[0] == '*' && name[1] == '.') name.remove_prefix(1);
        if (!name.empty() && name.front() == '.') name.remove_prefix(1);
        e.name = std::string(name);
        // Addresses and CIDR networks: "10.0.0.0/8"; a bad prefix makes the entry match no address.
        std::string_view address = host;
        int bits = -1;
        if (const auto slash = address.find('/'); slash != std::string_view::npos) {
          const std::string_view digits = address.substr(slash + 1);
          unsigned value = 0;
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
          bits = (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value > 128)
                     ? -2 : static_cast<int>(value);
          address = address.substr(0, slash);
        }
        e.family = address_family(address, e.address);
        if (e.family == 4) {
          // curl's cidr4_match: /0 and /32 compare the whole address, over 32 never matches.
          if (bits == 0 || bits == 32) bits = -1;
          else if (bits > 32) bits = -2;
        } else if (e.family == 6) {
          if (bits == 0 || bits == 128) bits = -1;  // curl's cidr6_match: /0 means /128
        }
        e.prefix_bits = bits;
        entries_.push_back(std::move(e));
      }
    }
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i >= text.size() || text[i] != ',') break;  // curl: only a comma goes on to the next entry
    while (i < text.size() && text[i] == ',') ++i;
  }
}

bool no_proxy_list::matches(std::string_view host, unsigned port) const {
  if (all_) return true;
  if (host.empty()) return false;
  std::array<std::uint8_t, 16> address{};
  const int family = address_family(host, address);
  std::string_view name = host;
  if (family == 0 && name.back() == '.') name.remove_suffix(1);
  for (const auto& e : entries_) {
    if (e.port && *e.port != port) continue;
    if (family == 0) {
      if (name_matches(e.name, name)) return true;
    } else if (e.family == family && e.prefix_bits != -2) {
      const int bits = e.prefix_bits == -1 ? (family == 4 ? 32 : 128) : e.prefix_bits;
      if (prefix_matches(address, e.address, bits)) return true;
    }
  }
  return false;
}

const proxy_setting* proxy_config::select(bool https_url, std::string_view host, unsigned port) const {
  const auto& setting = https_url ? https : http;
  if (!setting) return nullptr;
  if (no_proxy.matches(host, port)) return nullptr;
  return &*setting;
}

std::string proxy_config::describe() const {
  const auto one = [](const char* what, const std::optional<proxy_setting>& s) {
    std::string out = std::string(what) + " URLs ";
    if (!s) return out + "direct";
    if (s->server) return out + "via " + s->server->url + " (" + s->variable + ")";
    return out + "fail: " + s->variable + " is unusable: " + s->problem;
  };
  std::string out = one("https", https) + "; " + one("http", http);
  if (!no_proxy_variable.empty()) {
    std::string value = no_proxy_value.size() > 200 ? no_proxy_value.substr(0, 200) + "..." : no_proxy_value;
    out += "; " + no_proxy_variable + ": " + value;
  }
  return out;
}

proxy_config proxy_config_from_environment(const proxy_env_lookup& env) {
  proxy_config config;
  if (auto found = first_set(env, "https_proxy", "HTTPS_PROXY")) config.https = make_setting(found->first, found->second);
  if (auto found = first_set(env, "http_proxy", "HTTP_PROXY")) config.http = make_setting(found->first, found->second);
  if (auto found = first_set(env, "no_proxy", "NO_PROXY")) {
    config.no_proxy_variable = found->first;
    config.no_proxy_value = found->second;
    config.no_proxy = no_proxy_list(found->second);
  }
  return config;
}

proxy_config proxy_config_from_process_environment() {
  return proxy_config_from_environment([](const char* name) { return std::getenv(name); });
}

}  // namespace oauth2_rest::http
