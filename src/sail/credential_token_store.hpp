// credential_token_store: the worker's token_store, the step's credential on the platform.
//
// Replicas of one step save every new token to the credential (updateKeys); reading it back
// before a token request lets a replica use the token another one fetched (SPEC section 6:
// one token per lifetime across replicas). A read that fails costs only the read.
#pragma once

#include "oauth2/token_store.hpp"
#include "sail/platform_api.hpp"

#include <string>

namespace oauth2_rest::sail {

class credential_token_store final : public oauth2::token_store {
 public:
  credential_token_store(platform_api& api, std::string account_id) : api_(api), account_(std::move(account_id)) {}
  boost::asio::awaitable<std::optional<oauth2::token>> load() override;

 private:
  platform_api& api_;
  std::string account_;
};

}  // namespace oauth2_rest::sail
