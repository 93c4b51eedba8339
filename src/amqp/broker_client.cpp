// broker_client: two amqp_connections (consume, publish), their channels and ledgers, the
// reconnect loops and the hand-off of results to the caller (design in the header).
#include "amqp/broker_client.hpp"

#include "amqp/amqp_connection.hpp"
#include "amqp/broker_uri.hpp"
#include "amqp/confirm_ledger.hpp"
#include "amqp/delivery_ledger.hpp"
#include "amqp/field_table.hpp"
#include "util/log.hpp"

#include <amqp_framing.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Results handed to the caller's handlers, in the order they happened.
struct confirm_event {
  std::function<void(status)> done;
  status result;
};
struct state_event {
  bool connected;
};
struct cancelled_event {
  std::function<void()> done;
};
using event = std::variant<delivery, confirm_event, state_event, cancelled_event>;

struct publish_command {
  std::shared_ptr<const outgoing> msg;
  std::function<void(status)> done;
};

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string close_text(std::uint16_t code, amqp_bytes_t text) {
  return std::to_string(code) + " " + std::string(to_string_view(text));
}

failure stopped_failure(const char* what) { return {make_error_code(error::stopped), what}; }

// A message being assembled from basic.deliver / basic.return, its header and body frames.
struct content {
  bool active = false, has_header = false;
  std::uint64_t remaining = 0;
};

}  // namespace

// What handlers need after the client may be gone: they hold this, never the client.
struct handlers {
  broker_client::delivery_handler on_delivery;
  broker_client::state_handler on_state;
  bool closed = false;  // set by stop(): no delivery or state callback after it
};

namespace {

void dispatch(handlers& h, std::vector<event>& events) {
  for (auto& e : events) {
    std::visit(overloaded{
                   [&](delivery& d) {
                     if (!h.closed && h.on_delivery) h.on_delivery(std::move(d));
                   },
                   [&](confirm_event& c) {
                     if (c.done) c.done(std::move(c.result));
                   },
                   [&](state_event& s) {
                     if (!h.closed && h.on_state) h.on_state(s.connected);
                   },
                   [&](cancelled_event& c) {
                     if (c.done) c.done();
                   },
               },
               e);
  }
}

}  // namespace

class broker_client::state : public std::enable_shared_from_this<broker_client::state> {
 public:
  state(asio::any_io_executor executor, connection_settings s, delivery_handler on_delivery, state_handler on_state)
      : executor_(std::move(executor)),
        settings_(std::move(s)),
        handlers_(std::make_shared<handlers>()),
        consume_backoff_(executor_),
        publish_backoff_(executor_),
        close_timer_(executor_) {
    handlers_->on_delivery = std::move(on_delivery);
    handlers_->on_state = std::move(on_state);
    settings_.max_unconfirmed = std::max<std::size_t>(settings_.max_unconfirmed, 1);
    settings_.reconnect_min = std::max(settings_.reconnect_min, milliseconds{1});
    settings_.reconnect_max = std::max(settings_.reconnect_max, settings_.reconnect_min);
    auto uri = parse_broker_uri(settings_.uri);
    if (!uri) throw std::invalid_argument(uri.error().message);
    uri_ = std::move(uri).value();
    rng_.seed(std::random_device{}());
  }

  void start() {
    if (started_ || stopped_) return;
    started_ = true;
    asio::co_spawn(executor_, maintain(role::consume), asio::detached);
    asio::co_spawn(executor_, maintain(role::publish), asio::detached);
  }

  void publish(publish_command p) {
    if (stopped_) {
      if (p.done) {
        outbox_.push_back(confirm_event{std::move(p.done), stopped_failure("the AMQP client is stopped")});
        post_outbox();
      }
      return;
    }
    const bool alone = waiting_.empty() && confirms_.in_flight() == 0 && deliveries_.unsettled() <= 1;
    waiting_.push_back(std::move(p));
    if (alone && publish_ready_ && publish_ && !publish_->blocked()) {
      // Nothing waits or is unconfirmed, and no other delivery is in progress whose output could
      // join this publish in one write: it goes out now, not two scheduler passes later (at
      // prefetch 1 every output is alone, and its confirm is the next thing on the message's
      // critical path). With more deliveries in progress, outputs of one turn share a write.
      flush_publishes();
      publish_->try_write_now();
      post_outbox();
      return;
    }
    schedule_flush();
  }

