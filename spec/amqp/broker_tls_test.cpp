// amqps against the test node's real TLS listener (scripts/broker.sh, OAUTH2_REST_BROKER_TLS=1 in
// the broker fixture): the CA is made by the script at each start, trusted here through
// SSL_CERT_FILE (read when each connection is made), and the server certificate names localhost
// only. Over TLS: confirms and acks, a reconnect, heartbeats and a frozen broker, the graceful
// close, messages of many frames; and the refusals (another host name, an untrusted CA), after
// which the client keeps retrying. Last, the worker executable itself on an amqps:// URI.
//
// Every wait is a poll with a generous deadline; nothing asserts how long something took.
#include "amqp/amqp_connection.hpp"
#include "amqp/broker_client.hpp"
#include "amqp/broker_uri.hpp"
#include "sail/message_cipher.hpp"
#include "support/broker.hpp"
#include "support/broker_tls.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/log_capture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "support/worker_env.hpp"
#include "util/base64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

using namespace std::chrono_literals;
using testing::broker_admin;
using testing::eventually;
using testing::queue_counts_of;
using testing::unique_name;

// Bytes of every value, in no repeating pattern: a lost, doubled or reordered frame shows.
std::string pseudo_random_bytes(std::size_t size, std::uint32_t seed) {
  std::string s(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

std::string numbered(int i) { return std::string("n").append(std::to_string(i)); }

// One amqp_connection::open(), for the refusals: the failure's message is what we look at.
boost::asio::awaitable<void> open_into(std::shared_ptr<amqp_connection> c, std::shared_ptr<std::optional<status>> out) {
  *out = co_await c->open();
}

class broker_tls_test : public ::testing::Test {
 protected:
  void SetUp() override {
    // Asked first, while no client runs (a rabbitmqctl call blocks this thread for seconds).
    tls_ = testing::broker_tls_listener();
    ASSERT_NE(tls_.port, 0) << "the broker test node has no TLS listener: the broker fixture starts it with "
                               "OAUTH2_REST_BROKER_TLS=1; a node started earlier without it must be stopped first "
                               "(scripts/broker.sh stop)";
    ASSERT_FALSE(tls_.ca_file.empty());
    trust(tls_.ca_file);
    admin_ = std::make_unique<broker_admin>();  // plain AMQP: the test's own view of the queues
    queue_ = unique_name("amqps-test-q");
    exchange_ = unique_name("amqps-test-x");
    admin_->declare_queue(queue_);
    admin_->declare_exchange(exchange_);
    admin_->bind(queue_, exchange_, "rk");
  }

  void TearDown() override {
    client_.reset();
    if (!admin_) return;
    for (auto& q : extra_queues_) admin_->delete_queue(q);
    admin_->delete_queue(queue_);
    admin_->delete_exchange(exchange_);
  }

  // What clients made from now on trust: this CA file only (an empty SSL_CERT_DIR keeps the
  // system's CAs out; none of them signed the test node's certificate anyway).
  void trust(const std::string& ca_file) {
    ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
    ::setenv("SSL_CERT_DIR", no_certs_.path().c_str(), 1);
  }

  std::string uri(const std::string& host = "localhost", const std::string& query = "") const {
    return testing::amqps_uri(host, tls_.port, query);
  }

  connection_settings settings(std::uint16_t prefetch = 10) {
    connection_settings s;
    s.uri = uri();
    s.queue = queue_;
    s.connection_name = unique_name("oauth2-rest-tls-test");
    s.prefetch = prefetch;
    s.heartbeat_seconds = 10;
    s.reconnect_min = 20ms;
    s.reconnect_max = 200ms;
    s.io_timeout = 20s;  // a TLS handshake on a loaded machine
    return s;
  }

  std::string idle_queue() {
    auto q = unique_name("amqps-test-idle");
    admin_->declare_queue(q);
    extra_queues_.push_back(q);
    return q;
  }

  void start_client(connection_settings s) {
    connection_name_ = s.connection_name;
    client_ = std::make_unique<broker_client>(
        ioc_.get_executor(), std::move(s), [this](delivery d) { deliveries_.push_back(std::move(d)); },
        [this](bool up) { states_.push_back(up); });
    client_->start();
  }

  // As in broker_client_test: runs the io_context until `done` holds or the deadline.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      ioc_.poll();
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      ioc_.run_for(5ms);
    }
  }
  void run_for(std::chrono::milliseconds d) { ioc_.run_for(d); }

  bool wait_connected() {
    return run_until([&] { return !states_.empty() && states_.back(); });
  }

  outgoing message(std::string body, const std::string& routing_key = "rk") {
    outgoing m;
    m.exchange = exchange_;
    m.routing_key = routing_key;
    m.body = std::move(body);
    m.properties.content_type = "application/octet-stream";
    return m;
  }

  status publish_and_wait(outgoing m) {
    std::optional<status> result;
    client_->publish(std::move(m), [&](status s) { result = std::move(s); });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }));
    return result ? *result : status(failure{error::stopped, "no completion"});
  }

  // One connection attempt (TCP, TLS, AMQP log-in) with the CA trusted now.
  status open_once(const std::string& uri_text) {
    auto parsed = parse_broker_uri(uri_text);
    if (!parsed) return parsed.error();
    connection_options o;
    o.uri = *parsed;
    o.connection_name = unique_name("oauth2-rest-tls-open");
    o.io_timeout = 20s;
    auto c = amqp_connection::make(ioc_.get_executor(), o);
    auto result = std::make_shared<std::optional<status>>();
    boost::asio::co_spawn(ioc_, open_into(c, result), boost::asio::detached);
    EXPECT_TRUE(run_until([&] { return result->has_value(); }));
    c->close();
    run_for(10ms);
    return result->has_value() ? **result : status(failure{error::stopped, "open() did not complete"});
  }

  bool our_connections_use_tls(std::size_t expected) {
    std::size_t n = 0;
    for (const auto& c : testing::tls_connections()) {
      if (c.connection_name != connection_name_ && c.connection_name != connection_name_ + "-publish") continue;
      if (!c.ssl || c.protocol.empty()) return false;
      ++n;
    }
    return n == expected;
  }

  bool queue_settled(std::uint64_t ready, std::uint64_t unacked) {
    auto c = queue_counts_of(queue_);
    return c.ready == ready && c.unacked == unacked;
  }

  void round_trip_large_messages(const std::string& query);

  testing::tls_listener tls_;
  testing::temp_dir no_certs_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::unique_ptr<broker_admin> admin_;
  std::string queue_, exchange_, connection_name_;
  std::vector<std::string> extra_queues_;
  std::vector<delivery> deliveries_;
  std::vector<bool> states_;
  std::unique_ptr<broker_client> client_;
};

