// broker_client: the AMQP thread, its command queue and the connection it owns (design in the header).
#include "amqp/broker_client.hpp"

#include "amqp/field_table.hpp"
#include "util/log.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <boost/asio/post.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

constexpr amqp_channel_t consume_channel = 1;
constexpr amqp_channel_t publish_channel = 2;
// Frames handled per loop turn before the command queue gets another look: keeps acks and
// publishes flowing while a long burst of deliveries is being read.
constexpr int frames_per_turn = 512;
// Longest poll(): heartbeats are only serviced inside rabbitmq-c's wait calls, so we must call
// one well within every heartbeat interval even when nothing happens.
constexpr milliseconds max_poll_wait{1000};

// Commands from the executor to the AMQP thread.
struct publish_command {
  outgoing msg;
  std::function<void(status)> done;
};
struct ack_command {
  std::uint64_t session, tag;
};
struct reject_command {
  std::uint64_t session, tag;
  bool requeue;
};
struct cancel_command {
  std::function<void()> done;
};
using command = std::variant<publish_command, ack_command, reject_command, cancel_command>;

// Results from the AMQP thread to the executor, posted in order, one batch per loop turn.
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

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

timeval to_timeval(milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string close_text(std::uint16_t code, amqp_bytes_t text) {
  return std::to_string(code) + " " + std::string(to_string_view(text));
}

failure stopped_failure(const char* what) { return {error::stopped, what}; }

}  // namespace

// What posted results need after the client may be gone: they hold this, never the client.
struct handlers {
  broker_client::delivery_handler on_delivery;
  broker_client::state_handler on_state;
  std::atomic<bool> closed{false};  // set by stop(): no delivery or state callback after it
};

namespace {

void dispatch(handlers& h, std::vector<event>& events) {
  for (auto& e : events) {
    std::visit(overloaded{
                   [&](delivery& d) {
                     if (!h.closed.load() && h.on_delivery) h.on_delivery(std::move(d));
                   },
                   [&](confirm_event& c) {
                     if (c.done) c.done(std::move(c.result));
                   },
                   [&](state_event& s) {
                     if (!h.closed.load() && h.on_state) h.on_state(s.connected);
                   },
                   [&](cancelled_event& c) {
                     if (c.done) c.done();
                   },
               },
               e);
  }
}

}  // namespace

class broker_client::worker {
 public:
  worker(boost::asio::any_io_executor executor, connection_settings s, delivery_handler on_delivery,
         state_handler on_state)
      : executor_(std::move(executor)), settings_(std::move(s)), handlers_(std::make_shared<handlers>()) {
    handlers_->on_delivery = std::move(on_delivery);
    handlers_->on_state = std::move(on_state);
    settings_.max_unconfirmed = std::max<std::size_t>(settings_.max_unconfirmed, 1);
    settings_.reconnect_min = std::max(settings_.reconnect_min, milliseconds{1});
    settings_.reconnect_max = std::max(settings_.reconnect_max, settings_.reconnect_min);

    // amqp_parse_url cuts the buffer into the pieces info_ points at: the buffer lives as long.
    url_buffer_.assign(settings_.uri.begin(), settings_.uri.end());
    url_buffer_.push_back('\0');
    amqp_default_connection_info(&info_);
    int rc = amqp_parse_url(url_buffer_.data(), &info_);
    // The message never repeats the URI: it carries the password.
    if (rc != AMQP_STATUS_OK)
      throw std::invalid_argument(std::string("the AMQP URI is not valid (expected amqp://user:password@host:port/vhost): ") +
                                  amqp_error_string2(rc));
    if (info_.ssl) throw std::invalid_argument("amqps:// URIs are not supported; use amqp://");
    // "amqp://host/" parses to the empty vhost, which RabbitMQ never has; the platform and the
    // Node runtime mean the default vhost by it.
    if (info_.vhost == nullptr || info_.vhost[0] == '\0') info_.vhost = const_cast<char*>("/");

    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    rng_.seed(std::random_device{}());
  }

  ~worker() {
    stop();
    ::close(event_fd_);
  }

