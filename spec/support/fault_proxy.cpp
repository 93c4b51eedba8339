// The fault proxy: one accept loop and two pump coroutines per connection, on a private io_context.
#include "fault_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <set>
#include <thread>

namespace oauth2_rest::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

void close_socket(tcp::socket& s, bool reset) {
  error_code ignored;
  if (!s.is_open()) return;
  if (reset) s.set_option(asio::socket_base::linger(true, 0), ignored);  // close() then sends RST
  else s.shutdown(tcp::socket::shutdown_both, ignored);
  s.close(ignored);
}

}  // namespace

struct fault_proxy::impl {
  struct connection {
    explicit connection(asio::io_context& io, tcp::socket c) : client(std::move(c)), target(io) {}
    tcp::socket client;
    tcp::socket target;
    std::size_t forwarded = 0;               // both directions, for reset_after_bytes
    std::size_t fault_after = SIZE_MAX;      // set_fault_every: reset after this many bytes
    int pumps = 0;
    bool finished = false;
  };

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  // Pumps waiting out a hang wait on this timer; a mode change cancels it to wake them.
  asio::steady_timer wake{io, asio::steady_timer::time_point::max()};
  std::set<std::shared_ptr<connection>> connections;  // io thread only
  tcp::endpoint target;
  unsigned short port = 0;
  std::thread thread;

  std::atomic<fault_mode> mode{fault_mode::pass};
  std::atomic<long long> delay_ms{50};
  std::atomic<std::size_t> reset_after{0};
  std::atomic<std::size_t> slice_bytes{1};
  std::atomic<std::size_t> fault_every{0};
  std::atomic<std::size_t> fault_every_after{0};

  std::atomic<std::size_t> accepted{0}, open{0}, faulted{0}, up{0}, down{0};

  // Closes both sides (RST when `reset`); `by_proxy` counts it as a fault we injected.
  void finish(const std::shared_ptr<connection>& c, bool reset, bool by_proxy) {
    if (c->finished) return;
    c->finished = true;
    if (by_proxy) ++faulted;  // counted first: the peers may look as soon as the sockets close
    close_socket(c->client, reset);
    close_socket(c->target, reset);
  }

  void release(const std::shared_ptr<connection>& c) {
    if (--c->pumps > 0) return;
    if (!c->finished) {
      c->finished = true;
      close_socket(c->client, false);
      close_socket(c->target, false);
    }
    connections.erase(c);
    --open;
  }

