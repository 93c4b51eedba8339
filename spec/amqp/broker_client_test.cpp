// broker_client against the private RabbitMQ test node: consume, ack/reject, confirms, nacks,
// properties, reconnect and stop. Every wait is a poll with a deadline.
#include "amqp/broker_client.hpp"
#include "support/broker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

using namespace std::chrono_literals;
using testing::broker_admin;
using testing::eventually;
using testing::queue_counts_of;
using testing::unique_name;

class broker_client_test : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = std::make_unique<broker_admin>();
    queue_ = unique_name("amqp-test-q");
    exchange_ = unique_name("amqp-test-x");
    admin_->declare_queue(queue_);
    admin_->declare_exchange(exchange_);
    admin_->bind(queue_, exchange_, "rk");
  }

  void TearDown() override {
    client_.reset();
    for (auto& q : extra_queues_) admin_->delete_queue(q);
    admin_->delete_queue(queue_);
    admin_->delete_exchange(exchange_);
  }

  connection_settings settings(std::uint16_t prefetch = 10) {
    connection_settings s;
    s.uri = testing::amqp_uri();
    s.queue = queue_;
    s.connection_name = unique_name("oauth2-rest-test");
    s.prefetch = prefetch;
    s.heartbeat_seconds = 10;
    s.reconnect_min = 20ms;
    s.reconnect_max = 200ms;
    return s;
  }

  // A queue nobody publishes to, for clients that only publish.
  std::string idle_queue() {
    auto q = unique_name("amqp-test-idle");
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

  // Runs the io_context (where every callback lands, and from where acks and publishes go out)
  // until `done` holds or the deadline. Handlers already due run before each check: a check that
  // calls rabbitmqctl takes seconds on a loaded machine, and must see what was asked for before it.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
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

  outgoing message(const std::string& body, const std::string& routing_key = "rk") {
    outgoing m;
    m.exchange = exchange_;
    m.routing_key = routing_key;
    m.body = body;
    m.properties.content_type = "application/json";
    return m;
  }

  // Publishes through the client and runs until the broker answered.
  status publish_and_wait(outgoing m) {
    std::optional<status> result;
    client_->publish(std::move(m), [&](status s) { result = std::move(s); });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }));
    return result ? *result : status(failure{error::stopped, "no completion"});
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::unique_ptr<broker_admin> admin_;
  std::string queue_, exchange_, connection_name_;
  std::vector<std::string> extra_queues_;
  std::vector<delivery> deliveries_;
  std::vector<bool> states_;
  std::unique_ptr<broker_client> client_;
};

TEST_F(broker_client_test, prefetch_bounds_the_deliveries_outstanding_until_acked) {
  for (int i = 0; i < 5; ++i) admin_->publish("", queue_, "m" + std::to_string(i));
  start_client(settings(/*prefetch=*/2));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  run_for(300ms);  // a third would arrive within this if prefetch were not applied
  EXPECT_EQ(deliveries_.size(), 2u);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 3 && c.unacked == 2;
  }));
  EXPECT_EQ(deliveries_[0].body, "m0");
  EXPECT_EQ(deliveries_[0].exchange, "");
  EXPECT_EQ(deliveries_[0].routing_key, queue_);
  EXPECT_FALSE(deliveries_[0].redelivered);

  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 3; }));
  run_for(100ms);
  EXPECT_EQ(deliveries_.size(), 3u);
  for (std::size_t i = 1; i < 5; ++i) {
    ASSERT_TRUE(run_until([&] { return deliveries_.size() > i; }));
    client_->ack(deliveries_[i].session, deliveries_[i].delivery_tag);
  }
  EXPECT_EQ(deliveries_[4].body, "m4");
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 0 && c.unacked == 0;
  }));
}