  void start() {
    if (started_ || stopped_.load()) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    {
      std::lock_guard lock(mutex_);
      accepting_ = false;
    }
    handlers_->closed.store(true);
    stop_requested_.store(true);
    signal();
    if (thread_.joinable()) thread_.join();
    // The thread is gone (or never ran): whatever is left is ours to complete, on the executor.
    finish_leftovers();
  }

  void enqueue(command c) {
    bool queued = false, wake = false;
    {
      std::lock_guard lock(mutex_);
      if (accepting_) {
        // Only a push into an empty queue needs a wake-up: the AMQP thread drains the whole
        // queue after every wake-up, so later pushes ride along with that drain.
        wake = commands_.empty();
        commands_.push_back(std::move(c));
        queued = true;
      }
    }
    if (queued) {
      if (wake) signal();
      return;
    }
    // After stop(): complete at once, so nothing is lost silently.
    std::vector<event> late;
    std::visit(overloaded{
                   [&](publish_command& p) {
                     if (p.done) late.push_back(confirm_event{std::move(p.done), stopped_failure("the AMQP client is stopped")});
                   },
                   [&](cancel_command& cc) {
                     if (cc.done) late.push_back(cancelled_event{std::move(cc.done)});
                   },
                   [&](auto&) {},
               },
               c);
    if (!late.empty()) post(std::move(late));
  }

  bool connected() const { return connected_.load(); }

 private:
  // ---- executor side helpers (also used by the AMQP thread) ----

  void signal() {
    std::uint64_t one = 1;
    // EAGAIN only when the counter is saturated, which still wakes the thread.
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
  }

  void post(std::vector<event> events) {
    boost::asio::post(executor_, [h = handlers_, events = std::move(events)]() mutable { dispatch(*h, events); });
  }

  void flush_outbox() {
    if (outbox_.empty()) return;
    post(std::move(outbox_));
    outbox_.clear();
  }

  // ---- the AMQP thread ----

  void run() {
    unsigned attempt = 0;
    while (!stop_requested_.load()) {
      try {
        if (connect()) {
          attempt = 0;
          serve();
        }
      } catch (const std::exception& e) {
        fail(std::string("internal error: ") + e.what());
      }
      if (conn_ != nullptr) teardown();
      flush_outbox();
      if (stop_requested_.load()) break;
      wait_backoff(attempt++);
    }
    flush_outbox();
  }

