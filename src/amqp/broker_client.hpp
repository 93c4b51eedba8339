// broker_client: the worker's one connection to RabbitMQ (consume one queue, publish with confirms).
//
// Threading. Everything happens on the caller's executor (a single-threaded io_context), which
// must also be the thread that calls every member function. In steady state the connection's
// socket is watched by the executor's reactor: frames are read when it reports them, publishes,
// acks and rejects asked for during one handler go out together in the next turn, and results
// (deliveries, publish completions, state changes, "consumption stopped") are handed to the
// handlers in the order they happened. One message thus costs no thread hand-off at all. The
// blocking parts of rabbitmq-c (TCP connect, login, channel set-up, closing a lost connection,
// waiting out the reconnect backoff) run on a small connector thread, which hands a ready
// connection to the executor and takes a dead one back; the executor never waits for it. The
// only calls that block the executor are stop(), and a send() into a full socket buffer (the
// broker's flow control; memory and disk alarms arrive as connection.blocked first and hold
// publishes back).
//
// Topology. One connection, two channels: channel 1 consumes `queue` (basic.qos prefetch,
// basic.consume with manual ack); channel 2 publishes in confirm mode. Queues and exchanges are
// never declared: they belong to the platform.
//
// Publishing. Every publish completes exactly once on the executor: ok on basic.ack, error::nacked
// on basic.nack, error::connection_lost if the connection dropped after sending and before the
// confirm, error::stopped if stop() came first. At most `max_unconfirmed` publishes are on the
// wire; the rest wait (in order) in the client. While disconnected, publishes wait too
// and go out after the reconnect.
//
// Recovery. Any failure (socket, heartbeat timeout, channel or connection closed by the broker,
// missing queue) tears the connection down and reconnects with capped exponential backoff with
// jitter, forever, until stop(). Each connection is a new `session`: deliveries carry it, and
// ack/reject for an older session are dropped (see ack()).
#pragma once

#include "amqp/error.hpp"
#include "amqp/message.hpp"
#include "util/result.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace oauth2_rest::amqp {

struct connection_settings {
  std::string uri;              // amqp://user:pass@host:port/vhost (amqp_parse_url; amqps is not supported)
  std::string queue;            // consumed with manual ack; never declared (queues belong to the platform)
  std::string connection_name;  // client property "connection_name", shown by rabbitmqctl list_connections
  std::uint16_t prefetch = 1;   // basic.qos prefetch_count on the consume channel
  std::uint16_t heartbeat_seconds = 60;  // 0 disables heartbeats
  std::size_t max_unconfirmed = 1000;    // publishes on the wire awaiting confirms; the rest wait in a queue
  std::chrono::milliseconds reconnect_min{100}, reconnect_max{30'000};  // capped exponential backoff with jitter
  // Bound on each blocking step of the connector thread (TCP connect, login, each RPC) and of stop().
  std::chrono::milliseconds io_timeout{10'000};
  // How long stop() waits for confirms of publishes already sent before failing them.
  std::chrono::milliseconds stop_timeout{5'000};
};

class broker_client {
 public:
  using delivery_handler = std::function<void(delivery)>;     // called on the executor
  using state_handler = std::function<void(bool connected)>;  // called on the executor

  // Throws std::invalid_argument if settings.uri does not parse (a start-up configuration error).
  broker_client(boost::asio::any_io_executor executor, connection_settings s, delivery_handler on_delivery,
                state_handler on_state = {});
  ~broker_client();  // stop()
  broker_client(const broker_client&) = delete;
  broker_client& operator=(const broker_client&) = delete;

  // Starts the connector thread: connect, qos, consume; on any failure reconnect with backoff
  // (forever, until stop). Calling it again, or after stop(), does nothing.
  void start();

  // Completion called on the executor exactly once: ok when the broker confirmed (basic.ack);
  // a failure otherwise, failure.code one of amqp::error (nacked, connection_lost, stopped), so
  // the caller can retry. Never blocks; never lost silently.
  // The message is shared, not copied: a caller that may retry keeps its reference.
  void publish(std::shared_ptr<const outgoing> msg, std::function<void(status)> on_confirmed);
  void publish(outgoing msg, std::function<void(status)> on_confirmed);

  // Acknowledge / reject a delivery. Acks that settle a run of the oldest unsettled deliveries
  // together go out as one basic.ack with multiple=true. Dropped (logged at debug) when `session` is not the current
  // connection: delivery tags are numbers local to a channel, so a tag from a dead connection
  // would name a different message (or none, and the broker would close the channel) on the new
  // one; and the broker has already requeued everything the dead connection held unacked.
  void ack(std::uint64_t session, std::uint64_t delivery_tag);
  void reject(std::uint64_t session, std::uint64_t delivery_tag, bool requeue);

  // basic.cancel; `done` is called on the executor once no more deliveries will come (after
  // every delivery that preceded the broker's cancel-ok). Consumption is not resumed after a
  // reconnect. Acks and rejects keep working.
  void stop_consuming(std::function<void()> done);

  // Fails publishes not yet sent (error::stopped), waits (blocking) up to stop_timeout for
  // confirms of those already sent, closes channels and connection cleanly and joins the
  // connector thread. Idempotent. After stop() no delivery or state handler is called any more;
  // publish completions still are (each exactly once), on the executor.
  void stop();

  bool connected() const;

 private:
  class worker;
  std::shared_ptr<worker> worker_;  // shared with its pending handlers, which must not outlive it
};

}  // namespace oauth2_rest::amqp
