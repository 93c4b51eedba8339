// memory_transport: a message_transport with no broker behind it, for worker tests that are
// about the pipeline and not about RabbitMQ. The test hands deliveries in; publishes are kept
// (and completed with what the test chose, on the executor, never inside the call); settles are
// recorded in order.
#pragma once

#include "sail/message_transport.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

namespace oauth2_rest::testing {

class memory_transport final : public sail::message_transport {
 public:
  struct settle {
    std::uint64_t session, tag;
    bool ack, requeue;
  };

  explicit memory_transport(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // What the next publishes complete with; ok when empty.
  std::deque<status> publish_results;
  std::vector<std::shared_ptr<const amqp::outgoing>> published;
  std::vector<settle> settles;
  bool started = false, consuming_stopped = false, closed = false;
  std::uint64_t session = 1;

  // Hands a delivery to the worker, as the broker would, on the executor.
  void deliver(amqp::delivery d);

  void start(delivery_handler on_delivery, state_handler on_state) override;
  void publish(std::shared_ptr<const amqp::outgoing> msg, std::function<void(status)> on_confirmed) override;
  bool ack(std::uint64_t session, std::uint64_t tag) override;
  bool reject(std::uint64_t session, std::uint64_t tag, bool requeue) override;
  void stop_consuming(std::function<void()> done) override;
  void close(std::function<void()> done) override;
  void stop() override {}

 private:
  boost::asio::any_io_executor executor_;
  delivery_handler on_delivery_;
};

}  // namespace oauth2_rest::testing