  // Connect, log in, open both channels, qos, confirm mode, consume. false (with reason_) on failure.
  bool connect() {
    broken_ = false;
    reason_.clear();
    socket_usable_ = true;
    conn_ = amqp_new_connection();
    if (conn_ == nullptr) return fail("out of memory creating the AMQP connection");
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (socket == nullptr) return fail("out of memory creating the AMQP socket");
    timeval timeout = to_timeval(settings_.io_timeout);
    int rc = amqp_socket_open_noblock(socket, info_.host, info_.port, &timeout);
    if (rc != AMQP_STATUS_OK) {
      socket_usable_ = false;
      return fail(std::string("cannot connect to ") + info_.host + ":" + std::to_string(info_.port) + ": " +
                  amqp_error_string2(rc));
    }
    amqp_set_handshake_timeout(conn_, &timeout);
    amqp_set_rpc_timeout(conn_, &timeout);

    // Client properties. rabbitmq-c merges them with its defaults; the capabilities we add ask
    // the broker to tell us when it blocks publishers (memory/disk alarm: we then hold
    // publishes back instead of blocking the thread in send()) and when it cancels our consumer.
    amqp_table_entry_t capabilities[4];
    const char* capability_names[4] = {"connection.blocked", "consumer_cancel_notify", "basic.nack",
                                       "publisher_confirms"};
    for (int i = 0; i < 4; ++i) {
      capabilities[i].key = amqp_cstring_bytes(capability_names[i]);
      capabilities[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
      capabilities[i].value.value.boolean = 1;
    }
    amqp_table_entry_t entries[3];
    int entry_count = 0;
    entries[entry_count].key = amqp_cstring_bytes("capabilities");
    entries[entry_count].value.kind = AMQP_FIELD_KIND_TABLE;
    entries[entry_count].value.value.table = amqp_table_t{4, capabilities};
    ++entry_count;
    entries[entry_count].key = amqp_cstring_bytes("product");
    entries[entry_count].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[entry_count].value.value.bytes = amqp_cstring_bytes("oauth2-rest");
    ++entry_count;
    if (!settings_.connection_name.empty()) {
      entries[entry_count].key = amqp_cstring_bytes("connection_name");
      entries[entry_count].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[entry_count].value.value.bytes = to_bytes(settings_.connection_name);
      ++entry_count;
    }
    amqp_table_t properties{entry_count, entries};
    amqp_rpc_reply_t reply =
        amqp_login_with_properties(conn_, info_.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, settings_.heartbeat_seconds,
                                   &properties, AMQP_SASL_METHOD_PLAIN, info_.user, info_.password);
    if (!rpc_ok(reply, 0, "login")) return false;

    amqp_channel_open(conn_, publish_channel);
    if (!rpc_ok(amqp_get_rpc_reply(conn_), publish_channel, "opening the publish channel")) return false;
    // Confirm mode: every publish is answered by basic.ack / basic.nack with its sequence number.
    amqp_confirm_select(conn_, publish_channel);
    if (!rpc_ok(amqp_get_rpc_reply(conn_), publish_channel, "confirm.select")) return false;
    amqp_channel_open(conn_, consume_channel);
    if (!rpc_ok(amqp_get_rpc_reply(conn_), consume_channel, "opening the consume channel")) return false;
    amqp_basic_qos(conn_, consume_channel, 0, settings_.prefetch, 0);
    if (!rpc_ok(amqp_get_rpc_reply(conn_), consume_channel, "basic.qos")) return false;

    ++session_;
    next_seq_ = first_unconfirmed_seq_ = 1;  // confirm sequence numbers restart on each channel
    if (want_consume_) {
      amqp_basic_consume_ok_t* ok = amqp_basic_consume(conn_, consume_channel, to_bytes(settings_.queue),
                                                       amqp_empty_bytes, 0, /*no_ack=*/0, 0, amqp_empty_table);
      if (!rpc_ok(amqp_get_rpc_reply(conn_), consume_channel, "basic.consume on queue '" + settings_.queue + "'"))
        return false;
      consumer_tag_.assign(to_string_view(ok->consumer_tag));
      consuming_ = true;
    }
    connected_.store(true);
    announced_ = true;
    outbox_.push_back(state_event{true});
    log::info("AMQP connected", {{"host", info_.host},
                                 {"port", info_.port},
                                 {"vhost", info_.vhost},
                                 {"queue", settings_.queue},
                                 {"session", session_},
                                 {"heartbeat", amqp_get_heartbeat(conn_)}});
    return true;
  }

  // Steady state: commands in, publishes out, frames in, results posted; until broken or stopped.
  void serve() {
    while (true) {
      if (stop_requested_.load()) {
        close_gracefully();
        return;
      }
      take_commands();
      send_publishes();
      read_frames();
      flush_outbox();
      if (broken_) return;
      // Do not sleep while there is work: frames already buffered, or confirms just read that
      // opened the window for publishes still waiting.
      bool pending = amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_) ||
                     (!blocked_ && !waiting_.empty() && in_flight_ < settings_.max_unconfirmed);
      wait(pending ? milliseconds{0} : idle_wait(), true);
    }
  }

  milliseconds idle_wait() const {
    int hb = amqp_get_heartbeat(conn_);
    if (hb <= 0) return max_poll_wait;
    return std::min(max_poll_wait, milliseconds{hb * 1000 / 2});
  }

  // Sleeps in poll() until a command arrives, the socket is readable, or the timeout.
  void wait(milliseconds timeout, bool with_socket) {
    pollfd fds[2] = {{event_fd_, POLLIN, 0}, {-1, POLLIN, 0}};
    nfds_t n = 1;
    if (with_socket && conn_ != nullptr) {
      fds[1].fd = amqp_get_sockfd(conn_);
      n = fds[1].fd >= 0 ? 2 : 1;
    }
    int rc = ::poll(fds, n, static_cast<int>(timeout.count()));
    if (rc > 0 && (fds[0].revents & POLLIN)) {
      std::uint64_t value;
      [[maybe_unused]] auto r = ::read(event_fd_, &value, sizeof value);
    }
  }

