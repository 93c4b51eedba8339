// broker_client: the connection served on the executor's reactor, and the connector thread that
// opens and closes connections (design in the header).
#include "amqp/broker_client.hpp"

#include "amqp/field_table.hpp"
#include "util/log.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
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
// Frames handled per turn before other handlers on the executor get their go; the rest of a long
// burst is read in the next turn.
constexpr int frames_per_turn = 256;
// Longest gap between two visits of rabbitmq-c's frame reader while the connection is idle:
// heartbeats are only sent and checked inside it.
constexpr milliseconds max_idle_check{1000};

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
struct settle_command {
  std::uint64_t session, tag;
  bool ack, requeue;
};

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

// The reason an RPC failed, or nothing when it succeeded. Answers the broker's close with
// close-ok; `socket_usable` becomes false when the socket cannot carry a clean close any more.
std::optional<std::string> rpc_failure(amqp_connection_state_t conn, const amqp_rpc_reply_t& reply,
                                       amqp_channel_t channel, const std::string& what, bool& socket_usable) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return std::nullopt;
    case AMQP_RESPONSE_NONE: socket_usable = false; return what + ": no RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      socket_usable = false;
      return what + ": " + amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto& c = *static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
        amqp_connection_close_ok_t close_ok{};
        amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
        socket_usable = false;
        return what + ": connection closed by the broker: " + close_text(c.reply_code, c.reply_text);
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto& c = *static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
        amqp_channel_close_ok_t close_ok{};
        if (amqp_send_method(conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != AMQP_STATUS_OK)
          socket_usable = false;
        return what + ": channel closed by the broker: " + close_text(c.reply_code, c.reply_text);
      }
      return what + ": unexpected reply from the broker";
  }
  return what + ": unknown RPC reply";
}

// A clean close is a courtesy: a healthy broker answers in milliseconds, and one that blocked
// us (memory or disk alarm) stops reading our socket, so it would never answer at all.
void close_and_destroy(amqp_connection_state_t conn, bool socket_usable, milliseconds io_timeout) {
  if (conn == nullptr) return;
  if (socket_usable) {
    timeval timeout = to_timeval(std::min(io_timeout, milliseconds{2000}));
    amqp_set_rpc_timeout(conn, &timeout);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(conn);
}

}  // namespace

// What handlers need after the client may be gone: they hold this, never the client.
struct handlers {
  broker_client::delivery_handler on_delivery;
  broker_client::state_handler on_state;
  bool closed = false;  // set by stop(): no delivery or state callback after it (executor only)
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

class broker_client::worker : public std::enable_shared_from_this<broker_client::worker> {
 public:
  worker(boost::asio::any_io_executor executor, connection_settings s, delivery_handler on_delivery,
         state_handler on_state)
      : executor_(std::move(executor)),
        settings_(std::move(s)),
        handlers_(std::make_shared<handlers>()),
        socket_(executor_),
        idle_timer_(executor_) {
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
    rng_.seed(std::random_device{}());
  }

  ~worker() { stop(); }

  void start() {
    if (started_ || stopped_) return;
    started_ = true;
    connector_ = std::thread([this] { run_connector(); });
    request_connection(false);
  }

  void publish(publish_command p) {
    if (stopped_) {
      if (p.done) {
        std::vector<event> late;
        late.push_back(confirm_event{std::move(p.done), stopped_failure("the AMQP client is stopped")});
        post(std::move(late));
      }
      return;
    }
    waiting_.push_back(std::move(p));
    schedule_flush();
  }

  void settle(settle_command c) {
    if (stopped_) return;
    settles_.push_back(c);
    schedule_flush();
  }

