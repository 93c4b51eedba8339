// The RabbitMQ message transport: a thin adapter over amqp::broker_client.
#include "sail/amqp_transport.hpp"

#include <unistd.h>

namespace oauth2_rest::sail {

amqp::connection_settings connection_settings_for(const settings& s) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  amqp::connection_settings cs;
  cs.uri = s.amqp_uri;
  cs.queue = s.listen_messages_on;
  cs.connection_name = std::string(host) + "-oauth2-rest-" + s.step_id;
  cs.prefetch = static_cast<std::uint16_t>(s.prefetch);
  cs.heartbeat_seconds = static_cast<std::uint16_t>(s.amqp_heartbeat_seconds);
  cs.max_body_bytes = s.max_incoming_message_bytes;
  return cs;
}

amqp_transport::amqp_transport(boost::asio::any_io_executor executor, amqp::connection_settings settings)
    : client_(
          std::move(executor), std::move(settings),
          [this](amqp::delivery&& d) {
            if (on_delivery_) on_delivery_(std::move(d));
          },
          [this](bool up) {
            if (on_state_) on_state_(up);
          }) {}

amqp_transport::~amqp_transport() { client_.stop(); }

void amqp_transport::start(delivery_handler on_delivery, state_handler on_state) {
  on_delivery_ = std::move(on_delivery);
  on_state_ = std::move(on_state);
  client_.start();
}

void amqp_transport::publish(std::shared_ptr<const amqp::outgoing> msg, std::function<void(status)> on_confirmed) {
  client_.publish(std::move(msg), std::move(on_confirmed));
}

bool amqp_transport::ack(std::uint64_t session, std::uint64_t tag) { return client_.ack(session, tag); }

bool amqp_transport::reject(std::uint64_t session, std::uint64_t tag, bool requeue) {
  return client_.reject(session, tag, requeue);
}

void amqp_transport::stop_consuming(std::function<void()> done) { client_.stop_consuming(std::move(done)); }

void amqp_transport::close(std::function<void()> done) { client_.close(std::move(done)); }

void amqp_transport::stop() { client_.stop(); }

}  // namespace oauth2_rest::sail