  void take_commands() {
    {
      std::lock_guard lock(mutex_);
      batch_.swap(commands_);
    }
    for (auto& c : batch_) {
      std::visit(overloaded{
                     [&](publish_command& p) { waiting_.push_back(std::move(p)); },
                     [&](ack_command& a) { settle_delivery(a.session, a.tag, true, false); },
                     [&](reject_command& r) { settle_delivery(r.session, r.tag, false, r.requeue); },
                     [&](cancel_command& cc) { cancel_consumer(std::move(cc.done)); },
                 },
                 c);
    }
    batch_.clear();
  }

  bool live() const { return conn_ != nullptr && !broken_; }

  void settle_delivery(std::uint64_t session, std::uint64_t tag, bool ack, bool requeue) {
    if (!live() || session != session_) {
      // The broker requeued that delivery when its connection died; its tag means nothing on
      // the current channel (see broker_client::ack).
      log::debug(ack ? "dropping ack for a delivery of an earlier AMQP connection"
                     : "dropping reject for a delivery of an earlier AMQP connection",
                 {{"session", session}, {"current_session", session_}, {"delivery_tag", tag}});
      return;
    }
    int rc = ack ? amqp_basic_ack(conn_, consume_channel, tag, 0)
                 : amqp_basic_reject(conn_, consume_channel, tag, requeue ? 1 : 0);
    if (rc != AMQP_STATUS_OK) {
      socket_usable_ = false;
      fail(std::string(ack ? "basic.ack" : "basic.reject") + " failed: " + amqp_error_string2(rc));
    }
  }

  void cancel_consumer(std::function<void()> done) {
    want_consume_ = false;  // also: do not consume again after a reconnect
    if (!live() || !consuming_) {
      if (done) outbox_.push_back(cancelled_event{std::move(done)});
      return;
    }
    if (done) cancel_waiters_.push_back(std::move(done));
    if (cancel_sent_) return;
    // Sent without waiting: the cancel-ok arrives in order after every delivery that preceded
    // it on the channel, which is exactly when "no more deliveries" becomes true.
    amqp_basic_cancel_t request{};
    request.consumer_tag = to_bytes(consumer_tag_);
    request.nowait = 0;
    int rc = amqp_send_method(conn_, consume_channel, AMQP_BASIC_CANCEL_METHOD, &request);
    if (rc != AMQP_STATUS_OK) {
      socket_usable_ = false;
      fail(std::string("basic.cancel failed: ") + amqp_error_string2(rc));
      return;
    }
    cancel_sent_ = true;
  }

  void send_publishes() {
    // While the broker blocks us it stops reading our socket: sending more would only fill the
    // socket buffer and then block this thread inside send().
    while (live() && !blocked_ && !waiting_.empty() && in_flight_ < settings_.max_unconfirmed) {
      publish_command cmd = std::move(waiting_.front());
      waiting_.pop_front();
      const amqp_basic_properties_t& props = encoder_.encode(cmd.msg.properties);
      // Registered before sending: if the send fails half-way the message may or may not have
      // reached the broker, and teardown reports it as connection_lost so the caller retries.
      unconfirmed_.push_back(std::move(cmd.done));
      ++next_seq_;
      ++in_flight_;
      int rc = amqp_basic_publish(conn_, publish_channel, to_bytes(cmd.msg.exchange), to_bytes(cmd.msg.routing_key),
                                  cmd.msg.mandatory ? 1 : 0, 0, &props, to_bytes(cmd.msg.body));
      if (rc != AMQP_STATUS_OK) {
        socket_usable_ = false;
        fail(std::string("basic.publish failed: ") + amqp_error_string2(rc));
      }
    }
  }

  void read_frames() {
    timeval zero{0, 0};
    for (int i = 0; i < frames_per_turn && live(); ++i) {
      amqp_frame_t frame;
      int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
      if (rc == AMQP_STATUS_TIMEOUT) return;
      if (rc != AMQP_STATUS_OK) {
        socket_usable_ = false;
        fail(amqp_error_string2(rc));
        return;
      }
      handle_frame(frame);
      // Everything we keep was copied out of the frame: its channel pool can be reused.
      if (conn_ != nullptr) amqp_maybe_release_buffers_on_channel(conn_, frame.channel);
    }
  }

