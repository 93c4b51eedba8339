// The demo token server and sample API: what the README's first command and the tests talk to.
//
// Endpoints (all JSON):
//   POST /oauth/token          RFC 6749 4.4 client credentials; client authentication by HTTP
//                              Basic (id and secret form-decoded, RFC 6749 2.3.1) or in the body,
//                              never both; a repeated parameter is an invalid_request, but
//                              resource (RFC 8707); issues opaque Bearer tokens with expires_in.
//   GET  /api/items            a sample collection        GET /api/items/{id}   one item or 404
//   POST /api/items            creates (201, echoes)      PUT|PATCH|DELETE /api/items/{id}
//   ANY  /api/status/{code}    answers with that status
//   ANY  /api/echo             echoes method, path, query, body and headers (Authorization
//                              reported only as present/absent)
//   GET  /health               no token needed
// Every /api path requires a valid, unexpired, unrevoked token: otherwise 401 with
// WWW-Authenticate: Bearer error="invalid_token" (or no error code when none was sent).
#pragma once

#include "http_server.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

struct demo_api_options {
  std::string client_id = "demo-client";
  std::string client_secret = "demo-secret";
  std::chrono::milliseconds token_lifetime{std::chrono::hours(1)};
  bool send_expires_in = true;
};

class demo_api {
 public:
  explicit demo_api(demo_api_options options = {});

  // Thread-safe; meant to be the handler of an http_server.
  reply handle(const recorded_request& request);
  handler as_handler() {
    return [this](const recorded_request& r) { return handle(r); };
  }

  std::size_t token_requests() const;   // every POST /oauth/token, successful or not
  std::size_t tokens_issued() const;
  std::size_t api_requests() const;     // every /api request, authorised or not
  std::vector<std::string> issued_tokens() const;
  void revoke_all();                    // tokens issued so far stop working

 private:
  reply token_endpoint(const recorded_request& request);
  reply api(const recorded_request& request);

  demo_api_options options_;
  mutable std::mutex mutex_;
  std::size_t token_requests_ = 0;
  std::size_t api_requests_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;  // token -> expiry
  std::vector<std::string> issued_;
  std::size_t next_item_id_ = 4;
};

}  // namespace oauth2_rest::testing
