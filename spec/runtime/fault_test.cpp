// Fault scenarios for `oauth2-rest sail` (issue 5, item 2): the built executable against the real
// test broker, the demo token server and API, with faults injected by rabbitmqctl, by signals and
// by the fault proxy. Every scenario asserts by counting: each input ends either done (acked with
// its data output published, or rejected with its error record published) or still in the input
// queue; zero lost; duplicates (two outputs for one input) only where the broker redelivered,
// bounded by what was unacknowledged when the fault hit, and printed.
#include "support/broker.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/fault_proxy.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include "support/worker_env.hpp"
#include "sail/message_cipher.hpp"
#include "util/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::fault_mode;
using testing::fault_proxy;
using testing::recorded_request;
using testing::reply;
using clock_type = std::chrono::steady_clock;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

// How many times a text occurs in another (log lines of the worker).
std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The number after `key=` in a query string, or -1.
long query_number(const std::string& query, const std::string& key) {
  auto at = query.find(key + "=");
  if (at == std::string::npos) return -1;
  return std::strtol(query.c_str() + at + key.size() + 1, nullptr, 10);
}

// Outputs seen so far, by the input they came from (header parentMessageId).
struct tally {
  std::map<std::string, int> data, errors;
  std::size_t retried = 0;  // outputs that carry a `retry` header (republished after a nack or a lost confirm)

  bool done(const std::string& id) const { return data.contains(id) || errors.contains(id); }
  std::size_t done_count(const std::vector<std::string>& ids) const {
    std::size_t n = 0;
    for (const auto& id : ids) n += done(id) ? 1 : 0;
    return n;
  }
  std::size_t outputs() const {
    std::size_t n = 0;
    for (const auto& [id, c] : data) n += static_cast<std::size_t>(c);
    for (const auto& [id, c] : errors) n += static_cast<std::size_t>(c);
    return n;
  }
  // Outputs beyond one per input.
  std::size_t duplicates() const {
    std::map<std::string, int> all = data;
    for (const auto& [id, c] : errors) all[id] += c;
    std::size_t n = 0;
    for (const auto& [id, c] : all) n += static_cast<std::size_t>(c - 1);
    return n;
  }
};

