// The ELASTICIO_* environment the end-to-end tests give `oauth2-rest sail`: fixed ids (flow-1,
// step_2, ...), routing keys data-key / error-key / rebound-key / snapshot-key, and what differs
// between tests passed in.
#pragma once

#include <map>
#include <string>

namespace oauth2_rest::testing {

struct worker_env_options {
  std::string api_uri;         // the platform API test server
  std::string listen_queue;
  std::string exchange;
  std::string crypto_password;
  std::string crypto_iv;
  std::string api_username = "task-flow-1";
  std::string api_key = "platform-api-key-secret";
  std::string log_level = "debug";
};

// Uses amqp_uri() (broker.hpp) for ELASTICIO_AMQP_URI.
std::map<std::string, std::string> worker_env(const worker_env_options& options);

}  // namespace oauth2_rest::testing
