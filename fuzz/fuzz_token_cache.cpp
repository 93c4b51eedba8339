// libFuzzer target: cli::parse_cache_content, the reader of the token cache file (a file on
// disk that anything may have corrupted). Input: the file's bytes. Invariants: a token comes back
// exactly when no reason is given; a token has a non-empty access token; what the cache would
// write for that token reads back to the same token.
#include "cli/token_cache.hpp"
#include "fuzz_support.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::string_view url = "https://idp.example/token";
  constexpr std::string_view client = "client-1";
  auto parsed = cli::parse_cache_content(fuzz::as_view(data, size), url, client);
  fuzz_check(parsed.token.has_value() == parsed.why.empty(), "a token and a reason, or neither");
  if (!parsed.token) return 0;
  fuzz_check(!parsed.token->access_token.empty(), "a cached token without an access token");
  auto again = cli::parse_cache_content(cli::format_cache_content(*parsed.token, url, client), url, client);
  fuzz_check(again.token.has_value(), "what the cache writes does not read back");
  fuzz_check(again.token->access_token == parsed.token->access_token, "the access token changed on a round trip");
  fuzz_check(again.token->expires_at == parsed.token->expires_at, "the expiry changed on a round trip");
  return 0;
}