TEST_F(broker_client_test, ack_removes_reject_drops_and_reject_with_requeue_redelivers) {
  admin_->publish("", queue_, "acked");
  admin_->publish("", queue_, "dropped");
  admin_->publish("", queue_, "requeued");
  start_client(settings(/*prefetch=*/10));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 3; }));
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  client_->reject(deliveries_[1].session, deliveries_[1].delivery_tag, /*requeue=*/false);
  client_->reject(deliveries_[2].session, deliveries_[2].delivery_tag, /*requeue=*/true);
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 4; }));
  EXPECT_EQ(deliveries_[3].body, "requeued");
  EXPECT_TRUE(deliveries_[3].redelivered);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 0 && c.unacked == 1;
  }));
  client_->ack(deliveries_[3].session, deliveries_[3].delivery_tag);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 0 && c.unacked == 0;
  }));
  run_for(100ms);
  EXPECT_EQ(deliveries_.size(), 4u);
}

// Acks asked for together are coalesced (basic.ack multiple=true for the oldest run): that must
// never settle a delivery nobody acked.
TEST_F(broker_client_test, acks_out_of_order_settle_exactly_the_acked_deliveries) {
  for (int i = 0; i < 5; ++i) admin_->publish("", queue_, "m" + std::to_string(i));
  start_client(settings(/*prefetch=*/10));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 5; }));
  // In one turn: the first two (a run at the head), and the fourth (after a gap).
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  client_->ack(deliveries_[1].session, deliveries_[1].delivery_tag);
  client_->ack(deliveries_[3].session, deliveries_[3].delivery_tag);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 0 && c.unacked == 2;
  }));
  run_for(300ms);
  EXPECT_EQ(queue_counts_of(queue_).unacked, 2u);
  // The two left are m2 and m4: requeued, they come back.
  client_->reject(deliveries_[2].session, deliveries_[2].delivery_tag, /*requeue=*/true);
  client_->reject(deliveries_[4].session, deliveries_[4].delivery_tag, /*requeue=*/true);
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 7; }));
  std::vector<std::string> again{deliveries_[5].body, deliveries_[6].body};
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (std::vector<std::string>{"m2", "m4"}));
  EXPECT_TRUE(deliveries_[5].redelivered);
  // Acked in reverse order, in separate turns.
  client_->ack(deliveries_[6].session, deliveries_[6].delivery_tag);
  run_for(50ms);
  client_->ack(deliveries_[5].session, deliveries_[5].delivery_tag);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 0 && c.unacked == 0;
  }));
}