class fault_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  // Replaced by a test before the worker starts (the server calls it only once it runs).
  std::unique_ptr<testing::demo_api> api = std::make_unique<testing::demo_api>();
  std::atomic<bool> reject_every_token{false};  // the API answers 401 invalid_token to all
  std::atomic<std::size_t> rejected_api_calls{0};
  std::atomic<long> api_delay_ms{0};  // every API answer held this long
  testing::http_server api_server{[this](const recorded_request& r) {
    const auto query = r.query();
    if (r.path().starts_with("/api") && reject_every_token.load()) {
      ++rejected_api_calls;
      auto answer = reply::json(401, R"({"error":"invalid_token"})");
      answer.headers.push_back({"WWW-Authenticate", "Bearer realm=\"demo\", error=\"invalid_token\""});
      return answer;
    }
    if (query.find("hang=1") != std::string::npos) return reply{.action = reply::kind::hang};
    auto answer = api->handle(r);
    if (query.find("partial=1") != std::string::npos) answer.action = reply::kind::partial_then_reset;
    if (auto slow = query_number(query, "slow"); slow > 0) answer.delay = std::chrono::milliseconds(slow);
    else if (r.path().starts_with("/api") && api_delay_ms.load() > 0) answer.delay = std::chrono::milliseconds(api_delay_ms.load());
    return answer;
  }};

  std::mutex mutex;
  json::object step{{"id", "step_2"}, {"comp_id", "comp-1"}, {"function", "httpRequest"}};
  testing::http_server platform{[this](const recorded_request& r) {
    std::lock_guard lock(mutex);
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2") return reply::json(200, json::serialize(step));
    if (r.method == "PATCH" && r.path().starts_with("/v2/credentials/")) return reply::json(200, R"({"data":{}})");
    return reply::json(404, R"({"error":"not found"})");
  }};

  sail::message_cipher cipher{password, iv};
  std::unique_ptr<testing::broker_admin> admin = std::make_unique<testing::broker_admin>();
  std::string in_queue = testing::unique_name("fault-in");
  std::string exchange = testing::unique_name("fault-exchange");
  std::string data_queue = testing::unique_name("fault-data");
  std::string error_queue = testing::unique_name("fault-errors");
  std::string policy;  // set by the reject-publish scenario, cleared in TearDown

  void SetUp() override {
    admin->declare_exchange(exchange);
    for (const auto& q : {in_queue, data_queue, error_queue}) admin->declare_queue(q);
    admin->bind(data_queue, exchange, "data-key");
    admin->bind(error_queue, exchange, "error-key");
    set_config({});
  }
  void TearDown() override {
    if (!admin) admin = std::make_unique<testing::broker_admin>();  // a scenario that failed mid-restart
    if (!policy.empty()) testing::rabbitmqctl({"clear_policy", policy});
    for (const auto& q : {in_queue, data_queue, error_queue}) admin->delete_queue(q);
    admin->delete_exchange(exchange);
  }

  void set_config(json::object extra) {
    json::object cfg{{"tokenUrl", api_server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", api_server.base_url() + "/api"},
                     {"errorTolerance", "noErrors"},
                     {"_account", "cred-1"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    std::lock_guard lock(mutex);
    step["config"] = cfg;
  }

  std::unique_ptr<testing::child_process> start(std::map<std::string, std::string> extra = {}) {
    auto e = testing::worker_env({.api_uri = platform.base_url(), .listen_queue = in_queue, .exchange = exchange,
                                  .crypto_password = password, .crypto_iv = iv, .log_level = "info"});
    for (auto& [k, v] : extra) e[k] = v;
    return std::make_unique<testing::child_process>(OAUTH2_REST_BINARY, std::vector<std::string>{"sail"}, e,
                                                    dir.path());
  }

  // Publishes `count` inputs calling `url` (ids prefix-0, prefix-1, ...); returns the ids.
  std::vector<std::string> publish_many(const std::string& prefix, int count, const std::string& url,
                                        bool persistent = false) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      ids.push_back(prefix + "-" + std::to_string(i));
      publish(ids.back(), url, persistent);
    }
    return ids;
  }

  void publish(const std::string& id, const std::string& url, bool persistent = false) {
    json::object payload{{"body", {{"url", url}, {"method", "GET"}}}};
    amqp::message_properties props;
    props.headers = {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"workspaceId", "workspace-1"},
                     {"userId", "user-1"}, {"threadId", "T-" + id}, {"stepId", "step_1"},
                     {"messageId", id},    {"parentMessageId", "P0"}};
    props.content_type = "application/json";
    if (persistent) props.delivery_mode = 2;
    admin->publish("", in_queue, base64_encode(cipher.encrypt(json::serialize(payload))), props);
  }

  // Moves every output now in the data and error queues into `t`.
  void collect(tally& t) {
    auto parent = [](const testing::got_message& m) {
      const auto* p = m.properties.headers.if_contains("parentMessageId");
      return p && p->is_string() ? std::string(p->as_string()) : std::string("?");
    };
    while (auto m = admin->get(data_queue)) {
      ++t.data[parent(*m)];
      if (m->properties.headers.contains("retry")) ++t.retried;
    }
    while (auto m = admin->get(error_queue)) {
      ++t.errors[parent(*m)];
      if (m->properties.headers.contains("retry")) ++t.retried;
    }
  }

  // Collects until every id is done or the timeout passes; true when all are done.
  bool collect_until_done(tally& t, const std::vector<std::string>& ids, std::chrono::milliseconds timeout) {
    return testing::eventually(
        [&] {
          collect(t);
          return t.done_count(ids) == ids.size();
        },
        timeout);
  }

  // Nothing lost: every input is done, or still in the input queue (taken from it here to name it).
  // Returns how many were still queued. Called once the worker has exited, so nothing is
  // unacknowledged any more: what it did not settle is back among the ready messages.
  std::size_t expect_none_lost(tally& t, const std::vector<std::string>& ids) {
    std::set<std::string> queued;
    while (auto m = admin->get(in_queue)) queued.insert(std::string(m->properties.headers.at("messageId").as_string()));
    std::size_t lost = 0;
    for (const auto& id : ids)
      if (!t.done(id) && !queued.contains(id)) ++lost;
    EXPECT_EQ(lost, 0u) << "inputs neither done nor still in the queue";
    for (const auto& id : queued) EXPECT_FALSE(t.done(id)) << id << " is done and still queued";
    return queued.size();
  }

  // Closes the worker's broker connection from the broker's side, in one rabbitmqctl call (each
  // costs seconds): every connection of the user guest, so the test's own is closed too and
  // reopened here. The test thread is never inside a basic.get while this runs.
  void close_worker_connection(const std::string& reason) {
    admin.reset();
    testing::rabbitmqctl({"close_all_user_connections", "guest", reason});
    admin = std::make_unique<testing::broker_admin>();
  }

  // The end of a scenario where every input must be done: stop the worker, count, nothing queued.
  void stop_and_expect_all_done(testing::child_process& w, tally& t, const std::vector<std::string>& ids) {
    stop(w);
    collect(t);
    EXPECT_EQ(expect_none_lost(t, ids), 0u) << "inputs left in the queue; the worker's log:\n" << w.out();
  }

  static void stop(testing::child_process& w) {
    w.signal(SIGTERM);
    auto code = w.wait(40s);
    ASSERT_TRUE(code.has_value()) << "the worker did not stop";
    EXPECT_EQ(*code, 0) << w.out();
  }

  // Redelivered copies the worker recognised as still in flight (not run twice), from its log.
  static std::string deduplicated(const testing::child_process& w) {
    return "redelivered copies absorbed " +
           std::to_string(occurrences(w.out(), "a redelivered copy of a message in flight")) +
           ", settled as finished " + std::to_string(occurrences(w.out(), "a redelivered copy of a finished message"));
  }

  static void report(const std::string& scenario, const std::vector<std::string>& ids, const tally& t,
                     const std::string& extra = {}) {
    std::cout << "[fault] " << scenario << ": inputs " << ids.size() << ", done " << t.done_count(ids) << ", outputs "
              << t.outputs() << " (data " << t.data.size() << " inputs, errors " << t.errors.size()
              << " inputs), duplicates " << t.duplicates() << ", republished " << t.retried
              << (extra.empty() ? "" : ", " + extra) << std::endl;
  }
};

