// The token client against real token endpoints on loopback: the Envoy-style matrix,
// single flight, retries, client authentication encodings.
#include "oauth2/token_client.hpp"

#include "support/async_run.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "util/base64.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <mutex>
#include <vector>

namespace oauth2_rest {
namespace {

using namespace std::chrono_literals;
using testing::http_server;
using testing::recorded_request;
using testing::reply;

oauth2::client_credentials creds_for(const http_server& server, std::string id = "demo-client",
                                     std::string secret = "demo-secret") {
  oauth2::client_credentials c;
  c.token_url = server.base_url() + "/oauth/token";
  c.client_id = std::move(id);
  c.client_secret = std::move(secret);
  return c;
}

class token_client_test : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  http::client http{io.get_executor()};

  result<oauth2::acquired_token> get(oauth2::token_client& c, std::chrono::milliseconds timeout = 10s) {
    return testing::run_async(io, c.get(timeout));
  }
};

TEST_F(token_client_test, fetches_once_then_reuses_the_cached_token) {
  testing::demo_api api;
  http_server server(api.as_handler());
  oauth2::token_client client(http, creds_for(server));
  auto first = get(client);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->fetched);
  EXPECT_EQ(first->value->access_token, api.issued_tokens().at(0));
  ASSERT_TRUE(first->value->expires_at.has_value());
  auto second = get(client);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->fetched);
  EXPECT_EQ(second->value, first->value);
  EXPECT_EQ(api.token_requests(), 1u);
}

TEST_F(token_client_test, token_without_expires_in_is_kept_until_the_api_rejects_it) {
  testing::demo_api api({.send_expires_in = false});
  http_server server(api.as_handler());
  oauth2::token_client client(http, creds_for(server));
  auto first = get(client);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->value->expires_at.has_value());
  ASSERT_TRUE(get(client));
  EXPECT_EQ(api.token_requests(), 1u);
  auto renewed = testing::run_async(io, client.refresh(first->value, 10s));
  ASSERT_TRUE(renewed);
  EXPECT_TRUE(renewed->fetched);
  EXPECT_NE(renewed->value->access_token, first->value->access_token);
  EXPECT_EQ(api.token_requests(), 2u);
}

