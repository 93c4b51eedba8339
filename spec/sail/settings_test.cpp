// load_settings: required variables, defaults, Node's boolean rule, strict numbers, IV length.
#include "sail/settings.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace oauth2_rest::sail {
namespace {

using env_map = std::map<std::string, std::string>;

env_lookup lookup(const env_map& m) {
  return [&m](const char* name) -> const char* {
    auto it = m.find(name);
    return it == m.end() ? nullptr : it->second.c_str();
  };
}

env_map complete_env() {
  return {
      {"ELASTICIO_FLOW_ID", "5559edd38968ec0736000003"},
      {"ELASTICIO_EXEC_ID", "some-exec-id"},
      {"ELASTICIO_STEP_ID", "step_2"},
      {"ELASTICIO_CONTAINER_ID", "dc1c8c3f"},
      {"ELASTICIO_WORKSPACE_ID", "5559edd38968ec073600683"},
      {"ELASTICIO_USER_ID", "5559edd38968ec0736000002"},
      {"ELASTICIO_COMP_ID", "5559edd38968ec0736000456"},
      {"ELASTICIO_FUNCTION", "httpRequest"},
      {"ELASTICIO_API_URI", "https://api.example.com/"},
      {"ELASTICIO_API_USERNAME", "task-user"},
      {"ELASTICIO_API_KEY", "api-key"},
      {"ELASTICIO_AMQP_URI", "amqp://guest:guest@localhost:5672"},
      {"ELASTICIO_LISTEN_MESSAGES_ON", "q:step_2:messages"},
      {"ELASTICIO_PUBLISH_MESSAGES_TO", "exchange_org"},
      {"ELASTICIO_DATA_ROUTING_KEY", "rk.message"},
      {"ELASTICIO_ERROR_ROUTING_KEY", "rk.error"},
      {"ELASTICIO_REBOUND_ROUTING_KEY", "rk.rebound"},
      {"ELASTICIO_SNAPSHOT_ROUTING_KEY", "rk.snapshot"},
      {"ELASTICIO_MESSAGE_CRYPTO_PASSWORD", "testCryptoPassword"},
      {"ELASTICIO_MESSAGE_CRYPTO_IV", "iv=any16_symbols"},
  };
}

std::string error_of(const env_map& m) {
  try {
    (void)load_settings(lookup(m));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

constexpr const char* all_missing =
    "ELASTICIO_FLOW_ID is missing\n"
    "ELASTICIO_EXEC_ID is missing\n"
    "ELASTICIO_STEP_ID is missing\n"
    "ELASTICIO_CONTAINER_ID is missing\n"
    "ELASTICIO_WORKSPACE_ID is missing\n"
    "ELASTICIO_USER_ID is missing\n"
    "ELASTICIO_COMP_ID is missing\n"
    "ELASTICIO_FUNCTION is missing\n"
    "ELASTICIO_API_URI is missing\n"
    "ELASTICIO_API_USERNAME is missing\n"
    "ELASTICIO_API_KEY is missing\n"
    "ELASTICIO_AMQP_URI is missing\n"
    "ELASTICIO_LISTEN_MESSAGES_ON is missing\n"
    "ELASTICIO_PUBLISH_MESSAGES_TO is missing\n"
    "ELASTICIO_DATA_ROUTING_KEY is missing\n"
    "ELASTICIO_ERROR_ROUTING_KEY is missing\n"
    "ELASTICIO_REBOUND_ROUTING_KEY is missing\n"
    "ELASTICIO_SNAPSHOT_ROUTING_KEY is missing\n"
    "ELASTICIO_MESSAGE_CRYPTO_IV is missing\n"
    "ELASTICIO_MESSAGE_CRYPTO_PASSWORD is missing";

TEST(settings, lists_every_missing_variable_one_per_line) {
  EXPECT_EQ(error_of({}), all_missing);
}

TEST(settings, empty_string_counts_as_missing) {
  env_map m;
  for (auto& [k, v] : complete_env()) m[k] = "";
  EXPECT_EQ(error_of(m), all_missing);
}

TEST(settings, one_missing_variable_alone) {
  auto m = complete_env();
  m.erase("ELASTICIO_SNAPSHOT_ROUTING_KEY");
  m["ELASTICIO_STEP_ID"] = "";
  EXPECT_EQ(error_of(m), "ELASTICIO_STEP_ID is missing\nELASTICIO_SNAPSHOT_ROUTING_KEY is missing");
}

TEST(settings, reads_required_values_and_defaults) {
  auto m = complete_env();
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.flow_id, "5559edd38968ec0736000003");
  EXPECT_EQ(s.step_id, "step_2");
  EXPECT_EQ(s.exec_id, "some-exec-id");
  EXPECT_EQ(s.container_id, "dc1c8c3f");
  EXPECT_EQ(s.workspace_id, "5559edd38968ec073600683");
  EXPECT_EQ(s.user_id, "5559edd38968ec0736000002");
  EXPECT_EQ(s.comp_id, "5559edd38968ec0736000456");
  EXPECT_EQ(s.function, "httpRequest");
  EXPECT_EQ(s.api_uri, "https://api.example.com");  // trailing '/' removed
  EXPECT_EQ(s.api_username, "task-user");
  EXPECT_EQ(s.api_key, "api-key");
  EXPECT_EQ(s.amqp_uri, "amqp://guest:guest@localhost:5672");
  EXPECT_EQ(s.listen_messages_on, "q:step_2:messages");
  EXPECT_EQ(s.publish_messages_to, "exchange_org");
  EXPECT_EQ(s.data_routing_key, "rk.message");
  EXPECT_EQ(s.error_routing_key, "rk.error");
  EXPECT_EQ(s.rebound_routing_key, "rk.rebound");
  EXPECT_EQ(s.snapshot_routing_key, "rk.snapshot");
  EXPECT_EQ(s.message_crypto_password, "testCryptoPassword");
  EXPECT_EQ(s.message_crypto_iv, "iv=any16_symbols");

  EXPECT_EQ(s.prefetch, 1);
  EXPECT_EQ(s.rebound_limit, 20);
  EXPECT_EQ(s.rebound_initial_expiration_ms, 15000);
  EXPECT_FALSE(s.startup_required);
  EXPECT_FALSE(s.hook_shutdown);
  EXPECT_FALSE(s.no_self_passthrough);
  EXPECT_EQ(s.protocol_version, 1);
  EXPECT_EQ(s.input_format, input_format::standard);
  EXPECT_FALSE(s.no_error_replies);
  EXPECT_EQ(s.outgoing_message_size_limit, 10485760u);
  EXPECT_FALSE(s.amqp_persistent_messages);
  EXPECT_FALSE(s.amqp_publish_retry_attempts.has_value());
  EXPECT_EQ(s.amqp_publish_retry_delay_ms, 100);
  EXPECT_EQ(s.amqp_publish_max_retry_delay_ms, 300000);
  EXPECT_EQ(s.api_request_retry_attempts, 3);
  EXPECT_EQ(s.api_request_retry_delay_ms, 100);
  EXPECT_FALSE(s.object_storage_uri.has_value());
  EXPECT_TRUE(s.additional_headers.empty());
  EXPECT_EQ(s.log_level, log::level::info);
  EXPECT_EQ(s.drain_timeout_ms, 30000);
}

TEST(settings, reads_optional_numbers) {
  auto m = complete_env();
  m["ELASTICIO_RABBITMQ_PREFETCH_SAILOR"] = "10";
  m["ELASTICIO_REBOUND_LIMIT"] = "5";
  m["ELASTICIO_REBOUND_INITIAL_EXPIRATION"] = "1000";
  m["ELASTICIO_PROTOCOL_VERSION"] = "2";
  m["ELASTICIO_OUTGOING_MESSAGE_SIZE_LIMIT"] = "2048";
  m["ELASTICIO_AMQP_PUBLISH_RETRY_ATTEMPTS"] = "7";
  m["ELASTICIO_AMQP_PUBLISH_RETRY_DELAY"] = "50";
  m["ELASTICIO_AMQP_PUBLISH_MAX_RETRY_DELAY"] = "60000";
  m["ELASTICIO_API_REQUEST_RETRY_ATTEMPTS"] = "4";
  m["ELASTICIO_API_REQUEST_RETRY_DELAY"] = "250";
  m["OAUTH2_REST_DRAIN_TIMEOUT_MS"] = "5000";
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.prefetch, 10);
  EXPECT_EQ(s.rebound_limit, 5);
  EXPECT_EQ(s.rebound_initial_expiration_ms, 1000);
  EXPECT_EQ(s.protocol_version, 2);
  EXPECT_EQ(s.outgoing_message_size_limit, 2048u);
  EXPECT_EQ(s.amqp_publish_retry_attempts, 7);
  EXPECT_EQ(s.amqp_publish_retry_delay_ms, 50);
  EXPECT_EQ(s.amqp_publish_max_retry_delay_ms, 60000);
  EXPECT_EQ(s.api_request_retry_attempts, 4);
  EXPECT_EQ(s.api_request_retry_delay_ms, 250);
  EXPECT_EQ(s.drain_timeout_ms, 5000);
}

TEST(settings, empty_number_means_default_as_in_node) {
  auto m = complete_env();
  m["ELASTICIO_RABBITMQ_PREFETCH_SAILOR"] = "";
  m["ELASTICIO_AMQP_PUBLISH_RETRY_ATTEMPTS"] = "Infinity";
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.prefetch, 1);
  EXPECT_FALSE(s.amqp_publish_retry_attempts.has_value());
}