// (a) The broker closes the worker's connection several times during 2,000 messages, each time
// with API calls in flight (each call is held 150 ms by the API, 20 at once). Once the connection
// has been closed four times the API answers at once, so the run ends quickly.
TEST_F(fault_test, a_connection_closed_repeatedly_during_2000_messages) {
  const int prefetch = 20;
  api_delay_ms = 300;  // slow enough that four closes (each a rabbitmqctl call, seconds under load) fit in the run
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(prefetch)}});
  auto ids = publish_many("a", 2000, "/items");
  tally t;
  int closes = 0;
  std::size_t at_last_close = 0;
  const auto deadline = clock_type::now() + 120s;
  while (t.done_count(ids) < ids.size() && clock_type::now() < deadline) {
    collect(t);
    const auto done = t.done_count(ids);
    if (closes < 4 && done >= at_last_close + 100 && done + 200 < ids.size()) {
      const auto started_calls = api->api_requests();
      EXPECT_GT(started_calls, t.outputs()) << "API calls are in flight when the connection is closed";
      close_worker_connection("fault test a");
      ++closes;
      at_last_close = done;
      if (closes == 4) api_delay_ms = 0;
    }
    std::this_thread::sleep_for(20ms);
  }
  collect(t);
  EXPECT_EQ(closes, 4) << "the run ended before the connection could be closed four times";
  EXPECT_EQ(t.done_count(ids), ids.size()) << w->out();
  stop_and_expect_all_done(*w, t, ids);
  EXPECT_EQ(t.errors.size(), 0u);
  EXPECT_LE(t.duplicates(), static_cast<std::size_t>(closes * prefetch)) << "more duplicates than redeliveries";
  EXPECT_GE(occurrences(w->out(), "AMQP connection lost"), static_cast<std::size_t>(closes));
  report("a close_connection x" + std::to_string(closes), ids, t, deduplicated(*w));
}

