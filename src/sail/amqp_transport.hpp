// amqp_transport: the worker's messages over RabbitMQ (the platform's broker today).
//
// A message_transport over amqp::broker_client: consume ELASTICIO_LISTEN_MESSAGES_ON with
// prefetch, publish with confirms, settle by delivery tag (contracts in broker_client.hpp).
#pragma once

#include "amqp/broker_client.hpp"
#include "sail/message_transport.hpp"
#include "sail/settings.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace oauth2_rest::sail {

// The broker client's settings from the worker's: URI, queue, prefetch, heartbeat, incoming
// size limit, and the connection name operators see, `<hostname>-oauth2-rest-<step id>`.
amqp::connection_settings connection_settings_for(const settings& s);

class amqp_transport final : public message_transport {
 public:
  // Throws std::invalid_argument for an AMQP URI that does not parse (start-up configuration).
  amqp_transport(boost::asio::any_io_executor executor, amqp::connection_settings settings);
  ~amqp_transport() override;

  void start(delivery_handler on_delivery, state_handler on_state) override;
  void publish(std::shared_ptr<const amqp::outgoing> msg, std::function<void(status)> on_confirmed) override;
  bool ack(std::uint64_t session, std::uint64_t tag) override;
  bool reject(std::uint64_t session, std::uint64_t tag, bool requeue) override;
  void stop_consuming(std::function<void()> done) override;
  void close(std::function<void()> done) override;
  void stop() override;

 private:
  // The broker client wants its handlers at construction; start() provides them.
  delivery_handler on_delivery_;
  state_handler on_state_;
  amqp::broker_client client_;
};

}  // namespace oauth2_rest::sail
