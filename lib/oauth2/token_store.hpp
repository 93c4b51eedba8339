// token_store: where other holders of the same credential leave their tokens.
//
// On the platform several replicas of one step share a credential, and each new token is saved
// to it (updateKeys). Before asking the token endpoint, the token client looks there first: a
// token another replica saved and that is still fresh is used instead, so the replicas need
// one token per lifetime between them, not one each. The component knows no platform: the
// runtime provides the store (the worker reads the credential back from the platform API).
#pragma once

#include "oauth2/token.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace oauth2_rest::oauth2 {

class token_store {
 public:
  virtual ~token_store() = default;
  // The token saved there now, if any; nullopt also when it cannot be read (the caller then
  // asks the token endpoint as it would have anyway). Never throws.
  virtual boost::asio::awaitable<std::optional<token>> load() = 0;
};

}  // namespace oauth2_rest::oauth2
