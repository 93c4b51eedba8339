// Tokens read back from the step's credential.
#include "sail/credential_token_store.hpp"

#include "util/json_write.hpp"
#include "util/log.hpp"

namespace oauth2_rest::sail {

boost::asio::awaitable<std::optional<oauth2::token>> credential_token_store::load() {
  auto keys = co_await api_.fetch_credential_keys(account_);
  if (!keys) {
    log::debug("could not read the credential back; asking the token endpoint", {{"reason", keys.error().message}});
    co_return std::nullopt;
  }
  const auto* tokens = keys->if_contains("tokens");
  if (tokens == nullptr) co_return std::nullopt;
  // Saved as the component wrote it: a JSON object, or a string holding one.
  if (tokens->is_string()) co_return oauth2::parse_stored_tokens(tokens->get_string());
  if (tokens->is_object()) co_return oauth2::parse_stored_tokens(write_json(*tokens));
  co_return std::nullopt;
}

}  // namespace oauth2_rest::sail