  bool settle(std::uint64_t session, std::uint64_t tag, bool ack, bool requeue) {
    if (stopped_ || !consume_ready_ || session != session_) {
      log::debug("dropping a settle for a delivery of an earlier connection", {{"delivery_tag", tag}});
      return false;
    }
    if (!deliveries_.settle(tag, ack, requeue)) {
      log::debug("dropping a settle for an unknown or settled delivery", {{"delivery_tag", tag}});
      return false;
    }
    if (deliveries_.unsettled() == 0) {
      // Nothing else is in flight, so nothing could join this settle in one frame: it goes
      // out now, not after the turn. At prefetch 1 the broker sends the next delivery only
      // when it has the ack, and the rest of the turn (the finished message's clean-up) then
      // overlaps that round trip instead of delaying it.
      flush_settles();
      if (consume_) consume_->try_write_now();
      return true;
    }
    schedule_flush();
    return true;
  }

  void stop_consuming(std::function<void()> done) {
    if (done) cancel_waiters_.push_back(std::move(done));
    want_consume_ = false;  // also: do not consume again after a reconnect
    if (stopped_) {
      complete_cancel_waiters();
      post_outbox();
      return;
    }
    schedule_flush();
  }

  void close(std::function<void()> done) {
    if (stopped_) {
      if (done) asio::post(executor_, std::move(done));
      return;
    }
    if (closing_) {
      if (done) close_waiters_.push_back(std::move(done));
      return;
    }
    closing_ = true;
    if (done) close_waiters_.push_back(std::move(done));
    asio::co_spawn(executor_, close_cleanly(), asio::detached);
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    handlers_->closed = true;
    consume_backoff_.cancel();
    publish_backoff_.cancel();
    close_timer_.cancel();
    // Settles asked for before stop() still go out when the socket takes them at once.
    flush_settles();
    for (auto* c : {&consume_, &publish_}) {
      if (*c) {
        (*c)->try_write_now();
        (*c)->close();
      }
    }
    for (auto& p : waiting_)
      if (p.done)
        outbox_.push_back(confirm_event{std::move(p.done), stopped_failure("the AMQP client stopped before the message was sent")});
    waiting_.clear();
    fail_unconfirmed(stopped_failure("the AMQP client stopped before the broker confirmed the message"),
                     stopped_failure("the AMQP client stopped before the broker confirmed the message"));
    complete_cancel_waiters();
    connected_ = false;
    // Completions run later on the executor, never inside stop(): its caller may hold state that
    // a completion would touch.
    post_outbox();
    for (auto& w : std::exchange(close_waiters_, {})) asio::post(executor_, std::move(w));
  }

  bool connected() const { return connected_; }

 private:
  enum class role { consume, publish };

  // ---- connections: open, set up, serve, and again after a loss ----

  asio::awaitable<void> maintain(role r) {
    auto self = shared_from_this();
    auto& backoff = r == role::consume ? consume_backoff_ : publish_backoff_;
    unsigned attempt = 0;
    bool pause = false;
    while (!stopped_ && !closing_) {
      if (pause) {
        backoff.expires_after(backoff_delay(attempt++));
        co_await backoff.async_wait(use_tuple);
        if (stopped_ || closing_) break;
      }
      pause = true;
      connection_options o;
      o.uri = uri_;
      // Operators see the consume connection under the configured name; its sibling says what it is.
      o.connection_name = settings_.connection_name;
      if (r == role::publish && !o.connection_name.empty()) o.connection_name += "-publish";
      o.heartbeat_seconds = settings_.heartbeat_seconds;
      o.io_timeout = settings_.io_timeout;
      auto conn = amqp_connection::make(executor_, std::move(o));
      (r == role::consume ? consume_ : publish_) = conn;
      // Plain if/else: GCC 12 miscompiles co_await inside a conditional expression.
      status set_up = co_await conn->open();
      if (set_up) {
        if (r == role::consume) set_up = co_await set_up_consume(*conn);
        else set_up = co_await set_up_publish(*conn);
      }
      if (stopped_) break;
      if (!set_up) {
        conn->close();
        (r == role::consume ? consume_ : publish_).reset();
        log::warn("AMQP connection failed; retrying",
                  {{"connection", r == role::consume ? "consume" : "publish"}, {"reason", set_up.error().message}});
        continue;
      }
      attempt = 0;
      if (r == role::consume) consume_up();
      else publish_up();
      auto why = co_await conn->run([this, r](const frame& f) { on_frame(r, f); }, [this] { after_batch(); });
      (r == role::consume ? consume_ : publish_).reset();
      if (stopped_) break;
      if (closing_) {
        // The end close() asked for, not a loss: nothing to report or reconnect.
        if (r == role::consume) consume_ready_ = false;
        else publish_ready_ = false;
        break;
      }
      if (r == role::consume) consume_down(why.message);
      else publish_down(why.message);
      after_batch();
    }
    (r == role::consume ? consume_ : publish_).reset();
  }