TEST_F(broker_tls_test, publish_with_confirm_then_consume_and_ack_over_tls) {
  start_client(settings());
  ASSERT_TRUE(wait_connected());
  // Both connections really are TLS, as the broker sees them.
  EXPECT_TRUE(eventually([&] { return our_connections_use_tls(2); }, 30s));

  auto m = message("hello over TLS");
  m.properties.headers["messageId"] = "m-tls-1";
  ASSERT_TRUE(publish_and_wait(m));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  const auto& d = deliveries_[0];
  EXPECT_EQ(d.body, "hello over TLS");
  EXPECT_EQ(d.exchange, exchange_);
  EXPECT_EQ(d.routing_key, "rk");
  EXPECT_FALSE(d.redelivered);
  EXPECT_EQ(d.properties.content_type, "application/octet-stream");
  EXPECT_EQ(d.properties.headers.at("messageId").as_string(), "m-tls-1");
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 1); }));
  EXPECT_TRUE(client_->ack(d.session, d.delivery_tag));
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  // A hundred more at once: all confirmed, all delivered (prefetch 10: acked as they come), in order.
  int confirmed = 0, failed = 0;
  for (int i = 0; i < 100; ++i)
    client_->publish(message(numbered(i)), [&](status st) { st ? ++confirmed : ++failed; });
  std::size_t acked = 1;
  ASSERT_TRUE(run_until([&] {
    for (; acked < deliveries_.size(); ++acked) client_->ack(deliveries_[acked].session, deliveries_[acked].delivery_tag);
    return confirmed + failed == 100 && deliveries_.size() == 101;
  })) << confirmed << " confirmed, " << failed << " failed, " << deliveries_.size() << " delivered";
  EXPECT_EQ(failed, 0);
  for (std::size_t i = 1; i < deliveries_.size(); ++i) {
    EXPECT_EQ(deliveries_[i].body, numbered(static_cast<int>(i) - 1));
    if (i >= acked) client_->ack(deliveries_[i].session, deliveries_[i].delivery_tag);
  }
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  EXPECT_EQ(states_, std::vector<bool>{true});
}

