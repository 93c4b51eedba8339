// The fault proxy itself, against the project's loopback http_server: every mode does what the
// fault scenarios (fault_test.cpp) rely on, seen from a plain blocking client socket.
#include "support/broker.hpp"
#include "support/fault_proxy.hpp"
#include "support/http_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

namespace oauth2_rest {
namespace {

using namespace std::chrono_literals;
using testing::fault_mode;
using testing::fault_proxy;
using testing::reply;
using clock_type = std::chrono::steady_clock;

// A blocking loopback TCP client: the proxy's behaviour seen from the socket API.
class raw_client {
 public:
  enum class ending { still_open, eof, reset };
  struct outcome {
    std::string bytes;
    ending end = ending::still_open;
  };

  explicit raw_client(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect failed");
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(const std::string& bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("send failed");
  }

  // Reads until `enough` holds for what arrived, the peer ends the connection, or `timeout`.
  outcome read(std::chrono::milliseconds timeout, const std::function<bool(const std::string&)>& enough = {}) {
    outcome out;
    const auto deadline = clock_type::now() + timeout;
    char buffer[4096];
    while (!(enough && enough(out.bytes))) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        out.bytes.append(buffer, static_cast<std::size_t>(n));
      } else {
        out.end = n == 0 ? ending::eof : (errno == ECONNRESET ? ending::reset : ending::eof);
        break;
      }
    }
    return out;
  }

