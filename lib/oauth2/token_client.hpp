// The OAuth2 Client Credentials token client: gets, caches and renews one access token.
//
// - A cached token is used until its refresh time (token.hpp: expiry minus a
//   60 s margin, at most half the lifetime); a token given at construction
//   (the credential's stored "tokens") is reused, so a restart costs nothing.
//   If renewal fails inside that margin, get() keeps using the current token
//   until it really expires.
// - All concurrent callers share one token request (single flight): N messages
//   that find the token expired cause exactly one request to the token endpoint.
// - refresh() after the API rejected a token renews it once, unless another
//   caller has already replaced that token.
// - Transient failures (network errors, 5xx, 408, 425, 429) are retried with
//   exponential backoff and jitter inside the timeout. Retry-After (seconds or
//   HTTP date) is honoured as a floor: the pause is the larger of it and the
//   backoff, so "Retry-After: 0" never means back-to-back requests; one that
//   reaches past the timeout ends the attempt at once, saying so;
//   other 4xx answers mean bad credentials and fail at once, naming the
//   server's error and error_description.
// - With a token_store (token_store.hpp), the leader of a renewal first reads the
//   store and uses a fresh token found there (another replica's) instead of
//   requesting one; such a token is not reported as fetched (it is saved already).
// - A plain-http token URL works but is logged as a warning once: the client
//   secret would cross the network in clear.
// - With private_key_jwt or client_secret_jwt every attempt (retries and renewals
//   included) carries a client assertion made for it (client_assertion.hpp): a
//   jti is never sent twice. The secret and the assertion sent are redacted from
//   the server's error text before it is parsed or quoted.
//
// Use from the thread of the executor that runs the given http::client.
#pragma once

#include "http/http_client.hpp"
#include "oauth2/token.hpp"
#include "oauth2/token_request.hpp"
#include "oauth2/token_store.hpp"
#include "util/result.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

namespace oauth2_rest::oauth2 {

namespace token_errc {
// failure.code values of token_client results (generic category).
inline constexpr auto rejected = boost::system::errc::permission_denied;    // 4xx: fix the credentials
inline constexpr auto unavailable = boost::system::errc::resource_unavailable_try_again;  // gave up retrying
inline constexpr auto bad_response = boost::system::errc::bad_message;     // 2xx we could not use
}  // namespace token_errc

struct acquired_token {
  std::shared_ptr<const token> value;
  // True for exactly one caller per new token: the one whose request fetched
  // it. That caller reports the new token (updateKeys) so it is saved once.
  bool fetched = false;
};

class token_client {
 public:
  token_client(http::client& http, client_credentials credentials,
               std::optional<token> initial = std::nullopt, std::shared_ptr<token_store> store = nullptr);
  ~token_client();
  token_client(const token_client&) = delete;
  token_client& operator=(const token_client&) = delete;

  // A token fresh enough to use now.
  boost::asio::awaitable<result<acquired_token>> get(std::chrono::milliseconds timeout);
  // A token other than `rejected` (which the API refused with 401).
  boost::asio::awaitable<result<acquired_token>> refresh(std::shared_ptr<const token> rejected,
                                                         std::chrono::milliseconds timeout);

  std::shared_ptr<const token> current() const { return current_; }
  // Token requests sent to the endpoint, counting retries.
  std::size_t requests_sent() const { return requests_sent_; }

 private:
  struct flight;
  // `rejected`: the token the API refused, never to be taken from the store again.
  boost::asio::awaitable<result<acquired_token>> join_or_lead(std::chrono::milliseconds timeout,
                                                              const std::shared_ptr<const token>& rejected);
  boost::asio::awaitable<result<std::shared_ptr<const token>>> fetch(std::chrono::milliseconds timeout);

  http::client& http_;
  client_credentials credentials_;
  std::shared_ptr<const token> current_;
  std::shared_ptr<flight> flight_;  // the request in progress, if any
  std::shared_ptr<token_store> store_;
  std::size_t requests_sent_ = 0;
};

}  // namespace oauth2_rest::oauth2
