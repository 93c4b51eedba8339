// The platform worker's message pipeline: decode, act, publish with confirms, then ack.
#include "sail/worker.hpp"

#include "amqp/error.hpp"
#include "sail/lightweight_output.hpp"
#include "sail/message_codec.hpp"
#include "sail/outgoing_headers.hpp"
#include "sail/passthrough.hpp"
#include "sail/rebound.hpp"
#include "util/json_read.hpp"
#include "util/log.hpp"
#include "util/uuid.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <chrono>

namespace oauth2_rest::sail {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The string value of `name` in a header table or JSON object, or empty.
template <class Table>
std::string string_header(const Table& headers, std::string_view name) {
  if (auto* v = headers.if_contains(name); v && v->is_string()) return std::string(v->as_string());
  return {};
}

// One message's events, in the order the action raised them.
struct event {
  enum class kind { data, error, rebound } what;
  json::object message;
  std::string name;
  std::string text;
};

class collecting_sink final : public action::event_sink {
 public:
  void data(json::object message) override { events.push_back({event::kind::data, std::move(message), {}, {}}); }
  void error(std::string name, std::string message) override {
    events.push_back({event::kind::error, {}, std::move(name), std::move(message)});
  }
  void rebound(std::string reason) override { events.push_back({event::kind::rebound, {}, {}, std::move(reason)}); }
  void update_keys(json::object k) override { keys = std::move(k); }

  std::vector<event> events;
  std::optional<json::object> keys;
};

}  // namespace

struct worker::pending {
  // The latest delivery of this message: a redelivered copy from a dead connection replaces it,
  // so the final settle goes to a delivery tag of the live connection.
  std::uint64_t session = 0;
  std::uint64_t tag = 0;
  bool redelivered = false;
  std::string message_id;
  std::string key;  // copy_key(): messageId and rebound iteration; empty without a messageId
  std::string raw_body;
  amqp::message_properties properties;
  bool settled = false;
};

namespace {

// What identifies "the same delivery again": a rebound copy keeps its original's messageId but
// carries the next reboundIteration, so it is another delivery, to be run.
std::string copy_key(const std::string& message_id, const amqp::header_table& headers) {
  if (message_id.empty()) return {};
  std::string key;
  key.reserve(message_id.size() + 24);  // the id, '\n' and an iteration number: one allocation
  key = message_id;
  key.push_back('\n');
  if (auto* v = headers.if_contains("reboundIteration")) {
    if (v->is_int64()) key += std::to_string(v->get_int64());
    else if (v->is_uint64()) key += std::to_string(v->get_uint64());
    else if (v->is_double()) key += std::to_string(v->get_double());
    else if (v->is_string()) key += v->get_string();
  }
  return key;
}

// delay << attempt, capped, without overflowing for any setting.
std::int64_t backoff_ms(std::int64_t delay, std::int64_t attempt, std::int64_t cap) {
  delay = std::max<std::int64_t>(delay, 0);
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay = delay > cap / 2 ? cap : delay * 2;
  return std::min(delay, cap);
}

}  // namespace

worker::worker(asio::io_context& io, const settings& s, step_info step, platform_api& api,
               std::unique_ptr<action::http_request_action> action, std::string config_problem,
               std::unique_ptr<message_transport> transport)
    : io_(io),
      settings_(s),
      step_(std::move(step)),
      api_(api),
      action_(std::move(action)),
      config_problem_(std::move(config_problem)),
      cipher_(s.message_crypto_password, s.message_crypto_iv),
      broker_(std::move(transport)),
      drain_timer_(io) {}

worker::~worker() {
  if (broker_) broker_->stop();
}

void worker::start() {
  broker_->start([this](amqp::delivery&& d) { on_delivery(std::move(d)); },
                 [](bool connected) {
                   if (connected) log::info("connected to the broker");
                   else log::warn("lost the broker connection; reconnecting");
                 });
}