// (b) The broker application stops and starts again; messages are persistent, as they must be
// for a broker restart to keep them. From the 50th output on every API call is held 2 s until the
// broker is back, so calls are in flight when it stops however long rabbitmqctl takes (with quick
// calls a loaded machine finished all 300 before the stop, and a fast one lost the last acks with
// the connection and was stopped before it had reconnected to settle their redelivered copies).
TEST_F(fault_test, b_broker_stopped_and_started) {
  const int prefetch = 10;
  api_delay_ms = 30;
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(prefetch)},
                  {"ELASTICIO_AMQP_PERSISTENT_MESSAGES", "true"}});
  auto ids = publish_many("b", 300, "/items", true);
  tally t;
  ASSERT_TRUE(testing::eventually(
      [&] {
        collect(t);
        return t.done_count(ids) >= 50;
      },
      30s))
      << w->out();
  api_delay_ms = 2000;
  admin.reset();  // its connection dies with the application
  testing::rabbitmqctl({"stop_app"});
  EXPECT_TRUE(testing::eventually([&] { return occurrences(w->out(), "AMQP connection lost") >= 1; }, 10s));
  testing::rabbitmqctl({"start_app"});
  ASSERT_TRUE(testing::eventually(
      [&] {
        try {
          admin = std::make_unique<testing::broker_admin>();
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      30s));
  collect(t);
  EXPECT_LT(t.done_count(ids), ids.size()) << "the run ended before the broker stopped";
  api_delay_ms = 0;
  EXPECT_TRUE(collect_until_done(t, ids, 60s)) << w->out();
  // Both connections are back (two "AMQP connected" lines at the start, two now), so every
  // redelivered copy of a message finished during the outage has been settled.
  EXPECT_TRUE(testing::eventually([&] { return occurrences(w->out(), "AMQP connected") >= 4; }, 10s)) << w->out();
  stop_and_expect_all_done(*w, t, ids);
  EXPECT_EQ(t.errors.size(), 0u);
  EXPECT_LE(t.duplicates(), static_cast<std::size_t>(prefetch));
  report("b stop_app/start_app", ids, t, deduplicated(*w));
}

// (c) The data queue refuses outputs (overflow=reject-publish, max-length 5): publishes are nacked
// and retried with backoff until the test makes room; nothing is lost, nothing duplicated.
TEST_F(fault_test, c_output_refused_until_space_frees) {
  policy = testing::unique_name("fault-reject");
  testing::rabbitmqctl({"set_policy", "--apply-to", "queues", policy, "^" + data_queue + "$",
                        R"({"max-length":5,"overflow":"reject-publish"})"});
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "10"},
                  {"ELASTICIO_AMQP_PUBLISH_RETRY_DELAY", "50"},
                  {"ELASTICIO_AMQP_PUBLISH_MAX_RETRY_DELAY", "400"}});
  auto ids = publish_many("c", 60, "/items");
  // Full, and the worker is being refused.
  ASSERT_TRUE(testing::eventually([&] { return admin->message_count(data_queue) == 5; }, 20s)) << w->out();
  ASSERT_TRUE(testing::eventually([&] { return occurrences(w->out(), "publish not confirmed, will retry") >= 3; }, 20s));
  EXPECT_EQ(admin->message_count(data_queue), 5u) << "max-length holds";
  // Make room a few messages at a time, as a slow consumer would.
  tally t;
  EXPECT_TRUE(testing::eventually(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (auto m = admin->get(data_queue)) {
            ++t.data[std::string(m->properties.headers.at("parentMessageId").as_string())];
            if (m->properties.headers.contains("retry")) ++t.retried;
          }
        }
        std::this_thread::sleep_for(20ms);
        return t.done_count(ids) == ids.size();
      },
      60s))
      << w->out();
  collect(t);
  EXPECT_EQ(t.duplicates(), 0u) << "a nacked publish is not in the queue: retrying it duplicates nothing";
  EXPECT_GT(t.retried, 0u) << "some outputs got in only on a retry";
  EXPECT_EQ(t.errors.size(), 0u);
  stop_and_expect_all_done(*w, t, ids);
  report("c reject-publish", ids, t, "nack retries logged " + std::to_string(occurrences(w->out(), "will retry")));
}