  milliseconds backoff_delay(unsigned attempt) {
    // Capped exponential with "equal jitter": half fixed, half random, so a fleet of workers that
    // lost the broker together does not come back in lockstep.
    long long delay = settings_.reconnect_min.count();
    const long long cap = settings_.reconnect_max.count();
    for (unsigned i = 0; i < attempt && delay < cap; ++i) delay *= 2;
    delay = std::min(delay, cap);
    std::uniform_int_distribution<long long> jitter(delay / 2, delay);
    return milliseconds{jitter(rng_)};
  }

  asio::awaitable<status> set_up_consume(amqp_connection& c) {
    amqp_channel_open_t open{};
    if (auto r = co_await c.rpc(consume_channel, AMQP_CHANNEL_OPEN_METHOD, &open, AMQP_CHANNEL_OPEN_OK_METHOD); !r)
      co_return std::move(r).error();
    amqp_basic_qos_t qos{};
    qos.prefetch_count = settings_.prefetch;
    if (auto r = co_await c.rpc(consume_channel, AMQP_BASIC_QOS_METHOD, &qos, AMQP_BASIC_QOS_OK_METHOD); !r)
      co_return std::move(r).error();
    consuming_ = false;
    if (want_consume_) {
      amqp_basic_consume_t consume{};
      consume.queue = to_bytes(settings_.queue);
      consume.consumer_tag = amqp_empty_bytes;
      consume.arguments = amqp_empty_table;
      auto r = co_await c.rpc(consume_channel, AMQP_BASIC_CONSUME_METHOD, &consume, AMQP_BASIC_CONSUME_OK_METHOD);
      if (!r) {
        auto f = std::move(r).error();
        f.message = "basic.consume on queue '" + settings_.queue + "': " + f.message;
        co_return f;
      }
      consumer_tag_.assign(to_string_view(static_cast<const amqp_basic_consume_ok_t*>(r->method)->consumer_tag));
      consuming_ = true;
    }
    co_return ok;
  }

  asio::awaitable<status> set_up_publish(amqp_connection& c) {
    publish_channel_ = next_publish_channel();
    amqp_channel_open_t open{};
    if (auto r = co_await c.rpc(publish_channel_, AMQP_CHANNEL_OPEN_METHOD, &open, AMQP_CHANNEL_OPEN_OK_METHOD); !r)
      co_return std::move(r).error();
    // Confirm mode: every publish is answered by basic.ack / basic.nack with its sequence number.
    amqp_confirm_select_t select{};
    if (auto r = co_await c.rpc(publish_channel_, AMQP_CONFIRM_SELECT_METHOD, &select, AMQP_CONFIRM_SELECT_OK_METHOD); !r)
      co_return std::move(r).error();
    co_return ok;
  }

  // Channel numbers of the publish connection cycle, so a re-opened channel never meets frames
  // still in flight for the one the broker closed.
  std::uint16_t next_publish_channel() {
    if (++last_publish_channel_ > 1000) last_publish_channel_ = 1;
    return last_publish_channel_;
  }

  void consume_up() {
    ++session_;
    deliveries_.reset();
    incoming_ = content{};
    consume_ready_ = true;
    log::info("AMQP connected", {{"connection", "consume"},
                                 {"host", uri_.host},
                                 {"port", uri_.port},
                                 {"vhost", uri_.vhost},
                                 {"queue", settings_.queue},
                                 {"session", session_},
                                 {"heartbeat", consume_->heartbeat_seconds()}});
    announce();
    // Consumption may have been cancelled while the connection was being set up.
    schedule_flush();
  }

  void publish_up() {
    confirms_.reset();
    returned_ = content{};
    publish_ready_ = true;
    log::info("AMQP connected", {{"connection", "publish"}, {"host", uri_.host}, {"port", uri_.port}});
    announce();
    schedule_flush();
  }