TEST_F(token_client_test, answer_without_access_token_is_an_error) {
  http_server server([](const recorded_request&) { return reply::json(200, R"({"token_type":"Bearer"})"); });
  oauth2::token_client client(http, creds_for(server));
  auto r = get(client);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("access_token"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(token_client_test, malformed_json_is_an_error_without_retry) {
  http_server server([](const recorded_request&) { return reply::json(200, R"({"access_token": )"); });
  oauth2::token_client client(http, creds_for(server));
  auto r = get(client);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(oauth2::token_errc::bad_response));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(token_client_test, server_error_then_success_is_retried) {
  std::atomic<int> calls{0};
  http_server server([&](const recorded_request&) {
    if (calls++ == 0) return reply::json(500, R"({"error":"temporarily_unavailable"})");
    return reply::json(200, R"({"access_token":"second-try","token_type":"bearer","expires_in":"3600"})");
  });
  oauth2::token_client client(http, creds_for(server));
  auto r = get(client);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->value->access_token, "second-try");
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(client.requests_sent(), 2u);
}

TEST_F(token_client_test, too_many_requests_honours_retry_after) {
  std::atomic<int> calls{0};
  http_server server([&](const recorded_request&) {
    if (calls++ == 0) {
      auto r = reply::json(429, R"({"error":"slow_down"})");
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    return reply::json(200, R"({"access_token":"after-wait","expires_in":60})");
  });
  oauth2::token_client client(http, creds_for(server));
  auto started = std::chrono::steady_clock::now();
  auto r = get(client);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);  // waited as asked, not hammered
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(token_client_test, retry_after_as_an_http_date_is_honoured) {
  std::atomic<int> calls{0};
  http_server server([&](const recorded_request&) {
    if (calls++ == 0) {
      auto at = std::time(nullptr) + 2;
      char date[64];
      std::tm tm{};
      gmtime_r(&at, &tm);
      std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      auto r = reply::json(503, R"({"error":"temporarily_unavailable"})");
      r.headers.push_back({"Retry-After", date});
      return r;
    }
    return reply::json(200, R"({"access_token":"after-date","expires_in":60})");
  });
  oauth2::token_client client(http, creds_for(server));
  auto started = std::chrono::steady_clock::now();
  auto r = get(client);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms) << "the date was not waited for";
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(token_client_test, retry_after_beyond_the_timeout_gives_up_at_once) {
  http_server server([](const recorded_request&) {
    auto r = reply::json(429, R"({"error":"slow_down"})");
    r.headers.push_back({"Retry-After", "9999"});
    return r;
  });
  oauth2::token_client client(http, creds_for(server));
  auto r = get(client, 5s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("9999 s"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.request_count(), 1u) << "no second request within the timeout";
}

// Finding 12: a Retry-After of 0 (or a date already past) is a floor of zero, not an order to
// retry at once: the pause is the larger of the hint and our own backoff (100 ms, 200 ms, ...).
// Counted within a window rather than timed, so a slow machine cannot make it fail.
class retry_after_now : public token_client_test, public ::testing::WithParamInterface<const char*> {};

TEST_P(retry_after_now, is_never_a_burst_of_back_to_back_requests) {
  const std::string hint = GetParam();
  std::mutex times_mutex;
  std::vector<std::chrono::steady_clock::time_point> times;
  http_server server([&](const recorded_request&) {
    {
      std::lock_guard lock(times_mutex);
      times.push_back(std::chrono::steady_clock::now());
    }
    auto r = reply::json(503, R"({"error":"temporarily_unavailable"})");
    r.headers.push_back({"Retry-After", hint});
    return r;
  });
  oauth2::token_client client(http, creds_for(server));
  auto r = get(client, 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(oauth2::token_errc::unavailable));
  // 100 + 200 + 400 + 800 ms of backoff (+ up to 20 % jitter) fit in 2 s: about 5 requests.
  // Back-to-back retries made hundreds.
  EXPECT_GE(server.request_count(), 2u) << "a 503 is retried";
  EXPECT_LE(server.request_count(), 8u) << "Retry-After: " << hint << " made back-to-back requests";
  std::lock_guard lock(times_mutex);
  ASSERT_GE(times.size(), 2u);
  EXPECT_GE(times[1] - times[0], 90ms) << "the first pause is at least the first backoff step";
}

INSTANTIATE_TEST_SUITE_P(zero_and_past_date, retry_after_now,
                         ::testing::Values("0", "Sun, 06 Nov 1994 08:49:37 GMT"),
                         [](const ::testing::TestParamInfo<const char*>& case_info) {
                           return std::string(case_info.param) == "0" ? "zero_seconds" : "past_date";
                         });

TEST_F(token_client_test, network_error_fails_within_the_timeout) {
  unsigned short port = 0;
  {
    http_server gone([](const recorded_request&) { return reply::json(200, "{}"); });
    port = gone.port();
  }
  oauth2::client_credentials c;
  c.token_url = "http://127.0.0.1:" + std::to_string(port) + "/oauth/token";
  c.client_id = "id";
  c.client_secret = "secret";
  oauth2::token_client client(http, c);
  auto r = get(client, 1500ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(oauth2::token_errc::unavailable));
  EXPECT_GE(client.requests_sent(), 2u) << "network errors are retried";
  EXPECT_NE(r.error().message.find("/oauth/token"), std::string::npos) << r.error().message;
}

TEST_F(token_client_test, invalid_client_is_not_retried_and_names_error_and_description) {
  testing::demo_api api;
  http_server server(api.as_handler());
  oauth2::token_client client(http, creds_for(server, "demo-client", "wrong-secret-value"));
  auto r = get(client);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(oauth2::token_errc::rejected));
  EXPECT_NE(r.error().message.find("401"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("invalid_client"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("unknown client or wrong secret"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-secret-value"), std::string::npos) << "the secret leaked into the error";
  EXPECT_EQ(api.token_requests(), 1u);
}

TEST_F(token_client_test, fifty_concurrent_callers_share_one_token_request) {
  testing::demo_api api;
  http_server server([&](const recorded_request& r) {
    auto answer = api.handle(r);
    answer.delay = 100ms;  // keeps the request open while every caller arrives
    return answer;
  });
  auto stale = oauth2::token{};
  stale.access_token = "expired-token";
  stale.expires_at = std::chrono::system_clock::now() - 1h;
  oauth2::token_client client(http, creds_for(server), stale);

  std::vector<result<oauth2::acquired_token>> results;
  int finished = 0;
  for (int i = 0; i < 50; ++i) {
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          auto r = co_await client.get(10s);
          results.push_back(std::move(r));
          if (++finished == 50) io.stop();
        },
        boost::asio::detached);
  }
  io.run();
  ASSERT_EQ(results.size(), 50u);
  int fetched = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->value->access_token, api.issued_tokens().at(0));
    fetched += r->fetched ? 1 : 0;
  }
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(fetched, 1) << "exactly one caller reports the new token";
}

TEST_F(token_client_test, stored_token_still_valid_costs_no_request) {
  testing::demo_api api;
  http_server server(api.as_handler());
  oauth2::token stored;
  stored.access_token = "from-the-credential";
  stored.expires_at = std::chrono::system_clock::now() + 1h;
  stored.lifetime = 3600s;
  oauth2::token_client client(http, creds_for(server), stored);
  auto r = get(client);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value->access_token, "from-the-credential");
  EXPECT_EQ(api.token_requests(), 0u);
}

TEST_F(token_client_test, failed_renewal_keeps_using_a_token_that_has_not_expired_yet) {
  http_server down([](const recorded_request&) { return reply::json(503, R"({"error":"down"})"); });
  oauth2::token nearly;
  nearly.access_token = "still-good";
  nearly.expires_at = std::chrono::system_clock::now() + 30s;  // inside the 60 s renewal margin
  nearly.lifetime = 3600s;
  oauth2::token_client client(http, creds_for(down), nearly);
  auto r = get(client, 500ms);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->value->access_token, "still-good");
  EXPECT_FALSE(r->fetched);
  EXPECT_GE(down.request_count(), 1u) << "renewal was attempted";

  oauth2::token expired = nearly;
  expired.expires_at = std::chrono::system_clock::now() - 1s;
  oauth2::token_client late(http, creds_for(down), expired);
  EXPECT_FALSE(get(late, 500ms)) << "an expired token is never used";
}