TEST_F(broker_tls_test, reconnects_after_close_connection_and_the_unacked_delivery_comes_back_redelivered) {
  admin_->publish("", queue_, "survivor");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  const delivery first = deliveries_[0];
  EXPECT_FALSE(first.redelivered);
  ASSERT_TRUE(eventually([&] { return testing::close_connection(connection_name_, "amqps reconnect test") == 1; }));

  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  ASSERT_GE(states_.size(), 3u);
  EXPECT_EQ(states_[0], true);
  EXPECT_EQ(states_[1], false);
  EXPECT_EQ(states_[2], true);
  const delivery second = deliveries_[1];
  EXPECT_EQ(second.body, "survivor");
  EXPECT_TRUE(second.redelivered);
  EXPECT_GT(second.session, first.session);
  EXPECT_FALSE(client_->ack(first.session, first.delivery_tag));  // of the dead connection: dropped
  EXPECT_TRUE(client_->ack(second.session, second.delivery_tag));
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  // The new connection is TLS too, and publishing works on it.
  EXPECT_TRUE(publish_and_wait(message("after the reconnect")));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 3; }));
  client_->ack(deliveries_[2].session, deliveries_[2].delivery_tag);
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  EXPECT_TRUE(eventually([&] { return our_connections_use_tls(2); }, 30s));
}

TEST_F(broker_tls_test, an_idle_tls_connection_survives_several_heartbeat_intervals) {
  // With a 1 s heartbeat the broker drops a peer silent for about 2 s: only the heartbeats the
  // client writes through TLS from its idle timer keep this connection up.
  auto s = settings();
  s.heartbeat_seconds = 1;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  run_for(5s);
  EXPECT_TRUE(client_->connected());
  EXPECT_EQ(states_, std::vector<bool>{true});
  admin_->publish("", queue_, "still here");
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_EQ(deliveries_[0].session, 1u);
  EXPECT_EQ(deliveries_[0].body, "still here");
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  EXPECT_EQ(states_, std::vector<bool>{true});
}

TEST_F(broker_tls_test, a_frozen_broker_is_detected_by_missed_heartbeats_and_reconnected) {
  // SIGSTOP: the TCP connection stays up, nothing arrives (no heartbeat, no TLS close_notify).
  const int broker_pid = testing::broker_os_pid();  // before connecting (see above)
  auto s = settings();
  s.heartbeat_seconds = 1;
  s.io_timeout = 5s;  // attempts against the frozen node (TCP connects, TLS hangs) give up sooner
  start_client(s);
  ASSERT_TRUE(wait_connected());
  {
    testing::frozen_broker frozen(broker_pid);
    ASSERT_TRUE(run_until([&] { return states_.back() == false; }, 30s));
    EXPECT_FALSE(client_->connected());
    // Frozen on until the other connection has missed its heartbeats too (see the same test in
    // broker_client_test.cpp).
    run_for(3s);
  }
  ASSERT_TRUE(run_until([&] { return states_.back() == true; }, 90s));
  admin_->publish("", queue_, "after the freeze");
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_GT(deliveries_[0].session, 1u);
  EXPECT_EQ(deliveries_[0].body, "after the freeze");
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
}