  // Applies close / reset to every live connection and wakes pumps that wait out a hang. Takes
  // the mode that was set, not the current one: set_mode(reset) then set_mode(pass) still resets.
  void on_mode_changed(fault_mode m) {
    if (m == fault_mode::close || m == fault_mode::reset) {
      auto all = connections;
      for (const auto& c : all) {
        if (c->finished) continue;
        finish(c, m == fault_mode::reset, true);
      }
    }
    wake.cancel();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      if (ec) {
        asio::steady_timer pause(io, std::chrono::milliseconds(20));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      const auto n = ++accepted;
      const auto m = mode.load();
      if (m == fault_mode::close || m == fault_mode::reset) {
        ++faulted;
        close_socket(socket, m == fault_mode::reset);
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      auto c = std::make_shared<connection>(io, std::move(socket));
      if (const auto every = fault_every.load(); every > 0 && n % every == 0) c->fault_after = fault_every_after.load();
      connections.insert(c);
      ++open;
      asio::co_spawn(io, run(c), asio::detached);
    }
  }

  asio::awaitable<void> run(std::shared_ptr<connection> c) {
    c->pumps = 1;  // held by this coroutine until the pumps start
    auto [ec] = co_await c->target.async_connect(target, use_tuple);
    if (ec || c->finished) {
      finish(c, true, false);  // the target refused: the client sees a reset, as if it had refused
      release(c);
      co_return;
    }
    c->target.set_option(tcp::no_delay(true));
    c->pumps = 2;
    asio::co_spawn(io, pump(c, true), asio::detached);
    asio::co_spawn(io, pump(c, false), asio::detached);
  }

  // Forwards one direction: client -> target when `upstream`, else target -> client.
  asio::awaitable<void> pump(std::shared_ptr<connection> c, bool upstream) {
    tcp::socket& from = upstream ? c->client : c->target;
    tcp::socket& to = upstream ? c->target : c->client;
    std::array<char, 16 * 1024> buffer;
    for (;;) {
      auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buffer), use_tuple);
      // While hanging nothing passes, not even a FIN or a reset: the other side must not learn.
      while (mode.load() == fault_mode::hang && !c->finished) co_await wake.async_wait(use_tuple);
      if (c->finished) break;
      if (read_ec) {
        if (read_ec == asio::error::eof) {
          // Orderly half-close: pass the FIN on, keep the other direction going.
          error_code ignored;
          to.shutdown(tcp::socket::shutdown_send, ignored);
        } else {
          finish(c, true, false);  // a reset (or worse) on one side becomes a reset on the other
        }
        break;
      }

      std::size_t length = n;
      bool reset_now = false;
      const auto m = mode.load();
      std::size_t limit = c->fault_after;
      if (m == fault_mode::reset_after_bytes) limit = std::min(limit, reset_after.load());
      if (limit != SIZE_MAX && c->forwarded + length >= limit) {
        length = limit > c->forwarded ? limit - c->forwarded : 0;
        reset_now = true;
      }
      if (m == fault_mode::delay) {
        asio::steady_timer pause(io, std::chrono::milliseconds(delay_ms.load()));
        co_await pause.async_wait(use_tuple);
        if (c->finished) break;
      }
      const std::size_t piece = m == fault_mode::slice ? std::max<std::size_t>(1, slice_bytes.load()) : length;
      bool write_failed = false;
      for (std::size_t at = 0; at < length && !c->finished; at += piece) {
        const auto part = std::min(piece, length - at);
        auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(buffer.data() + at, part), use_tuple);
        if (write_ec) {
          write_failed = true;
          break;
        }
        c->forwarded += written;
        (upstream ? up : down) += written;
      }
      if (c->finished) break;
      if (reset_now && length > 0 && !write_failed) {
        // Let the last bytes leave the send buffer: a reset discards whatever is still queued.
        asio::steady_timer pause(io, std::chrono::milliseconds(20));
        co_await pause.async_wait(use_tuple);
        if (c->finished) break;
      }
      if (write_failed || reset_now) {
        finish(c, true, reset_now);
        break;
      }
    }
    release(c);
  }
};

fault_proxy::fault_proxy(std::string target_host, unsigned short target_port) : impl_(std::make_unique<impl>()) {
  impl_->target = tcp::endpoint(asio::ip::make_address(target_host), target_port);
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([state = impl_.get()] { state->io.run(); });
}

fault_proxy::~fault_proxy() {
  asio::post(impl_->io, [state = impl_.get()] {
    error_code ignored;
    state->acceptor.close(ignored);
    for (const auto& c : state->connections) {
      c->finished = true;
      close_socket(c->client, false);
      close_socket(c->target, false);
    }
    state->wake.cancel();
  });
  // Give the closes a moment to go out, then abandon whatever is left.
  asio::post(impl_->io, [state = impl_.get()] { state->io.stop(); });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->connections.clear();
}

unsigned short fault_proxy::port() const { return impl_->port; }
std::string fault_proxy::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void fault_proxy::set_mode(fault_mode mode) {
  impl_->mode.store(mode);
  asio::post(impl_->io, [state = impl_.get(), mode] { state->on_mode_changed(mode); });
}

fault_mode fault_proxy::mode() const { return impl_->mode.load(); }
void fault_proxy::set_delay(std::chrono::milliseconds delay) { impl_->delay_ms.store(delay.count()); }
void fault_proxy::set_reset_after(std::size_t bytes) { impl_->reset_after.store(bytes); }
void fault_proxy::set_slice_bytes(std::size_t bytes) { impl_->slice_bytes.store(bytes); }
void fault_proxy::set_fault_every(std::size_t n, std::size_t after_bytes) {
  impl_->fault_every_after.store(after_bytes);
  impl_->fault_every.store(n);
}

std::size_t fault_proxy::connection_count() const { return impl_->accepted.load(); }
std::size_t fault_proxy::open_connection_count() const { return impl_->open.load(); }
std::size_t fault_proxy::faulted_connection_count() const { return impl_->faulted.load(); }
std::size_t fault_proxy::bytes_to_target() const { return impl_->up.load(); }
std::size_t fault_proxy::bytes_to_client() const { return impl_->down.load(); }

}  // namespace oauth2_rest::testing