// (d) A half-open broker connection: the proxy between worker and broker stops forwarding but
// keeps both sockets open. The worker's heartbeat (2 s here) must notice and reconnect.
TEST_F(fault_test, d_half_open_broker_connection_detected_by_heartbeat) {
  fault_proxy proxy{"127.0.0.1", testing::amqp_port()};
  const int prefetch = 10;
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(prefetch)},
                  {"ELASTICIO_AMQP_URI", "amqp://guest:guest@127.0.0.1:" + std::to_string(proxy.port()) + "/"},
                  {"OAUTH2_REST_AMQP_HEARTBEAT", "2"}});
  auto ids = publish_many("d", 200, "/items?slow=20");
  tally t;
  ASSERT_TRUE(testing::eventually(
      [&] {
        collect(t);
        return t.done_count(ids) >= 30;
      },
      30s))
      << w->out();
  proxy.set_mode(fault_mode::hang);
  const auto hung_at = clock_type::now();
  ASSERT_TRUE(testing::eventually([&] { return occurrences(w->out(), "AMQP connection lost") >= 1; }, 20s))
      << "the dead connection was never noticed\n" << w->out();
  const auto noticed_after = clock_type::now() - hung_at;
  EXPECT_LT(noticed_after, 8s) << "two missed heartbeats of 2 s should be noticed well within 8 s";
  // The dead path never delivers what it held (resuming it would hand the broker stale publishes
  // late); then the network is back.
  proxy.set_mode(fault_mode::reset);
  proxy.set_mode(fault_mode::pass);
  EXPECT_TRUE(collect_until_done(t, ids, 60s)) << w->out();
  EXPECT_EQ(t.errors.size(), 0u);
  EXPECT_LE(t.duplicates(), static_cast<std::size_t>(prefetch));
  EXPECT_GE(proxy.connection_count(), 2u) << "the worker reconnected";
  stop_and_expect_all_done(*w, t, ids);
  report("d half-open", ids, t,
         deduplicated(*w) + ", noticed after " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(noticed_after).count()) + " ms");
}

// (e) kill -9 mid-batch, then a new worker: every input ends done; the unacknowledged ones of the
// dead worker may be done twice (counted, at most prefetch).
TEST_F(fault_test, e_kill_9_mid_batch_then_restart) {
  const int prefetch = 20;
  auto ids = publish_many("e", 400, "/items?slow=20");
  auto first = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(prefetch)}});
  tally t;
  ASSERT_TRUE(testing::eventually(
      [&] {
        collect(t);
        return t.done_count(ids) >= 100;
      },
      30s))
      << first->out();
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait(10s).value_or(0), -1);
  collect(t);
  const auto done_by_first = t.done_count(ids);
  EXPECT_LT(done_by_first, ids.size()) << "killed mid-batch";
  auto second = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(prefetch)}});
  EXPECT_TRUE(collect_until_done(t, ids, 60s)) << second->out();
  EXPECT_EQ(t.errors.size(), 0u);
  EXPECT_LE(t.duplicates(), static_cast<std::size_t>(prefetch));
  stop_and_expect_all_done(*second, t, ids);
  report("e kill -9", ids, t, "done before the kill " + std::to_string(done_by_first) + ", " + deduplicated(*second));
}