  void handle_frame(const amqp_frame_t& frame) {
    switch (frame.frame_type) {
      case AMQP_FRAME_METHOD: handle_method(frame.channel, frame.payload.method); break;
      case AMQP_FRAME_HEADER:
        handle_header(frame.channel, *static_cast<const amqp_basic_properties_t*>(frame.payload.properties.decoded),
                      frame.payload.properties.body_size);
        break;
      case AMQP_FRAME_BODY: handle_body(frame.channel, frame.payload.body_fragment); break;
      default: break;  // heartbeats are consumed inside rabbitmq-c
    }
  }

  void handle_method(amqp_channel_t channel, const amqp_method_t& method) {
    switch (method.id) {
      case AMQP_BASIC_DELIVER_METHOD: {
        const auto& d = *static_cast<const amqp_basic_deliver_t*>(method.decoded);
        incoming_ = delivery{};
        incoming_.session = session_;
        incoming_.delivery_tag = d.delivery_tag;
        incoming_.redelivered = d.redelivered != 0;
        incoming_.exchange.assign(to_string_view(d.exchange));
        incoming_.routing_key.assign(to_string_view(d.routing_key));
        incoming_active_ = true;
        incoming_has_header_ = false;
        break;
      }
      case AMQP_BASIC_ACK_METHOD: {
        const auto& a = *static_cast<const amqp_basic_ack_t*>(method.decoded);
        settle_publish(a.delivery_tag, a.multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto& n = *static_cast<const amqp_basic_nack_t*>(method.decoded);
        settle_publish(n.delivery_tag, n.multiple != 0, false);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        const auto& r = *static_cast<const amqp_basic_return_t*>(method.decoded);
        log::warn("the broker returned an unroutable message (mandatory publish)",
                  {{"exchange", to_string_view(r.exchange)},
                   {"routing_key", to_string_view(r.routing_key)},
                   {"reply", close_text(r.reply_code, r.reply_text)}});
        returned_active_ = true;
        returned_has_header_ = false;
        break;
      }
      case AMQP_BASIC_CANCEL_OK_METHOD:
        consuming_ = false;
        cancel_sent_ = false;
        for (auto& done : cancel_waiters_) outbox_.push_back(cancelled_event{std::move(done)});
        cancel_waiters_.clear();
        log::info("AMQP consumer cancelled", {{"queue", settings_.queue}});
        break;
      case AMQP_BASIC_CANCEL_METHOD:
        // The broker cancelled our consumer (the queue was deleted): reconnecting retries the
        // consume with backoff until the queue is back.
        consuming_ = false;
        fail("the broker cancelled the consumer of queue '" + settings_.queue + "' (queue deleted?)");
        break;
      case AMQP_CHANNEL_CLOSE_METHOD: {
        const auto& c = *static_cast<const amqp_channel_close_t*>(method.decoded);
        std::string why = "channel " + std::to_string(channel) + " closed by the broker: " +
                          close_text(c.reply_code, c.reply_text);
        amqp_channel_close_ok_t close_ok{};
        if (amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != AMQP_STATUS_OK)
          socket_usable_ = false;
        fail(std::move(why));
        break;
      }
      case AMQP_CONNECTION_CLOSE_METHOD: {
        const auto& c = *static_cast<const amqp_connection_close_t*>(method.decoded);
        std::string why = "connection closed by the broker: " + close_text(c.reply_code, c.reply_text);
        amqp_connection_close_ok_t close_ok{};
        amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
        socket_usable_ = false;  // after close-ok the broker drops the socket
        fail(std::move(why));
        break;
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        const auto& b = *static_cast<const amqp_connection_blocked_t*>(method.decoded);
        log::warn("the broker blocked publishing on this connection; publishes wait",
                  {{"reason", to_string_view(b.reason)}});
        blocked_ = true;
        break;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        log::info("the broker unblocked publishing on this connection");
        blocked_ = false;
        break;
      default: log::debug("ignoring unexpected AMQP method", {{"channel", channel}, {"method", method.id}}); break;
    }
  }

  void handle_header(amqp_channel_t channel, const amqp_basic_properties_t& props, std::uint64_t body_size) {
    if (channel == consume_channel && incoming_active_ && !incoming_has_header_) {
      incoming_has_header_ = true;
      incoming_.properties = properties_from_amqp(props);
      incoming_remaining_ = body_size;
      // Bounded: a bogus size must not reserve gigabytes up front; append grows as frames come.
      incoming_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(body_size, 1u << 24)));
      if (incoming_remaining_ == 0) finish_delivery();
    } else if (channel == publish_channel && returned_active_ && !returned_has_header_) {
      returned_has_header_ = true;
      returned_remaining_ = body_size;
      if (returned_remaining_ == 0) returned_active_ = false;
    } else {
      log::debug("ignoring unexpected AMQP content header", {{"channel", channel}});
    }
  }