TEST_F(broker_client_test, a_thousand_publishes_are_all_confirmed_and_routed) {
  auto s = settings();
  s.queue = idle_queue();
  s.max_unconfirmed = 100;  // forces the window to refill many times
  start_client(s);
  ASSERT_TRUE(wait_connected());
  constexpr int count = 1000;
  std::vector<int> completions(count, 0);
  int ok_count = 0, failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    client_->publish(message("{\"n\":" + std::to_string(i) + "}"), [&, i](status st) {
      ++completions[i];
      if (st)
        ++ok_count;
      else
        ++failed;
    });
  }
  ASSERT_TRUE(run_until([&] { return ok_count + failed == count; }, 30s));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(ok_count, count);
  EXPECT_EQ(failed, 0);
  EXPECT_TRUE(std::all_of(completions.begin(), completions.end(), [](int c) { return c == 1; }));
  EXPECT_EQ(admin_->message_count(queue_), static_cast<std::uint32_t>(count));
  auto first = admin_->get(queue_);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "{\"n\":0}");  // in order
  std::printf("1000 confirmed publishes in %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

TEST_F(broker_client_test, headers_and_properties_round_trip_both_ways) {
  message_properties p;
  p.content_type = "application/json";
  p.content_encoding = "utf8";
  p.delivery_mode = 2;
  p.expiration = "60000";
  p.correlation_id = "corr-1";
  p.reply_to = "reply.key";
  p.message_id = "msg-1";
  p.type = "data";
  p.app_id = "oauth2-rest";
  p.user_id = "guest";  // RabbitMQ checks it against the login
  p.priority = 5;
  p.timestamp = 1700000000;
  p.headers = boost::json::parse(R"({"messageId":"m-1","protocolVersion":2,"negative":-7,"big":5000000000,
      "retry":true,"off":false,"ratio":0.25,"nothing":null,"nested":{"a":{"b":"c"},"n":1},"list":[1,"x",{"y":true}]})")
                  .as_object();

  // Our publish -> the broker -> basic.get.
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  auto out = message("body-1");
  out.properties = p;
  ASSERT_TRUE(publish_and_wait(out));
  auto got = admin_->get(queue_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, "body-1");
  EXPECT_EQ(got->exchange, exchange_);
  EXPECT_EQ(got->routing_key, "rk");
  const auto& g = got->properties;
  EXPECT_EQ(g.content_type, p.content_type);
  EXPECT_EQ(g.content_encoding, p.content_encoding);
  EXPECT_EQ(g.delivery_mode, 2);
  EXPECT_EQ(g.expiration, p.expiration);
  EXPECT_EQ(g.correlation_id, p.correlation_id);
  EXPECT_EQ(g.reply_to, p.reply_to);
  EXPECT_EQ(g.message_id, p.message_id);
  EXPECT_EQ(g.type, p.type);
  EXPECT_EQ(g.app_id, p.app_id);
  EXPECT_EQ(g.user_id, p.user_id);
  EXPECT_EQ(g.priority, p.priority);
  EXPECT_EQ(g.timestamp, p.timestamp);
  EXPECT_EQ(g.headers, p.headers) << boost::json::serialize(g.headers.to_object());

  // The broker -> our consumer.
  client_.reset();
  states_.clear();
  admin_->publish("", queue_, "body-2", p);
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  const auto& d = deliveries_[0];
  EXPECT_EQ(d.body, "body-2");
  EXPECT_EQ(d.properties.headers, p.headers) << boost::json::serialize(d.properties.headers.to_object());
  EXPECT_EQ(d.properties.expiration, p.expiration);
  EXPECT_EQ(d.properties.message_id, p.message_id);
  EXPECT_EQ(d.properties.priority, p.priority);
  EXPECT_EQ(d.properties.timestamp, p.timestamp);
  EXPECT_EQ(d.properties.delivery_mode, 2);
  client_->ack(d.session, d.delivery_tag);
}

TEST_F(broker_client_test, a_nacked_publish_fails_and_a_retry_after_draining_succeeds) {
  const std::string policy = unique_name("reject-publish");
  testing::rabbitmqctl({"set_policy", policy, "^" + queue_ + "$", R"({"max-length":1,"overflow":"reject-publish"})",
                        "--apply-to", "queues"});
  // Policies reach queue processes asynchronously: wait until ours is in force.
  ASSERT_TRUE(eventually([&] {
    return testing::rabbitmqctl({"list_queues", "-q", "name", "policy"}).find(policy) != std::string::npos;
  }));
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());

  ASSERT_TRUE(publish_and_wait(message("first")));
  status second = publish_and_wait(message("second"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, make_error_code(error::nacked)) << second.error().message;
  EXPECT_TRUE(client_->connected());  // a nack is not a connection failure

  auto drained = admin_->get(queue_);
  ASSERT_TRUE(drained);
  EXPECT_EQ(drained->body, "first");
  EXPECT_TRUE(publish_and_wait(message("second")));
  auto retried = admin_->get(queue_);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->body, "second");
  testing::rabbitmqctl({"clear_policy", policy});
}

TEST_F(broker_client_test, connection_name_is_visible_to_operators) {
  start_client(settings());
  ASSERT_TRUE(wait_connected());
  EXPECT_TRUE(client_->connected());
  EXPECT_TRUE(run_until([&] {
    auto names = testing::connection_names();
    return std::find(names.begin(), names.end(), connection_name_) != names.end();
  }));
}

