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
};

const boost::system::error_category& amqp_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), amqp_category()};
}

}  // namespace oauth2_rest::amqp

template <>
struct boost::system::is_error_code_enum<oauth2_rest::amqp::error> : std::true_type {};