  void consume_down(const std::string& why) {
    consume_ready_ = false;
    consuming_ = false;
    cancel_sent_ = false;
    deliveries_.reset();
    incoming_ = content{};
    // No consumer any more, so no more deliveries: whoever waits for the cancel is done.
    complete_cancel_waiters();
    log::warn("AMQP connection lost; reconnecting", {{"connection", "consume"}, {"reason", why}, {"session", session_}});
    unannounce();
  }

  void publish_down(const std::string& why) {
    publish_ready_ = false;
    fail_unconfirmed({make_error_code(error::connection_lost), "connection lost before the broker confirmed the message: " + why},
                     {make_error_code(error::connection_lost), "connection lost before the broker confirmed the message: " + why});
    log::warn("AMQP connection lost; reconnecting", {{"connection", "publish"}, {"reason", why}});
    unannounce();
  }

  void announce() {
    if (consume_ready_ && publish_ready_ && !announced_) {
      announced_ = connected_ = true;
      outbox_.push_back(state_event{true});
    }
  }
  void unannounce() {
    connected_ = false;
    if (announced_) outbox_.push_back(state_event{false});
    announced_ = false;
  }

  // ---- frames from the broker ----

  void on_frame(role r, const frame& f) {
    if (r == role::consume) consume_frame(f);
    else publish_frame(f);
  }