  void stop_consuming(std::function<void()> done) {
    if (stopped_) {
      if (done) {
        std::vector<event> late;
        late.push_back(cancelled_event{std::move(done)});
        post(std::move(late));
      }
      return;
    }
    want_consume_.store(false);  // also: do not consume again after a reconnect
    if (done) cancel_waiters_.push_back(std::move(done));
    schedule_flush();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    handlers_->closed = true;
    idle_timer_.cancel();
    {
      std::lock_guard lock(connector_mutex_);
      connector_stop_ = true;
    }
    connector_wake_.notify_all();
    if (connector_.joinable()) connector_.join();
    // The connector is gone: what it left behind is ours.
    for (auto& d : dispose_) close_and_destroy(d.conn, d.socket_usable, settings_.io_timeout);
    dispose_.clear();
    if (ready_) {
      close_and_destroy(ready_->conn, true, settings_.io_timeout);
      ready_.reset();
    }
    if (conn_ != nullptr) close_gracefully();
    fail_waiting("the AMQP client stopped before the message was sent");
    complete_cancel_waiters();
    settles_.clear();
    connected_.store(false);
    // Completions run later on the executor, never inside stop(): its caller may hold state
    // that a completion would touch.
    if (!outbox_.empty()) post(std::exchange(outbox_, {}));
  }

  bool connected() const { return connected_.load(); }

 private:
  // A connection the connector has opened, waiting to be adopted by the executor.
  struct opened {
    amqp_connection_state_t conn = nullptr;
    std::string consumer_tag;
    bool consuming = false;
  };
  // A connection the executor has given up, waiting to be closed by the connector.
  struct dead {
    amqp_connection_state_t conn = nullptr;
    bool socket_usable = false;
  };

  void post(std::vector<event> events) {
    boost::asio::post(executor_, [h = handlers_, events = std::move(events)]() mutable { dispatch(*h, events); });
  }

