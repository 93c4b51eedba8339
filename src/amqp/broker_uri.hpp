// broker_uri: what an amqp:// or amqps:// URI names, read as amqplib (the reference runtime's
// client) reads it.
//
//   amqp[s]://user:password@host:port/vhost?heartbeat=30&frame_max=131072&channel_max=0&locale=en_US
//
// User, password and vhost are percent-decoded (any byte, not only ASCII); the default port is
// 5672, or 5671 for amqps; "amqp://host" and "amqp://host/" both mean the vhost "/". Query
// parameters amqplib knows are accepted: heartbeat (seconds) and frame_max take effect, the rest
// (channel_max, locale) are accepted and ignored. Errors never repeat the URI: it holds the
// password.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::amqp {

struct broker_uri {
  bool tls = false;
  std::string host;  // a name or an IP address, without brackets
  std::uint16_t port = 5672;
  std::string user = "guest", password = "guest";
  std::string vhost = "/";
  std::optional<std::uint16_t> heartbeat_seconds;
  std::optional<std::uint32_t> frame_max;
};

result<broker_uri> parse_broker_uri(std::string_view text);

}  // namespace oauth2_rest::amqp
