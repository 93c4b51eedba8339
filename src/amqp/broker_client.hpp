// broker_client: the worker's link to RabbitMQ: consume one queue, publish with confirms.
//
// Topology. Two connections, as the reference runtime has: one consumes `queue` (basic.qos
// prefetch, basic.consume with manual ack) and carries its acks and rejects; the other publishes
// in confirm mode. When a resource alarm makes the broker block publishing connections, it stops
// reading the publishing one only: deliveries, acks and heartbeats go on on the other. Queues and
// exchanges are never declared: they belong to the platform.
//
// Threading. Everything happens on the caller's executor (a single-threaded io_context), which
// must also be the thread that calls every member function. The connections are driven by its
// reactor (amqp_connection): nothing here blocks it, not a full socket buffer, not a broker that
// stopped reading, not stop(). Publishes, acks and rejects asked for during one handler go out
// together in the next turn; results (deliveries, publish completions, state changes,
// "consumption stopped") are handed to the handlers in the order they happened.
//
// Publishing. Every publish completes exactly once on the executor: ok on basic.ack; otherwise a
// failure whose code is an amqp::error the caller can act on: nacked, unroutable (basic.return:
// no queue bound for the routing key), channel_closed (the broker closed the publish channel,
// e.g. the exchange is gone; the channel is re-opened at once), connection_lost (sent, then the
// connection dropped before the confirm), refused (this message cannot be sent: it does not
// encode, or the broker closed the channel over it with a precondition failure; retrying cannot
// help), stopped (stop() came first). At most `max_unconfirmed` publishes are on the wire; the
// rest wait, in order, and so do publishes while the publish connection is down or blocked.
//
// Recovery. Each connection reconnects on its own, with capped exponential backoff and jitter,
// forever, until stop(). Each consume connection is a new `session`: deliveries carry it, and
// ack/reject for an older session are dropped (see ack()). A consume channel closed by the broker
// (or the consumer cancelled, the queue deleted) reconnects the consume connection only.
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
  // amqp[s]://user:pass@host:port/vhost[?heartbeat=..&frame_max=..] (see broker_uri.hpp)
  std::string uri;
  std::string queue;            // consumed with manual ack; never declared (queues belong to the platform)
  std::string connection_name;  // client property "connection_name" of the consume connection (publish: + "-publish")
  std::uint16_t prefetch = 1;   // basic.qos prefetch_count on the consume channel
  std::uint16_t heartbeat_seconds = 60;  // 0 disables heartbeats; a heartbeat in the URI wins
  std::size_t max_unconfirmed = 1000;    // publishes on the wire awaiting confirms; the rest wait in a queue
  // Deliveries with a larger body are not kept: they arrive with too_large set, for the caller to reject.
  std::uint64_t max_body_bytes = std::uint64_t{1} << 30;
  std::chrono::milliseconds reconnect_min{100}, reconnect_max{30'000};  // capped exponential backoff with jitter
  // Bound on connecting (resolve, TCP, TLS, login) and on each set-up request.
  std::chrono::milliseconds io_timeout{10'000};
  // How long close() waits for confirms of publishes already sent, and then for the broker's close-ok.
  std::chrono::milliseconds stop_timeout{5'000};
};

class broker_client {
 public:
  using delivery_handler = std::function<void(delivery&&)>;   // called on the executor
  using state_handler = std::function<void(bool connected)>;  // called on the executor

  // Throws std::invalid_argument if settings.uri does not parse (a start-up configuration error).
  broker_client(boost::asio::any_io_executor executor, connection_settings s, delivery_handler on_delivery,
                state_handler on_state = {});
  ~broker_client();  // stop()
  broker_client(const broker_client&) = delete;
  broker_client& operator=(const broker_client&) = delete;

  // Connects both connections, then consumes; on any failure reconnects with backoff (forever,
  // until stop). Calling it again, or after stop(), does nothing.
  void start();

  // Completion called on the executor exactly once: ok when the broker confirmed (basic.ack),
  // a failure otherwise (see Publishing above). Never blocks; never lost silently.
  // The message is shared, not copied: a caller that may retry keeps its reference.
  void publish(std::shared_ptr<const outgoing> msg, std::function<void(status)> on_confirmed);
  void publish(outgoing msg, std::function<void(status)> on_confirmed);

  // Acknowledge / reject a delivery. Acks that settle a run of the oldest unsettled deliveries
  // together go out as one basic.ack with multiple=true. Dropped (logged at debug) when `session`
  // is not the current consume connection: delivery tags are numbers local to a channel, so a tag
  // from a dead connection would name a different message (or none, and the broker would close the
  // channel) on the new one; and the broker has already requeued everything the dead connection
  // held unacked. Returns false when dropped that way (or for a tag unknown on the session).
  bool ack(std::uint64_t session, std::uint64_t delivery_tag);
  bool reject(std::uint64_t session, std::uint64_t delivery_tag, bool requeue);

  // basic.cancel; `done` is called on the executor once no more deliveries will come (after
  // every delivery that preceded the broker's cancel-ok). Consumption is not resumed after a
  // reconnect. Acks and rejects keep working.
  void stop_consuming(std::function<void()> done);

  // The clean end: waits (at most stop_timeout, on the executor, never blocking it) for confirms
  // of publishes already sent, sends the acks and rejects asked for, closes both connections
  // with connection.close / close-ok (bounded too), then stop()s and calls `done`.
  void close(std::function<void()> done);

  // Ends at once: publishes not yet confirmed fail (error::stopped), both connections are closed
  // (what the consume connection held unacked returns to the queue). Idempotent. After stop() no
  // delivery or state handler is called any more; publish completions still are (each exactly
  // once), on the executor, never inside stop().
  void stop();

  bool connected() const;

 private:
  class state;
  std::shared_ptr<state> state_;  // shared with its pending handlers, which must not outlive it
};

}  // namespace oauth2_rest::amqp
