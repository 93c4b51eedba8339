// libFuzzer target: http::parse_proxy_url and http::no_proxy_list (the proxy environment).
// Input: the proxy URL, '\n', the no_proxy value, '\n', a host to match (its port: the input's
// size). Invariants: a parsed proxy has a host, a numeric port in 1..65535 and a URL without '@';
// with a known password put in, neither the parsed URL nor a failure message shows it; "*" matches all.
#include "http/proxy_config.hpp"
#include "fuzz_support.hpp"

#include <charconv>
#include <optional>
#include <string>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

// A password no fixed message can hold ('~' cannot be in a scheme, which messages may quote).
constexpr std::string_view sentinel = "Zq9xKx7Vw~QpLm";

// The text with its credentials (after "://" or from the start, up to the authority's last '@')
// replaced by user:sentinel; nullopt when it has none.
std::optional<std::string> with_sentinel(std::string_view text) {
  std::size_t begin = 0;
  if (auto sep = text.find("://"); sep != std::string_view::npos) begin = sep + 3;
  const std::string_view rest = text.substr(begin);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  return std::string(text.substr(0, begin)) + "user:" + std::string(sentinel) + std::string(text.substr(begin + at));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);
  auto [proxy_text, rest] = fuzz::split_line(text);
  if (text.find('\n') == std::string_view::npos) proxy_text = text;
  auto [no_proxy_text, host] = fuzz::split_line(rest);

  auto parsed = http::parse_proxy_url(proxy_text);
  if (parsed) {
    fuzz_check(!parsed->host.empty(), "parsed proxy without a host");
    unsigned port = 0;
    auto [end, ec] = std::from_chars(parsed->port.data(), parsed->port.data() + parsed->port.size(), port);
    fuzz_check(ec == std::errc{} && end == parsed->port.data() + parsed->port.size() && port >= 1 && port <= 65535,
               "parsed proxy port is not 1..65535");
    fuzz_check(parsed->url.rfind("http://", 0) == 0, "proxy URL does not start with http://");
    fuzz_check(parsed->url.find('@') == std::string::npos, "proxy URL kept credentials");
  } else {
    fuzz_check(!parsed.error().message.empty(), "empty failure message");
  }
  // The same text with a known password: it shows up in neither the URL nor a failure message.
  if (auto secret = with_sentinel(proxy_text)) {
    auto again = http::parse_proxy_url(*secret);
    const std::string& shown = again ? again->url : again.error().message;
    fuzz_check(shown.find(sentinel) == std::string::npos, "the proxy password shows in a URL or message");
  }

  http::no_proxy_list list(no_proxy_text);
  const unsigned port = static_cast<unsigned>(size % 65536);
  const bool matched = list.matches(host, port);
  if (no_proxy_text == "*") fuzz_check(matched || host.empty(), "\"*\" did not match");
  (void)list.matches(proxy_text, port);
  (void)list.matches(no_proxy_text, 443);
  return 0;
}