const std::string tricky_secret = "s3cr+t %:x";

TEST_F(token_client_test, basic_authentication_form_encodes_id_and_secret) {
  testing::demo_api api({.client_id = "my id", .client_secret = tricky_secret});
  http_server server(api.as_handler());
  oauth2::token_client client(http, creds_for(server, "my id", tricky_secret));
  auto r = get(client);
  ASSERT_TRUE(r) << r.error().message;
  auto sent = server.requests().at(0);
  EXPECT_EQ(sent.header("Authorization"), "Basic " + base64_encode("my+id:s3cr%2Bt+%25%3Ax"));
  EXPECT_EQ(sent.body.find("client_secret"), std::string::npos);
  EXPECT_EQ(sent.header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(sent.header("Accept"), "application/json");
}

TEST_F(token_client_test, body_authentication_sends_credentials_in_the_form_only) {
  testing::demo_api api({.client_id = "my id", .client_secret = tricky_secret});
  http_server server(api.as_handler());
  auto c = creds_for(server, "my id", tricky_secret);
  c.auth = oauth2::client_auth::body;
  c.scopes = {"client", "users"};
  c.additional_properties = {{"audience", "https://api.example.com"}};
  oauth2::token_client client(http, c);
  auto r = get(client);
  ASSERT_TRUE(r) << r.error().message;
  auto sent = server.requests().at(0);
  EXPECT_FALSE(sent.has_header("Authorization"));
  EXPECT_NE(sent.body.find("client_secret=s3cr%2Bt+%25%3Ax"), std::string::npos) << sent.body;
  EXPECT_NE(sent.body.find("client_id=my+id"), std::string::npos) << sent.body;
  EXPECT_NE(sent.body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(sent.body.find("scope=client+users"), std::string::npos);
  EXPECT_NE(sent.body.find("audience=https%3A%2F%2Fapi.example.com"), std::string::npos);
}

// What another replica left in the shared credential; counts its reads.
class shelf final : public oauth2::token_store {
 public:
  std::optional<oauth2::token> saved;
  int reads = 0;
  boost::asio::awaitable<std::optional<oauth2::token>> load() override {
    ++reads;
    co_return saved;
  }
};

oauth2::token shelf_token(std::string value, std::chrono::seconds left) {
  oauth2::token t;
  t.access_token = std::move(value);
  t.expires_at = oauth2::clock::now() + left;
  t.lifetime = std::chrono::seconds(3600);
  return t;
}

TEST_F(token_client_test, a_fresh_token_another_holder_saved_is_used_instead_of_asking_the_endpoint) {
  testing::demo_api api;
  http_server server(api.as_handler());
  auto store = std::make_shared<shelf>();
  store->saved = shelf_token("from-replica-2", 3000s);
  oauth2::token_client client(http, creds_for(server), std::nullopt, store);
  auto got = get(client);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->value->access_token, "from-replica-2");
  EXPECT_FALSE(got->fetched);  // saved already: not reported again
  EXPECT_EQ(api.token_requests(), 0u);
  EXPECT_EQ(store->reads, 1);
  ASSERT_TRUE(get(client));  // cached now: no second read
  EXPECT_EQ(store->reads, 1);
}

TEST_F(token_client_test, a_stale_or_rejected_token_in_the_store_is_not_used) {
  testing::demo_api api;
  http_server server(api.as_handler());
  auto store = std::make_shared<shelf>();
  store->saved = shelf_token("about-to-expire", 10s);  // inside the renewal margin
  oauth2::token_client client(http, creds_for(server), std::nullopt, store);
  auto got = get(client);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->fetched);
  EXPECT_EQ(api.token_requests(), 1u);
  // The API refuses the current token; the store still holds that same token: fetch anew.
  store->saved = *got->value;
  auto renewed = testing::run_async(io, client.refresh(got->value, 10s));
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_TRUE(renewed->fetched);
  EXPECT_NE(renewed->value->access_token, got->value->access_token);
  EXPECT_EQ(api.token_requests(), 2u);
}

TEST_F(token_client_test, a_store_that_cannot_be_read_costs_only_the_read) {
  testing::demo_api api;
  http_server server(api.as_handler());
  auto store = std::make_shared<shelf>();  // nothing saved (or unreadable): nullopt
  oauth2::token_client client(http, creds_for(server), std::nullopt, store);
  auto got = get(client);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->fetched);
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(store->reads, 1);
}

}  // namespace
}  // namespace oauth2_rest