TEST_F(broker_tls_test, close_sends_the_acks_waits_for_the_confirms_and_completes) {
  const auto sink = idle_queue();
  admin_->bind(sink, exchange_, "sink");
  admin_->publish("", queue_, "acked before close");
  admin_->publish("", queue_, "left unacked");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  // The publish connection too: close() waits only for publishes already sent, and on a loaded
  // machine its TLS handshake can still be going on when the consume side has delivered.
  ASSERT_TRUE(wait_connected());
  testing::log_capture logs;

  constexpr int count = 50;
  std::vector<int> completions(count, 0);
  int confirmed = 0, other = 0;
  EXPECT_TRUE(client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag));
  for (int i = 0; i < count; ++i)
    client_->publish(message(pseudo_random_bytes(1000, i), "sink"), [&, i](status st) {
      ++completions[i];
      st ? ++confirmed : ++other;
    });
  bool closed = false;
  client_->close([&] { closed = true; });
  EXPECT_FALSE(closed);
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_FALSE(client_->connected());
  EXPECT_EQ(confirmed, count);  // asked for before close(): sent, and close waited for them
  EXPECT_EQ(other, 0);
  EXPECT_TRUE(std::all_of(completions.begin(), completions.end(), [](int c) { return c == 1; }));
  EXPECT_EQ(admin_->message_count(sink), static_cast<std::uint32_t>(count));
  // The ack went out before connection.close; the unacked one is back in the queue.
  EXPECT_TRUE(run_until([&] { return queue_settled(1, 0); }));
  auto left = admin_->get(queue_);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->body, "left unacked");
  // The broker answered connection.close with close-ok over TLS (not cut off at the deadline).
  EXPECT_EQ(logs.count("did not answer connection.close"), 0u) << logs.text();
  EXPECT_TRUE(eventually([&] { return our_connections_use_tls(0); }));
  run_for(300ms);
  EXPECT_EQ(deliveries_.size(), 2u);  // nothing after the close
}

void broker_tls_test::round_trip_large_messages(const std::string& query) {
  // 5 MB bodies: many frames each way, each frame many TLS records; three back to back, so
  // decrypted data waits in OpenSSL and Asio buffers while the socket has nothing more to read.
  auto s = settings(/*prefetch=*/3);
  s.uri = uri("localhost", query);
  start_client(s);
  ASSERT_TRUE(wait_connected());
  constexpr std::size_t size = 5 * 1024 * 1024 + 123;
  std::vector<std::string> bodies;
  for (std::uint32_t i = 0; i < 3; ++i) bodies.push_back(pseudo_random_bytes(size + i, 7 + i));
  int confirmed = 0, failed = 0;
  for (const auto& b : bodies) client_->publish(message(b), [&](status st) { st ? ++confirmed : ++failed; });
  ASSERT_TRUE(run_until([&] { return confirmed + failed == 3 && deliveries_.size() == 3; }, 120s))
      << confirmed << " confirmed, " << failed << " failed, " << deliveries_.size() << " delivered";
  EXPECT_EQ(failed, 0);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& d = deliveries_[i];
    EXPECT_EQ(d.body_size, bodies[i].size());
    EXPECT_FALSE(d.too_large);
    ASSERT_EQ(d.body.size(), bodies[i].size()) << "message " << i;
    // Not EXPECT_EQ: a failure would print 5 MB.
    const auto diff = std::mismatch(d.body.begin(), d.body.end(), bodies[i].begin());
    EXPECT_TRUE(diff.first == d.body.end()) << "message " << i << " differs at byte " << (diff.first - d.body.begin());
    client_->ack(d.session, d.delivery_tag);
  }
  // A plain-AMQP copy of the same bytes, consumed over TLS, is intact too.
  admin_->publish("", queue_, bodies[0]);
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 4; }, 120s));
  EXPECT_TRUE(deliveries_[3].body == bodies[0]);
  client_->ack(deliveries_[3].session, deliveries_[3].delivery_tag);
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
  EXPECT_EQ(states_, std::vector<bool>{true});
}

TEST_F(broker_tls_test, five_megabyte_messages_round_trip_intact) { round_trip_large_messages(""); }