TEST_F(broker_client_test, reconnects_after_close_and_drops_acks_of_the_old_session) {
  admin_->publish("", queue_, "survivor");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  const delivery first = deliveries_[0];
  EXPECT_FALSE(first.redelivered);
  // The delivery can come before the publish connection is up, and the client reports "up" only
  // when both are. rabbitmqctl below blocks this thread (the client's executor) for seconds, so
  // a handshake still under way would finish only after the close, and "up" would never precede
  // the "down" this test looks for.
  ASSERT_TRUE(wait_connected());
  ASSERT_TRUE(eventually([&] { return testing::close_connection(connection_name_, "reconnect test") == 1; }));

  // Down, up again, and the unacked message comes back on the new session.
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  ASSERT_GE(states_.size(), 3u);
  EXPECT_EQ(states_[0], true);
  EXPECT_EQ(states_[1], false);
  EXPECT_EQ(states_[2], true);
  const delivery second = deliveries_[1];
  EXPECT_EQ(second.body, "survivor");
  EXPECT_TRUE(second.redelivered);
  EXPECT_GT(second.session, first.session);
  // The same tag number on the new channel: were the old ack sent, it would ack the new copy.
  EXPECT_EQ(second.delivery_tag, first.delivery_tag);

  client_->ack(first.session, first.delivery_tag);  // dropped
  // Commands run in order: once this publish is confirmed, the stale ack has been handled.
  auto sync_queue = idle_queue();
  outgoing sync;
  sync.routing_key = sync_queue;  // default exchange
  sync.body = "sync";
  ASSERT_TRUE(publish_and_wait(sync));
  auto c = queue_counts_of(queue_);
  EXPECT_EQ(c.unacked, 1u);
  EXPECT_EQ(c.ready, 0u);
  run_for(200ms);
  EXPECT_EQ(queue_counts_of(queue_).unacked, 1u);

  client_->ack(second.session, second.delivery_tag);
  EXPECT_TRUE(run_until([&] {
    auto n = queue_counts_of(queue_);
    return n.ready == 0 && n.unacked == 0;
  }));
}

TEST_F(broker_client_test, unconfirmed_publishes_fail_with_connection_lost_and_can_be_retried) {
  // Asked before connecting: this thread is the client's executor, and a slow rabbitmqctl call
  // while connected with 1 s heartbeats would make the broker drop us for missing ours.
  const int broker_pid = testing::broker_os_pid();
  auto s = settings();
  s.queue = idle_queue();
  s.heartbeat_seconds = 1;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  constexpr int count = 100;
  std::vector<int> completions(count, 0);
  int ok_count = 0, lost = 0, other = 0;
  {
    // A frozen broker takes the bytes (the kernel buffers them) but never confirms; the missed
    // heartbeats then end the connection with every publish still unconfirmed.
    testing::frozen_broker frozen(broker_pid);
    for (int i = 0; i < count; ++i) {
      client_->publish(message("x"), [&, i](status st) {
        ++completions[i];
        if (st)
          ++ok_count;
        else if (st.error().code == make_error_code(error::connection_lost))
          ++lost;
        else
          ++other;
      });
    }
    ASSERT_TRUE(run_until([&] { return ok_count + lost + other == count; }, 8s));
  }
  EXPECT_EQ(lost, count);
  EXPECT_EQ(other, 0);
  EXPECT_TRUE(std::all_of(completions.begin(), completions.end(), [](int c) { return c == 1; }));
  // Reconnected: retrying works (and the consume connection comes back on its own too).
  EXPECT_TRUE(publish_and_wait(message("retry")));
  EXPECT_TRUE(run_until([&] { return client_->connected(); }));
}

TEST_F(broker_client_test, publishes_wait_while_the_broker_blocks_us_and_go_out_after) {
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  int ok_count = 0, failed = 0;
  {
    testing::memory_alarm alarm;  // connection.blocked for publishers
    ASSERT_TRUE(eventually([&] {
      run_for(1ms);
      return testing::rabbitmqctl({"eval", "rabbit_alarm:get_alarms()."}).find("memory") != std::string::npos;
    }));
    for (int i = 0; i < 10; ++i)
      client_->publish(message("x"), [&](status st) { st ? ++ok_count : ++failed; });
    run_for(500ms);
    EXPECT_EQ(ok_count + failed, 0);  // held back (by us or by the broker), not failed
  }
  ASSERT_TRUE(run_until([&] { return ok_count + failed == 10; }));
  EXPECT_EQ(ok_count, 10);
  EXPECT_EQ(admin_->message_count(queue_), 10u);
}

