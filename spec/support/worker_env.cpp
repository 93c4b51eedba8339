#include "worker_env.hpp"

#include "broker.hpp"

namespace oauth2_rest::testing {

std::map<std::string, std::string> worker_env(const worker_env_options& o) {
  return {{"ELASTICIO_FLOW_ID", "flow-1"},
          {"ELASTICIO_STEP_ID", "step_2"},
          {"ELASTICIO_EXEC_ID", "exec-1"},
          {"ELASTICIO_CONTAINER_ID", "container-1"},
          {"ELASTICIO_WORKSPACE_ID", "workspace-1"},
          {"ELASTICIO_USER_ID", "user-1"},
          {"ELASTICIO_COMP_ID", "comp-1"},
          {"ELASTICIO_FUNCTION", "httpRequest"},
          {"ELASTICIO_API_URI", o.api_uri},
          {"ELASTICIO_API_USERNAME", o.api_username},
          {"ELASTICIO_API_KEY", o.api_key},
          {"ELASTICIO_AMQP_URI", amqp_uri()},
          {"ELASTICIO_LISTEN_MESSAGES_ON", o.listen_queue},
          {"ELASTICIO_PUBLISH_MESSAGES_TO", o.exchange},
          {"ELASTICIO_DATA_ROUTING_KEY", "data-key"},
          {"ELASTICIO_ERROR_ROUTING_KEY", "error-key"},
          {"ELASTICIO_REBOUND_ROUTING_KEY", "rebound-key"},
          {"ELASTICIO_SNAPSHOT_ROUTING_KEY", "snapshot-key"},
          {"ELASTICIO_MESSAGE_CRYPTO_PASSWORD", o.crypto_password},
          {"ELASTICIO_MESSAGE_CRYPTO_IV", o.crypto_iv},
          {"LOG_LEVEL", o.log_level}};
}

}  // namespace oauth2_rest::testing