TEST_F(broker_tls_test, five_megabyte_messages_round_trip_intact_in_4_kib_frames) {
  round_trip_large_messages("?frame_max=4096");  // about 1300 frames a message, the smallest RabbitMQ takes
}

TEST_F(broker_tls_test, a_certificate_for_another_host_name_is_refused_and_the_client_keeps_retrying) {
  // The node's certificate names DNS:localhost only. The same listener and CA by another name:
  // "127.1" resolves to 127.0.0.1 but is not an IP address literal to OpenSSL, so it is sent as
  // SNI and checked as a host name; "127.0.0.1" is checked as an IP address.
  EXPECT_TRUE(open_once(uri("localhost")));
  for (const auto& [host, reason] : {std::pair<std::string, std::string>{"127.1", "hostname mismatch"},
                                     std::pair<std::string, std::string>{"127.0.0.1", "IP address mismatch"}}) {
    status r = open_once(uri(host));
    ASSERT_FALSE(r) << host;
    EXPECT_EQ(r.error().code, make_error_code(error::connection_lost)) << r.error().message;
    EXPECT_NE(r.error().message.find("certificate verification failed"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("guest"), std::string::npos) << r.error().message;  // no credentials
  }

  // The client: never up, retrying with backoff, each attempt refused the same way.
  testing::log_capture logs;
  auto s = settings();
  s.uri = uri("127.1");
  start_client(s);
  ASSERT_TRUE(run_until([&] { return logs.count("hostname mismatch") >= 4; })) << logs.text();
  EXPECT_TRUE(states_.empty());
  EXPECT_FALSE(client_->connected());
  EXPECT_GE(logs.count("AMQP connection failed; retrying"), 4u);
  int stopped = 0;
  client_->publish(message("never sent"), [&](status st) {
    if (!st && st.error().code == make_error_code(error::stopped)) ++stopped;
  });
  client_->stop();
  ASSERT_TRUE(run_until([&] { return stopped == 1; }));
  EXPECT_EQ(admin_->message_count(queue_), 0u);
}

TEST_F(broker_tls_test, a_server_whose_ca_is_not_trusted_is_refused_until_it_is) {
  testing::temp_dir dir;
  testing::test_ca other_ca;  // trusted instead of the one that signed the node's certificate
  trust(other_ca.write_certificate(dir.path()).string());
  status r = open_once(uri());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("certificate verification failed"), std::string::npos) << r.error().message;

  testing::log_capture logs;
  admin_->publish("", queue_, "waiting for trust");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return logs.count("certificate verification failed") >= 4; })) << logs.text();
  EXPECT_TRUE(states_.empty());
  EXPECT_TRUE(deliveries_.empty());
  // The trust store is read for each attempt: trusting the right CA now, the next one connects.
  trust(tls_.ca_file);
  ASSERT_TRUE(wait_connected()) << logs.text();
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_EQ(deliveries_[0].body, "waiting for trust");
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  EXPECT_TRUE(run_until([&] { return queue_settled(0, 0); }));
}

// broker_client::stop() promises that settles asked for before it "still go out when the socket
// takes them at once"; over plain TCP they do. Over TLS amqp_connection::try_write_now() returns
// without writing, so the ack is lost and the broker redelivers the message: a duplicate (the
// worker's second SIGTERM ends that way). Disabled until try_write_now() writes through the TLS
// stream too (the fix is in the report that came with this test); it passes with that fix.
TEST_F(broker_tls_test, an_ack_asked_for_just_before_stop_still_reaches_the_broker) {
  admin_->publish("", queue_, "acked just before stop");
  admin_->publish("", queue_, "not acked");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  EXPECT_TRUE(client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag));
  client_->stop();
  // The consume connection is gone: what it held unacked is back in the queue, the acked one is not.
  ASSERT_TRUE(eventually([&] { return queue_counts_of(queue_).unacked == 0; }, 30s));
  EXPECT_EQ(queue_counts_of(queue_).ready, 1u);
  auto left = admin_->get(queue_);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->body, "not acked");
}