void worker::on_delivery(amqp::delivery&& d) {
  auto message_id = string_header(d.properties.headers, "messageId");
  if (d.too_large) {
    log::error("rejecting a message over the incoming size limit (OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES)",
               {{"messageId", message_id}, {"size", d.body_size}, {"limit", settings_.max_incoming_message_bytes}});
    broker_->reject(d.session, d.delivery_tag, false);
    return;
  }
  if (message_id.empty()) log::warn("Message does not have messageId");
  auto key = copy_key(message_id, d.properties.headers);
  if (d.session != current_session_) {
    // A new connection: settles of the one before the last can no longer be the ones lost.
    older_session_ = current_session_;
    current_session_ = d.session;
    // The order queue first: its entries are views of the map's keys.
    std::erase_if(recent_order_,
                  [&](std::string_view k) { return recently_done_.find(k)->second.session != older_session_; });
    std::erase_if(recently_done_, [&](const auto& e) { return e.second.session != older_session_; });
  }
  if (!key.empty() && d.redelivered) {
    // Only a delivery of an earlier, dead connection can come back redelivered while we still
    // hold it: the broker never redelivers what a live channel holds unsettled. A copy with the
    // same id on the same connection is another message (a splitter re-emitting its input's id).
    auto [first, last] = in_flight_by_key_.equal_range(key);
    for (auto it = first; it != last; ++it) {
      pending& held = *it->second;
      if (held.session == d.session) continue;
      held.session = d.session;
      held.tag = d.delivery_tag;
      log::info("a redelivered copy of a message in flight will be settled when it ends", {{"messageId", message_id}});
      return;
    }
    if (auto done = recently_done_.find(key); done != recently_done_.end() && done->second.session != d.session) {
      // Finished and confirmed already; its settle went to a connection that died meanwhile.
      log::info("a redelivered copy of a finished message is settled without running it again",
                {{"messageId", message_id}});
      if (done->second.had_error) broker_->reject(d.session, d.delivery_tag, false);
      else broker_->ack(d.session, d.delivery_tag);
      return;
    }
  }
  auto p = std::make_shared<pending>();
  p->session = d.session;
  p->tag = d.delivery_tag;
  p->redelivered = d.redelivered;
  p->message_id = std::move(message_id);
  p->key = std::move(key);
  p->raw_body = std::move(d.body);
  p->properties = std::move(d.properties);
  ++in_flight_;
  if (!p->key.empty()) in_flight_by_key_.emplace(std::string_view(p->key), p.get());
  asio::co_spawn(io_, process(p), [](std::exception_ptr) {
    // process() catches everything itself; nothing can arrive here.
  });
}

asio::awaitable<status> worker::publish_once(std::shared_ptr<const amqp::outgoing> message) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(status)>(
      [this, &message](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        broker_->publish(std::move(message), [shared](status s) { (*shared)(std::move(s)); });
      },
      asio::use_awaitable);
}