  void handle_body(amqp_channel_t channel, amqp_bytes_t fragment) {
    if (channel == consume_channel && incoming_active_ && incoming_has_header_) {
      incoming_.body.append(to_string_view(fragment));
      incoming_remaining_ -= std::min<std::uint64_t>(incoming_remaining_, fragment.len);
      if (incoming_remaining_ == 0) finish_delivery();
    } else if (channel == publish_channel && returned_active_ && returned_has_header_) {
      returned_remaining_ -= std::min<std::uint64_t>(returned_remaining_, fragment.len);
      if (returned_remaining_ == 0) returned_active_ = false;
    } else {
      log::debug("ignoring unexpected AMQP content body", {{"channel", channel}});
    }
  }

  void finish_delivery() {
    incoming_active_ = false;
    // While stopping, deliveries are not handed out: nobody would ack them, and closing the
    // channel returns them to the queue.
    if (!stop_requested_.load()) outbox_.push_back(std::move(incoming_));
  }

  // basic.ack / basic.nack from the publish channel. `multiple` settles every sequence number
  // up to and including `tag` (RabbitMQ batches confirms this way under load).
  void settle_publish(std::uint64_t tag, bool multiple, bool acked) {
    if (multiple && tag == 0) tag = next_seq_ - 1;  // "everything outstanding"
    auto complete = [&](std::function<void(status)>& done) {
      if (!done) return;
      --in_flight_;
      if (acked)
        outbox_.push_back(confirm_event{std::move(done), status(ok)});
      else
        outbox_.push_back(confirm_event{
            std::move(done), status(failure{error::nacked, "the broker rejected the message (basic.nack); "
                                                           "a queue may be full (overflow=reject-publish)"})});
      done = nullptr;
    };
    if (tag >= next_seq_) {
      log::debug("confirm for a publish sequence number never sent", {{"delivery_tag", tag}});
      if (!multiple) return;
      tag = next_seq_ - 1;
    }
    if (tag < first_unconfirmed_seq_) return;  // already settled
    if (multiple) {
      for (std::uint64_t seq = first_unconfirmed_seq_; seq <= tag; ++seq) complete(unconfirmed_[seq - first_unconfirmed_seq_]);
    } else {
      complete(unconfirmed_[tag - first_unconfirmed_seq_]);
    }
    while (!unconfirmed_.empty() && !unconfirmed_.front()) {
      unconfirmed_.pop_front();
      ++first_unconfirmed_seq_;
    }
  }

  // stop(): nothing new goes out, confirms of what is on the wire are awaited (bounded), then
  // channels and connection are closed with close / close-ok.
  void close_gracefully() {
    take_commands();  // acks and rejects queued before stop() still reach the broker
    fail_waiting("stopped before the message was sent");
    const auto deadline = clock_type::now() + settings_.stop_timeout;
    while (live() && in_flight_ > 0) {
      read_frames();
      flush_outbox();
      auto now = clock_type::now();
      if (in_flight_ == 0 || !live() || now >= deadline) break;
      bool pending = amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_);
      wait(pending ? milliseconds{0}
                   : std::min(idle_wait(), std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds{1}),
           true);
    }
    if (live()) {
      shorten_rpc_timeout_for_close();
      if (amqp_channel_close(conn_, consume_channel, AMQP_REPLY_SUCCESS).reply_type == AMQP_RESPONSE_NORMAL &&
          amqp_channel_close(conn_, publish_channel, AMQP_REPLY_SUCCESS).reply_type == AMQP_RESPONSE_NORMAL)
        amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
    fail_unconfirmed({error::stopped, "the AMQP client stopped before the broker confirmed the message"});
    reset_connection_state();
    log::info("AMQP connection closed", {{"session", session_}});
  }

