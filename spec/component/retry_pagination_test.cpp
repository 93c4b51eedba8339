// The httpRequest action's retries and pagination (SPEC 8), end to end against loopback servers:
// the project's Beast server decides every answer, the demo API issues the tokens.
#include "action/http_request_action.hpp"

#include "recording_sink.hpp"
#include "support/async_run.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/log_capture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::http_server;
using testing::recorded_request;
using testing::reply;

// A server whose API answers come from `api_handler` (set per test); /oauth/token is the demo
// API's token endpoint.
class paging_test : public ::testing::Test {
 protected:
  testing::demo_api tokens;
  std::mutex mutex;
  std::function<reply(const recorded_request&)> api_handler;
  http_server server{[this](const recorded_request& r) {
    if (r.path() == "/oauth/token") return tokens.handle(r);
    std::function<reply(const recorded_request&)> h;
    {
      std::lock_guard lock(mutex);
      h = api_handler;
    }
    return h ? h(r) : reply::text(500, "no handler");
  }};
  boost::asio::io_context io;
  http::client http{io.get_executor()};

  void answer_with(std::function<reply(const recorded_request&)> h) {
    std::lock_guard lock(mutex);
    api_handler = std::move(h);
  }
  json::object config(json::object extra = {}) {
    json::object cfg{{"tokenUrl", server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", server.base_url()},
                     {"errorTolerance", "noErrors"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    return cfg;
  }
  std::unique_ptr<action::http_request_action> make(json::object cfg) {
    auto created = action::http_request_action::create(http, cfg);
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    return created ? std::move(created).value() : nullptr;
  }
  testing::recording_sink run(action::http_request_action& a, json::object input) {
    testing::recording_sink sink;
    testing::run_async(io, a.process(json::object{{"body", std::move(input)}}, sink));
    return sink;
  }
  // The API requests the server saw (token requests left out), in order.
  std::vector<recorded_request> api_calls() const {
    std::vector<recorded_request> out;
    for (auto& r : server.requests())
      if (r.path() != "/oauth/token") out.push_back(r);
    return out;
  }
  // The events other than updateKeys, as "data:<page>", "error:<name>", "rebound".
  static std::vector<std::string> outline(const testing::recording_sink& sink) {
    std::vector<std::string> out;
    for (const auto& e : sink.events) {
      if (e.kind == "data") {
        const auto* page = e.payload.at("body").as_object().if_contains("page");
        out.push_back("data:" + (page ? json::serialize(*page) : std::string("-")));
      } else if (e.kind == "error") {
        out.push_back("error:" + e.name);
      } else if (e.kind == "rebound") {
        out.push_back("rebound");
      }
    }
    return out;
  }
};

using outline_t = std::vector<std::string>;

// Answers the n-th API call (0-based) with replies[n], the last one from then on.
std::function<reply(const recorded_request&)> in_turn(std::vector<reply> replies) {
  auto calls = std::make_shared<std::atomic<std::size_t>>(0);
  return [replies = std::move(replies), calls](const recorded_request&) {
    const auto n = calls->fetch_add(1);
    return replies[std::min(n, replies.size() - 1)];
  };
}

reply with_retry_after(unsigned status, std::string value) {
  auto r = reply::json(status, R"({"error":"busy"})");
  r.headers.push_back({"Retry-After", std::move(value)});
  return r;
}

// ---- retries ----

TEST_F(paging_test, a_503_then_200_gives_one_data_message_after_two_requests) {
  answer_with(in_turn({reply::json(503, R"({"error":"busy"})"), reply::json(200, R"({"ok":true})")}));
  testing::log_capture logs;
  auto a = make(config({{"retries", "2"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:-"})) << sink.all_text();
  EXPECT_TRUE(sink.of("data")[0].payload.at("body").at("body").at("ok").as_bool());
  EXPECT_EQ(api_calls().size(), 2u);
  // The retry is logged with its attempt, status and pause, and without the token.
  EXPECT_EQ(logs.count("API call failed, retrying"), 1u) << logs.text();
  EXPECT_NE(logs.text().find(R"("attempt":1)"), std::string::npos) << logs.text();
  EXPECT_NE(logs.text().find(R"("status":503)"), std::string::npos) << logs.text();
  EXPECT_NE(logs.text().find(R"("pauseMs":)"), std::string::npos) << logs.text();
  EXPECT_EQ(logs.text().find(tokens.issued_tokens().at(0)), std::string::npos) << logs.text();
  EXPECT_EQ(logs.text().find("demo-secret"), std::string::npos) << logs.text();
}

TEST_F(paging_test, without_retries_a_503_is_final) {
  answer_with(in_turn({reply::json(503, R"({"error":"busy"})"), reply::json(200, R"({"ok":true})")}));
  auto a = make(config());
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"error:HTTPError"})) << sink.all_text();
  EXPECT_EQ(api_calls().size(), 1u);
}

TEST_F(paging_test, post_is_not_retried_on_500_but_is_on_503) {
  answer_with([](const recorded_request&) { return reply::json(500, R"({"error":"boom"})"); });
  auto a = make(config({{"retries", "3"}}));
  auto sink = run(*a, {{"url", "/orders"}, {"method", "POST"}, {"body", {{"n", 1}}}});
  ASSERT_EQ(outline(sink), (outline_t{"error:HTTPError"})) << sink.all_text();
  EXPECT_EQ(api_calls().size(), 1u) << "a POST that may have acted is never sent twice";

  server.clear_requests();
  answer_with(in_turn({with_retry_after(503, "0"), reply::json(201, R"({"created":true})")}));
  auto again = run(*a, {{"url", "/orders"}, {"method", "POST"}, {"body", {{"n", 1}}}});
  ASSERT_EQ(outline(again), (outline_t{"data:-"})) << again.all_text();
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 2u) << "503: the server says it did not act";
  EXPECT_EQ(calls[1].body, calls[0].body);
  EXPECT_EQ(calls[1].body, R"({"n":1})");
}

TEST_F(paging_test, retry_after_seconds_is_honoured) {
  answer_with(in_turn({with_retry_after(429, "1"), reply::json(200, R"({"ok":true})")}));
  auto a = make(config({{"retries", "1"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:-"})) << sink.all_text();
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 2u);
  // The server's own clock: the retry came no sooner than asked (a lower bound only).
  EXPECT_GE(calls[1].received_at - calls[0].received_at, 1s);
}

TEST_F(paging_test, spent_retries_leave_error_tolerance_to_judge_the_last_answer) {
  // 503, 503, then 500: the last answer is the one judged.
  answer_with(in_turn({with_retry_after(503, "0"), with_retry_after(503, "0"), reply::json(500, R"({"error":"last"})")}));
  testing::log_capture logs;
  auto a = make(config({{"retries", "2"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"error:HTTPError"})) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("answered 500"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(api_calls().size(), 3u);
  EXPECT_EQ(logs.count("API call failed, retrying"), 2u) << logs.text();
  EXPECT_EQ(logs.count("retries are spent"), 1u) << logs.text();

  // Rebound Selected Codes still applies after the retries.
  server.clear_requests();
  answer_with([](const recorded_request&) { return with_retry_after(503, "0"); });
  auto rebounding = make(config({{"retries", "1"}, {"errorTolerance", "reboundCodes"}}));
  auto rebound = run(*rebounding, {{"url", "/items"}, {"method", "GET"}, {"httpCodesToRebound", "503"}});
  ASSERT_EQ(outline(rebound), (outline_t{"rebound"})) << rebound.all_text();
  EXPECT_EQ(api_calls().size(), 2u);

  // And a tolerated status after the retries is emitted.
  server.clear_requests();
  auto tolerant = make(config({{"retries", "1"}, {"errorTolerance", "none"}}));
  auto emitted = run(*tolerant, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(emitted), (outline_t{"data:-"})) << emitted.all_text();
  EXPECT_EQ(emitted.of("data")[0].payload.at("body").at("statusCode").as_int64(), 503);
  EXPECT_EQ(api_calls().size(), 2u);
}

std::string http_date_in(std::chrono::seconds from_now) {
  const std::time_t at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + from_now);
  std::tm tm{};
  gmtime_r(&at, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

TEST_F(paging_test, a_retry_after_past_the_19_minute_ceiling_stops_at_once) {
  for (const std::string& value : {std::string("1200"), http_date_in(30min)}) {
    server.clear_requests();
    answer_with([value](const recorded_request&) { return with_retry_after(503, value); });
    testing::log_capture logs;
    auto a = make(config({{"retries", "5"}}));
    auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
    ASSERT_EQ(outline(sink), (outline_t{"error:HTTPError"})) << value << ": " << sink.all_text();
    EXPECT_EQ(api_calls().size(), 1u) << value;
    EXPECT_EQ(logs.count("19-minute"), 1u) << value << ": " << logs.text();
    EXPECT_EQ(logs.count("API call failed, retrying"), 0u) << logs.text();
  }
}

TEST_F(paging_test, the_401_renewal_is_not_one_of_the_retries) {
  // 401 (renewed, not counted), then 503 (the one retry), then 200.
  auto rejected = reply::json(401, R"({"error":"invalid_token"})");
  rejected.headers.push_back({"WWW-Authenticate", R"(Bearer error="invalid_token")"});
  answer_with(in_turn({rejected, with_retry_after(503, "0"), reply::json(200, R"({"ok":true})")}));
  auto a = make(config({{"retries", "1"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:-"})) << sink.all_text();
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(tokens.token_requests(), 2u) << "one token, one renewal";
  EXPECT_EQ(calls[1].header("Authorization"), "Bearer " + tokens.issued_tokens().at(1)) << "the retry uses the new token";
  EXPECT_EQ(calls[2].header("Authorization"), "Bearer " + tokens.issued_tokens().at(1));
}

TEST_F(paging_test, a_dropped_connection_is_retried_for_get_but_not_for_post) {
  // Half an answer, then a reset: the HTTP client's own retry of a dead pooled connection (before
  // any byte of the answer) does not apply, so a second request is the action's retry.
  reply broken{.action = reply::kind::partial_then_reset, .status = 200, .body = std::string(200, 'x')};
  answer_with(in_turn({broken, reply::json(200, R"({"ok":true})")}));
  auto a = make(config({{"retries", "1"}}));
  auto got = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(got), (outline_t{"data:-"})) << got.all_text();
  EXPECT_EQ(api_calls().size(), 2u);

  server.clear_requests();
  answer_with(in_turn({broken, reply::json(200, R"({"ok":true})")}));
  auto posted = run(*a, {{"url", "/items"}, {"method", "POST"}, {"body", {{"n", 1}}}});
  ASSERT_EQ(outline(posted), (outline_t{"error:RequestError"})) << posted.all_text();
  EXPECT_EQ(api_calls().size(), 1u) << "the POST may have reached the server";
}

TEST_F(paging_test, a_post_that_could_not_connect_is_retried) {
  // A port nothing listens on: bound, then closed.
  unsigned short closed_port = 0;
  {
    boost::asio::io_context scratch;
    boost::asio::ip::tcp::acceptor acceptor(scratch, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  testing::log_capture logs;
  auto a = make(config({{"retries", "1"}, {"baseUrl", "http://127.0.0.1:" + std::to_string(closed_port)}}));
  auto sink = run(*a, {{"url", "/orders"}, {"method", "POST"}, {"body", {{"n", 1}}}});
  ASSERT_EQ(outline(sink), (outline_t{"error:RequestError"})) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("could not connect"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(logs.count("API call failed, retrying"), 1u) << "nothing was sent, so a POST is retried: " << logs.text();
  EXPECT_EQ(logs.count("retries are spent"), 1u) << logs.text();
}

TEST_F(paging_test, a_post_whose_connection_timed_out_before_sending_is_retried) {
  // A listener that never accepts: TCP connects, the TLS handshake never completes, so the
  // request was never written (http::error::connect_timeout).
  boost::asio::io_context never_run;
  boost::asio::ip::tcp::acceptor silent(never_run, {boost::asio::ip::make_address("127.0.0.1"), 0});
  {
    testing::log_capture logs;
    auto a = make(config({{"retries", "1"},
                          {"requestTimeout", "0.3"},
                          {"baseUrl", "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port())}}));
    auto sink = run(*a, {{"url", "/orders"}, {"method", "POST"}, {"body", {{"n", 1}}}});
    ASSERT_EQ(outline(sink), (outline_t{"error:RequestError"})) << sink.all_text();
    EXPECT_NE(sink.of("error")[0].text.find("timed out"), std::string::npos) << sink.of("error")[0].text;
    EXPECT_EQ(logs.count("API call failed, retrying"), 1u) << logs.text();
  }

  // A POST that timed out waiting for the answer may have acted: not retried.
  answer_with([](const recorded_request&) { return reply{.action = reply::kind::hang}; });
  testing::log_capture hung_logs;
  auto b = make(config({{"retries", "1"}, {"requestTimeout", "0.3"}}));
  auto hung = run(*b, {{"url", "/orders"}, {"method", "POST"}, {"body", {{"n", 1}}}});
  ASSERT_EQ(outline(hung), (outline_t{"error:RequestError"})) << hung.all_text();
  EXPECT_EQ(api_calls().size(), 1u);
  EXPECT_EQ(hung_logs.count("API call failed, retrying"), 0u) << hung_logs.text();
}

// ---- pagination ----

reply page_reply(int n, std::vector<testing::server_header> headers = {}) {
  auto r = reply::json(200, R"({"items":[)" + std::to_string(n) + "]}");
  for (auto& h : headers) r.headers.push_back(std::move(h));
  return r;
}

int page_param(const recorded_request& r) {
  const auto q = r.query();
  const auto at = q.find("page=");
  return at == std::string::npos ? 1 : std::stoi(q.substr(at + 5));
}

std::vector<std::int64_t> items_of(const testing::recording_sink& sink) {
  std::vector<std::int64_t> out;
  for (const auto& e : sink.of("data")) out.push_back(e.payload.at("body").at("body").at("items").at(0).as_int64());
  return out;
}

TEST_F(paging_test, link_header_pages_with_absolute_and_relative_links) {
  answer_with([this](const recorded_request& r) {
    switch (page_param(r)) {
      case 1: return page_reply(1, {{"Link", "<" + server.base_url() + "/items?page=2>; rel=\"next\""}});
      case 2: return page_reply(2, {{"Link", R"(</items?page=1>; rel="prev", </items?page=3>; rel="next")"}});
      default: return page_reply(3, {{"Link", R"(</items?page=2>; rel="prev")"}});
    }
  });
  auto a = make(config({{"pagination", "linkHeader"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}, {"headers", {{"X-Trace", "t-1"}}}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2", "data:3"})) << sink.all_text();
  EXPECT_EQ(items_of(sink), (std::vector<std::int64_t>{1, 2, 3}));
  const auto first = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(first.at("statusCode").as_int64(), 200);
  EXPECT_TRUE(first.at("headers").as_object().contains("link")) << "the section-1 shape, plus page";
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].target, "/items");
  EXPECT_EQ(calls[1].target, "/items?page=2");
  EXPECT_EQ(calls[2].target, "/items?page=3");
  for (const auto& c : calls) {
    EXPECT_EQ(c.method, "GET");
    EXPECT_EQ(c.header("X-Trace"), "t-1") << "the same headers for every page";
    EXPECT_EQ(c.header("Authorization"), "Bearer " + tokens.issued_tokens().at(0));
  }
}

TEST_F(paging_test, body_pointer_pages_send_the_same_method_and_body) {
  answer_with([this](const recorded_request& r) {
    const int n = page_param(r);
    std::string next = n == 1   ? "\"" + server.base_url() + "/search?page=2\""
                       : n == 2 ? "\"?page=3\""  // relative to the page that answered
                                : "null";
    return reply::json(200, R"({"items":[)" + std::to_string(n) + R"(],"links":{"next":)" + next + "}}");
  });
  auto a = make(config({{"pagination", "bodyPointer"}, {"nextPagePointer", "/links/next"}}));
  auto sink = run(*a, {{"url", "/search"}, {"method", "POST"}, {"body", {{"q", "anvil"}}}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2", "data:3"})) << sink.all_text();
  EXPECT_EQ(items_of(sink), (std::vector<std::int64_t>{1, 2, 3}));
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].target, "/search?page=3");
  for (const auto& c : calls) {
    EXPECT_EQ(c.method, "POST");
    EXPECT_EQ(c.body, R"({"q":"anvil"})");
  }
}

TEST_F(paging_test, body_pointer_stops_at_a_missing_or_empty_link_and_errs_on_a_non_string) {
  for (const char* last : {R"({"items":[2]})", R"({"items":[2],"links":{"next":""}})", R"({"items":[2],"links":{"next":"  "}})"}) {
    server.clear_requests();
    answer_with([this, last](const recorded_request& r) {
      if (page_param(r) == 1)
        return reply::json(200, R"({"items":[1],"links":{"next":")" + server.base_url() + R"(/s?page=2"}})");
      return reply::json(200, last);
    });
    auto a = make(config({{"pagination", "bodyPointer"}, {"nextPagePointer", "/links/next"}}));
    auto sink = run(*a, {{"url", "/s"}, {"method", "GET"}});
    ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2"})) << last << ": " << sink.all_text();
    EXPECT_EQ(api_calls().size(), 2u) << last;
  }
  answer_with([](const recorded_request&) { return reply::json(200, R"({"items":[1],"links":{"next":42}})"); });
  auto a = make(config({{"pagination", "bodyPointer"}, {"nextPagePointer", "/links/next"}}));
  auto sink = run(*a, {{"url", "/s"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "error:PaginationError"})) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("/links/next selects 42"), std::string::npos) << sink.of("error")[0].text;
}

TEST_F(paging_test, a_link_back_to_a_fetched_page_stops_the_pages) {
  answer_with([this](const recorded_request& r) {
    if (page_param(r) == 1) return page_reply(1, {{"Link", R"(</items?page=2>; rel=next)"}});
    // Back to the first page, spelled differently (normalized, it is the same URL).
    return page_reply(2, {{"Link", "<HTTP://127.0.0.1:" + std::to_string(server.port()) + "/./items>; rel=next"}});
  });
  auto a = make(config({{"pagination", "linkHeader"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2"})) << sink.all_text();
  EXPECT_EQ(api_calls().size(), 2u);
}

TEST_F(paging_test, max_pages_stops_with_a_warning_naming_the_next_url) {
  answer_with([](const recorded_request& r) {
    const int n = page_param(r);
    return page_reply(n, {{"Link", "</items?page=" + std::to_string(n + 1) + ">; rel=next"}});
  });
  testing::log_capture logs;
  auto a = make(config({{"pagination", "linkHeader"}, {"maxPages", "3"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2", "data:3"})) << sink.all_text();
  EXPECT_EQ(api_calls().size(), 3u);
  EXPECT_EQ(logs.count("pagination stops at maxPages"), 1u) << logs.text();
  EXPECT_NE(logs.text().find(server.base_url() + "/items?page=4"), std::string::npos) << logs.text();
  EXPECT_NE(logs.text().find(R"("level":40)"), std::string::npos) << "a warning: " << logs.text();
}

TEST_F(paging_test, a_page_on_another_origin_gets_no_token) {
  http_server other([](const recorded_request&) { return reply::text(500, "not yet"); });
  // Page 1 here, page 2 on the other server (another port: another origin), page 3 on the other
  // server too (its relative link), then a link back here for page 4.
  other.set_handler([this](const recorded_request& r) {
    if (page_param(r) == 2) return page_reply(2, {{"Link", "</elsewhere?page=3>; rel=next"}});
    return page_reply(3, {{"Link", "<" + server.base_url() + "/items?page=4>; rel=next"}});
  });
  answer_with([&other](const recorded_request& r) {
    if (page_param(r) == 1) return page_reply(1, {{"Link", "<" + other.base_url() + "/elsewhere?page=2>; rel=next"}});
    return page_reply(4);
  });
  auto a = make(config({{"pagination", "linkHeader"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}, {"headers", {{"X-Trace", "t-2"}}}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2", "data:3", "data:4"})) << sink.all_text();
  ASSERT_EQ(other.request_count(), 2u);
  for (const auto& r : other.requests()) {
    EXPECT_FALSE(r.has_header("Authorization")) << r.target;
    EXPECT_EQ(r.header("X-Trace"), "t-2") << "the user's headers still go";
  }
  const auto here = api_calls();
  ASSERT_EQ(here.size(), 2u);
  for (const auto& r : here) EXPECT_EQ(r.header("Authorization"), "Bearer " + tokens.issued_tokens().at(0)) << r.target;
}

TEST_F(paging_test, an_error_on_page_2_follows_the_data_of_page_1) {
  answer_with([](const recorded_request& r) {
    if (page_param(r) == 1) return page_reply(1, {{"Link", "</items?page=2>; rel=next"}});
    return reply::json(500, R"({"error":"page two broke"})");
  });
  auto a = make(config({{"pagination", "linkHeader"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "error:HTTPError"})) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("/items?page=2 answered 500"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(items_of(sink), (std::vector<std::int64_t>{1}));
}

TEST_F(paging_test, retries_apply_to_each_page) {
  auto page2_calls = std::make_shared<std::atomic<int>>(0);
  answer_with([page2_calls](const recorded_request& r) {
    if (page_param(r) == 1) return page_reply(1, {{"Link", "</items?page=2>; rel=next"}});
    if (page2_calls->fetch_add(1) == 0) return with_retry_after(503, "0");
    return page_reply(2);
  });
  auto a = make(config({{"pagination", "linkHeader"}, {"retries", "1"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "data:2"})) << sink.all_text();
  EXPECT_EQ(api_calls().size(), 3u);
}

TEST_F(paging_test, an_unusable_next_link_is_an_error_after_the_page) {
  answer_with([](const recorded_request&) { return page_reply(1, {{"Link", "<ftp://files.example/p2>; rel=next"}}); });
  auto a = make(config({{"pagination", "linkHeader"}}));
  auto sink = run(*a, {{"url", "/items"}, {"method", "GET"}});
  ASSERT_EQ(outline(sink), (outline_t{"data:1", "error:PaginationError"})) << sink.all_text();
  EXPECT_NE(sink.of("error")[0].text.find("ftp://files.example/p2"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_EQ(api_calls().size(), 1u);
}

}  // namespace
}  // namespace oauth2_rest
