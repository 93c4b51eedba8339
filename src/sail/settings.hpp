// The platform worker's configuration, read once at start-up from the
// ELASTICIO_* environment (platform-protocol.md section 2).
//
// Parsing follows the Node reference runtime (sailor-nodejs 2.7.8,
// lib/settings.js) where that is safe, and is stricter where Node silently
// guesses:
// - required variables: unset or empty counts as missing; every missing one is
//   reported, not just the first;
// - booleans: unset -> default, "" or "false" -> false, anything else -> true
//   (Node's rule, so "0" and "no" are true);
// - numbers: Node falls back to the default on garbage or 0 (parseInt(v) ||
//   default); we refuse to start instead, naming the variable and the value,
//   because a typo in a prefetch or a limit should not go unnoticed. An empty
//   value still means "use the default", as in Node;
// - durations (every millisecond setting) and the incoming size cap have a
//   ceiling instead of a maximum: a larger value, even one past int64, counts
//   as the ceiling (24 h; the rebound expiration RabbitMQ's 4294967295 ms; the
//   size 512 MiB), so "99999999999999" meant as "forever" never overflows
//   into "now" (milliseconds become nanoseconds in a timer).
// All problems found are reported together in one std::runtime_error.
#pragma once

#include "util/log.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::sail {

// ELASTICIO_INPUT_FORMAT: how incoming bodies are laid out (section 4.2 / 4.3).
enum class input_format {
  standard,      // "default": an encrypted message
  error_record,  // "error": a custom error handler's {"error": b64, "errorInput": b64} record
};

struct settings {
  // 2.1: always required.
  std::string flow_id;       // ELASTICIO_FLOW_ID, header taskId
  std::string step_id;       // ELASTICIO_STEP_ID
  std::string exec_id;       // ELASTICIO_EXEC_ID
  std::string container_id;  // ELASTICIO_CONTAINER_ID
  std::string workspace_id;  // ELASTICIO_WORKSPACE_ID
  std::string user_id;       // ELASTICIO_USER_ID
  std::string comp_id;       // ELASTICIO_COMP_ID
  std::string function;      // ELASTICIO_FUNCTION
  std::string api_uri;       // ELASTICIO_API_URI, trailing '/' removed (as the Node REST client does)
  std::string api_username;  // ELASTICIO_API_USERNAME
  std::string api_key;       // ELASTICIO_API_KEY

  // 2.2: required for message processing (may be empty in shutdown-hook mode).
  std::string amqp_uri;                 // ELASTICIO_AMQP_URI
  std::string listen_messages_on;       // ELASTICIO_LISTEN_MESSAGES_ON (a queue)
  std::string publish_messages_to;      // ELASTICIO_PUBLISH_MESSAGES_TO (an exchange)
  std::string data_routing_key;         // ELASTICIO_DATA_ROUTING_KEY
  std::string error_routing_key;        // ELASTICIO_ERROR_ROUTING_KEY
  std::string rebound_routing_key;      // ELASTICIO_REBOUND_ROUTING_KEY
  std::string snapshot_routing_key;     // ELASTICIO_SNAPSHOT_ROUTING_KEY
  std::string message_crypto_password;  // ELASTICIO_MESSAGE_CRYPTO_PASSWORD
  std::string message_crypto_iv;        // ELASTICIO_MESSAGE_CRYPTO_IV, exactly 16 bytes