  // Runs `f` on the executor with this worker, unless the worker is gone by then.
  template <class F>
  void post_self(F f) {
    boost::asio::post(executor_, [weak = weak_from_this(), f = std::move(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }

  // ---- the connector thread: the blocking parts (connect, log in, set up; close) ----

  void request_connection(bool after_loss) {
    {
      std::lock_guard lock(connector_mutex_);
      connect_requested_ = true;
      backoff_first_ = after_loss;
    }
    connector_wake_.notify_all();
  }

  void run_connector() {
    unsigned attempt = 0;
    for (;;) {
      std::vector<dead> dispose;
      bool wanted = false, backoff = false;
      {
        std::unique_lock lock(connector_mutex_);
        connector_wake_.wait(lock, [&] { return connector_stop_ || !dispose_.empty() || connect_requested_; });
        if (connector_stop_) return;
        dispose.swap(dispose_);
        wanted = connect_requested_;
        backoff = backoff_first_;
        backoff_first_ = false;
      }
      for (auto& d : dispose) close_and_destroy(d.conn, d.socket_usable, settings_.io_timeout);
      if (!wanted) continue;
      if (!backoff) attempt = 0;
      for (;;) {
        if (backoff && !sleep_backoff(attempt++)) return;
        backoff = true;
        opened o;
        std::string why;
        if (open(o, why)) {
          attempt = 0;
          {
            std::lock_guard lock(connector_mutex_);
            if (connector_stop_) {
              ready_ = std::move(o);  // stop() closes it after joining
              return;
            }
            connect_requested_ = false;
            ready_ = std::move(o);
          }
          post_self([](worker& w) { w.adopt(); });
          break;
        }
        log::warn("AMQP connection failed; retrying", {{"reason", why}});
      }
    }
  }

  // Capped exponential with "equal jitter": half fixed, half random, so a fleet of workers that
  // lost the broker together does not come back in lockstep. false when stop() came first.
  bool sleep_backoff(unsigned attempt) {
    auto base = settings_.reconnect_min.count();
    auto cap = settings_.reconnect_max.count();
    long long delay = base;
    for (unsigned i = 0; i < attempt && delay < cap; ++i) delay *= 2;
    delay = std::min<long long>(delay, cap);
    std::uniform_int_distribution<long long> jitter(delay / 2, delay);
    std::unique_lock lock(connector_mutex_);
    return !connector_wake_.wait_for(lock, milliseconds{jitter(rng_)}, [&] { return connector_stop_; });
  }

  // Connect, log in, open both channels, qos, confirm mode, consume. false (with `why`) on failure.
  bool open(opened& out, std::string& why) {
    amqp_connection_state_t conn = amqp_new_connection();
    if (conn == nullptr) {
      why = "out of memory creating the AMQP connection";
      return false;
    }
    bool socket_usable = true;
    auto failed = [&](std::string reason) {
      why = std::move(reason);
      close_and_destroy(conn, socket_usable, settings_.io_timeout);
      return false;
    };
    amqp_socket_t* socket = amqp_tcp_socket_new(conn);
    if (socket == nullptr) {
      socket_usable = false;
      return failed("out of memory creating the AMQP socket");
    }
    timeval timeout = to_timeval(settings_.io_timeout);
    int rc = amqp_socket_open_noblock(socket, info_.host, info_.port, &timeout);
    if (rc != AMQP_STATUS_OK) {
      socket_usable = false;
      return failed(std::string("cannot connect to ") + info_.host + ":" + std::to_string(info_.port) + ": " +
                    amqp_error_string2(rc));
    }
    amqp_set_handshake_timeout(conn, &timeout);
    amqp_set_rpc_timeout(conn, &timeout);

    // Client properties. rabbitmq-c merges them with its defaults; the capabilities we add ask
    // the broker to tell us when it blocks publishers (memory/disk alarm: we then hold
    // publishes back instead of blocking in send()) and when it cancels our consumer.
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
        amqp_login_with_properties(conn, info_.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, settings_.heartbeat_seconds,
                                   &properties, AMQP_SASL_METHOD_PLAIN, info_.user, info_.password);
    if (auto f = rpc_failure(conn, reply, 0, "login", socket_usable)) return failed(std::move(*f));

    amqp_channel_open(conn, publish_channel);
    if (auto f = rpc_failure(conn, amqp_get_rpc_reply(conn), publish_channel, "opening the publish channel",
                             socket_usable))
      return failed(std::move(*f));
    // Confirm mode: every publish is answered by basic.ack / basic.nack with its sequence number.
    amqp_confirm_select(conn, publish_channel);
    if (auto f = rpc_failure(conn, amqp_get_rpc_reply(conn), publish_channel, "confirm.select", socket_usable))
      return failed(std::move(*f));
    amqp_channel_open(conn, consume_channel);
    if (auto f = rpc_failure(conn, amqp_get_rpc_reply(conn), consume_channel, "opening the consume channel",
                             socket_usable))
      return failed(std::move(*f));
    amqp_basic_qos(conn, consume_channel, 0, settings_.prefetch, 0);
    if (auto f = rpc_failure(conn, amqp_get_rpc_reply(conn), consume_channel, "basic.qos", socket_usable))
      return failed(std::move(*f));

    if (want_consume_.load()) {
      amqp_basic_consume_ok_t* ok = amqp_basic_consume(conn, consume_channel, to_bytes(settings_.queue),
                                                       amqp_empty_bytes, 0, /*no_ack=*/0, 0, amqp_empty_table);
      if (auto f = rpc_failure(conn, amqp_get_rpc_reply(conn), consume_channel,
                               "basic.consume on queue '" + settings_.queue + "'", socket_usable))
        return failed(std::move(*f));
      out.consumer_tag.assign(to_string_view(ok->consumer_tag));
      out.consuming = true;
    }
    out.conn = conn;
    return true;
  }

  // ---- the executor: the connection in steady state ----

  // Takes the connection the connector opened and starts serving it.
  void adopt() {
    {
      std::lock_guard lock(connector_mutex_);
      if (!ready_) return;
      conn_ = ready_->conn;
      consumer_tag_ = std::move(ready_->consumer_tag);
      consuming_ = ready_->consuming;
      ready_.reset();
    }
    ++session_;
    broken_ = false;
    socket_usable_ = true;
    reason_.clear();
    next_seq_ = first_unconfirmed_seq_ = 1;  // confirm sequence numbers restart on each channel
    ack_base_ = 1;                           // so do delivery tags
    ack_state_.clear();
    boost::system::error_code ec;
    socket_.assign(amqp_get_sockfd(conn_), ec);
    if (ec) {
      fail("cannot watch the AMQP socket: " + ec.message());
      after_turn();  // gives the connection back and reconnects
      return;
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
    // Frames may already sit in rabbitmq-c's buffer (read during the set-up RPCs): a readiness
    // wait would not see them, so the first turn reads without waiting.
    turn(true);
    arm_idle_timer();
  }

  bool live() const { return conn_ != nullptr && !broken_; }

  void schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    post_self([](worker& w) {
      w.flush_scheduled_ = false;
      if (!w.stopped_) w.turn(false);
    });
  }

  // One turn: what callers asked for goes out, what the broker sent is read (read_now: without
  // waiting for the socket to report it), results are handed to the handlers.
  void turn(bool read_now) {
    if (live()) {
      {
        corked batch(conn_, settles_.size() + std::min(waiting_.size(), window_left()) >= 2);
        send_settles();
        send_cancel();
        send_publishes();
      }
      if (read_now) read_frames();
    } else {
      drop_settles();
      if (!want_consume_.load() && !consuming_) complete_cancel_waiters();
    }
    after_turn();
  }

  void after_turn() {
    if (broken_ && conn_ != nullptr) lose_connection();
    if (live() && !read_armed_) {
      // Go on reading at once while rabbitmq-c holds buffered frames; wait for the socket otherwise.
      if (amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_)) {
        read_armed_ = true;
        post_self([session = session_](worker& w) {
          if (w.session_ != session) return;  // a wait of an earlier connection
          w.read_armed_ = false;
          if (w.live()) w.on_readable();
        });
      } else {
        read_armed_ = true;
        socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [weak = weak_from_this(), session = session_](const boost::system::error_code& ec) {
                             auto self = weak.lock();
                             if (!self || self->session_ != session) return;
                             self->read_armed_ = false;
                             if (!ec && self->live()) self->on_readable();
                           });
      }
    }
    if (!outbox_.empty()) {
      auto events = std::exchange(outbox_, {});
      auto h = handlers_;  // a handler may call stop(), or destroy the client
      dispatch(*h, events);
    }
  }

  void on_readable() {
    read_frames();
    // Confirms just read may have opened the window for publishes still waiting.
    if (live() && !waiting_.empty()) {
      corked batch(conn_, std::min(waiting_.size(), window_left()) >= 2);
      send_publishes();
    }
    after_turn();
  }

  std::size_t window_left() const {
    return blocked_ || in_flight_ >= settings_.max_unconfirmed ? 0 : settings_.max_unconfirmed - in_flight_;
  }

  // While alive, frames written to the socket wait in the kernel (TCP_CORK) and leave together
  // when it ends: several publishes and acks of one turn cost one or two segments, not one
  // each, for us and for the broker that reads them.
  class corked {
   public:
    corked(amqp_connection_state_t conn, bool on) : fd_(on ? amqp_get_sockfd(conn) : -1) { set(1); }
    ~corked() { set(0); }
    corked(const corked&) = delete;
    corked& operator=(const corked&) = delete;

   private:
    void set(int value) {
      if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
    }
    int fd_;
  };

  void arm_idle_timer() {
    if (!live()) return;
    milliseconds interval = max_idle_check;
    if (int hb = amqp_get_heartbeat(conn_); hb > 0) interval = std::min(interval, milliseconds{hb * 1000 / 2});
    idle_timer_.expires_after(interval);
    idle_timer_.async_wait([weak = weak_from_this(), session = session_](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->stopped_ || self->session_ != session || !self->live()) return;
      // rabbitmq-c sends a due heartbeat, and notices a missed one, inside its frame reader.
      self->read_frames();
      self->after_turn();
      self->arm_idle_timer();
    });
  }

