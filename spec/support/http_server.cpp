// The loopback HTTP/1.1 test server: its own thread and io_context, one coroutine per connection.
#include "http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <exception>
#include <mutex>
#include <thread>

namespace oauth2_rest::testing {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Bounds for what a client may send: the demo server faces real clients too.
constexpr std::uint32_t max_request_header_bytes = 16 * 1024;
constexpr std::uint64_t max_request_body_bytes = 8 * 1024 * 1024;
constexpr std::chrono::seconds idle_read_timeout{30};
constexpr std::chrono::seconds write_timeout{30};
constexpr std::size_t max_open_connections = 1024;

bool has_header(const std::vector<server_header>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (beast::iequals(h.name, name)) return true;
  return false;
}

bool status_has_body(unsigned status) { return !(status < 200 || status == 204 || status == 304); }

// Written by hand rather than with Beast's serializer so that chunk sizes and
// partial writes are under the test's control.
std::string serialize_head(const reply& r, bool close, std::size_t body_size) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  out += "\r\n";
  for (const auto& h : r.headers) out += h.name + ": " + h.value + "\r\n";
  if (r.chunked) out += "Transfer-Encoding: chunked\r\n";
  else if (status_has_body(r.status) && !has_header(r.headers, "Content-Length"))
    out += "Content-Length: " + std::to_string(body_size) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

std::string serialize_chunked(std::string_view body) {
  // Several chunks, so a client that only handles one would be caught.
  const std::size_t piece = std::max<std::size_t>(1, body.size() / 3 + 1);
  std::string out;
  char size[32];
  for (std::size_t at = 0; at < body.size(); at += piece) {
    const auto part = body.substr(at, piece);
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size;
    out.append(part);
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

template <class Stream>
tcp::socket& raw_socket(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

template <class Stream>
void reset_connection(Stream& stream) {
  error_code ignored;
  // Linger 0 makes close() send RST instead of FIN.
  raw_socket(stream).set_option(asio::socket_base::linger(true, 0), ignored);
  raw_socket(stream).close(ignored);
}

}  // namespace

std::string recorded_request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (beast::iequals(h.name, name)) return h.value;
  return {};
}

bool recorded_request::has_header(std::string_view name) const {
  return testing::has_header(headers, name);
}

std::string recorded_request::path() const { return target.substr(0, target.find('?')); }

std::string recorded_request::query() const {
  const auto q = target.find('?');
  return q == std::string::npos ? std::string() : target.substr(q + 1);
}

reply reply::json(unsigned status, std::string body) {
  return text(status, std::move(body), "application/json");
}

reply reply::text(unsigned status, std::string body, std::string content_type) {
  reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", std::move(content_type)});
  return r;
}

struct http_server::impl {
  // Declared before io_context_ so they outlive the sessions it destroys.
  mutable std::mutex mutex_;
  handler handler_;
  std::vector<recorded_request> requests_;
  std::size_t connections_ = 0;
  std::size_t open_connections_ = 0;
  std::optional<ssl::context> tls_context_;

  asio::io_context io_context_{1};
  tcp::acceptor acceptor_{io_context_};
  unsigned short port_ = 0;
  std::thread thread_;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors or similar: back off instead of spinning.
        asio::steady_timer pause(io_context_, std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      // Without it, a client that pipelines requests waits for the delayed ACK (40 ms) before
      // each answer after the first: Nagle holds a response while the one before is unacked.
      boost::system::error_code no_delay_failed;  // then Nagle it is: nothing to undo
      socket.set_option(tcp::no_delay(true), no_delay_failed);
      std::size_t id = 0;
      {
        std::lock_guard lock(mutex_);
        if (open_connections_ >= max_open_connections) {
          error_code ignored;
          socket.close(ignored);
          continue;
        }
        id = ++connections_;
      }
      asio::co_spawn(io_context_, session(std::move(socket), id), [](std::exception_ptr) {});
    }
  }

  // Counts a session as open for as long as its coroutine lives.
  class open_guard {
   public:
    explicit open_guard(impl& owner) : owner_(owner) {
      std::lock_guard lock(owner_.mutex_);
      ++owner_.open_connections_;
    }
    ~open_guard() {
      std::lock_guard lock(owner_.mutex_);
      --owner_.open_connections_;
    }
    open_guard(const open_guard&) = delete;
    open_guard& operator=(const open_guard&) = delete;

   private:
    impl& owner_;
  };

  asio::awaitable<void> session(tcp::socket socket, std::size_t id) {
    open_guard guard(*this);
    beast::tcp_stream tcp_stream(std::move(socket));
    if (!tls_context_) {
      co_await serve(tcp_stream, id);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), *tls_context_);
    tls_stream.next_layer().expires_after(idle_read_timeout);
    auto [ec] = co_await tls_stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (ec) co_return;  // e.g. the client refused our certificate, or had none to give
    std::string subject;
    if (X509* peer = SSL_get0_peer_certificate(tls_stream.native_handle())) {
      char name[256] = {};
      if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name) > 0) subject = name;
    }
    co_await serve(tls_stream, id, subject);
  }

  reply decide(const recorded_request& request) {
    handler h;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      h = handler_;
    }
    if (!h) return reply::text(500, "no handler");
    try {
      return h(request);
    } catch (const std::exception& e) {
      return reply::text(500, std::string("handler threw: ") + e.what());
    }
  }

  template <class Stream>
  asio::awaitable<bool> write_all(Stream& stream, std::string_view bytes) {
    beast::get_lowest_layer(stream).expires_after(write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), use_tuple);
    co_return !ec;
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, std::size_t id, std::string client_subject = {}) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(max_request_header_bytes);
      parser.body_limit(max_request_body_bytes);
      beast::get_lowest_layer(stream).expires_after(idle_read_timeout);
      auto [read_ec, read_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (read_ec) {
        if (read_ec == bhttp::error::body_limit || read_ec == bhttp::error::header_limit) {
          reply too_large = reply::text(413, "request too large");
          const std::string bytes = serialize_head(too_large, true, too_large.body.size()) + too_large.body;
          co_await write_all(stream, bytes);
        } else if (read_ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                   read_ec != bhttp::error::end_of_stream && read_ec != bhttp::error::partial_message) {
          reply bad = reply::text(400, "bad request");
          const std::string bytes = serialize_head(bad, true, bad.body.size()) + bad.body;
          co_await write_all(stream, bytes);
        }
        co_return;
      }

      auto& message = parser.get();
      recorded_request request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      for (const auto& field : message)
        request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      request.body = std::move(message.body());
      request.connection_id = id;
      request.received_at = std::chrono::steady_clock::now();
      request.client_certificate_subject = client_subject;
      const bool head = message.method() == bhttp::verb::head;
      const bool client_wants_close = !message.keep_alive();

      const reply r = decide(request);

      if (r.delay.count() > 0) {
        asio::steady_timer timer(io_context_, r.delay);
        co_await timer.async_wait(use_tuple);
      }

      switch (r.action) {
        case reply::kind::hang: {
          // Released when the server stops: the io_context destroys this frame.
          asio::steady_timer forever(io_context_, asio::steady_timer::time_point::max());
          co_await forever.async_wait(use_tuple);
          co_return;
        }
        case reply::kind::close: {
          error_code ignored;
          raw_socket(stream).shutdown(tcp::socket::shutdown_both, ignored);
          raw_socket(stream).close(ignored);
          co_return;
        }
        case reply::kind::reset:
          reset_connection(stream);
          co_return;
        case reply::kind::partial_then_reset: {
          reply announced = r;
          announced.chunked = false;
          std::string bytes = serialize_head(announced, false, r.body.size());
          bytes.append(r.body, 0, r.body.size() / 2);
          co_await write_all(stream, bytes);
          // Give the client a moment to read the partial body, so it sees a
          // reset mid-body rather than a reset that discards everything.
          asio::steady_timer pause(io_context_, std::chrono::milliseconds(20));
          co_await pause.async_wait(use_tuple);
          reset_connection(stream);
          co_return;
        }
        case reply::kind::respond:
          break;
      }

      const bool close = r.close_after || client_wants_close;
      std::string bytes = serialize_head(r, close, r.body.size());
      if (!head && status_has_body(r.status)) bytes += r.chunked ? serialize_chunked(r.body) : r.body;
      if (!co_await write_all(stream, bytes)) co_return;
      if (r.drop_after || close) {
        error_code ignored;
        raw_socket(stream).shutdown(tcp::socket::shutdown_send, ignored);
        raw_socket(stream).close(ignored);
        co_return;
      }
    }
  }
};