 private:
  int fd_ = -1;
};

std::string get_request(bool close = true) {
  return std::string("GET /thing HTTP/1.1\r\nHost: 127.0.0.1\r\n") + (close ? "Connection: close\r\n" : "") + "\r\n";
}

bool whole_response(const std::string& bytes) {
  // The test server sends Content-Length; the body below is 2000 bytes of 'x' and ends in 'y'.
  return bytes.find("\r\n\r\n") != std::string::npos && !bytes.empty() && bytes.back() == 'y';
}

class fault_proxy_test : public ::testing::Test {
 protected:
  testing::http_server server{[](const testing::recorded_request&) {
    return reply::text(200, std::string(1999, 'x') + "y");
  }};
  fault_proxy proxy{"127.0.0.1", server.port()};
};

TEST_F(fault_proxy_test, pass_forwards_both_ways_and_counts) {
  std::string received;
  {
    raw_client c(proxy.port());
    c.send(get_request());
    auto got = c.read(5s);
    EXPECT_EQ(got.end, raw_client::ending::eof) << "Connection: close ends with the server's FIN, passed on";
    received = got.bytes;
    EXPECT_EQ(proxy.open_connection_count(), 1u) << "half-closed: the client may still send";
  }
  EXPECT_TRUE(whole_response(received));
  EXPECT_NE(received.find("200 OK"), std::string::npos);
  EXPECT_EQ(proxy.connection_count(), 1u);
  EXPECT_EQ(proxy.bytes_to_target(), get_request().size());
  EXPECT_EQ(proxy.bytes_to_client(), received.size());
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(testing::eventually([&] { return proxy.open_connection_count() == 0; }, 5s))
      << "the client's close ends the connection";
  EXPECT_EQ(proxy.faulted_connection_count(), 0u);
}

TEST_F(fault_proxy_test, slice_delivers_the_same_bytes_in_tiny_writes) {
  proxy.set_slice_bytes(3);
  proxy.set_mode(fault_mode::slice);
  raw_client c(proxy.port());
  c.send(get_request());
  auto got = c.read(10s);
  EXPECT_TRUE(whole_response(got.bytes));
  EXPECT_EQ(proxy.bytes_to_client(), got.bytes.size());
}

TEST_F(fault_proxy_test, delay_holds_every_chunk) {
  proxy.set_delay(300ms);
  proxy.set_mode(fault_mode::delay);
  raw_client c(proxy.port());
  const auto start = clock_type::now();
  c.send(get_request());
  auto got = c.read(10s, whole_response);
  EXPECT_TRUE(whole_response(got.bytes));
  EXPECT_GE(clock_type::now() - start, 600ms) << "request and response were each delayed";
}

TEST_F(fault_proxy_test, hang_forwards_nothing_and_keeps_the_connection_open_until_released) {
  raw_client c(proxy.port());
  c.send(get_request(false));
  ASSERT_TRUE(whole_response(c.read(5s, whole_response).bytes));

  proxy.set_mode(fault_mode::hang);
  c.send(get_request(false));
  auto during = c.read(400ms);
  EXPECT_TRUE(during.bytes.empty()) << "nothing may pass while hanging";
  EXPECT_EQ(during.end, raw_client::ending::still_open) << "a hang is not a close";
  EXPECT_EQ(server.request_count(), 1u) << "the request did not reach the server";

  proxy.set_mode(fault_mode::pass);
  auto after = c.read(5s, whole_response);
  EXPECT_TRUE(whole_response(after.bytes)) << "forwarding resumes";
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(fault_proxy_test, close_ends_existing_and_new_connections) {
  raw_client c(proxy.port());
  c.send(get_request(false));
  ASSERT_TRUE(whole_response(c.read(5s, whole_response).bytes));
  proxy.set_mode(fault_mode::close);
  EXPECT_EQ(c.read(5s).end, raw_client::ending::eof);
  raw_client fresh(proxy.port());
  EXPECT_EQ(fresh.read(5s).end, raw_client::ending::eof);
  EXPECT_EQ(proxy.faulted_connection_count(), 2u);
  EXPECT_TRUE(testing::eventually([&] { return server.open_connection_count() == 0; }, 5s))
      << "the server side was closed too";
}

TEST_F(fault_proxy_test, reset_resets_existing_and_new_connections) {
  raw_client c(proxy.port());
  c.send(get_request(false));
  ASSERT_TRUE(whole_response(c.read(5s, whole_response).bytes));
  proxy.set_mode(fault_mode::reset);
  EXPECT_EQ(c.read(5s).end, raw_client::ending::reset);
  raw_client fresh(proxy.port());
  EXPECT_EQ(fresh.read(5s).end, raw_client::ending::reset);
}

TEST_F(fault_proxy_test, a_reset_set_and_undone_at_once_still_resets_and_drops_what_a_hang_held) {
  raw_client c(proxy.port());
  proxy.set_mode(fault_mode::hang);
  c.send(get_request(false));
  EXPECT_TRUE(c.read(200ms).bytes.empty());
  proxy.set_mode(fault_mode::reset);
  proxy.set_mode(fault_mode::pass);
  EXPECT_EQ(c.read(5s).end, raw_client::ending::reset);
  EXPECT_EQ(server.request_count(), 0u) << "the held request was dropped, not delivered late";
  raw_client fresh(proxy.port());
  fresh.send(get_request());
  EXPECT_TRUE(whole_response(fresh.read(5s).bytes)) << "new connections pass again";
}

TEST_F(fault_proxy_test, reset_after_bytes_cuts_each_connection_at_the_limit) {
  const std::size_t limit = get_request().size() + 100;
  proxy.set_reset_after(limit);
  proxy.set_mode(fault_mode::reset_after_bytes);
  for (int i = 0; i < 2; ++i) {
    raw_client c(proxy.port());
    c.send(get_request());
    auto got = c.read(5s);
    EXPECT_EQ(got.end, raw_client::ending::reset);
    EXPECT_EQ(got.bytes.size(), 100u) << "exactly the limit passed, counting both directions";
  }
  EXPECT_EQ(proxy.faulted_connection_count(), 2u);
}

TEST_F(fault_proxy_test, fault_every_nth_connection) {
  proxy.set_fault_every(3, 0);
  int reset = 0, whole = 0;
  for (int i = 0; i < 9; ++i) {
    raw_client c(proxy.port());
    c.send(get_request());
    auto got = c.read(5s);
    if (got.end == raw_client::ending::reset) ++reset;
    if (whole_response(got.bytes)) ++whole;
  }
  EXPECT_EQ(reset, 3);
  EXPECT_EQ(whole, 6);
  EXPECT_EQ(proxy.faulted_connection_count(), 3u);
}

TEST_F(fault_proxy_test, an_unreachable_target_resets_the_client) {
  fault_proxy nowhere{"127.0.0.1", 1};  // nothing listens on port 1
  raw_client c(nowhere.port());
  EXPECT_EQ(c.read(5s).end, raw_client::ending::reset);
}

}  // namespace
}  // namespace oauth2_rest
