// Passthrough: a step's output carrying the outputs (or inputs) of earlier
// steps, keyed by step id (protocol doc section 7), with the Node reference
// runtime's algorithm (sailor.js onData).
#pragma once

#include "amqp/header_table.hpp"

#include <boost/json/object.hpp>

#include <string_view>

namespace oauth2_rest::sail {

// The outgoing message with "passthrough" set for a step whose step info has
// is_passthrough = true:
// - default: the incoming passthrough (an object, else {}) plus this step's
//   own output (the emitted message without its passthrough) under step_id;
// - no_self_passthrough: the incoming passthrough plus the incoming message
//   (without its passthrough) under the incoming AMQP header stepId (the
//   previous step); without that header, the incoming passthrough alone.
// As Node does before copying, a missing or null "headers" of the emitted
// message becomes {}. With is_passthrough false the emitted message is
// returned unchanged (whatever passthrough the component set, normally none).
boost::json::object apply_passthrough(boost::json::object emitted,
                                      const boost::json::object& incoming_message,
                                      const amqp::header_table& incoming_headers,
                                      bool is_passthrough, bool no_self_passthrough,
                                      std::string_view step_id);

}  // namespace oauth2_rest::sail