asio::awaitable<worker::publish_outcome> worker::publish_confirmed(amqp::outgoing outgoing) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  // Shared with the broker client while it is on the wire; kept for a retry.
  std::shared_ptr<const amqp::outgoing> message = std::make_shared<const amqp::outgoing>(std::move(outgoing));
  for (std::int64_t attempt = 0;; ++attempt) {
    if (attempt > 0) {
      auto next = std::make_shared<amqp::outgoing>(*message);
      next->properties.headers["retry"] = attempt;
      message = std::move(next);
    }
    auto confirmed = co_await publish_once(message);
    if (confirmed) co_return publish_outcome{publish_outcome::confirmed, {}};
    const auto& why = confirmed.error();
    if (why.code == amqp::error::stopped) co_return publish_outcome{publish_outcome::gave_up, why.message};
    if (why.code == amqp::error::refused) {
      log::error("the broker refused an output; sending it again cannot succeed",
                 {{"routingKey", message->routing_key}, {"reason", why.message}});
      co_return publish_outcome{publish_outcome::refused, why.message};
    }
    if (settings_.amqp_publish_retry_attempts && attempt >= *settings_.amqp_publish_retry_attempts) {
      log::error("giving up publishing after the configured retries",
                 {{"routingKey", message->routing_key}, {"reason", why.message}});
      co_return publish_outcome{publish_outcome::gave_up, why.message};
    }
    // A nack means the destination queue is full (overflow=reject-publish), a return that no
    // queue is bound for the routing key (a flow being redeployed): back off and try again, as
    // the reference runtime does for nacks, without limit by default.
    auto delay = backoff_ms(settings_.amqp_publish_retry_delay_ms, attempt, settings_.amqp_publish_max_retry_delay_ms);
    log::warn("publish not confirmed, will retry",
              {{"routingKey", message->routing_key}, {"attempt", attempt + 1}, {"delayMs", delay},
               {"reason", why.message}});
    pause.expires_after(std::chrono::milliseconds(delay));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> worker::process(std::shared_ptr<pending> p) {
  // Whatever happens inside, the message is settled and its bookkeeping released: one message
  // that throws (no memory for a huge body, an output too large to encrypt) must not hold a
  // prefetch slot, or its id, for the life of the process.
  std::string failed;
  try {
    co_await run_message(*p);
  } catch (const std::exception& e) {
    failed = e.what();
  } catch (...) {
    failed = "unknown exception";
  }
  if (!p->settled) {
    if (failed.empty()) failed = "the message ended without being settled";
    // A first failure may be passing (memory); a redelivered one failed before: drop it, with
    // the reason logged, rather than let it come back for ever.
    const bool requeue = !p->redelivered;
    try {
      log::error(requeue ? "processing a message failed unexpectedly; returning it to the queue"
                         : "processing a redelivered message failed again; rejecting it",
                 {{"messageId", p->message_id}, {"reason", failed}});
    } catch (...) {
    }
    settle(*p, settle_as::reject, requeue);
  }
  finish(*p);
}

namespace {

// The object id of a message or passthrough entry stored in object storage, or empty.
std::string object_id_of(const json::object& entry) {
  if (auto* h = entry.if_contains("headers"); h && h->is_object())
    if (auto* id = h->get_object().if_contains("x-ipaas-object-storage-id"); id && id->is_string())
      return std::string(id->get_string());
  return {};
}

}  // namespace

asio::awaitable<std::string> worker::resolve_object_references(json::object& message, const std::string& message_id) {
  // The body first, then each passthrough entry, as the reference runtime's fetchMessageBody.
  // On the stack for the usual few entries: the per-message path allocates nothing for this.
  boost::container::small_vector<json::object*, 8> entries{&message};
  if (auto* pt = message.if_contains("passthrough"); pt && pt->is_object())
    for (auto& kv : pt->get_object())
      if (kv.value().is_object()) entries.push_back(&kv.value().get_object());
  for (json::object* entry : entries) {
    const std::string id = object_id_of(*entry);
    if (id.empty()) continue;
    auto stored = co_await api_.fetch_object(id, message_id);
    std::string why;
    if (!stored) {
      why = stored.error().message;
    } else if (auto plain = cipher_.decrypt(*stored); !plain) {
      why = "the stored body does not decrypt: " + plain.error().message;
    } else {
      boost::system::error_code ec;
      auto body = read_json(*plain, ec);
      if (ec) why = "the stored body is not JSON: " + ec.message();
      else (*entry)["body"] = std::move(body);
    }
    if (!why.empty()) {
      log::error("could not fetch a lightweight message's body from object storage",
                 {{"messageId", message_id}, {"objectId", id}, {"reason", why}});
      co_return "Failed to get message body with id=" + id + ": " + why;
    }
  }
  co_return std::string();
}

void worker::settle(pending& p, settle_as how, bool requeue) {
  if (p.settled) return;
  p.settled = true;
  if (how == settle_as::ack) broker_->ack(p.session, p.tag);
  else broker_->reject(p.session, p.tag, requeue);
  if (how != settle_as::reject || !requeue) remember_done(p, how == settle_as::reject);
}

asio::awaitable<void> worker::run_message(pending& message) {
  auto* p = &message;
  const auto start = now_ms();
  const auto& headers = p->properties.headers;
  const int protocol = protocol_version_of(headers);

  auto decoded = settings_.input_format == input_format::error_record
                     ? decode_error_record(p->raw_body, cipher_)
                     : decode_message(p->raw_body, protocol, cipher_);
  if (!decoded) {
    log::error("rejecting a message that cannot be decoded",
               {{"messageId", p->message_id}, {"reason", decoded.error().message}});
    settle(*p, settle_as::reject, false);
    co_return;
  }
  json::object incoming = std::move(decoded).value();
  attach_reply_to(incoming, headers);
  // A lightweight message carries its body (and its passthrough entries' bodies) in object
  // storage: nothing is run on the empty placeholder.
  const std::string unresolved = co_await resolve_object_references(incoming, p->message_id);

  const auto thread_id = thread_id_of(headers, [] { return new_uuid_v4(); });
  const auto new_id = new_uuid_v4();
  auto common = build_common_headers(headers, settings_, new_id, thread_id, start);

  collecting_sink sink;
  if (!unresolved.empty()) {
    sink.error("Error", unresolved);
  } else if (action_) {
    co_await action_->process(incoming, sink);
  } else if (config_problem_.empty()) {
    // Benchmarks only (OAUTH2_REST_BENCH_NOOP_ACTION, see entry_points.cpp): no action, the
    // input body is emitted as it came, to measure the broker-only ceiling of the pipeline.
    json::object out;
    if (auto* b = incoming.if_contains("body")) out["body"] = *b;
    sink.data(std::move(out));
  } else {
    sink.error("ConfigurationError", config_problem_);
  }

  if (sink.keys) {
    std::string account;
    if (auto* a = step_.config.if_contains("_account"); a && a->is_string()) account = a->as_string();
    auto saved = co_await api_.save_keys(account, *sink.keys);
    if (!saved) {
      log::warn("could not save the new token to the credential; it stays in memory",
                {{"reason", saved.error().message}});
    }
  }

  amqp::message_properties base;
  base.content_type = "application/json";
  base.content_encoding = "utf8";
  base.delivery_mode = settings_.amqp_persistent_messages ? 2 : 1;

  bool had_error = false;
  bool published_all = true;   // false: an output is not in the broker; the input goes back to the queue
  std::string refused;         // an output the broker refused for good
  auto note = [&](const publish_outcome& o) {
    if (o.what == publish_outcome::gave_up) published_all = false;
    if (o.what == publish_outcome::refused && refused.empty()) refused = o.reason;
  };
  auto publish_error = [&](const std::string& name, const std::string& text) -> asio::awaitable<void> {
    error_description e{.name = name, .message = text, .stack = name + ": " + text};
    auto record = encode_error_record(e, p->raw_body, protocol, cipher_);
    auto error_hdrs = error_headers(common, now_ms());
    amqp::outgoing out{settings_.publish_messages_to, settings_.error_routing_key, std::move(record), base};
    out.properties.headers = error_hdrs;
    auto outcome = co_await publish_confirmed(std::move(out));
    if (outcome.what == publish_outcome::refused) {
      // Not even the error record is accepted: nothing more can be said downstream.
      log::error("the broker refused the error record of a message; rejecting the message",
                 {{"messageId", p->message_id}, {"error", text}, {"reason", outcome.reason}});
    }
    if (outcome.what == publish_outcome::gave_up) published_all = false;
    auto reply_to = string_header(headers, "reply_to");
    if (!reply_to.empty() && !settings_.no_error_replies) {
      amqp::outgoing reply{settings_.publish_messages_to, reply_to, encode_error_payload(e, cipher_), base};
      reply.properties.headers = error_reply_headers(error_hdrs);
      auto replied = co_await publish_confirmed(std::move(reply));
      if (replied.what == publish_outcome::gave_up) published_all = false;
    }
  };

  for (auto& ev : sink.events) {
    if (!published_all || !refused.empty()) break;
    switch (ev.what) {
      case event::kind::data: {
        auto out = apply_passthrough(std::move(ev.message), incoming, headers, step_.is_passthrough,
                                     settings_.no_self_passthrough, settings_.step_id);
        if (settings_.emit_lightweight_message) {
          // Bodies over the threshold go to object storage; the message carries their ids.
          const std::string_view own_entry =
              step_.is_passthrough && !settings_.no_self_passthrough ? std::string_view(settings_.step_id) : "";
          const std::string not_stored = co_await store_lightweight_bodies(
              api_, cipher_, out, settings_.object_storage_size_threshold, own_entry, p->message_id);
          if (!not_stored.empty()) {
            had_error = true;
            co_await publish_error("Error", not_stored);
            break;
          }
        }
        auto id = string_header(out, "id");
        auto body = encode_message(out, settings_.protocol_version, cipher_);
        if (body.size() > settings_.outgoing_message_size_limit) {
          had_error = true;
          co_await publish_error("Error", "Outgoing message size " + std::to_string(body.size()) +
                                              " exceeds limit of " +
                                              std::to_string(settings_.outgoing_message_size_limit) + ".");
          break;
        }
        amqp::outgoing msg{settings_.publish_messages_to, settings_.data_routing_key, std::move(body), base};
        const std::string_view message_id = id.empty() ? std::string_view(new_id) : std::string_view(id);
        // The last output of the message takes the common headers over instead of copying them.
        msg.properties.headers = &ev == &sink.events.back()
                                     ? data_headers(std::move(common), message_id, settings_.protocol_version, now_ms())
                                     : data_headers(common, message_id, settings_.protocol_version, now_ms());
        note(co_await publish_confirmed(std::move(msg)));
        break;
      }
      case event::kind::error:
        had_error = true;
        co_await publish_error(ev.name, ev.text);
        break;
      case event::kind::rebound: {
        auto plan = plan_rebound(headers, settings_.rebound_limit, settings_.rebound_initial_expiration_ms);
        if (plan.limit_exceeded) {
          // As the reference runtime: an error record, but the input is still acknowledged.
          co_await publish_error("Error", "Rebound limit exceeded");
          break;
        }
        amqp::outgoing msg{settings_.publish_messages_to, settings_.rebound_routing_key, p->raw_body, p->properties};
        // RabbitMQ refuses an expiration above 2^32-1 ms (about 49 days) by closing the channel.
        msg.properties.expiration = std::to_string(std::clamp<std::int64_t>(plan.expiration_ms, 0, 4294967295));
        msg.properties.headers = rebound_headers(headers, plan, ev.text, now_ms());
        note(co_await publish_confirmed(std::move(msg)));
        break;
      }
    }
  }

  if (published_all && !refused.empty()) {
    // An output the broker will never take (it does not encode, or the broker closed the channel
    // over it): the flow learns it from an error record, and the input is done with.
    had_error = true;
    co_await publish_error("Error", "The broker refused an output of this message: " + refused);
  }
  if (!published_all) {
    // Not every output is in the broker: the input must not be acknowledged.
    // Requeue it (on a live connection) so it is processed again; nothing is lost.
    log::error("could not publish every output of a message; returning it to the queue",
               {{"messageId", p->message_id}});
    settle(*p, settle_as::reject, true);
  } else if (had_error) {
    settle(*p, settle_as::reject, false);
  } else {
    settle(*p, settle_as::ack, false);
  }
}

void worker::remember_done(const pending& p, bool had_error) {
  // A dead connection hands back at most `prefetch` unacknowledged deliveries; a few
  // times that covers them with room for the ones finished just before it died.
  const std::size_t capacity = 4 * static_cast<std::size_t>(settings_.prefetch) + 1024;
  if (p.key.empty()) return;
  auto [it, added] = recently_done_.insert_or_assign(p.key, done_entry{p.session, had_error});
  if (!added) return;
  recent_order_.push_back(it->first);
  if (recent_order_.size() > capacity) {
    auto oldest = recently_done_.find(recent_order_.front());
    recent_order_.pop_front();
    recently_done_.erase(oldest);
  }
}

void worker::finish(pending& p) {
  if (!p.key.empty()) {
    auto [first, last] = in_flight_by_key_.equal_range(p.key);
    for (auto it = first; it != last; ++it) {
      if (it->second == &p) {
        in_flight_by_key_.erase(it);
        break;
      }
    }
  }
  --in_flight_;
  maybe_done();
}

void worker::shutdown(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  on_drained_ = std::move(done);
  log::info("stopping: no new messages; finishing those in flight", {{"inFlight", in_flight_}});
  broker_->stop_consuming([this] {
    consuming_stopped_ = true;
    maybe_done();
  });
  drain_timer_.expires_after(std::chrono::milliseconds(settings_.drain_timeout_ms));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !on_drained_) return;
    log::warn("drain timeout: messages still in flight stay unacknowledged and return to the queue",
              {{"inFlight", in_flight_}});
    close();
  });
}

void worker::maybe_done() {
  if (stopping_ && consuming_stopped_ && in_flight_ == 0 && on_drained_) close();
}

void worker::close() {
  drain_timer_.cancel();
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  if (closing_) return;
  closing_ = true;
  // Acks asked for reach the broker before the connections close (close-ok), bounded.
  broker_->close([done = std::move(done)] {
    if (done) done();
  });
}

}  // namespace oauth2_rest::sail