  // Reads what has arrived. The first frame reads the socket (and lets rabbitmq-c send a due
  // heartbeat and notice a missed one); after that only frames already in rabbitmq-c's buffer
  // are taken, so an empty socket costs no extra system calls (the readiness wait re-arms and
  // fires at once if more is pending).
  void read_frames() {
    for (int i = 0; i < frames_per_turn && live(); ++i) {
      if (i > 0 && !amqp_frames_enqueued(conn_) && !amqp_data_in_buffer(conn_)) return;
      if (take_frame(timeval{0, 0}) != AMQP_STATUS_OK) return;
    }
  }

  // Reads one frame, waiting at most `wait`, and handles it. AMQP_STATUS_OK, AMQP_STATUS_TIMEOUT,
  // or the error that marked the connection broken.
  int take_frame(timeval wait) {
    amqp_frame_t frame;
    int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &wait);
    if (rc == AMQP_STATUS_TIMEOUT) return rc;
    if (rc != AMQP_STATUS_OK) {
      socket_usable_ = false;
      fail(amqp_error_string2(rc));
      return rc;
    }
    handle_frame(frame);
    // Everything we keep was copied out of the frame: its channel pool can be reused.
    if (conn_ != nullptr) amqp_maybe_release_buffers_on_channel(conn_, frame.channel);
    return rc;
  }

