// Joining the request Url to the Base URL without re-encoding anything.
#include "action/url_join.hpp"

#include "action/detail/text.hpp"

namespace oauth2_rest::action {
namespace {

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Length of "<scheme>" when `url` starts with "<scheme>://" (RFC 3986
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), else 0.
std::size_t scheme_length(std::string_view url) noexcept {
  if (url.empty() || !is_alpha(url.front())) return 0;
  std::size_t i = 1;
  while (i < url.size() && (is_alpha(url[i]) || is_digit(url[i]) || url[i] == '+' ||
                            url[i] == '-' || url[i] == '.'))
    ++i;
  return url.substr(i).starts_with("://") ? i : 0;
}

bool is_http_scheme(std::string_view scheme) noexcept {
  return detail::iequals(scheme, "http") || detail::iequals(scheme, "https");
}

// The authority begins after "://"; it is empty when the next character
// ends it (or there is none).
bool has_host(std::string_view url, std::size_t scheme_len) noexcept {
  std::size_t start = scheme_len + 3;
  if (start >= url.size()) return false;
  char c = url[start];
  return c != '/' && c != '?' && c != '#';
}

std::string quoted(std::string_view label, std::string_view url) {
  return std::string(label) + " '" + detail::clip(strip_userinfo(url), 200) + "'";
}

}  // namespace

bool is_absolute_http_url(std::string_view url) noexcept {
  std::size_t n = scheme_length(url);
  return n != 0 && is_http_scheme(url.substr(0, n)) && has_host(url, n);
}

std::string strip_userinfo(std::string_view url) {
  std::size_t n = scheme_length(url);
  if (n == 0) return std::string(url);
  std::size_t start = n + 3;
  std::size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  std::size_t at = url.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, start));
  out += url.substr(start + at + 1);
  return out;
}

result<std::string> join_url(std::string_view base_url, std::string_view url) {
  url = detail::trim(url);
  base_url = detail::trim(base_url);
  if (url.empty()) return detail::invalid("url is required");

  if (std::size_t n = scheme_length(url); n != 0) {
    if (!is_http_scheme(url.substr(0, n)))
      return detail::invalid(quoted("url", url) + " must use http or https");
    if (!has_host(url, n)) return detail::invalid(quoted("url", url) + " has no host");
    return std::string(url);
  }

  if (base_url.empty())
    return detail::invalid(quoted("url", url) + " is relative and no baseUrl is configured");
  if (!is_absolute_http_url(base_url))
    return detail::invalid(quoted("baseUrl", base_url) + " is not an absolute http(s) URL");

  if (url.front() == '?' || url.front() == '#') return std::string(base_url) + std::string(url);

  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  while (!url.empty() && url.front() == '/') url.remove_prefix(1);
  std::string joined;
  joined.reserve(base_url.size() + 1 + url.size());
  joined += base_url;
  joined += '/';
  joined += url;
  return joined;
}

}  // namespace oauth2_rest::action
