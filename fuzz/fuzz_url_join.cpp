// libFuzzer target: action::join_url (baseUrl + the message's url) and strip_userinfo.
// Input: the base URL, '\n', the url. Invariants: an absolute http(s) url comes back unchanged
// (trimmed); any success is an absolute http(s) URL; error messages never carry "user:pass@".
#include "action/url_join.hpp"
#include "fuzz_support.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [base, url] = fuzz::split_line(fuzz::as_view(data, size));
  auto joined = action::join_url(base, url);
  if (joined) {
    fuzz_check(action::is_absolute_http_url(*joined), "join_url returned a non-absolute URL");
    const std::string_view u = trim(url);
    if (action::is_absolute_http_url(u)) fuzz_check(*joined == u, "absolute url was changed");
  }
  const std::string stripped = action::strip_userinfo(url);
  fuzz_check(stripped.size() <= url.size(), "strip_userinfo made the URL longer");
  (void)action::strip_userinfo(base);
  return 0;
}