  void consume_frame(const frame& f) {
    if (f.channel != consume_channel) return;
    switch (f.type) {
      case AMQP_FRAME_METHOD: consume_method(f); break;
      case AMQP_FRAME_HEADER:
        if (!incoming_.active || incoming_.has_header || !f.properties) break;
        incoming_.has_header = true;
        incoming_.remaining = f.body_size;
        delivery_.body_size = f.body_size;
        delivery_.properties = properties_from_amqp(*f.properties);
        if (f.body_size > settings_.max_body_bytes) {
          delivery_.too_large = true;
        } else {
          // Bounded: a bogus size must not reserve gigabytes up front; append grows as frames come.
          delivery_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(f.body_size, 1u << 24)));
        }
        if (incoming_.remaining == 0) finish_delivery();
        break;
      case AMQP_FRAME_BODY:
        if (!incoming_.active || !incoming_.has_header) break;
        if (!delivery_.too_large) delivery_.body.append(f.body);
        incoming_.remaining -= std::min<std::uint64_t>(incoming_.remaining, f.body.size());
        if (incoming_.remaining == 0) finish_delivery();
        break;
      default: break;
    }
  }

  void consume_method(const frame& f) {
    switch (f.method_id) {
      case AMQP_BASIC_DELIVER_METHOD: {
        const auto& d = *static_cast<const amqp_basic_deliver_t*>(f.method);
        delivery_ = delivery{};
        delivery_.session = session_;
        delivery_.delivery_tag = d.delivery_tag;
        delivery_.redelivered = d.redelivered != 0;
        delivery_.exchange.assign(to_string_view(d.exchange));
        delivery_.routing_key.assign(to_string_view(d.routing_key));
        incoming_ = content{true, false, 0};
        deliveries_.delivered(d.delivery_tag);
        break;
      }
      case AMQP_BASIC_CANCEL_OK_METHOD:
        consuming_ = false;
        cancel_sent_ = false;
        complete_cancel_waiters();
        log::info("AMQP consumer cancelled", {{"queue", settings_.queue}});
        break;
      case AMQP_BASIC_CANCEL_METHOD:
        // The broker cancelled our consumer (the queue was deleted): reconnecting retries the
        // consume with backoff until the queue is back.
        consuming_ = false;
        log::warn("the broker cancelled our consumer (queue deleted?); reconnecting", {{"queue", settings_.queue}});
        consume_->close_gracefully(settings_.io_timeout);
        break;
      case AMQP_CHANNEL_CLOSE_METHOD: {
        const auto& c = *static_cast<const amqp_channel_close_t*>(f.method);
        log::warn("the broker closed the consume channel; reconnecting",
                  {{"reason", close_text(c.reply_code, c.reply_text)}});
        amqp_channel_close_ok_t close_ok{};
        (void)consume_->send_method(consume_channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
        consume_->close_gracefully(settings_.io_timeout);
        break;
      }
      default: log::debug("ignoring unexpected AMQP method", {{"channel", f.channel}, {"method", f.method_id}}); break;
    }
  }

  void finish_delivery() {
    incoming_.active = false;
    if (stopped_) return;  // closing the channel returns it to the queue
    if (!want_consume_) {
      // Consumption was cancelled while this delivery was on its way: give it back rather than
      // hand it to a caller that stopped listening.
      (void)deliveries_.settle(delivery_.delivery_tag, false, true);
      schedule_flush();
      return;
    }
    outbox_.push_back(std::move(delivery_));
    delivery_ = delivery{};
  }

  void publish_frame(const frame& f) {
    if (f.channel != publish_channel_) return;
    switch (f.type) {
      case AMQP_FRAME_METHOD: publish_method(f); break;
      case AMQP_FRAME_HEADER:
        if (!returned_.active || returned_.has_header) break;
        returned_.has_header = true;
        returned_.remaining = f.body_size;
        if (f.properties) {
          std::string message_id;
          if ((f.properties->_flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
            for (int i = 0; i < f.properties->headers.num_entries; ++i) {
              const auto& e = f.properties->headers.entries[i];
              if (to_string_view(e.key) == "messageId" &&
                  (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES))
                message_id.assign(to_string_view(e.value.value.bytes));
            }
          }
          confirms_.returned(returned_exchange_, returned_routing_key_, f.body_size, message_id, returned_reason_);
        }
        if (returned_.remaining == 0) returned_.active = false;
        break;
      case AMQP_FRAME_BODY:
        if (!returned_.active || !returned_.has_header) break;
        returned_.remaining -= std::min<std::uint64_t>(returned_.remaining, f.body.size());
        if (returned_.remaining == 0) returned_.active = false;
        break;
      default: break;
    }
  }

  void publish_method(const frame& f) {
    switch (f.method_id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto& a = *static_cast<const amqp_basic_ack_t*>(f.method);
        confirmed(a.delivery_tag, a.multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto& n = *static_cast<const amqp_basic_nack_t*>(f.method);
        confirmed(n.delivery_tag, n.multiple != 0, false);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        const auto& r = *static_cast<const amqp_basic_return_t*>(f.method);
        returned_exchange_.assign(to_string_view(r.exchange));
        returned_routing_key_.assign(to_string_view(r.routing_key));
        returned_reason_ = close_text(r.reply_code, r.reply_text);
        log::warn("the broker returned an unroutable message: no queue is bound for its routing key",
                  {{"exchange", returned_exchange_}, {"routingKey", returned_routing_key_}, {"reply", returned_reason_}});
        returned_ = content{true, false, 0};
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD: {
        const auto& c = *static_cast<const amqp_channel_close_t*>(f.method);
        publish_channel_closed(c.reply_code, close_text(c.reply_code, c.reply_text));
        break;
      }
      case AMQP_CHANNEL_OPEN_OK_METHOD: {
        amqp_confirm_select_t select{};
        if (!publish_->send_method(publish_channel_, AMQP_CONFIRM_SELECT_METHOD, &select))
          publish_->close();
        break;
      }
      case AMQP_CONFIRM_SELECT_OK_METHOD:
        publish_ready_ = true;
        log::info("AMQP publish channel re-opened", {{"channel", publish_channel_}});
        schedule_flush();
        break;
      default: log::debug("ignoring unexpected AMQP method", {{"channel", f.channel}, {"method", f.method_id}}); break;
    }
  }

  void confirmed(std::uint64_t tag, bool multiple, bool acked) {
    completions_.clear();
    confirms_.confirmed(tag, multiple, acked, completions_);
    for (auto& [done, result] : completions_) outbox_.push_back(confirm_event{std::move(done), std::move(result)});
    completions_.clear();
    if (!waiting_.empty()) schedule_flush();  // the window may have opened
  }

  // The broker closed the publish channel (its consume connection is unaffected): answer, fail
  // what was on it, and open a fresh channel on the same connection.
  void publish_channel_closed(std::uint16_t code, const std::string& reason) {
    log::warn("the broker closed the publish channel; re-opening it", {{"reason", reason}});
    amqp_channel_close_ok_t close_ok{};
    (void)publish_->send_method(publish_channel_, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
    publish_ready_ = false;
    // 406 PRECONDITION_FAILED (and 403 ACCESS_REFUSED) are about the oldest unconfirmed publish
    // itself, the one that caused the close: sending it again cannot help. The publishes after it
    // were discarded with the channel and may well succeed on the new one.
    const bool message_at_fault = code == AMQP_PRECONDITION_FAILED || code == AMQP_ACCESS_REFUSED;
    failure rest{make_error_code(error::channel_closed), "the broker closed the publish channel: " + reason};
    failure first = message_at_fault ? failure{make_error_code(error::refused), "the broker refused the message: " + reason}
                                     : rest;
    fail_unconfirmed(first, rest);
    publish_channel_ = next_publish_channel();
    amqp_channel_open_t open{};
    if (!publish_->send_method(publish_channel_, AMQP_CHANNEL_OPEN_METHOD, &open)) publish_->close();
  }

  void after_batch() {
    flush();
    deliver_outbox();
  }

  // ---- what the caller asked for goes out ----

  void schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    asio::post(executor_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      self->flush_scheduled_ = false;
      if (self->stopped_) return;
      self->flush();
      self->deliver_outbox();
    });
  }

  void flush() {
    if (stopped_) return;
    flush_settles();
    flush_cancel();
    flush_publishes();
  }

  void flush_settles() {
    if (!consume_ready_ || !consume_ || !deliveries_.has_pending()) return;
    settle_frames_.clear();
    deliveries_.take(settle_frames_);
    for (const auto& s : settle_frames_) {
      if (s.ack) {
        amqp_basic_ack_t ack{};
        ack.delivery_tag = s.tag;
        ack.multiple = s.multiple ? 1 : 0;
        (void)consume_->send_method(consume_channel, AMQP_BASIC_ACK_METHOD, &ack);
      } else {
        amqp_basic_reject_t reject{};
        reject.delivery_tag = s.tag;
        reject.requeue = s.requeue ? 1 : 0;
        (void)consume_->send_method(consume_channel, AMQP_BASIC_REJECT_METHOD, &reject);
      }
    }
  }

  void flush_cancel() {
    if (want_consume_) return;
    if (consume_ready_ && consuming_) {
      if (cancel_sent_) return;
      amqp_basic_cancel_t cancel{};
      cancel.consumer_tag = to_bytes(consumer_tag_);
      cancel_sent_ = static_cast<bool>(consume_->send_method(consume_channel, AMQP_BASIC_CANCEL_METHOD, &cancel));
    } else if (!consuming_) {
      complete_cancel_waiters();
    }
  }

  void flush_publishes() {
    if (!publish_ready_ || !publish_ || publish_->blocked()) return;
    while (!waiting_.empty() && confirms_.in_flight() < settings_.max_unconfirmed) {
      auto p = std::move(waiting_.front());
      waiting_.pop_front();
      const auto& m = *p.msg;
      amqp_basic_publish_t publish{};
      publish.exchange = to_bytes(m.exchange);
      publish.routing_key = to_bytes(m.routing_key);
      publish.mandatory = m.mandatory ? 1 : 0;
      auto sent = publish_->send_publish(publish_channel_, publish, encoder_.encode(m.properties), m.body);
      if (!sent) {
        // Nothing of it went out: this message cannot be encoded (a field or the headers too large).
        if (p.done)
          outbox_.push_back(confirm_event{std::move(p.done),
                                          failure{make_error_code(error::refused), sent.error().message}});
        continue;
      }
      confirms_.sent(std::move(p.msg), std::move(p.done));
    }
  }

  // ---- bookkeeping ----

  asio::awaitable<void> close_cleanly() {
    auto self = shared_from_this();
    // Confirms of what is on the wire, then the settles asked for, then connection.close.
    const auto deadline = std::chrono::steady_clock::now() + settings_.stop_timeout;
    while (!stopped_ && publish_ready_ && confirms_.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
      close_timer_.expires_after(milliseconds{5});
      co_await close_timer_.async_wait(use_tuple);
    }
    if (stopped_) co_return;
    consume_backoff_.cancel();
    publish_backoff_.cancel();
    // What is still unconfirmed is given up now, as stopped (not as a lost connection).
    fail_unconfirmed(stopped_failure("the AMQP client stopped before the broker confirmed the message"),
                     stopped_failure("the AMQP client stopped before the broker confirmed the message"));
    for (auto& p : waiting_)
      if (p.done)
        outbox_.push_back(confirm_event{std::move(p.done), stopped_failure("the AMQP client stopped before the message was sent")});
    waiting_.clear();
    deliver_outbox();
    flush_settles();
    for (auto* c : {&consume_, &publish_})
      if (*c) (*c)->close_gracefully(std::min(settings_.stop_timeout, milliseconds{2000}));
    const auto close_deadline = std::chrono::steady_clock::now() + std::min(settings_.stop_timeout, milliseconds{2000}) +
                                milliseconds{100};
    while (!stopped_ && (consume_ || publish_) && std::chrono::steady_clock::now() < close_deadline) {
      close_timer_.expires_after(milliseconds{5});
      co_await close_timer_.async_wait(use_tuple);
    }
    if (stopped_) co_return;
    log::info("AMQP connections closed", {{"session", session_}});
    stop();
  }

  void fail_unconfirmed(const failure& first, const failure& rest) {
    completions_.clear();
    confirms_.fail_all(first, rest, completions_);
    for (auto& [done, result] : completions_) outbox_.push_back(confirm_event{std::move(done), std::move(result)});
    completions_.clear();
  }

  void complete_cancel_waiters() {
    for (auto& w : cancel_waiters_) outbox_.push_back(cancelled_event{std::move(w)});
    cancel_waiters_.clear();
  }

  void deliver_outbox() {
    if (outbox_.empty()) return;
    auto events = std::exchange(outbox_, {});
    auto h = handlers_;  // a handler may call stop(), or destroy the client
    dispatch(*h, events);
  }

  void post_outbox() {
    if (outbox_.empty()) return;
    asio::post(executor_, [h = handlers_, events = std::exchange(outbox_, {})]() mutable { dispatch(*h, events); });
  }

  static constexpr std::uint16_t consume_channel = 1;

  asio::any_io_executor executor_;
  connection_settings settings_;
  broker_uri uri_;
  std::shared_ptr<handlers> handlers_;
  std::minstd_rand rng_;

  bool started_ = false, stopped_ = false, closing_ = false;
  bool flush_scheduled_ = false;
  bool connected_ = false, announced_ = false;

  // The consume connection.
  std::shared_ptr<amqp_connection> consume_;
  asio::steady_timer consume_backoff_;
  bool consume_ready_ = false;
  std::uint64_t session_ = 0;
  bool want_consume_ = true, consuming_ = false, cancel_sent_ = false;
  std::string consumer_tag_;
  delivery_ledger deliveries_;
  std::vector<delivery_ledger::settle_frame> settle_frames_;
  content incoming_;
  delivery delivery_;
  std::vector<std::function<void()>> cancel_waiters_;

  // The publish connection.
  std::shared_ptr<amqp_connection> publish_;
  asio::steady_timer publish_backoff_;
  bool publish_ready_ = false;
  std::uint16_t publish_channel_ = 1, last_publish_channel_ = 0;
  confirm_ledger confirms_;
  std::vector<confirm_ledger::completion> completions_;
  std::deque<publish_command> waiting_;  // not yet sent (window full, blocked or disconnected)
  content returned_;
  std::string returned_exchange_, returned_routing_key_, returned_reason_;
  properties_encoder encoder_;

  asio::steady_timer close_timer_;
  std::vector<std::function<void()>> close_waiters_;
  std::vector<event> outbox_;
};

broker_client::broker_client(boost::asio::any_io_executor executor, connection_settings s,
                             delivery_handler on_delivery, state_handler on_state)
    : state_(std::make_shared<state>(std::move(executor), std::move(s), std::move(on_delivery), std::move(on_state))) {}

broker_client::~broker_client() { stop(); }

void broker_client::start() { state_->start(); }

void broker_client::publish(std::shared_ptr<const outgoing> msg, std::function<void(status)> on_confirmed) {
  state_->publish(publish_command{std::move(msg), std::move(on_confirmed)});
}

void broker_client::publish(outgoing msg, std::function<void(status)> on_confirmed) {
  publish(std::make_shared<const outgoing>(std::move(msg)), std::move(on_confirmed));
}

bool broker_client::ack(std::uint64_t session, std::uint64_t delivery_tag) {
  return state_->settle(session, delivery_tag, true, false);
}

bool broker_client::reject(std::uint64_t session, std::uint64_t delivery_tag, bool requeue) {
  return state_->settle(session, delivery_tag, false, requeue);
}

void broker_client::stop_consuming(std::function<void()> done) { state_->stop_consuming(std::move(done)); }

void broker_client::close(std::function<void()> done) { state_->close(std::move(done)); }

void broker_client::stop() {
  if (state_) state_->stop();
}

bool broker_client::connected() const { return state_->connected(); }

}  // namespace oauth2_rest::amqp
