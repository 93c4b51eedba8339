// The platform worker (`oauth2-rest sail`): RabbitMQ in, the httpRequest action, RabbitMQ out.
//
// Per delivery: decode (protocol 1 or 2, AES-256-CBC), run the action, publish
// its data / error / rebound messages with the reference runtime's headers,
// wait until the broker has confirmed every one of them, then ack (or reject
// without requeue after an error event). A message that cannot be decoded, or
// is over the incoming size limit, is rejected with its reason logged; the
// worker goes on. A publish that is nacked, returned as unroutable, or lost
// with the connection is retried with capped exponential backoff (header
// `retry: n`); when the retries run out the input goes back to the queue, so
// an input is only ever acked with all its outputs safely in the broker. An
// output the broker refuses for good becomes an error record. Anything that
// throws inside the pipeline still settles the message (requeued the first
// time, rejected when it was already redelivered).
//
// Copies. A delivery is "the same again" when it has the same messageId and
// reboundIteration (a rebound copy is a new delivery and always runs) and
// comes back redelivered on a newer connection: if we still hold it, the copy's
// delivery tag replaces the old one for the final settle; if it finished on a
// connection that died since, it is settled the same way again without being
// run. Two messages with one messageId on the same connection are both run.
//
// Lightweight messages (platform-protocol section 8): a body or passthrough
// entry whose headers carry x-ipaas-object-storage-id is fetched from object
// storage and decrypted before the action runs; when it cannot be, the message
// ends in an error record ("Failed to get message body with id=...") and is
// rejected, never run on an empty body. With ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE, a data
// output over ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD has its bodies stored there first
// (sail/lightweight_output.hpp); a store that fails is an error record, and the input is
// rejected. With it off, the output path does nothing more than before.
//
// Up to prefetch messages are processed at once, all on one thread (the
// executor), which also serves the message transport (message_transport.hpp).
#pragma once

#include "action/http_request_action.hpp"
#include "sail/message_transport.hpp"
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
#include <string_view>
#include <unordered_map>

namespace oauth2_rest::sail {

class worker {
 public:
  // The io_context runs on the calling thread; `action` may be null when the
  // step configuration was invalid (then every message ends in an error that
  // names the problem, `config_problem`). `transport` carries the messages
  // (amqp_transport on the platform today), on the same io_context.
  worker(boost::asio::io_context& io, const settings& s, step_info step, platform_api& api,
         std::unique_ptr<action::http_request_action> action, std::string config_problem,
         std::unique_ptr<message_transport> transport);
  ~worker();

  void start();
  // Stops consuming, lets messages in flight finish (at most drain_timeout_ms),
  // closes the connection; `done` runs on the executor afterwards.
  void shutdown(std::function<void()> done);
  // Messages taken and not yet settled (for the second signal's last words).
  std::size_t in_flight() const { return in_flight_; }


 private:
  struct pending;  // one message in flight
  void on_delivery(amqp::delivery&& d);
  boost::asio::awaitable<void> process(std::shared_ptr<pending> p);
  boost::asio::awaitable<void> run_message(pending& p);
  // Fetches the bodies a lightweight message keeps in object storage; the reason when one
  // cannot be had (the message then ends in an error record), empty when all are in place.
  boost::asio::awaitable<std::string> resolve_object_references(boost::json::object& message,
                                                                const std::string& message_id);
  boost::asio::awaitable<status> publish_once(std::shared_ptr<const amqp::outgoing> message);
  struct publish_outcome {
    enum { confirmed, gave_up, refused } what;
    std::string reason;
  };
  // Publishes until confirmed (retrying nacks, returns and lost connections with
  // backoff); gave_up when stopping or the configured retries ran out, refused when
  // the broker will never take this message.
  boost::asio::awaitable<publish_outcome> publish_confirmed(amqp::outgoing message);
  enum class settle_as { ack, reject };
  void settle(pending& p, settle_as how, bool requeue);
  void finish(pending& p);
  void remember_done(const pending& p, bool had_error);
  void maybe_done();
  void close();

  boost::asio::io_context& io_;
  const settings& settings_;
  step_info step_;
  platform_api& api_;
  std::unique_ptr<action::http_request_action> action_;
  std::string config_problem_;
  message_cipher cipher_;
  std::unique_ptr<message_transport> broker_;
  // copy key -> the messages in flight with it (for redelivered copies). The key is a view of
  // the pending message's own key, which lives (unchanged) as long as the entry.
  std::unordered_multimap<std::string_view, pending*> in_flight_by_key_;
  // Messages recently settled, by copy key, with the connection their settle went to,
  // oldest first in recent_order_: a copy the broker redelivers because that
  // connection died before our settle reached it is settled again without running.
  struct done_entry {
    std::uint64_t session;
    bool had_error;
  };
  // Heterogeneous lookup: recent_order_ holds views of the map's own keys (a node's key never
  // moves while the node exists), and on_delivery looks up without building a string.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const noexcept { return std::hash<std::string_view>{}(k); }
  };
  std::unordered_map<std::string, done_entry, key_hash, std::equal_to<>> recently_done_;
  std::deque<std::string_view> recent_order_;
  std::uint64_t current_session_ = 0, older_session_ = 0;
  std::size_t in_flight_ = 0;  // messages between on_delivery and finish (each held by its coroutine)
  bool stopping_ = false;
  bool closing_ = false;
  bool consuming_stopped_ = false;
  std::function<void()> on_drained_;
  boost::asio::steady_timer drain_timer_;
};

}  // namespace oauth2_rest::sail