TEST(settings, bad_numbers_name_the_variable_and_the_value) {
  auto m = complete_env();
  m["ELASTICIO_RABBITMQ_PREFETCH_SAILOR"] = "ten";
  m["ELASTICIO_REBOUND_LIMIT"] = "0";
  m["ELASTICIO_REBOUND_INITIAL_EXPIRATION"] = "15s";
  m["ELASTICIO_PROTOCOL_VERSION"] = "3";
  m["OAUTH2_REST_DRAIN_TIMEOUT_MS"] = "-5";
  m["ELASTICIO_AMQP_PUBLISH_RETRY_DELAY"] = "0";
  m["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "16MiB";
  EXPECT_EQ(error_of(m),
            "ELASTICIO_RABBITMQ_PREFETCH_SAILOR must be an integer from 1 to 65535, got \"ten\"\n"
            "ELASTICIO_REBOUND_LIMIT must be an integer from 1 to 2147483647, got \"0\"\n"
            "ELASTICIO_REBOUND_INITIAL_EXPIRATION must be an integer of at least 1 (values above 4294967295 "
            "count as 4294967295), got \"15s\"\n"
            "ELASTICIO_PROTOCOL_VERSION must be an integer from 1 to 2, got \"3\"\n"
            "ELASTICIO_AMQP_PUBLISH_RETRY_DELAY must be an integer of at least 1 (values above 86400000 "
            "count as 86400000), got \"0\"\n"
            "OAUTH2_REST_DRAIN_TIMEOUT_MS must be an integer of at least 1 (values above 86400000 count as "
            "86400000), got \"-5\"\n"
            "OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES must be an integer of at least 1 (values above 536870912 "
            "count as 536870912), got \"16MiB\"");
}

// Finding 13: a duration meant as "forever" must not overflow into "now" (milliseconds become
// nanoseconds in a steady_timer; i64max ms drained at once). Every duration is capped: 24 h, and
// the rebound expiration at RabbitMQ's largest per-message TTL, 2^32-1 ms.
TEST(settings, huge_durations_are_capped_not_overflowed) {
  constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
  for (const char* huge : {"86400001", "9223372036854775807", "99999999999999999999", "1000000000000000000000000"}) {
    auto m = complete_env();
    m["OAUTH2_REST_DRAIN_TIMEOUT_MS"] = huge;
    m["ELASTICIO_AMQP_PUBLISH_RETRY_DELAY"] = huge;
    m["ELASTICIO_AMQP_PUBLISH_MAX_RETRY_DELAY"] = huge;
    m["ELASTICIO_API_REQUEST_RETRY_DELAY"] = huge;
    m["ELASTICIO_REBOUND_INITIAL_EXPIRATION"] = huge;
    settings s = load_settings(lookup(m));
    EXPECT_EQ(s.drain_timeout_ms, day_ms) << huge;
    EXPECT_EQ(s.amqp_publish_retry_delay_ms, day_ms) << huge;
    EXPECT_EQ(s.amqp_publish_max_retry_delay_ms, day_ms) << huge;
    EXPECT_EQ(s.api_request_retry_delay_ms, day_ms) << huge;
    // 86400001 ms is under the expiration's own cap, so it is kept there.
    EXPECT_EQ(s.rebound_initial_expiration_ms, std::string(huge) == "86400001" ? 86400001LL : 4294967295LL) << huge;
  }
  // Up to the cap a value is kept as given.
  auto m = complete_env();
  m["OAUTH2_REST_DRAIN_TIMEOUT_MS"] = "86400000";
  m["ELASTICIO_REBOUND_INITIAL_EXPIRATION"] = "4294967295";
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.drain_timeout_ms, day_ms);
  EXPECT_EQ(s.rebound_initial_expiration_ms, 4294967295LL);
  // The capped values cannot overflow where the worker uses them: the publish backoff shifts the
  // delay by at most 20, and a steady_timer counts nanoseconds.
  EXPECT_LT(static_cast<double>(day_ms) * (1 << 20), 9.2e18);
  EXPECT_LT(static_cast<double>(day_ms) * 1e6, 9.2e18);
}

