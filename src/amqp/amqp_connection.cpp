// One AMQP connection on the reactor: connect, handshake, read loop, buffered writes, heartbeats
// (design in the header).
#include "amqp/amqp_connection.hpp"

#include "amqp/error.hpp"
#include "amqp/field_table.hpp"
#include "http/http_client.hpp"
#include "util/log.hpp"

#include <amqp_framing.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace oauth2_rest::amqp {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;

failure fail(std::string why) { return {make_error_code(error::connection_lost), std::move(why)}; }

std::string close_text(std::uint16_t code, amqp_bytes_t text) {
  return std::to_string(code) + " " + std::string(to_string_view(text));
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class connection_impl final : public amqp_connection, public std::enable_shared_from_this<connection_impl> {
 public:
  connection_impl(asio::any_io_executor executor, connection_options options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        resolver_(executor_),
        tls_context_(options_.uri.tls ? http::make_default_tls_context() : nullptr),
        socket_(executor_),
        // Only amqps pays for OpenSSL: a plain connection has no context and no SSL object.
        tls_(tls_context_ ? std::make_unique<ssl::stream<tcp::socket&>>(socket_, *tls_context_) : nullptr),
        deadline_(executor_),
        heartbeat_timer_(executor_) {}

  asio::awaitable<status> open() override {
    auto self = shared_from_this();
    arm_deadline(options_.io_timeout);
    const auto& uri = options_.uri;
    const std::string where = uri.host + ":" + std::to_string(uri.port);

    auto [rec, endpoints] = co_await resolver_.async_resolve(uri.host, std::to_string(uri.port), use_tuple);
    if (closed_) co_return stopped_or_timed_out("connecting to " + where);
    if (rec) co_return fail("cannot resolve " + uri.host + ": " + rec.message());
    auto [cec, endpoint] = co_await asio::async_connect(socket(), endpoints, use_tuple);
    if (closed_) co_return stopped_or_timed_out("connecting to " + where);
    if (cec) co_return fail("cannot connect to " + where + ": " + cec.message());
    boost::system::error_code ignored;
    socket().set_option(tcp::no_delay(true), ignored);

    if (uri.tls) {
      SSL* native = tls_->native_handle();
      tls_->set_verify_mode(ssl::verify_peer);
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      bool configured = false;
      // SNI and the name check go together; an IP is checked as an IP and sent without SNI.
      if (is_ip(uri.host)) {
        configured = X509_VERIFY_PARAM_set1_ip_asc(param, uri.host.c_str()) == 1;
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        configured = SSL_set_tlsext_host_name(native, uri.host.c_str()) == 1 && SSL_set1_host(native, uri.host.c_str()) == 1;
      }
      if (!configured) co_return fail("could not set up TLS for host " + uri.host);
      auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, use_tuple);
      if (closed_) co_return stopped_or_timed_out("the TLS handshake with " + where);
      if (hec) {
        std::string reason = hec.message();
        if (long v = SSL_get_verify_result(native); v != X509_V_OK)
          reason = std::string("certificate verification failed: ") + X509_verify_cert_error_string(v);
        co_return fail("TLS handshake with " + where + " failed: " + reason);
      }
    }

    out_.append(protocol_header);
    flush_soon();
    auto start = co_await expect(0, AMQP_CONNECTION_START_METHOD, "connection.start");
    if (!start) co_return std::move(start).error();

    // Client properties: the capabilities ask the broker to tell us when it blocks publishers and
    // when it cancels our consumer; connection_name is what operators see.
    amqp_table_entry_t capabilities[5];
    const char* capability_names[5] = {"connection.blocked", "consumer_cancel_notify", "basic.nack",
                                       "publisher_confirms", "authentication_failure_close"};
    for (int i = 0; i < 5; ++i) {
      capabilities[i].key = amqp_cstring_bytes(capability_names[i]);
      capabilities[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
      capabilities[i].value.value.boolean = 1;
    }
    amqp_table_entry_t entries[3];
    int count = 0;
    entries[count].key = amqp_cstring_bytes("capabilities");
    entries[count].value.kind = AMQP_FIELD_KIND_TABLE;
    entries[count].value.value.table = amqp_table_t{5, capabilities};
    ++count;
    entries[count].key = amqp_cstring_bytes("product");
    entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[count].value.value.bytes = amqp_cstring_bytes("oauth2-rest");
    ++count;
    if (!options_.connection_name.empty()) {
      entries[count].key = amqp_cstring_bytes("connection_name");
      entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[count].value.value.bytes = to_bytes(options_.connection_name);
      ++count;
    }
    // SASL PLAIN: "\0user\0password".
    std::string response;
    response.reserve(uri.user.size() + uri.password.size() + 2);
    response.push_back('\0');
    response.append(uri.user);
    response.push_back('\0');
    response.append(uri.password);
    amqp_connection_start_ok_t start_ok{};
    start_ok.client_properties = amqp_table_t{count, entries};
    start_ok.mechanism = amqp_cstring_bytes("PLAIN");
    start_ok.response = to_bytes(response);
    start_ok.locale = amqp_cstring_bytes("en_US");
    if (auto s = writer_.method(out_, 0, AMQP_CONNECTION_START_OK_METHOD, &start_ok); !s) co_return s;
    flush_soon();

    auto tune = co_await expect(0, AMQP_CONNECTION_TUNE_METHOD, "logging in (wrong user or password?)");
    if (!tune) co_return std::move(tune).error();
    const auto t = *static_cast<const amqp_connection_tune_t*>(tune->method);
    std::uint32_t frame_max = uri.frame_max.value_or(default_frame_max);
    if (frame_max == 0) frame_max = t.frame_max;
    if (t.frame_max != 0 && (frame_max == 0 || t.frame_max < frame_max)) frame_max = t.frame_max;
    if (frame_max == 0) frame_max = default_frame_max;
    std::uint16_t heartbeat = uri.heartbeat_seconds.value_or(options_.heartbeat_seconds);
    if (heartbeat != 0 && t.heartbeat != 0 && t.heartbeat < heartbeat) heartbeat = t.heartbeat;
    heartbeat_ = heartbeat;
    amqp_connection_tune_ok_t tune_ok{};
    tune_ok.channel_max = t.channel_max == 0 ? 2047 : std::min<std::uint16_t>(t.channel_max, 2047);
    tune_ok.frame_max = frame_max;
    tune_ok.heartbeat = heartbeat;
    if (auto s = writer_.method(out_, 0, AMQP_CONNECTION_TUNE_OK_METHOD, &tune_ok); !s) co_return s;
    writer_.set_frame_max(frame_max);
    reader_.set_frame_max(frame_max);

    amqp_connection_open_t open{};
    open.virtual_host = to_bytes(uri.vhost);
    open.capabilities = amqp_empty_bytes;
    if (auto s = writer_.method(out_, 0, AMQP_CONNECTION_OPEN_METHOD, &open); !s) co_return s;
    flush_soon();
    auto opened = co_await expect(0, AMQP_CONNECTION_OPEN_OK_METHOD, "opening vhost '" + uri.vhost + "'");
    if (!opened) co_return std::move(opened).error();
    deadline_.cancel();

    if (heartbeat_ > 0) {
      // Unacknowledged data on a dead link ends the connection in the same time as silence does.
      unsigned timeout_ms = 2u * heartbeat_ * 1000u;
      ::setsockopt(socket().native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof timeout_ms);
    }
    last_read_ = last_write_ = clock_type::now();
    co_return ok;
  }

  asio::awaitable<result<frame>> rpc(std::uint16_t channel, amqp_method_number_t id, const void* arguments,
                                     amqp_method_number_t reply) override {
    auto self = shared_from_this();
    if (auto s = send_method(channel, id, arguments); !s) co_return std::move(s).error();
    arm_deadline(options_.io_timeout);
    auto r = co_await expect(channel, reply, method_name(id));
    deadline_.cancel();
    co_return r;
  }

  asio::awaitable<failure> run(frame_handler on_frame, batch_handler on_batch) override {
    auto self = shared_from_this();
    if (closed_) co_return fail(close_reason_.empty() ? "closed" : close_reason_);
    arm_heartbeat();
    for (;;) {
      frame f;
      for (;;) {
        auto r = reader_.next(f);
        if (!r) co_return end(r.error().message);
        if (!*r) break;
        if (f.type == AMQP_FRAME_HEARTBEAT) continue;
        if (f.type == AMQP_FRAME_METHOD && f.channel == 0) {
          if (auto why = connection_method(f)) co_return end(*why);
          continue;
        }
        on_frame(f);
        if (closed_) co_return fail(close_reason_);
      }
      if (on_batch) on_batch();
      if (closed_) co_return fail(close_reason_);
      auto [ec, n] = co_await read_some();
      if (closed_) co_return fail(close_reason_);
      if (ec) co_return end(ec == asio::error::eof ? "the broker closed the connection" : "read failed: " + ec.message());
      reader_.commit(n);
      last_read_ = clock_type::now();
    }
  }

  status send_method(std::uint16_t channel, amqp_method_number_t id, const void* arguments) override {
    if (closed_) return fail("the connection is closed");
    auto s = writer_.method(out_, channel, id, arguments);
    if (s) flush_soon();
    return s;
  }

  status send_publish(std::uint16_t channel, const amqp_basic_publish_t& publish, const amqp_basic_properties_t& properties,
                      std::string_view body) override {
    if (closed_) return fail("the connection is closed");
    auto s = writer_.publish(out_, channel, publish, properties, body);
    if (s) flush_soon();
    return s;
  }

  void close_gracefully(milliseconds deadline) override {
    if (closed_ || closing_) return;
    closing_ = true;
    amqp_connection_close_t c{};
    c.reply_code = AMQP_REPLY_SUCCESS;
    c.reply_text = amqp_cstring_bytes("closing");
    (void)send_method(0, AMQP_CONNECTION_CLOSE_METHOD, &c);
    arm_deadline(deadline);
  }

  void close() override { shut("closed"); }

  void try_write_now() override {
    if (closed_ || writing_ || out_.empty()) return;
    boost::system::error_code ec;
    // Asio issues the ioctl on every call, even when the mode is set already.
    if (!socket().non_blocking()) socket().non_blocking(true, ec);
    if (!tls_) {
      std::size_t n = socket().write_some(asio::buffer(out_), ec);
      if (!ec) out_.erase(0, n);
      return;
    }
    // Through TLS each write_some encrypts at most one record and hands it to the (now
    // non-blocking) socket; stop at the first the socket does not take at once.
    while (!out_.empty()) {
      std::size_t n = tls_->write_some(asio::buffer(out_), ec);
      if (ec || n == 0) break;
      out_.erase(0, n);
    }
  }

  std::uint16_t heartbeat_seconds() const override { return heartbeat_; }
  bool blocked() const override { return blocked_; }

 private:
  tcp::socket& socket() { return socket_; }

  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some() {
    auto buffer = asio::buffer(reader_.prepare(read_chunk), read_chunk);
    if (tls_) co_return co_await tls_->async_read_some(buffer, use_tuple);
    co_return co_await socket().async_read_some(buffer, use_tuple);
  }

  failure stopped_or_timed_out(const std::string& what) {
    if (timed_out_)
      return fail(what + " timed out after " + std::to_string(options_.io_timeout.count()) + " ms");
    return {make_error_code(error::stopped), what + ": stopped"};
  }

  // Waits for `method` on `channel`, answering what the connection must answer on the way.
  asio::awaitable<result<frame>> expect(std::uint16_t channel, amqp_method_number_t method, std::string what) {
    for (;;) {
      frame f;
      for (;;) {
        auto r = reader_.next(f);
        if (!r) {
          shut(r.error().message);
          co_return std::move(r).error();
        }
        if (!*r) break;
        if (f.type == AMQP_FRAME_HEARTBEAT) continue;
        if (f.type != AMQP_FRAME_METHOD) continue;  // content during set-up is not for us
        if (f.channel == channel && f.method_id == method) co_return f;
        if (f.method_id == AMQP_CONNECTION_CLOSE_METHOD) {
          auto why = connection_method(f);
          co_return fail(what + ": " + why.value_or("connection closed by the broker"));
        }
        if (f.channel == channel && f.method_id == AMQP_CHANNEL_CLOSE_METHOD) {
          const auto& c = *static_cast<const amqp_channel_close_t*>(f.method);
          std::string why = what + ": channel closed by the broker: " + close_text(c.reply_code, c.reply_text);
          amqp_channel_close_ok_t close_ok{};
          (void)send_method(channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
          co_return failure{make_error_code(error::channel_closed), std::move(why)};
        }
        if (f.channel == 0) (void)connection_method(f);
      }
      auto [ec, n] = co_await read_some();
      if (closed_) co_return stopped_or_timed_out(what);
      if (ec) {
        shut(ec.message());
        co_return fail(what + ": " +
                       (ec == asio::error::eof ? std::string("the broker closed the connection") : ec.message()));
      }
      reader_.commit(n);
      last_read_ = clock_type::now();
    }
  }

  // Channel-0 methods of the steady state; a reason when the connection ends with it.
  std::optional<std::string> connection_method(const frame& f) {
    switch (f.method_id) {
      case AMQP_CONNECTION_CLOSE_METHOD: {
        const auto& c = *static_cast<const amqp_connection_close_t*>(f.method);
        std::string why = "connection closed by the broker: " + close_text(c.reply_code, c.reply_text);
        amqp_connection_close_ok_t close_ok{};
        (void)writer_.method(out_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
        try_write_now();
        shut(why);
        return why;
      }
      case AMQP_CONNECTION_CLOSE_OK_METHOD: shut("closed"); return std::string("closed");
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        const auto& b = *static_cast<const amqp_connection_blocked_t*>(f.method);
        log::warn("the broker blocked publishing on this connection; publishes wait",
                  {{"reason", to_string_view(b.reason)}});
        blocked_ = true;
        return std::nullopt;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        log::info("the broker unblocked publishing on this connection");
        blocked_ = false;
        return std::nullopt;
      default: return std::nullopt;
    }
  }

  failure end(const std::string& why) {
    shut(why);
    return fail(why);
  }

  void shut(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    close_reason_ = why;
    boost::system::error_code ignored;
    resolver_.cancel();
    deadline_.cancel();
    heartbeat_timer_.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  void arm_deadline(milliseconds d) {
    deadline_.expires_after(d);
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      self->timed_out_ = true;
      self->shut(self->closing_ ? "closed (the broker did not answer connection.close)" : "timed out");
    });
  }

  void arm_heartbeat() {
    if (heartbeat_ == 0 || closed_) return;
    // A quarter of the interval: a heartbeat then goes out between half and three quarters of it.
    heartbeat_timer_.expires_after(milliseconds(heartbeat_ * 250));
    heartbeat_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      const auto now = clock_type::now();
      const auto interval = milliseconds(self->heartbeat_ * 1000);
      if (now - self->last_read_ > 2 * interval) {
        self->shut("missed heartbeats from the broker (nothing read for " + std::to_string(2 * self->heartbeat_) + " s)");
        return;
      }
      if (now - self->last_write_ >= interval / 2 && self->out_.empty()) {
        frame_writer::heartbeat(self->out_);
        self->flush_soon();
      }
      self->arm_heartbeat();
    });
  }

  // One write per turn: frames queued by the handlers of this turn leave together.
  void flush_soon() {
    if (flush_posted_ || writing_) return;
    flush_posted_ = true;
    asio::post(executor_, [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->write();
    });
  }

  void write() {
    if (closed_ || writing_ || out_.empty()) return;
    writing_ = true;
    written_.swap(out_);
    out_.clear();
    auto done = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      self->written_.clear();
      if (self->closed_) return;
      if (ec) {
        self->shut("write failed: " + ec.message());
        return;
      }
      self->last_write_ = clock_type::now();
      self->write();
    };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(written_), std::move(done));
    else
      asio::async_write(socket(), asio::buffer(written_), std::move(done));
  }

  asio::any_io_executor executor_;
  connection_options options_;
  tcp::resolver resolver_;
  std::shared_ptr<ssl::context> tls_context_;
  tcp::socket socket_;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls_;  // amqps only
  asio::steady_timer deadline_;
  asio::steady_timer heartbeat_timer_;
  frame_reader reader_;
  frame_writer writer_;
  std::string out_;      // queued, not yet handed to a write
  std::string written_;  // being written
  bool writing_ = false, flush_posted_ = false;
  bool closed_ = false, closing_ = false, timed_out_ = false, blocked_ = false;
  std::string close_reason_;
  std::uint16_t heartbeat_ = 0;
  clock_type::time_point last_read_{}, last_write_{};
};

}  // namespace

std::shared_ptr<amqp_connection> amqp_connection::make(asio::any_io_executor executor, connection_options options) {
  return std::make_shared<connection_impl>(std::move(executor), std::move(options));
}

}  // namespace oauth2_rest::amqp