TEST_F(broker_client_test, close_gives_up_on_confirms_after_stop_timeout_without_blocking_the_executor) {
  auto s = settings();
  s.queue = idle_queue();
  s.stop_timeout = 300ms;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  int stopped = 0, other = 0;
  bool closed = false;
  int ticks = 0;
  {
    testing::frozen_broker frozen;  // confirms never come, close-ok neither
    for (int i = 0; i < 20; ++i)
      client_->publish(message("x"), [&](status st) {
        if (!st && st.error().code == make_error_code(error::stopped))
          ++stopped;
        else
          ++other;
      });
    run_for(100ms);  // let them go out
    client_->close([&] { closed = true; });
    EXPECT_FALSE(closed);  // asynchronous: close() itself returns at once
    // The executor keeps serving other work while the client waits for the frozen broker.
    boost::asio::steady_timer tick(ioc_);
    std::function<void()> again = [&] {
      tick.expires_after(20ms);
      tick.async_wait([&](boost::system::error_code ec) {
        if (ec || closed) return;
        ++ticks;
        again();
      });
    };
    again();
    ASSERT_TRUE(run_until([&] { return closed; }, 20s));
  }
  EXPECT_GT(ticks, 3);
  EXPECT_EQ(stopped, 20);
  EXPECT_EQ(other, 0);
}

TEST_F(broker_client_test, stop_completes_every_publish_callback_exactly_once) {
  auto s = settings();
  s.queue = idle_queue();
  s.max_unconfirmed = 50;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  constexpr int count = 500;
  std::vector<int> completions(count, 0);
  int ok_count = 0, stopped = 0, other = 0;
  for (int i = 0; i < count; ++i) {
    client_->publish(message("x"), [&, i](status st) {
      ++completions[i];
      if (st)
        ++ok_count;
      else if (st.error().code == make_error_code(error::stopped))
        ++stopped;
      else
        ++other;
    });
  }
  client_->stop();
  EXPECT_FALSE(client_->connected());
  int late = 0;
  client_->publish(message("late"), [&](status st) {
    EXPECT_EQ(st.error().code, make_error_code(error::stopped));
    ++late;
  });
  ASSERT_TRUE(run_until([&] { return ok_count + stopped + other == count && late == 1; }));
  EXPECT_EQ(other, 0);
  EXPECT_TRUE(std::all_of(completions.begin(), completions.end(), [](int c) { return c == 1; }));
  // The queue holds every confirmed message, and at most one more: the first publish was alone,
  // so it went to the socket at once, and stop() came before its confirm.
  const auto queued = admin_->message_count(queue_);
  EXPECT_GE(queued, static_cast<std::uint32_t>(ok_count));
  EXPECT_LE(queued, static_cast<std::uint32_t>(ok_count) + 1);
  client_->stop();  // idempotent
  // The connection was closed cleanly and is gone.
  EXPECT_TRUE(run_until([&] {
    auto names = testing::connection_names();
    return std::find(names.begin(), names.end(), connection_name_) == names.end();
  }));
}

TEST_F(broker_client_test, stop_consuming_reports_done_and_no_more_deliveries_come) {
  admin_->publish("", queue_, "one");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  bool done = false;
  client_->stop_consuming([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }));
  admin_->publish("", queue_, "two");
  run_for(300ms);
  EXPECT_EQ(deliveries_.size(), 1u);
  // Acks still work after the cancel.
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
  EXPECT_TRUE(run_until([&] {
    auto c = queue_counts_of(queue_);
    return c.ready == 1 && c.unacked == 0;
  }));
}

