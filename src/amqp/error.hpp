// Error codes of the AMQP layer (category "amqp"), carried in failure::code.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace oauth2_rest::amqp {

enum class error {
  // The broker answered basic.nack: it did not take responsibility for the message (e.g. a queue
  // with overflow=reject-publish is full). Retrying later may succeed.
  nacked = 1,
  // The connection or the publish channel went away after the message was sent and before the
  // broker confirmed it: it may or may not have been routed. Retry (duplicates are possible).
  connection_lost,
  // broker_client::stop() ran before the message was sent or confirmed.
  stopped,
  // The broker returned the message (basic.return): no queue is bound for its routing key. The
  // confirm that follows does not make it a success; retrying later may succeed (a flow being
  // redeployed binds its queues again).
  unroutable,
  // This message itself was refused, and sending it again cannot succeed: it could not be
  // encoded (a field or the headers too large for a frame), or the broker closed the publish
  // channel over it with a precondition failure (e.g. an expiration above 4294967295 ms).
  refused,
  // The broker closed the publish channel for a reason that is not the message's own (e.g. the
  // exchange does not exist, 404). The channel is re-opened; retrying later may succeed.
  channel_closed,
  // The byte stream from the broker is not valid AMQP 0-9-1 (or not our version).
  protocol,
};

const boost::system::error_category& amqp_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), amqp_category()};
}

}  // namespace oauth2_rest::amqp

template <>
struct boost::system::is_error_code_enum<oauth2_rest::amqp::error> : std::true_type {};
