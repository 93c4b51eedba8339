// The platform worker (`oauth2-rest sail`): RabbitMQ in, the httpRequest action, RabbitMQ out.
//
// Per delivery: decode (protocol 1 or 2, AES-256-CBC), run the action, publish
// its data / error / rebound messages with the reference runtime's headers,
// wait until the broker has confirmed every one of them, then ack (or reject
// without requeue after an error event). A message that cannot be decoded is
// rejected with its reason logged; the worker goes on. A publish that is
// nacked or lost with the connection is retried with capped exponential
// backoff (header `retry: n`), so an input is only ever acked with all its
// outputs safely in the broker. A redelivered copy of a message still in
// flight (same messageId) is not processed again: the copy's delivery tag
// replaces the old one for the final ack. A redelivered copy of a message
// that recently finished (its ack died with the old connection) is settled
// the same way again without being run.
//
// Up to prefetch messages are processed at once, all on one thread (the
// executor), which also serves the AMQP connection (broker_client).
#pragma once

#include "action/http_request_action.hpp"
#include "amqp/broker_client.hpp"
#include "sail/message_cipher.hpp"
#include "sail/platform_api.hpp"
#include "sail/settings.hpp"
#include "sail/step_info.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace oauth2_rest::sail {

class worker {
 public:
  // The io_context runs on the calling thread; `action` may be null when the
  // step configuration was invalid (then every message ends in an error that
  // names the problem, `config_problem`).
  worker(boost::asio::io_context& io, const settings& s, step_info step, platform_api& api,
         std::unique_ptr<action::http_request_action> action, std::string config_problem);
  ~worker();

  void start();
  // Stops consuming, lets messages in flight finish (at most drain_timeout_ms),
  // closes the connection; `done` runs on the executor afterwards.
  void shutdown(std::function<void()> done);


 private:
  struct pending;  // one message in flight
  void on_delivery(amqp::delivery d);
  boost::asio::awaitable<void> process(std::shared_ptr<pending> p);
  boost::asio::awaitable<status> publish_once(std::shared_ptr<const amqp::outgoing> message);
  // Publishes until confirmed (retrying nacks and lost connections with backoff);
  // false when it had to give up (stopping, or the configured retries ran out).
  boost::asio::awaitable<bool> publish_confirmed(amqp::outgoing message);
  void finish(pending& p);
  void remember_done(const std::string& message_id, bool had_error);
  void maybe_done();
  void close();

  boost::asio::io_context& io_;
  const settings& settings_;
  step_info step_;
  platform_api& api_;
  std::unique_ptr<action::http_request_action> action_;
  std::string config_problem_;
  message_cipher cipher_;
  std::unique_ptr<amqp::broker_client> broker_;
  // messageId -> the message in flight (for redelivered duplicates).
  std::unordered_map<std::string, std::shared_ptr<pending>> by_message_id_;
  // Messages recently finished (messageId -> ended with an error), oldest first in
  // recent_order_: a copy the broker redelivers because our ack went to a connection
  // that died meanwhile is settled again without running it twice.
  std::unordered_map<std::string, bool> recently_done_;
  std::deque<std::string> recent_order_;
  std::unordered_map<pending*, std::shared_ptr<pending>> in_flight_;
  bool stopping_ = false;
  bool consuming_stopped_ = false;
  std::function<void()> on_drained_;
  boost::asio::steady_timer drain_timer_;
};

}  // namespace oauth2_rest::sail