  // The broker requeued that delivery when its connection died; its tag means nothing on the
  // current channel (see broker_client::ack).
  void log_dropped(const settle_command& s) const {
    log::debug(s.ack ? "dropping ack for a delivery of an earlier AMQP connection"
                     : "dropping reject for a delivery of an earlier AMQP connection",
               {{"session", s.session}, {"current_session", session_}, {"delivery_tag", s.tag}});
  }

  void drop_settles() {
    for (const auto& s : settles_) log_dropped(s);
    settles_.clear();
  }

  // Acks and rejects. Acks of a run of deliveries at the head of the unsettled ones go out as
  // one basic.ack with multiple=true; the others one by one, at once (holding them back would
  // hold back the broker's next deliveries under prefetch).
  void send_settles() {
    if (settles_.empty()) return;
    enum : std::uint8_t { unsettled = 0, ack_wanted = 1, settled = 2 };
    for (const auto& s : settles_) {
      if (s.session != session_ || s.tag < ack_base_ || s.tag >= ack_base_ + ack_state_.size() ||
          ack_state_[s.tag - ack_base_] != unsettled) {
        log_dropped(s);
        continue;
      }
      if (s.ack) {
        ack_state_[s.tag - ack_base_] = ack_wanted;
      } else {
        ack_state_[s.tag - ack_base_] = settled;
        if (!send_ok(amqp_basic_reject(conn_, consume_channel, s.tag, s.requeue ? 1 : 0), "basic.reject")) break;
      }
    }
    settles_.clear();
    if (!live()) return;
    std::uint64_t last = 0;
    int wanted = 0;
    while (!ack_state_.empty() && ack_state_.front() != unsettled) {
      if (ack_state_.front() == ack_wanted) {
        last = ack_base_;
        ++wanted;
      }
      ack_state_.pop_front();
      ++ack_base_;
    }
    if (wanted > 0 && !send_ok(amqp_basic_ack(conn_, consume_channel, last, wanted > 1 ? 1 : 0), "basic.ack"))
      return;
    for (std::size_t i = 0; i < ack_state_.size(); ++i) {
      if (ack_state_[i] != ack_wanted) continue;
      ack_state_[i] = settled;
      if (!send_ok(amqp_basic_ack(conn_, consume_channel, ack_base_ + i, 0), "basic.ack")) return;
    }
  }

  void track_delivery(std::uint64_t tag) {
    if (tag < ack_base_) return;  // cannot happen on a sane channel; such a tag is simply not tracked
    while (ack_base_ + ack_state_.size() <= tag) ack_state_.push_back(0);
  }