// The worker executable with ELASTICIO_AMQP_URI=amqps://...: one message in, its result out.
TEST_F(broker_tls_test, the_worker_processes_a_message_over_amqps) {
  namespace json = boost::json;
  constexpr const char* password = "testCryptoPassword";
  constexpr const char* iv = "iv=any16_symbols";
  testing::temp_dir dir;
  testing::demo_api api;
  testing::http_server api_server{[&](const testing::recorded_request& r) { return api.handle(r); }};
  json::object step{{"id", "step_2"},
                    {"comp_id", "comp-1"},
                    {"function", "httpRequest"},
                    {"is_passthrough", false},
                    {"config", json::object{{"tokenUrl", api_server.base_url() + "/oauth/token"},
                                            {"username", "demo-client"},
                                            {"password", "demo-secret"},
                                            {"baseUrl", api_server.base_url() + "/api"},
                                            {"errorTolerance", "noErrors"},
                                            {"_account", "cred-1"}}}};
  testing::http_server platform{[&](const testing::recorded_request& r) {
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2")
      return testing::reply::json(200, json::serialize(step));
    if (r.method == "PATCH" && r.path().starts_with("/v2/credentials/")) return testing::reply::json(200, R"({"data":{}})");
    return testing::reply::json(404, R"({"error":"not found"})");
  }};
  const auto data_queue = idle_queue();
  const auto error_queue = idle_queue();
  admin_->bind(data_queue, exchange_, "data-key");
  admin_->bind(error_queue, exchange_, "error-key");

  auto env = testing::worker_env({.api_uri = platform.base_url(),
                                  .listen_queue = queue_,
                                  .exchange = exchange_,
                                  .crypto_password = password,
                                  .crypto_iv = iv});
  env["ELASTICIO_AMQP_URI"] = uri();
  env["SSL_CERT_FILE"] = tls_.ca_file;
  env["SSL_CERT_DIR"] = no_certs_.path().string();
  testing::child_process worker(OAUTH2_REST_BINARY, {"sail"}, env, dir.path());

  sail::message_cipher cipher{password, iv};
  json::object payload{{"id", "in-1"}, {"body", {{"url", "/items/1"}, {"method", "GET"}}}, {"headers", json::object{}}};
  message_properties props;
  props.content_type = "application/json";
  props.headers = {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"workspaceId", "workspace-1"}, {"userId", "user-1"},
                   {"threadId", "T1"},   {"stepId", "step_1"}, {"messageId", "M1"},         {"parentMessageId", "P0"}};
  admin_->publish("", queue_, base64_encode(cipher.encrypt(json::serialize(payload))), props);

  std::optional<testing::got_message> got;
  eventually([&] { return (got = admin_->get(data_queue)).has_value(); }, 60s);
  ASSERT_TRUE(got) << worker.out() << worker.err();
  auto bytes = base64_decode(got->body);
  ASSERT_TRUE(bytes);
  auto plain = cipher.decrypt(*bytes);
  ASSERT_TRUE(plain);
  auto result = json::parse(*plain).as_object();
  EXPECT_EQ(result.at("body").at("statusCode").as_int64(), 200);
  EXPECT_EQ(result.at("body").at("body").at("name").as_string(), "Anvil");
  EXPECT_EQ(got->properties.headers.at("parentMessageId").as_string(), "M1");
  EXPECT_TRUE(eventually([&] { return queue_settled(0, 0); }, 30s)) << "input not acked";
  EXPECT_EQ(admin_->message_count(error_queue), 0u);
  // Every connection the broker has is TLS except our admin's plain one.
  std::size_t tls = 0;
  for (const auto& c : testing::tls_connections()) tls += c.ssl ? 1 : 0;
  EXPECT_GE(tls, 2u);

  worker.signal(SIGTERM);
  auto code = worker.wait(60s);
  ASSERT_TRUE(code.has_value()) << "the worker did not stop";
  EXPECT_EQ(*code, 0) << worker.out() << worker.err();
}

}  // namespace
}  // namespace oauth2_rest::amqp