TEST_F(broker_client_test, waits_for_a_missing_queue_with_backoff) {
  auto s = settings();
  s.queue = unique_name("amqp-test-later");
  start_client(s);
  run_for(300ms);
  EXPECT_FALSE(client_->connected());
  EXPECT_TRUE(states_.empty());
  admin_->declare_queue(s.queue);
  extra_queues_.push_back(s.queue);
  admin_->publish("", s.queue, "hello");
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_TRUE(client_->connected());
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
}

TEST_F(broker_client_test, an_idle_connection_survives_several_heartbeat_intervals) {
  // With a 1 s heartbeat the broker drops a peer that stays silent for about 2 s: only the
  // heartbeats the client sends from its idle timer keep this idle connection alive.
  auto s = settings();
  s.heartbeat_seconds = 1;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  run_for(3500ms);
  EXPECT_TRUE(client_->connected());
  EXPECT_EQ(states_, std::vector<bool>{true});
  admin_->publish("", queue_, "still here");
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_EQ(deliveries_[0].session, 1u);
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
}

TEST_F(broker_client_test, a_silent_broker_is_detected_by_missed_heartbeats_and_reconnected) {
  // The broker process is frozen: the TCP connection stays up but nothing arrives. Only the
  // client's periodic visit of rabbitmq-c's frame reader notices the missing heartbeats (after
  // 2 x 1 s). The pid is asked before connecting (see the test above).
  const int broker_pid = testing::broker_os_pid();
  auto s = settings();
  s.heartbeat_seconds = 1;
  start_client(s);
  ASSERT_TRUE(wait_connected());
  std::chrono::steady_clock::duration noticed{};
  {
    testing::frozen_broker frozen(broker_pid);
    const auto frozen_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(run_until([&] { return states_.back() == false; }, 6s));
    noticed = std::chrono::steady_clock::now() - frozen_at;
    EXPECT_FALSE(client_->connected());
    // Frozen on until the other connection has missed its heartbeats too: thawed at once, a
    // connection a little behind the first survives, and the delivery below came on session 1.
    run_for(3s);
  }
  EXPECT_LT(noticed, 4s);
  ASSERT_TRUE(run_until([&] { return states_.back() == true; }, 20s));
  admin_->publish("", queue_, "after the freeze");
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  EXPECT_GT(deliveries_[0].session, 1u);
  client_->ack(deliveries_[0].session, deliveries_[0].delivery_tag);
}

TEST_F(broker_client_test, an_unroutable_publish_fails_as_unroutable_not_as_a_success) {
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  auto m = message("lost?", "no-binding-for-this-key");
  m.properties.headers["messageId"] = "m-unroutable";
  auto r = publish_and_wait(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::unroutable));
  EXPECT_NE(r.error().message.find("no-binding-for-this-key"), std::string::npos) << r.error().message;
  // The routable one next to it still succeeds.
  EXPECT_TRUE(publish_and_wait(message("fine")));
  EXPECT_EQ(admin_->message_count(queue_), 1u);
}

TEST_F(broker_client_test, a_missing_exchange_closes_only_the_publish_channel_and_consumption_goes_on) {
  admin_->publish("", queue_, "before");
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 1; }));
  const auto session = deliveries_[0].session;
  auto gone = message("x");
  gone.exchange = unique_name("no-such-exchange");
  auto r = publish_and_wait(gone);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::channel_closed));
  EXPECT_NE(r.error().message.find("404"), std::string::npos) << r.error().message;
  // The publish channel is back, the consume connection never went away.
  EXPECT_TRUE(publish_and_wait(message("after")));
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 2; }));
  EXPECT_EQ(deliveries_[1].session, session);
  EXPECT_EQ(deliveries_[1].body, "after");
  EXPECT_TRUE(client_->ack(session, deliveries_[0].delivery_tag));
  EXPECT_TRUE(client_->ack(session, deliveries_[1].delivery_tag));
  EXPECT_TRUE(run_until([&] {
    auto n = queue_counts_of(queue_);
    return n.ready == 0 && n.unacked == 0;
  }));
  for (bool up : states_) EXPECT_TRUE(up);  // never reported down
}

