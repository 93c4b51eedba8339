// Rebound: a component asks for its input to be delivered again later
// (protocol doc section 5.5). Node republishes the original body and
// properties to the rebound routing key with a growing expiration (15 s,
// 30 s, 60 s, ...) until the limit, then publishes an error instead.
#pragma once

#include "amqp/header_table.hpp"

#include <cstdint>
#include <string_view>

namespace oauth2_rest::sail {

struct rebound_plan {
  bool limit_exceeded;        // publish "Rebound limit exceeded" as an error instead (still ack)
  int iteration;              // the reboundIteration header to send
  std::int64_t expiration_ms; // AMQP expiration property (a decimal string on the wire)
};

// iteration = incoming reboundIteration + 1 when that header is a non-zero
// JSON number (Node: `headers.reboundIteration && typeof ... === 'number'`),
// else 1; expiration = 2^(iteration-1) * initial_expiration_ms, saturating
// instead of overflowing; limit_exceeded when iteration > limit.
// Deviations from Node for values no sender produces: a fractional number is
// truncated, and an iteration below 1 (from a negative header) counts as 1.
rebound_plan plan_rebound(const amqp::header_table& incoming_headers, int limit,
                          std::int64_t initial_expiration_ms);

// Headers for the rebound publish: the original headers (order kept) + end,
// reboundReason, reboundIteration.
amqp::header_table rebound_headers(const amqp::header_table& incoming_headers,
                                    const rebound_plan& plan, std::string_view reason,
                                    std::int64_t end_ms);

}  // namespace oauth2_rest::sail