  // After a failure: report everything that depended on this connection, then drop it.
  void teardown() {
    if (socket_usable_) {
      shorten_rpc_timeout_for_close();
      amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
    fail_unconfirmed({error::connection_lost, "connection lost before the broker confirmed the message: " + reason_});
    bool was_connected = announced_;
    reset_connection_state();
    if (was_connected)
      log::warn("AMQP connection lost; reconnecting", {{"reason", reason_}, {"session", session_}});
    else
      log::warn("AMQP connection failed; retrying", {{"reason", reason_}});
  }

  // A clean close is a courtesy: a healthy broker answers in milliseconds, and one that blocked
  // us (memory or disk alarm) stops reading our socket, so it would never answer at all.
  void shorten_rpc_timeout_for_close() {
    timeval timeout = to_timeval(std::min(settings_.io_timeout, milliseconds{2000}));
    amqp_set_rpc_timeout(conn_, &timeout);
  }

  void reset_connection_state() {
    incoming_active_ = returned_active_ = false;
    consuming_ = cancel_sent_ = blocked_ = false;
    // No consumer any more, so no more deliveries: whoever waits for the cancel is done.
    for (auto& done : cancel_waiters_) outbox_.push_back(cancelled_event{std::move(done)});
    cancel_waiters_.clear();
    connected_.store(false);
    if (announced_) outbox_.push_back(state_event{false});
    announced_ = false;
  }

  void fail_unconfirmed(const failure& f) {
    for (auto& done : unconfirmed_)
      if (done) outbox_.push_back(confirm_event{std::move(done), status(f)});
    unconfirmed_.clear();
    in_flight_ = 0;
    next_seq_ = first_unconfirmed_seq_ = 1;
  }

  void fail_waiting(const char* why) {
    for (auto& p : waiting_)
      if (p.done) outbox_.push_back(confirm_event{std::move(p.done), stopped_failure(why)});
    waiting_.clear();
  }

  void wait_backoff(unsigned attempt) {
    // Capped exponential with "equal jitter": half fixed, half random, so a fleet of workers
    // that lost the broker together does not come back in lockstep.
    auto base = settings_.reconnect_min.count();
    auto cap = settings_.reconnect_max.count();
    long long delay = base;
    for (unsigned i = 0; i < attempt && delay < cap; ++i) delay *= 2;
    delay = std::min<long long>(delay, cap);
    std::uniform_int_distribution<long long> jitter(delay / 2, delay);
    const auto deadline = clock_type::now() + milliseconds{jitter(rng_)};
    while (!stop_requested_.load()) {
      auto now = clock_type::now();
      if (now >= deadline) return;
      wait(std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds{1}, false);
      take_commands();  // publishes wait for the next connection; acks are dropped; cancels complete
      flush_outbox();
    }
  }

  bool rpc_ok(const amqp_rpc_reply_t& reply, amqp_channel_t channel, const std::string& what) {
    switch (reply.reply_type) {
      case AMQP_RESPONSE_NORMAL: return true;
      case AMQP_RESPONSE_NONE: socket_usable_ = false; return fail(what + ": no RPC reply");
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        socket_usable_ = false;
        return fail(what + ": " + amqp_error_string2(reply.library_error));
      case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
          const auto& c = *static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
          amqp_connection_close_ok_t close_ok{};
          amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
          socket_usable_ = false;
          return fail(what + ": connection closed by the broker: " + close_text(c.reply_code, c.reply_text));
        }
        if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
          const auto& c = *static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
          amqp_channel_close_ok_t close_ok{};
          if (amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != AMQP_STATUS_OK)
            socket_usable_ = false;
          return fail(what + ": channel closed by the broker: " + close_text(c.reply_code, c.reply_text));
        }
        return fail(what + ": unexpected reply from the broker");
    }
    return fail(what + ": unknown RPC reply");
  }

  // Marks the connection broken (the first reason wins); always false, for `return fail(...)`.
  bool fail(std::string why) {
    if (!broken_) {
      broken_ = true;
      reason_ = std::move(why);
    }
    return false;
  }

  // After the thread is gone (stop()): complete whatever is still waiting, on the executor.
  void finish_leftovers() {
    std::vector<command> rest;
    {
      std::lock_guard lock(mutex_);
      rest.swap(commands_);
    }
    for (auto& c : rest) {
      std::visit(overloaded{
                     [&](publish_command& p) { waiting_.push_back(std::move(p)); },
                     [&](cancel_command& cc) {
                       if (cc.done) outbox_.push_back(cancelled_event{std::move(cc.done)});
                     },
                     [&](auto&) {},
                 },
                 c);
    }
    fail_waiting("the AMQP client stopped before the message was sent");
    fail_unconfirmed({error::stopped, "the AMQP client stopped before the broker confirmed the message"});
    for (auto& done : cancel_waiters_) outbox_.push_back(cancelled_event{std::move(done)});
    cancel_waiters_.clear();
    connected_.store(false);
    flush_outbox();
  }

  // Immutable after construction.
  boost::asio::any_io_executor executor_;
  connection_settings settings_;
  std::shared_ptr<handlers> handlers_;
  std::vector<char> url_buffer_;
  amqp_connection_info info_{};
  int event_fd_ = -1;

  // Shared between the executor and the AMQP thread.
  std::mutex mutex_;
  std::vector<command> commands_;  // guarded by mutex_
  bool accepting_ = true;          // guarded by mutex_
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> connected_{false};
  bool started_ = false;  // executor side only
  std::thread thread_;

  // The AMQP thread only (and the caller of stop() once the thread has been joined).
  amqp_connection_state_t conn_ = nullptr;
  bool broken_ = false;
  bool socket_usable_ = false;  // false after a socket error or the broker's connection.close
  std::string reason_;
  std::uint64_t session_ = 0;
  bool announced_ = false;  // state_event{true} was posted for this connection
  bool want_consume_ = true;
  bool consuming_ = false;
  bool cancel_sent_ = false;
  bool blocked_ = false;  // connection.blocked: the broker does not read from us (resource alarm)
  std::string consumer_tag_;
  std::vector<std::function<void()>> cancel_waiters_;
  std::deque<publish_command> waiting_;                  // not yet sent (window full or disconnected)
  std::deque<std::function<void(status)>> unconfirmed_;  // index = sequence number - first_unconfirmed_seq_
  std::uint64_t first_unconfirmed_seq_ = 1;
  std::uint64_t next_seq_ = 1;
  std::size_t in_flight_ = 0;  // non-empty entries of unconfirmed_
  delivery incoming_;
  bool incoming_active_ = false, incoming_has_header_ = false;
  std::uint64_t incoming_remaining_ = 0;
  bool returned_active_ = false, returned_has_header_ = false;
  std::uint64_t returned_remaining_ = 0;
  std::vector<command> batch_;
  std::vector<event> outbox_;
  properties_encoder encoder_;
  std::minstd_rand rng_;
};

broker_client::broker_client(boost::asio::any_io_executor executor, connection_settings s,
                             delivery_handler on_delivery, state_handler on_state)
    : worker_(std::make_unique<worker>(std::move(executor), std::move(s), std::move(on_delivery),
                                       std::move(on_state))) {}

broker_client::~broker_client() { stop(); }

void broker_client::start() { worker_->start(); }

void broker_client::publish(outgoing msg, std::function<void(status)> on_confirmed) {
  worker_->enqueue(publish_command{std::move(msg), std::move(on_confirmed)});
}

void broker_client::ack(std::uint64_t session, std::uint64_t delivery_tag) {
  worker_->enqueue(ack_command{session, delivery_tag});
}

void broker_client::reject(std::uint64_t session, std::uint64_t delivery_tag, bool requeue) {
  worker_->enqueue(reject_command{session, delivery_tag, requeue});
}

void broker_client::stop_consuming(std::function<void()> done) { worker_->enqueue(cancel_command{std::move(done)}); }

void broker_client::stop() {
  if (worker_) worker_->stop();
}

bool broker_client::connected() const { return worker_->connected(); }

}  // namespace oauth2_rest::amqp