TEST_F(broker_client_test, a_message_the_broker_refuses_fails_as_refused_and_the_channel_reopens) {
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  auto bad = message("x");
  bad.properties.expiration = "soon";  // 406 PRECONDITION_FAILED: not a number of milliseconds
  auto r = publish_and_wait(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::refused));
  auto fine = message("y");
  fine.properties.expiration = "4294967295";
  EXPECT_TRUE(publish_and_wait(fine));
  EXPECT_EQ(admin_->message_count(queue_), 1u);
}

TEST_F(broker_client_test, headers_too_large_for_a_frame_fail_as_refused_without_reaching_the_broker) {
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  auto big = message("x");
  big.properties.headers["huge"] = std::string(200'000, 'h');
  auto r = publish_and_wait(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::refused));
  EXPECT_TRUE(publish_and_wait(message("y")));
  EXPECT_EQ(admin_->message_count(queue_), 1u);
}

TEST_F(broker_client_test, acks_and_deliveries_go_on_while_the_broker_blocks_publishing) {
  for (int i = 0; i < 3; ++i) admin_->publish("", queue_, "m" + std::to_string(i));
  start_client(settings());
  ASSERT_TRUE(run_until([&] { return deliveries_.size() == 3; }));
  int ok_count = 0, failed = 0;
  {
    testing::memory_alarm alarm;
    ASSERT_TRUE(eventually([&] {
      run_for(1ms);
      return testing::rabbitmqctl({"eval", "rabbit_alarm:get_alarms()."}).find("memory") != std::string::npos;
    }));
    // A publish first, so the broker really blocks the publishing connection.
    client_->publish(message("held"), [&](status st) { st ? ++ok_count : ++failed; });
    run_for(300ms);
    for (auto& d : deliveries_) EXPECT_TRUE(client_->ack(d.session, d.delivery_tag));
    // The acks travel on the consume connection, which the alarm does not block.
    EXPECT_TRUE(run_until([&] {
      auto n = queue_counts_of(queue_);
      return n.unacked == 0 && n.ready == 0;
    }));
    EXPECT_EQ(ok_count + failed, 0);
  }
  ASSERT_TRUE(run_until([&] { return ok_count + failed == 1; }));
  EXPECT_EQ(ok_count, 1);
}

TEST_F(broker_client_test, stop_returns_at_once_even_against_a_frozen_broker) {
  auto s = settings();
  s.queue = idle_queue();
  start_client(s);
  ASSERT_TRUE(wait_connected());
  // The broker confirms a publish before it is frozen: a resource alarm left by an earlier test
  // (the broker lifts it only at its next memory check) would otherwise still block publishing.
  bool confirmed = false;
  client_->publish(message("warm-up"), [&](status st) { confirmed = st.has_value(); });
  ASSERT_TRUE(run_until([&] { return confirmed; }));
  int stopped = 0;
  {
    testing::frozen_broker frozen;
    for (int i = 0; i < 5; ++i)
      client_->publish(message("x"), [&](status st) {
        if (!st && st.error().code == make_error_code(error::stopped)) ++stopped;
      });
    run_for(50ms);
    client_->stop();
    EXPECT_EQ(stopped, 0);  // completions run later, on the executor
  }
  ASSERT_TRUE(run_until([&] { return stopped == 5; }));
}

TEST(broker_client, accepts_amqplib_style_query_parameters) {
  boost::asio::io_context ioc;
  connection_settings s;
  s.uri = "amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=30&frame_max=131072&channel_max=0&locale=en_US";
  s.queue = "q";
  EXPECT_NO_THROW(broker_client(ioc.get_executor(), s, [](delivery) {}));
}

TEST(broker_client, rejects_an_invalid_uri_without_echoing_it) {
  boost::asio::io_context ioc;
  connection_settings s;
  s.uri = "http://user:secret@host/";
  try {
    broker_client client(ioc.get_executor(), s, [](delivery) {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace oauth2_rest::amqp