TEST(settings, max_incoming_message_bytes) {
  auto m = complete_env();
  EXPECT_EQ(load_settings(lookup(m)).max_incoming_message_bytes, 16u << 20)
      << "default: a 10 MiB message once encrypted and base64-encoded, with room";
  m["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "1048576";
  EXPECT_EQ(load_settings(lookup(m)).max_incoming_message_bytes, 1048576u);
  m["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "99999999999999999999";
  EXPECT_EQ(load_settings(lookup(m)).max_incoming_message_bytes, 512u << 20) << "RabbitMQ's own maximum";
  m["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "";
  EXPECT_EQ(load_settings(lookup(m)).max_incoming_message_bytes, 16u << 20);
  m["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "0";
  EXPECT_NE(error_of(m).find("OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES must be an integer of at least 1"), std::string::npos);
}

TEST(settings, prefetch_is_bounded_by_basic_qos) {
  auto m = complete_env();
  m["ELASTICIO_RABBITMQ_PREFETCH_SAILOR"] = "65536";
  EXPECT_EQ(error_of(m),
            "ELASTICIO_RABBITMQ_PREFETCH_SAILOR must be an integer from 1 to 65535, got \"65536\"");
}

TEST(settings, amqp_heartbeat_defaults_to_60_seconds_and_is_bounded) {
  auto m = complete_env();
  EXPECT_EQ(load_settings(lookup(m)).amqp_heartbeat_seconds, 60);
  m["OAUTH2_REST_AMQP_HEARTBEAT"] = "2";
  EXPECT_EQ(load_settings(lookup(m)).amqp_heartbeat_seconds, 2);
  m["OAUTH2_REST_AMQP_HEARTBEAT"] = "0";
  EXPECT_EQ(load_settings(lookup(m)).amqp_heartbeat_seconds, 0) << "0 disables heartbeats";
  m["OAUTH2_REST_AMQP_HEARTBEAT"] = "65536";
  EXPECT_EQ(error_of(m), "OAUTH2_REST_AMQP_HEARTBEAT must be an integer from 0 to 65535, got \"65536\"");
}

TEST(settings, booleans_follow_node_rule) {
  struct row {
    const char* value;  // nullptr = unset
    bool expected;
  };
  for (auto [value, expected] : {row{nullptr, false}, row{"", false}, row{"false", false},
                                 row{"true", true}, row{"0", true}, row{"no", true},
                                 row{"FALSE", true}, row{"1", true}}) {
    auto m = complete_env();
    for (auto name : {"ELASTICIO_NO_SELF_PASSTRHOUGH", "ELASTICIO_NO_ERROR_REPLIES",
                      "ELASTICIO_AMQP_PERSISTENT_MESSAGES", "ELASTICIO_STARTUP_REQUIRED"}) {
      if (value) m[name] = value;
    }
    settings s = load_settings(lookup(m));
    SCOPED_TRACE(value ? value : "(unset)");
    EXPECT_EQ(s.no_self_passthrough, expected);
    EXPECT_EQ(s.no_error_replies, expected);
    EXPECT_EQ(s.amqp_persistent_messages, expected);
    EXPECT_EQ(s.startup_required, expected);
  }
}

TEST(settings, iv_must_be_16_bytes) {
  auto m = complete_env();
  m["ELASTICIO_MESSAGE_CRYPTO_IV"] = "too-short";
  EXPECT_EQ(error_of(m), "ELASTICIO_MESSAGE_CRYPTO_IV must be exactly 16 bytes, got 9");
  m["ELASTICIO_MESSAGE_CRYPTO_IV"] = "seventeen_bytes!!";
  EXPECT_EQ(error_of(m), "ELASTICIO_MESSAGE_CRYPTO_IV must be exactly 16 bytes, got 17");
}

TEST(settings, shutdown_hook_mode_needs_no_messaging_variables) {
  env_map m;
  for (auto& [k, v] : complete_env()) {
    if (k.find("ROUTING_KEY") == std::string::npos && k.find("AMQP") == std::string::npos &&
        k.find("MESSAGE") == std::string::npos && k.find("CRYPTO") == std::string::npos) {
      m[k] = v;
    }
  }
  m["ELASTICIO_HOOK_SHUTDOWN"] = "1";
  settings s = load_settings(lookup(m));
  EXPECT_TRUE(s.hook_shutdown);
  EXPECT_EQ(s.amqp_uri, "");
  EXPECT_EQ(s.message_crypto_iv, "");
}

TEST(settings, shutdown_hook_false_still_requires_messaging_variables) {
  // Stricter than Node, which skips the check for any non-empty value but
  // then runs message mode for "false".
  auto m = complete_env();
  m.erase("ELASTICIO_AMQP_URI");
  m["ELASTICIO_HOOK_SHUTDOWN"] = "false";
  EXPECT_EQ(error_of(m), "ELASTICIO_AMQP_URI is missing");
}

TEST(settings, additional_vars_for_headers_are_camel_cased) {
  auto m = complete_env();
  m["ELASTICIO_ADDITIONAL_VARS_FOR_HEADERS"] =
      " ELASTICIO_SECOND_ELASTICIO_ENV , ELASTICIO_UNSET_VAR,OTHER_VAR,,ELASTICIO_EMPTY";
  m["ELASTICIO_SECOND_ELASTICIO_ENV"] = "second";
  m["OTHER_VAR"] = "other";
  m["ELASTICIO_EMPTY"] = "";
  settings s = load_settings(lookup(m));
  using p = std::pair<std::string, std::string>;
  EXPECT_EQ(s.additional_headers,
            (std::vector<p>{{"secondElasticioEnv", "second"}, {"otherVar", "other"}, {"empty", ""}}));
}

TEST(settings, input_format) {
  auto m = complete_env();
  m["ELASTICIO_INPUT_FORMAT"] = "error";
  EXPECT_EQ(load_settings(lookup(m)).input_format, input_format::error_record);
  m["ELASTICIO_INPUT_FORMAT"] = "default";
  EXPECT_EQ(load_settings(lookup(m)).input_format, input_format::standard);
  m["ELASTICIO_INPUT_FORMAT"] = "errors";
  EXPECT_EQ(error_of(m), "ELASTICIO_INPUT_FORMAT must be \"default\" or \"error\", got \"errors\"");
}

TEST(settings, log_level_and_context) {
  auto m = complete_env();
  m["LOG_LEVEL"] = "debug";
  m["ELASTICIO_TENANT_ID"] = "tenant-1";
  m["ELASTICIO_COMP_NAME"] = "oauth2-rest";
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.log_level, log::level::debug);
  boost::json::object expected{
      {"ELASTICIO_API_USERNAME", "task-user"},
      {"ELASTICIO_COMP_ID", "5559edd38968ec0736000456"},
      {"ELASTICIO_COMP_NAME", "oauth2-rest"},
      {"ELASTICIO_CONTAINER_ID", "dc1c8c3f"},
      {"ELASTICIO_EXEC_ID", "some-exec-id"},
      {"ELASTICIO_FLOW_ID", "5559edd38968ec0736000003"},
      {"ELASTICIO_FUNCTION", "httpRequest"},
      {"ELASTICIO_STEP_ID", "step_2"},
      {"ELASTICIO_TENANT_ID", "tenant-1"},
      {"ELASTICIO_USER_ID", "5559edd38968ec0736000002"},
      {"ELASTICIO_WORKSPACE_ID", "5559edd38968ec073600683"},
      {"tag", "5559edd38968ec0736000003"},
  };
  EXPECT_EQ(s.log_context, expected);
  EXPECT_FALSE(s.log_context.contains("ELASTICIO_API_KEY"));

  m["LOG_LEVEL"] = "verbose";
  EXPECT_EQ(error_of(m),
            "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got \"verbose\"");
}

TEST(settings, object_storage_variables) {
  auto m = complete_env();
  m["ELASTICIO_OBJECT_STORAGE_URI"] = "http://maester";
  m["ELASTICIO_OBJECT_STORAGE_TOKEN"] = "tok";
  settings s = load_settings(lookup(m));
  EXPECT_EQ(s.object_storage_uri, "http://maester");
  EXPECT_EQ(s.object_storage_token, "tok");
}

TEST(settings, lightweight_output_variables_as_the_reference_reads_them) {
  auto m = complete_env();
  settings d = load_settings(lookup(m));
  EXPECT_FALSE(d.emit_lightweight_message);
  EXPECT_EQ(d.object_storage_size_threshold, 1048576u);  // sailor-nodejs lib/settings.js: bytes
  EXPECT_EQ(d.object_storage_retries, 2);                // maester-client: RETRIES_COUNT default
  EXPECT_EQ(d.object_storage_timeout_ms, 10000);         // REQUEST_TIMEOUT default
  // Node's boolean rule: "" and "false" are off, anything else (even "0") is on.
  for (auto [value, on] : {std::pair{"true", true}, std::pair{"1", true}, std::pair{"0", true},
                           std::pair{"no", true}, std::pair{"false", false}, std::pair{"", false}}) {
    m["ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE"] = value;
    EXPECT_EQ(load_settings(lookup(m)).emit_lightweight_message, on) << value;
  }
  m["ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD"] = "100";
  EXPECT_EQ(load_settings(lookup(m)).object_storage_size_threshold, 100u);
  m["ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD"] = "1MB";
  EXPECT_NE(error_of(m).find("ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD"), std::string::npos);
  m.erase("ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD");
  // The maester client's own variables: parseInt || default, out of range -> default; never fatal.
  for (auto [value, retries] : {std::pair{"4", 4}, std::pair{"1", 1}, std::pair{"0", 2}, std::pair{"5", 2},
                                std::pair{"-1", 2}, std::pair{"x", 2}, std::pair{"3 tries", 3}}) {
    m["REQUEST_MAX_RETRY"] = value;
    EXPECT_EQ(load_settings(lookup(m)).object_storage_retries, retries) << value;
  }
  for (auto [value, ms] : {std::pair{"500", 500}, std::pair{"20000", 20000}, std::pair{"499", 10000},
                           std::pair{"20001", 10000}, std::pair{"", 10000}, std::pair{"1500ms", 1500}}) {
    m["REQUEST_TIMEOUT"] = value;
    EXPECT_EQ(load_settings(lookup(m)).object_storage_timeout_ms, ms) << value;
  }
}

// Expected values printed by lodash 4 (_.camelCase), the library Node uses.
TEST(settings, camel_case_matches_lodash) {
  struct row {
    const char* in;
    const char* out;
  };
  for (auto [in, out] : {row{"SECOND_ELASTICIO_ENV", "secondElasticioEnv"}, row{"FOO", "foo"},
                         row{"FOO_BAR2", "fooBar2"}, row{"V2X", "v2X"}, row{"A1B2", "a1B2"},
                         row{"FOO__BAR", "fooBar"}, row{"_FOO_", "foo"},
                         row{"1ST_PLACE", "1stPlace"}, row{"X_1ST", "x1st"},
                         row{"HTTP2_PROXY", "http2Proxy"}, row{"foo-bar", "fooBar"},
                         row{"MyVar", "myVar"}, row{"ABC_DEF_123", "abcDef123"},
                         row{"ABCdef", "abCdef"}, row{"camelCase", "camelCase"},
                         row{"2ND_3RD_4TH", "2nd3rd4th"}, row{"my.var", "myVar"},
                         row{"A11B", "a11B"}, row{"HELLO WORLD", "helloWorld"}, row{"12", "12"},
                         row{"", ""}}) {
    EXPECT_EQ(camel_case(in), out) << in;
  }
}

}  // namespace
}  // namespace oauth2_rest::sail
