// amqp_connection: one AMQP 0-9-1 connection driven on the Asio reactor, TCP or TLS.
//
// It moves bytes and keeps the connection alive; what the frames mean beyond the connection
// itself (channels, deliveries, confirms) is its owner's business (broker_client). rabbitmq-c
// provides the method and property codec (frame_codec); the socket, the handshake, heartbeats and
// writes are here, all asynchronous on the caller's executor:
//
// - Nothing blocks the executor. Frames to send are appended to a buffer and written by one
//   asynchronous write per turn of the executor (so what a handler asks for goes out together);
//   a broker that stops reading (flow control, a resource alarm) only makes that buffer wait.
// - open() bounds the whole connect (resolve, TCP, TLS, AMQP handshake) by one deadline, and
//   close() ends it at once, whatever it was doing: a stop never waits on the network.
// - Heartbeats: one frame is sent when nothing else was written for half the negotiated interval;
//   nothing read for two intervals ends the connection (the broker is gone, or a half-open TCP
//   connection). TCP_USER_TIMEOUT bounds unacknowledged data on the wire by the same time.
// - TLS (amqps://): verified against the system trust store (SSL_CERT_FILE / SSL_CERT_DIR), with
//   SNI and host name (or IP) check.
//
// Every member is called on the executor's thread.
#pragma once

#include "amqp/broker_uri.hpp"
#include "amqp/frame_codec.hpp"
#include "util/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace oauth2_rest::amqp {

struct connection_options {
  broker_uri uri;
  std::string connection_name;          // client property, shown by rabbitmqctl list_connections
  std::uint16_t heartbeat_seconds = 60;  // asked for; the broker's smaller non-zero value wins
  std::chrono::milliseconds io_timeout{10'000};  // bound on open() and on each rpc()
};

class amqp_connection {
 public:
  // Frames of the steady state (heartbeats and connection.close are handled here), and the end of
  // each batch read from the socket.
  using frame_handler = std::function<void(const frame&)>;
  using batch_handler = std::function<void()>;

  static std::shared_ptr<amqp_connection> make(boost::asio::any_io_executor executor, connection_options options);
  virtual ~amqp_connection() = default;

  // Connects and logs in (connection.start ... open-ok) within io_timeout.
  virtual boost::asio::awaitable<status> open() = 0;
  // A set-up request: sends the method and waits (io_timeout) for `reply` on the same channel.
  // The frame is valid until the next co_await on this connection. A channel.close or
  // connection.close instead is a failure carrying the broker's reason.
  virtual boost::asio::awaitable<result<frame>> rpc(std::uint16_t channel, amqp_method_number_t id,
                                                    const void* arguments, amqp_method_number_t reply) = 0;
  // Reads until the connection ends and returns why. Frames already read during open()/rpc()
  // come first. A connection.close from the broker is answered (close-ok) and ends it.
  virtual boost::asio::awaitable<failure> run(frame_handler on_frame, batch_handler on_batch) = 0;

  // Queue frames; they go out in the next turn. A failure means nothing was queued (it could not
  // be encoded, or the connection is closed).
  virtual status send_method(std::uint16_t channel, amqp_method_number_t id, const void* arguments) = 0;
  virtual status send_publish(std::uint16_t channel, const amqp_basic_publish_t& publish,
                              const amqp_basic_properties_t& properties, std::string_view body) = 0;

  // Sends connection.close; run() ends when the broker answers close-ok, or at the deadline.
  virtual void close_gracefully(std::chrono::milliseconds deadline) = 0;
  // Ends the connection now: what is not written is lost, run() returns.
  virtual void close() = 0;
  // Writes what is buffered if the socket takes it at once (never waits): a courtesy before close().
  virtual void try_write_now() = 0;

  virtual std::uint16_t heartbeat_seconds() const = 0;
  virtual bool blocked() const = 0;  // connection.blocked seen and not yet unblocked
};

}  // namespace oauth2_rest::amqp