// (f) SIGTERM with 100 messages in flight (prefetch 100, each API call 2.5 s): the worker
// finishes them, exits 0; the rest stay queued; nothing lost, nothing duplicated.
TEST_F(fault_test, f_sigterm_with_100_in_flight) {
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "100"}});
  publish("f-warm", "/items");  // the token first, so the 100 calls start together
  tally t;
  ASSERT_TRUE(collect_until_done(t, {"f-warm"}, 20s)) << w->out();
  t = tally{};
  auto ids = publish_many("f", 150, "/items?slow=2500");
  ASSERT_TRUE(testing::eventually([&] { return api->api_requests() >= 101; }, 20s)) << w->out();
  collect(t);
  EXPECT_EQ(t.done_count(ids), 0u) << "all 100 were still in flight";
  stop(*w);
  collect(t);
  const auto queued = expect_none_lost(t, ids);
  EXPECT_EQ(t.done_count(ids), 100u) << "the messages in flight were finished";
  EXPECT_EQ(queued, 50u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.errors.size(), 0u);
  report("f SIGTERM", ids, t, "still queued " + std::to_string(queued));
}

// (g) The token endpoint goes down (the proxy in front of it resets every connection). While the
// token is fresh, messages keep flowing without it; once the token has expired, messages end in
// error within requestTimeout and the worker goes on; when the endpoint is back, it recovers.
TEST_F(fault_test, g_token_endpoint_down_while_valid_then_after_expiry) {
  api = std::make_unique<testing::demo_api>(testing::demo_api_options{.token_lifetime = 6s});
  fault_proxy token_proxy{"127.0.0.1", api_server.port()};
  set_config({{"tokenUrl", token_proxy.base_url() + "/oauth/token"}, {"requestTimeout", 2}});
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "5"}});
  const auto issued_before = clock_type::now();
  publish("g-warm", "/items");
  tally t;
  ASSERT_TRUE(collect_until_done(t, {"g-warm"}, 20s)) << w->out();
  ASSERT_EQ(api->tokens_issued(), 1u);

  token_proxy.set_mode(fault_mode::reset);
  auto valid_ids = publish_many("g-valid", 10, "/items");
  EXPECT_TRUE(collect_until_done(t, valid_ids, 20s));
  EXPECT_EQ(t.data.size(), 11u) << "the fresh token served them all";
  EXPECT_EQ(api->token_requests(), 1u);

  // Wait out the token's lifetime (6 s after it was asked for; it was due for renewal after 3).
  std::this_thread::sleep_until(issued_before + 6s + 200ms);
  const auto expired_from = clock_type::now();
  auto expired_ids = publish_many("g-expired", 3, "/items");
  EXPECT_TRUE(collect_until_done(t, expired_ids, 20s)) << w->out();
  const auto took = clock_type::now() - expired_from;
  for (const auto& id : expired_ids) EXPECT_TRUE(t.errors.contains(id)) << id << " should end in error";
  // Retried with backoff while a pause still fitted in requestTimeout (2 s), then given up.
  EXPECT_GE(token_proxy.faulted_connection_count(), 3u) << "the token request was retried";
  EXPECT_LT(took, 2s + 2s) << "requestTimeout bounds the token request";

  token_proxy.set_mode(fault_mode::pass);
  auto back_ids = publish_many("g-back", 5, "/items");
  EXPECT_TRUE(collect_until_done(t, back_ids, 20s)) << w->out();
  for (const auto& id : back_ids) EXPECT_TRUE(t.data.contains(id));
  EXPECT_EQ(api->tokens_issued(), 2u) << "one new token once the endpoint was back";
  std::vector<std::string> all{"g-warm"};
  for (const auto* v : {&valid_ids, &expired_ids, &back_ids}) all.insert(all.end(), v->begin(), v->end());
  EXPECT_EQ(t.duplicates(), 0u);
  stop_and_expect_all_done(*w, t, all);
  report("g token endpoint down", all, t,
         "token connections reset " + std::to_string(token_proxy.faulted_connection_count()));
}

