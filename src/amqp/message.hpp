// What travels through the AMQP layer: message properties, incoming deliveries, outgoing publishes.
//
// Plain values with no rabbitmq-c types, so the orchestrator and the codec can use them without
// seeing the client library. Headers are an AMQP field table as a flat list of keys and JSON
// values (header_table.hpp; field_table.hpp has the exact mapping).
#pragma once

#include "amqp/header_table.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace oauth2_rest::amqp {

struct message_properties {
  std::string content_type, content_encoding;   // empty = not set
  std::uint8_t delivery_mode = 0;               // 0 = not set; 1 transient, 2 persistent
  std::optional<std::string> expiration, correlation_id, reply_to, message_id, type, app_id, user_id;
  std::optional<std::uint8_t> priority;
  std::optional<std::uint64_t> timestamp;       // seconds since the epoch (AMQP's unit)
  header_table headers;                         // AMQP field table <-> keys and JSON values
};

// One message handed to us by basic.deliver; acknowledge it with broker_client::ack/reject,
// passing `session` and `delivery_tag` back unchanged.
struct delivery {
  std::uint64_t session = 0;       // the connection it arrived on; see broker_client::ack
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange, routing_key;
  std::string body;
  // The body was over connection_settings::max_body_bytes: it was not kept (body is empty) and
  // the delivery is handed over only so that the caller rejects it, naming body_size.
  bool too_large = false;
  std::uint64_t body_size = 0;
  message_properties properties;
};

struct outgoing {
  std::string exchange, routing_key, body;
  message_properties properties;
  // The platform publishes with mandatory=true: an unroutable message comes back as basic.return,
  // and its publish then fails with error::unroutable instead of succeeding.
  bool mandatory = true;
};

}  // namespace oauth2_rest::amqp
