// message_transport: how the worker takes messages in and gets its outputs out.
//
// The seam between the message pipeline (worker) and the platform's messaging. Today the one
// implementation is RabbitMQ (amqp_transport, over amqp::broker_client); the platform's next
// runtime generation replaces the broker with an HTTP/2 "sailor proxy", which becomes a second
// implementation without touching the worker. Tests use an in-memory one.
//
// The contract the worker relies on, whatever carries the messages:
// - Deliveries arrive on the executor, each with a session and a tag to settle it by; a
//   delivery marked redelivered may be a copy of one handed over before, on an older session.
// - publish() completes exactly once on the executor, never inside the call: ok once the
//   output is durably accepted; otherwise an amqp::error code saying what the worker may do
//   (nacked, unroutable, channel_closed, connection_lost: retry; refused: never; stopped: give up).
// - ack()/reject() settle a delivery of the current session; a settle for an older session is
//   dropped (false), since what that session held is handed over again anyway.
// - stop_consuming(done): no delivery after done. close(done): the clean end (outstanding
//   settles delivered, bounded). stop(): at once.
// Every member is called on the executor's thread.
#pragma once

#include "amqp/message.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace oauth2_rest::sail {

class message_transport {
 public:
  using delivery_handler = std::function<void(amqp::delivery&&)>;
  using state_handler = std::function<void(bool connected)>;

  virtual ~message_transport() = default;

  // Begins taking messages; the handlers are called on the executor until stop().
  virtual void start(delivery_handler on_delivery, state_handler on_state) = 0;
  virtual void publish(std::shared_ptr<const amqp::outgoing> msg, std::function<void(status)> on_confirmed) = 0;
  virtual bool ack(std::uint64_t session, std::uint64_t tag) = 0;
  virtual bool reject(std::uint64_t session, std::uint64_t tag, bool requeue) = 0;
  virtual void stop_consuming(std::function<void()> done) = 0;
  virtual void close(std::function<void()> done) = 0;
  virtual void stop() = 0;
};

}  // namespace oauth2_rest::sail