  bool send_ok(int rc, const char* what) {
    if (rc == AMQP_STATUS_OK) return true;
    socket_usable_ = false;
    fail(std::string(what) + " failed: " + amqp_error_string2(rc));
    return false;
  }

  // Whoever waits for stop_consuming is done: no more deliveries will come.
  void complete_cancel_waiters() {
    for (auto& done : std::exchange(cancel_waiters_, {})) outbox_.push_back(cancelled_event{std::move(done)});
  }

  void send_cancel() {
    if (!consuming_) {
      if (!want_consume_.load()) complete_cancel_waiters();
      return;
    }
    if (want_consume_.load()) return;
    if (cancel_sent_) return;
    // Sent without waiting: the cancel-ok arrives in order after every delivery that preceded
    // it on the channel, which is exactly when "no more deliveries" becomes true.
    amqp_basic_cancel_t request{};
    request.consumer_tag = to_bytes(consumer_tag_);
    request.nowait = 0;
    if (send_ok(amqp_send_method(conn_, consume_channel, AMQP_BASIC_CANCEL_METHOD, &request), "basic.cancel"))
      cancel_sent_ = true;
  }

  void send_publishes() {
    // While the broker blocks us it stops reading our socket: sending more would only fill the
    // socket buffer and then block inside send().
    while (live() && !blocked_ && !waiting_.empty() && in_flight_ < settings_.max_unconfirmed) {
      publish_command cmd = std::move(waiting_.front());
      waiting_.pop_front();
      const outgoing& msg = *cmd.msg;
      const amqp_basic_properties_t& props = encoder_.encode(msg.properties);
      // Registered before sending: if the send fails half-way the message may or may not have
      // reached the broker, and the loss reports it as connection_lost so the caller retries.
      unconfirmed_.push_back(std::move(cmd.done));
      ++next_seq_;
      ++in_flight_;
      send_ok(amqp_basic_publish(conn_, publish_channel, to_bytes(msg.exchange), to_bytes(msg.routing_key),
                                 msg.mandatory ? 1 : 0, 0, &props, to_bytes(msg.body)),
              "basic.publish");
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
        track_delivery(d.delivery_tag);
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
        complete_cancel_waiters();
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
    if (stopped_) return;  // closing the channel returns it to the queue
    if (!want_consume_.load()) {
      // Consumption was cancelled while this connection was being set up with a consumer:
      // give the message back rather than hand it to a caller that stopped listening.
      settles_.push_back({session_, incoming_.delivery_tag, false, true});
      schedule_flush();
      return;
    }
    outbox_.push_back(std::move(incoming_));
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

  // stop() with a connection: nothing new goes out, confirms of what is on the wire are awaited
  // (bounded), then channels and connection are closed with close / close-ok. Blocks the
  // caller, as stop() is documented to.
  void close_gracefully() {
    if (live()) send_settles();  // acks and rejects asked for before stop() still reach the broker
    fail_waiting("stopped before the message was sent");
    const auto deadline = clock_type::now() + settings_.stop_timeout;
    while (live() && in_flight_ > 0) {
      auto now = clock_type::now();
      if (now >= deadline) break;
      timeval wait = to_timeval(
          std::min(max_idle_check, std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds{1}));
      int rc = take_frame(wait);
      if (rc != AMQP_STATUS_OK && rc != AMQP_STATUS_TIMEOUT) break;
    }
    release_socket();
    if (live()) {
      timeval timeout = to_timeval(std::min(settings_.io_timeout, milliseconds{2000}));
      amqp_set_rpc_timeout(conn_, &timeout);
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

  // After a failure: report everything that depended on this connection, give it to the
  // connector to close, and ask for a new one.
  void lose_connection() {
    release_socket();
    idle_timer_.cancel();
    {
      std::lock_guard lock(connector_mutex_);
      dispose_.push_back(dead{conn_, socket_usable_});
    }
    conn_ = nullptr;
    fail_unconfirmed({error::connection_lost, "connection lost before the broker confirmed the message: " + reason_});
    drop_settles();
    bool was_connected = announced_;
    reset_connection_state();
    if (was_connected) log::warn("AMQP connection lost; reconnecting", {{"reason", reason_}, {"session", session_}});
    request_connection(true);
  }

  // The socket belongs to rabbitmq-c: the reactor stops watching it, and never closes it.
  void release_socket() {
    if (!socket_.is_open()) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
    read_armed_ = false;
  }

  void reset_connection_state() {
    incoming_active_ = returned_active_ = false;
    consuming_ = cancel_sent_ = blocked_ = false;
    ack_state_.clear();
    // No consumer any more, so no more deliveries: whoever waits for the cancel is done.
    complete_cancel_waiters();
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

  // Marks the connection broken (the first reason wins); the end of the turn acts on it.
  void fail(std::string why) {
    if (!broken_) {
      broken_ = true;
      reason_ = std::move(why);
    }
  }

  // Immutable after construction (read by both threads).
  boost::asio::any_io_executor executor_;
  connection_settings settings_;
  std::shared_ptr<handlers> handlers_;
  std::vector<char> url_buffer_;
  amqp_connection_info info_{};

  // Shared with the connector thread, under connector_mutex_.
  std::mutex connector_mutex_;
  std::condition_variable connector_wake_;
  bool connector_stop_ = false;
  bool connect_requested_ = false;
  bool backoff_first_ = false;
  std::optional<opened> ready_;
  std::vector<dead> dispose_;
  std::atomic<bool> want_consume_{true};
  std::atomic<bool> connected_{false};
  std::thread connector_;
  std::minstd_rand rng_;  // connector thread only

  // The executor only.
  bool started_ = false;
  bool stopped_ = false;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer idle_timer_;
  bool read_armed_ = false;
  bool flush_scheduled_ = false;
  amqp_connection_state_t conn_ = nullptr;
  bool broken_ = false;
  bool socket_usable_ = false;  // false after a socket error or the broker's connection.close
  std::string reason_;
  std::uint64_t session_ = 0;
  bool announced_ = false;  // state_event{true} was reported for this connection
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
  std::vector<settle_command> settles_;  // asked for, not yet sent
  std::deque<std::uint8_t> ack_state_;  // per delivery tag from ack_base_: unsettled / ack wanted / settled
  std::uint64_t ack_base_ = 1;
  delivery incoming_;
  bool incoming_active_ = false, incoming_has_header_ = false;
  std::uint64_t incoming_remaining_ = 0;
  bool returned_active_ = false, returned_has_header_ = false;
  std::uint64_t returned_remaining_ = 0;
  std::vector<event> outbox_;
  properties_encoder encoder_;
};

broker_client::broker_client(boost::asio::any_io_executor executor, connection_settings s,
                             delivery_handler on_delivery, state_handler on_state)
    : worker_(std::make_shared<worker>(std::move(executor), std::move(s), std::move(on_delivery),
                                       std::move(on_state))) {}

broker_client::~broker_client() { stop(); }

void broker_client::start() { worker_->start(); }

void broker_client::publish(std::shared_ptr<const outgoing> msg, std::function<void(status)> on_confirmed) {
  worker_->publish(publish_command{std::move(msg), std::move(on_confirmed)});
}

void broker_client::publish(outgoing msg, std::function<void(status)> on_confirmed) {
  publish(std::make_shared<const outgoing>(std::move(msg)), std::move(on_confirmed));
}

void broker_client::ack(std::uint64_t session, std::uint64_t delivery_tag) {
  worker_->settle(settle_command{session, delivery_tag, true, false});
}

void broker_client::reject(std::uint64_t session, std::uint64_t delivery_tag, bool requeue) {
  worker_->settle(settle_command{session, delivery_tag, false, requeue});
}

void broker_client::stop_consuming(std::function<void()> done) { worker_->stop_consuming(std::move(done)); }

void broker_client::stop() {
  if (worker_) worker_->stop();
}

bool broker_client::connected() const { return worker_->connected(); }

}  // namespace oauth2_rest::amqp
