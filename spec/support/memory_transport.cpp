// The in-memory message transport of the worker tests.
#include "support/memory_transport.hpp"

#include <boost/asio/post.hpp>

namespace oauth2_rest::testing {

void memory_transport::deliver(amqp::delivery d) {
  boost::asio::post(executor_, [this, d = std::move(d)]() mutable {
    if (on_delivery_) on_delivery_(std::move(d));
  });
}

void memory_transport::start(delivery_handler on_delivery, state_handler on_state) {
  started = true;
  on_delivery_ = std::move(on_delivery);
  if (on_state) boost::asio::post(executor_, [on_state] { on_state(true); });
}

void memory_transport::publish(std::shared_ptr<const amqp::outgoing> msg, std::function<void(status)> on_confirmed) {
  published.push_back(std::move(msg));
  status result = ok;
  if (!publish_results.empty()) {
    result = std::move(publish_results.front());
    publish_results.pop_front();
  }
  boost::asio::post(executor_, [done = std::move(on_confirmed), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

bool memory_transport::ack(std::uint64_t s, std::uint64_t tag) {
  settles.push_back({s, tag, true, false});
  return s == session;
}

bool memory_transport::reject(std::uint64_t s, std::uint64_t tag, bool requeue) {
  settles.push_back({s, tag, false, requeue});
  return s == session;
}

void memory_transport::stop_consuming(std::function<void()> done) {
  consuming_stopped = true;
  boost::asio::post(executor_, std::move(done));
}

void memory_transport::close(std::function<void()> done) {
  closed = true;
  boost::asio::post(executor_, std::move(done));
}

}  // namespace oauth2_rest::testing