// (h) The API answers 401 to every token: each message renews the token once, retries once and
// ends in error. One at a time (prefetch 1): token requests = messages + 1, API calls = 2 x messages.
TEST_F(fault_test, h_api_401_for_every_token_refreshes_once_per_message) {
  reject_every_token = true;
  auto w = start();
  auto ids = publish_many("h", 10, "/items");
  tally t;
  EXPECT_TRUE(collect_until_done(t, ids, 30s)) << w->out();
  EXPECT_EQ(t.errors.size(), ids.size());
  EXPECT_EQ(t.data.size(), 0u);
  EXPECT_EQ(api->token_requests(), ids.size() + 1) << "exactly one refresh per message";
  EXPECT_EQ(rejected_api_calls.load(), 2 * ids.size()) << "one retry per message, no loop";
  EXPECT_EQ(t.duplicates(), 0u);
  stop_and_expect_all_done(*w, t, ids);
  report("h 401 always", ids, t,
         "token requests " + std::to_string(api->token_requests()) + ", API calls " +
             std::to_string(rejected_api_calls.load()));
}

// (i) The API hangs: requestTimeout (1 s) ends the call, the message ends in error, the next one works.
TEST_F(fault_test, i_api_hanging_times_out_and_the_worker_goes_on) {
  set_config({{"requestTimeout", 1}});
  auto w = start();
  const auto started = clock_type::now();
  publish("i-hang", "/items?hang=1");
  publish("i-next", "/items");
  tally t;
  EXPECT_TRUE(collect_until_done(t, {"i-hang", "i-next"}, 20s)) << w->out();
  const auto took = clock_type::now() - started;
  EXPECT_TRUE(t.errors.contains("i-hang"));
  EXPECT_TRUE(t.data.contains("i-next"));
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 6s) << "requestTimeout was not honoured";
  stop_and_expect_all_done(*w, t, std::vector<std::string>{"i-hang", "i-next"});
  report("i API hangs", {"i-hang", "i-next"}, t,
         "took " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms");
}

// (j) The API resets the connection mid-body (by the server, and by the proxy after N bytes):
// error events, and the worker goes on.
TEST_F(fault_test, j_api_reset_mid_body_is_an_error_and_the_worker_goes_on) {
  fault_proxy api_proxy{"127.0.0.1", api_server.port()};
  set_config({{"baseUrl", api_proxy.base_url() + "/api"}});
  auto w = start();
  publish("j-warm", "/items");
  tally t;
  ASSERT_TRUE(collect_until_done(t, {"j-warm"}, 20s)) << w->out();
  publish("j-server", "/items?partial=1");
  publish("j-after-server", "/items");
  EXPECT_TRUE(collect_until_done(t, {"j-server", "j-after-server"}, 20s)) << w->out();
  // Measure one exchange through the proxy, then cut the next connection half-way into its response.
  const auto up0 = api_proxy.bytes_to_target(), down0 = api_proxy.bytes_to_client();
  publish("j-measure", "/items");
  ASSERT_TRUE(collect_until_done(t, {"j-measure"}, 20s)) << w->out();
  const auto request_bytes = api_proxy.bytes_to_target() - up0, response_bytes = api_proxy.bytes_to_client() - down0;
  ASSERT_GT(response_bytes, 100u);
  api_proxy.set_mode(fault_mode::close);  // drop the pooled connection, so the next call opens a new one
  ASSERT_TRUE(testing::eventually([&] { return api_proxy.open_connection_count() == 0; }, 5s));
  api_proxy.set_reset_after(request_bytes + response_bytes / 2);
  api_proxy.set_mode(fault_mode::reset_after_bytes);
  publish("j-proxy", "/items");
  EXPECT_TRUE(collect_until_done(t, {"j-proxy"}, 20s)) << w->out();
  api_proxy.set_mode(fault_mode::pass);
  publish("j-after-proxy", "/items");
  EXPECT_TRUE(collect_until_done(t, {"j-after-proxy"}, 20s)) << w->out();

  EXPECT_TRUE(t.errors.contains("j-server"));
  EXPECT_TRUE(t.errors.contains("j-proxy"));
  EXPECT_TRUE(t.data.contains("j-after-server"));
  EXPECT_TRUE(t.data.contains("j-after-proxy"));
  EXPECT_EQ(t.duplicates(), 0u);
  const std::vector<std::string> ids{"j-warm", "j-server", "j-after-server", "j-measure", "j-proxy", "j-after-proxy"};
  stop_and_expect_all_done(*w, t, ids);
  report("j API reset mid-body", ids, t);
}

}  // namespace
}  // namespace oauth2_rest