http_server::http_server(handler h, std::optional<tls_identity> tls, unsigned short port)
    : impl_(std::make_unique<impl>()) {
  impl_->handler_ = std::move(h);
  if (tls) {
    auto& context = impl_->tls_context_.emplace(ssl::context::tls_server);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
    context.use_certificate_chain(asio::buffer(tls->certificate_chain_pem));
    context.use_private_key(asio::buffer(tls->private_key_pem), ssl::context::pem);
    if (!tls->client_ca_pem.empty()) {
      context.add_certificate_authority(asio::buffer(tls->client_ca_pem));
      context.set_verify_mode(tls->client_certificate_optional ? ssl::verify_peer
                                                               : ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  auto& acceptor = impl_->acceptor_;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  impl_->port_ = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io_context_, impl_->accept_loop(), [](std::exception_ptr) {});
  impl_->thread_ = std::thread([state = impl_.get()] { state->io_context_.run(); });
}

http_server::~http_server() {
  // Stopping the io_context abandons every session, hanging ones included; the
  // sessions' frames (and their sockets) are destroyed with the io_context.
  impl_->io_context_.stop();
  if (impl_->thread_.joinable()) impl_->thread_.join();
}

unsigned short http_server::port() const { return impl_->port_; }

std::string http_server::base_url() const {
  return (impl_->tls_context_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(impl_->port_);
}

void http_server::set_handler(handler h) {
  std::lock_guard lock(impl_->mutex_);
  impl_->handler_ = std::move(h);
}

std::vector<recorded_request> http_server::requests() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->requests_;
}

std::size_t http_server::request_count() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->requests_.size();
}

std::size_t http_server::connection_count() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->connections_;
}

std::size_t http_server::open_connection_count() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->open_connections_;
}

void http_server::clear_requests() {
  std::lock_guard lock(impl_->mutex_);
  impl_->requests_.clear();
}

}  // namespace oauth2_rest::testing