  // 2.3: optional, defaults beside them.
  int prefetch = 1;                                 // ELASTICIO_RABBITMQ_PREFETCH_SAILOR, 1..65535 (basic.qos is 16-bit)
  int rebound_limit = 20;                           // ELASTICIO_REBOUND_LIMIT
  std::int64_t rebound_initial_expiration_ms = 15000;  // ELASTICIO_REBOUND_INITIAL_EXPIRATION, at most 4294967295
  bool startup_required = false;                    // ELASTICIO_STARTUP_REQUIRED
  bool hook_shutdown = false;                       // ELASTICIO_HOOK_SHUTDOWN
  bool no_self_passthrough = false;                 // ELASTICIO_NO_SELF_PASSTRHOUGH (sic: the real name)
  int protocol_version = 1;                         // ELASTICIO_PROTOCOL_VERSION, 1 or 2 (outgoing data)
  sail::input_format input_format = sail::input_format::standard;  // ELASTICIO_INPUT_FORMAT
  bool no_error_replies = false;                    // ELASTICIO_NO_ERROR_REPLIES
  std::size_t outgoing_message_size_limit = 10485760;  // ELASTICIO_OUTGOING_MESSAGE_SIZE_LIMIT (encoded bytes)
  bool amqp_persistent_messages = false;            // ELASTICIO_AMQP_PERSISTENT_MESSAGES (deliveryMode 2)
  std::optional<std::int64_t> amqp_publish_retry_attempts;  // ELASTICIO_AMQP_PUBLISH_RETRY_ATTEMPTS; nullopt = unlimited (Node: Infinity)
  std::int64_t amqp_publish_retry_delay_ms = 100;         // ELASTICIO_AMQP_PUBLISH_RETRY_DELAY, at most 24 h
  std::int64_t amqp_publish_max_retry_delay_ms = 300000;  // ELASTICIO_AMQP_PUBLISH_MAX_RETRY_DELAY, at most 24 h
  int api_request_retry_attempts = 3;                     // ELASTICIO_API_REQUEST_RETRY_ATTEMPTS
  std::int64_t api_request_retry_delay_ms = 100;          // ELASTICIO_API_REQUEST_RETRY_DELAY, at most 24 h
  std::optional<std::string> object_storage_uri;          // ELASTICIO_OBJECT_STORAGE_URI (section 8)
  std::optional<std::string> object_storage_token;        // ELASTICIO_OBJECT_STORAGE_TOKEN
  // Lightweight output (section 8): data bodies over the threshold go to object storage.
  bool emit_lightweight_message = false;                  // ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE
  std::size_t object_storage_size_threshold = 1048576;    // ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD (bytes of body JSON)
  // The reference's object storage client (maester-client 6.0.0, src/utils.ts) reads these two
  // without the ELASTICIO_ prefix: retries of 5xx and network errors (0..4), and the timeout of
  // one attempt (500..20000 ms). As there, 0, garbage and values out of range mean the default
  // (not a start-up error: the names are not ours, other programs may set them).
  int object_storage_retries = 2;                         // REQUEST_MAX_RETRY
  std::int64_t object_storage_timeout_ms = 10000;         // REQUEST_TIMEOUT

  // ELASTICIO_ADDITIONAL_VARS_FOR_HEADERS: header name (camelCased, without
  // the ELASTICIO_ prefix) -> value, in list order, for every outgoing header
  // set. Listed variables that are unset are left out (Node's value would be
  // undefined, which amqplib does not encode).
  std::vector<std::pair<std::string, std::string>> additional_headers;

  log::level log_level = log::level::info;  // LOG_LEVEL (no prefix): trace..fatal

  // Ours: how long a graceful shutdown waits for in-flight messages before
  // giving up (Node waits forever, the JVM 30 s).
  std::int64_t drain_timeout_ms = 30000;  // OAUTH2_REST_DRAIN_TIMEOUT_MS, at most 24 h
  // Ours: the AMQP heartbeat we ask for, in seconds (0 disables; the broker may lower it).
  // A dead peer that never closes the socket (a half-open connection) is noticed after about two.
  int amqp_heartbeat_seconds = 60;  // OAUTH2_REST_AMQP_HEARTBEAT, 0..65535
  // Ours: the largest incoming delivery body accepted, in bytes as received (encrypted and, in
  // protocol 1, base64-encoded); a larger one is to be rejected (not requeued) with a log line.
  // Default 16 MiB: a 10 MiB message (the platform's limit) is 13,981,036 bytes once
  // AES-encrypted and base64-encoded (4/3 plus padding); the rest is room for error records and
  // rebounds, which carry the input. At most 512 MiB (RabbitMQ's own maximum). Local mode
  // bounds an input line by the same variable and default.
  std::size_t max_incoming_message_bytes = 16u << 20;  // OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES

  // 2.4 and section 13: the ELASTICIO_* ids that are set, by their full
  // variable names, plus "tag": ELASTICIO_FLOW_ID; attached to every log line.
  boost::json::object log_context;
};

// getenv in production, a map in tests. Returns nullptr for an unset variable.
using env_lookup = std::function<const char*(const char*)>;

// Reads and validates everything above. Throws std::runtime_error whose what()
// lists every problem, one per line ("ELASTICIO_FLOW_ID is missing", ...).
// The messaging variables (2.2) are not required when ELASTICIO_HOOK_SHUTDOWN
// is true (see settings.cpp for how this differs from Node for "false").
settings load_settings(const env_lookup& env);

// lodash's _.camelCase for ASCII variable names, as Node applies it to
// ELASTICIO_ADDITIONAL_VARS_FOR_HEADERS ("SECOND_ELASTICIO_ENV" -> "secondElasticioEnv").
std::string camel_case(std::string_view name);

}  // namespace oauth2_rest::sail
