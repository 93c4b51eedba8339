// The HTTP client against real loopback servers (plain and TLS): pooling, limits, timeouts, redirects, TLS checks.
#include "http/http_client.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <thread>

namespace {

namespace asio = boost::asio;
using namespace oauth2_rest;
using namespace oauth2_rest::testing;
using http::error;
using verb = boost::beast::http::verb;
using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::milliseconds;

// Runs one request to completion on `io` (the client's executor).
result<http::response> run(asio::io_context& io, http::client& client, http::request req,
                           http::request_options options = {}) {
  std::optional<result<http::response>> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await client.send(std::move(req), options)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.restart();
  io.run();
  if (!out) return failure{make_error_code(error::protocol_error), "send never completed"};
  return std::move(*out);
}

http::request get(std::string url, std::vector<http::header> headers = {}) {
  return http::request{verb::get, std::move(url), std::move(headers), {}};
}

std::shared_ptr<asio::ssl::context> trusting(const test_ca& ca) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->add_certificate_authority(asio::buffer(ca.certificate_pem()));
  return context;
}

reply ok_text(std::string body = "ok") { return reply::text(200, std::move(body)); }

class http_client_test : public ::testing::Test {
 protected:
  asio::io_context io_;
};

TEST_F(http_client_test, get_and_post_round_trip_headers_and_body) {
  http_server server([](const recorded_request& r) {
    auto rep = reply::json(201, R"({"seen":")" + r.method + "\"}");
    rep.headers.push_back({"X-Reply", "yes"});
    return rep;
  });
  http::client client(io_.get_executor());

  auto got = run(io_, client, get(server.base_url() + "/items?q=1", {{"X-Trace", "abc"}}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 201u);
  EXPECT_EQ(got->reason, "Created");
  EXPECT_EQ(got->body, R"({"seen":"GET"})");
  EXPECT_EQ(http::find_header(got->headers, "x-reply").value_or(""), "yes");
  EXPECT_EQ(http::find_header(got->headers, "content-type").value_or(""), "application/json");

  http::request post{verb::post, server.base_url() + "/items", {{"Content-Type", "application/json"}}, R"({"a":1})"};
  auto posted = run(io_, client, post);
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->body, R"({"seen":"POST"})");

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/items?q=1");
  EXPECT_EQ(seen[0].path(), "/items");
  EXPECT_EQ(seen[0].query(), "q=1");
  EXPECT_EQ(seen[0].header("x-trace"), "abc");
  EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].header("User-Agent"), "oauth2-rest/0.1");
  EXPECT_TRUE(seen[0].body.empty());
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].body, R"({"a":1})");
  EXPECT_EQ(seen[1].header("Content-Length"), "7");
  EXPECT_EQ(seen[1].header("Content-Type"), "application/json");
}

TEST_F(http_client_test, empty_post_sends_content_length_zero) {
  http_server server([](const recorded_request&) { return ok_text(); });
  http::client client(io_.get_executor());
  auto got = run(io_, client, http::request{verb::post, server.base_url() + "/x", {}, {}});
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].header("Content-Length"), "0");
}

TEST_F(http_client_test, keep_alive_connection_is_reused) {
  http_server server([](const recorded_request&) { return ok_text(); });
  http::client client(io_.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto got = run(io_, client, get(server.base_url() + "/n/" + std::to_string(i)));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->body, "ok");
  }
  EXPECT_EQ(server.connection_count(), 1u);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().requests_sent, 3u);
  for (const auto& r : server.requests()) EXPECT_EQ(r.connection_id, 1u);
}

TEST_F(http_client_test, close_idle_forces_a_new_connection) {
  http_server server([](const recorded_request&) { return ok_text(); });
  http::client client(io_.get_executor());
  ASSERT_TRUE(run(io_, client, get(server.base_url() + "/a")));
  client.close_idle();
  ASSERT_TRUE(run(io_, client, get(server.base_url() + "/b")));
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(server.connection_count(), 2u);
}

TEST_F(http_client_test, connection_close_reply_is_not_reused) {
  http_server server([](const recorded_request&) {
    auto r = ok_text();
    r.close_after = true;
    return r;
  });
  http::client client(io_.get_executor());
  for (int i = 0; i < 2; ++i) {
    auto got = run(io_, client, get(server.base_url() + "/x"));
    ASSERT_TRUE(got) << got.error().message;
  }
  EXPECT_EQ(server.connection_count(), 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST_F(http_client_test, pooled_connection_dropped_by_server_is_replaced) {
  // The server closes after answering without announcing it: the pooled
  // connection is dead, and the next request must still succeed.
  http_server server([](const recorded_request&) {
    auto r = ok_text();
    r.drop_after = true;
    return r;
  });
  http::client client(io_.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto got = run(io_, client, get(server.base_url() + "/x"));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->body, "ok");
  }
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(server.connection_count(), 3u);
  EXPECT_EQ(client.stats().connections_opened, 3u);
}

TEST_F(http_client_test, closed_idle_connection_is_detected_before_reuse) {
  // A POST is never retried, so it only succeeds if the client notices that
  // the pooled connection was closed before it writes on it.
  http_server server([](const recorded_request&) {
    auto r = ok_text();
    r.drop_after = true;
    return r;
  });
  http::client client(io_.get_executor());
  ASSERT_TRUE(run(io_, client, http::request{verb::post, server.base_url() + "/a", {}, "1"}));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.open_connection_count() != 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(milliseconds(1));
  ASSERT_EQ(server.open_connection_count(), 0u);
  auto got = run(io_, client, http::request{verb::post, server.base_url() + "/b", {}, "2"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().requests_sent, 2u);
}

TEST_F(http_client_test, idempotent_request_retried_once_when_reused_connection_dies) {
  // Request 2 arrives on the pooled connection, which the server then closes
  // without a byte of response: a GET is retried on a new connection.
  http_server server([](const recorded_request& r) {
    if (r.path() == "/die" && r.connection_id == 1) return reply{reply::kind::close};
    return ok_text(r.path());
  });
  http::client client(io_.get_executor());
  ASSERT_TRUE(run(io_, client, get(server.base_url() + "/first")));
  auto got = run(io_, client, get(server.base_url() + "/die"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "/die");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].connection_id, 1u);
  EXPECT_EQ(seen[2].connection_id, 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().requests_sent, 3u);
}

TEST_F(http_client_test, post_is_not_retried_when_reused_connection_dies) {
  http_server server([](const recorded_request& r) {
    if (r.method == "POST") return reply{reply::kind::close};
    return ok_text();
  });
  http::client client(io_.get_executor());
  ASSERT_TRUE(run(io_, client, get(server.base_url() + "/first")));
  auto got = run(io_, client, http::request{verb::post, server.base_url() + "/pay", {}, "once"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connection_closed);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(http_client_test, chunked_response_is_decoded) {
  std::string big(10'000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  http_server server([&](const recorded_request&) {
    auto r = ok_text(big);
    r.chunked = true;
    return r;
  });
  http::client client(io_.get_executor());
  auto got = run(io_, client, get(server.base_url() + "/chunked"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(http::find_header(got->headers, "Transfer-Encoding").value_or(""), "chunked");
  EXPECT_EQ(got->body, big);
  // The connection stays usable after a chunked body.
  ASSERT_TRUE(run(io_, client, get(server.base_url() + "/again")));
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

TEST_F(http_client_test, body_over_limit_fails_and_larger_limit_passes) {
  http_server server([](const recorded_request& r) {
    auto rep = ok_text(std::string(1000, 'b'));
    rep.chunked = r.path() == "/chunked";
    return rep;
  });
  http::client client(io_.get_executor());
  http::request_options small;
  small.max_response_body = 100;
  for (const char* path : {"/plain", "/chunked"}) {
    auto got = run(io_, client, get(server.base_url() + path), small);
    ASSERT_FALSE(got) << path;
    EXPECT_EQ(got.error().code, error::body_too_large) << got.error().message;
    EXPECT_THAT(got.error().message, HasSubstr("100 bytes"));
  }
  http::request_options large;
  large.max_response_body = 1000;
  auto got = run(io_, client, get(server.base_url() + "/plain"), large);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body.size(), 1000u);
}

TEST_F(http_client_test, oversized_response_header_fails) {
  http_server server([](const recorded_request&) {
    auto r = ok_text();
    r.headers.push_back({"X-Huge", std::string(4000, 'h')});
    return r;
  });
  http::client_config config;
  config.max_header_bytes = 1024;
  http::client client(io_.get_executor(), config);
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::header_too_large);
}

TEST_F(http_client_test, hanging_server_times_out_within_the_deadline) {
  http_server server([](const recorded_request&) { return reply{reply::kind::hang}; });
  http::client client(io_.get_executor());
  http::request_options options;
  options.timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto got = run(io_, client,
                 get("http://user:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/slow",
                     {{"Authorization", "Bearer s3cret-token"}}),
                 options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::timeout);
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_EQ(got.error().message,
            "GET http://127.0.0.1:" + std::to_string(server.port()) + "/slow: timed out after 300 ms");
  EXPECT_THAT(got.error().message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(got.error().message, Not(HasSubstr("hunter2")));
}

TEST_F(http_client_test, delayed_reply_within_the_deadline_succeeds) {
  http_server server([](const recorded_request&) {
    auto r = ok_text("late");
    r.delay = milliseconds(100);
    return r;
  });
  http::client client(io_.get_executor());
  http::request_options options;
  options.timeout = milliseconds(2000);
  auto got = run(io_, client, get(server.base_url() + "/"), options);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "late");
}

TEST_F(http_client_test, unbounded_timeout_does_not_overflow) {
  http_server server([](const recorded_request&) { return ok_text(); });
  http::client client(io_.get_executor());
  http::request_options options;
  options.timeout = milliseconds::max();
  auto got = run(io_, client, get(server.base_url() + "/"), options);
  ASSERT_TRUE(got) << got.error().message;
}

TEST_F(http_client_test, reset_mid_body_is_an_error) {
  http_server server([](const recorded_request&) {
    reply r = ok_text(std::string(100'000, 'z'));
    r.action = reply::kind::partial_then_reset;
    return r;
  });
  http::client client(io_.get_executor());
  auto got = run(io_, client, get(server.base_url() + "/partial"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connection_closed) << got.error().message;
  EXPECT_THAT(got.error().message, HasSubstr("GET " + server.base_url() + "/partial: "));
}

TEST_F(http_client_test, reset_without_answer_is_an_error) {
  http_server server([](const recorded_request&) { return reply{reply::kind::reset}; });
  http::client client(io_.get_executor());
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connection_closed) << got.error().message;
  // A fresh connection is not retried: only a reused one might be stale.
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(http_client_test, refused_connection_is_connect_failed) {
  unsigned short port = 0;
  {
    // A port that was free a moment ago and has no listener now.
    asio::ip::tcp::acceptor probe(io_, {asio::ip::address_v4::loopback(), 0});
    port = probe.local_endpoint().port();
  }
  http::client client(io_.get_executor());
  auto got = run(io_, client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connect_failed);
  EXPECT_THAT(got.error().message, HasSubstr("GET http://127.0.0.1:" + std::to_string(port) + "/: could not connect"));
}

// A listener that never accepts: the kernel completes the TCP handshake, the TLS handshake then
// gets no answer. The deadline passes before the request could be written: connect_timeout, which
// tells a caller that even a POST is safe to send again (error::timeout says it may have arrived).
TEST_F(http_client_test, silent_tls_handshake_is_connect_timeout) {
  asio::io_context never_run;
  asio::ip::tcp::acceptor silent(never_run, {asio::ip::address_v4::loopback(), 0});
  const auto port = silent.local_endpoint().port();
  http::client client(io_.get_executor());
  http::request_options options;
  options.timeout = milliseconds(300);
  http::request post{verb::post, "https://127.0.0.1:" + std::to_string(port) + "/orders", {}, "{}"};
  auto got = run(io_, client, post, options);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connect_timeout) << got.error().message;
  EXPECT_EQ(got.error().message, "POST https://127.0.0.1:" + std::to_string(port) + "/orders: timed out after 300 ms");
}

TEST_F(http_client_test, unresolvable_host_is_resolve_failed) {
  http::client client(io_.get_executor());
  http::request_options options;
  options.timeout = std::chrono::seconds(10);
  auto got = run(io_, client, get("http://no-such-host.invalid/"), options);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::resolve_failed) << got.error().message;
}

TEST_F(http_client_test, non_http_url_is_bad_url) {
  http::client client(io_.get_executor());
  for (const char* url : {"ftp://example.com/x", "/relative/only", "http:///nohost"}) {
    auto got = run(io_, client, get(url));
    ASSERT_FALSE(got) << url;
    EXPECT_EQ(got.error().code, error::bad_url) << url;
  }
}

TEST_F(http_client_test, same_origin_redirect_keeps_authorization) {
  http_server server([](const recorded_request& r) {
    if (r.path() == "/start") {
      reply rep = reply::text(302, "moved");
      rep.headers.push_back({"Location", "final?x=1"});  // relative to /start
      return rep;
    }
    return ok_text("arrived");
  });
  http::client client(io_.get_executor());
  auto got = run(io_, client, get(server.base_url() + "/start", {{"Authorization", "Bearer abc"}}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 200u);
  EXPECT_EQ(got->body, "arrived");
  EXPECT_EQ(got->url, server.base_url() + "/final?x=1");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].target, "/final?x=1");
  EXPECT_EQ(seen[1].header("Authorization"), "Bearer abc");
}

TEST_F(http_client_test, cross_origin_redirect_drops_authorization) {
  http_server other([](const recorded_request&) { return ok_text("other"); });
  http_server server([&](const recorded_request&) {
    reply rep = reply::text(301, "moved");
    rep.headers.push_back({"Location", other.base_url() + "/landing"});
    return rep;
  });
  http::client client(io_.get_executor());
  auto got = run(io_, client,
                 get(server.base_url() + "/start", {{"Authorization", "Bearer abc"}, {"X-Keep", "1"}}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "other");
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].header("Authorization"), "Bearer abc");
  ASSERT_EQ(other.request_count(), 1u);
  const auto landed = other.requests()[0];
  EXPECT_FALSE(landed.has_header("Authorization"));
  EXPECT_EQ(landed.header("X-Keep"), "1");
  EXPECT_EQ(landed.header("Host"), "127.0.0.1:" + std::to_string(other.port()));
}

TEST_F(http_client_test, post_redirect_is_returned_not_followed) {
  http_server server([](const recorded_request&) {
    reply rep = reply::text(302, "moved");
    rep.headers.push_back({"Location", "/elsewhere"});
    return rep;
  });
  http::client client(io_.get_executor());
  auto got = run(io_, client, http::request{verb::post, server.base_url() + "/form", {}, "a=1"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 302u);
  EXPECT_EQ(http::find_header(got->headers, "location").value_or(""), "/elsewhere");
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(http_client_test, redirects_not_followed_when_disabled) {
  http_server server([](const recorded_request&) {
    reply rep = reply::text(307, "moved");
    rep.headers.push_back({"Location", "/elsewhere"});
    return rep;
  });
  http::client client(io_.get_executor());
  http::request_options options;
  options.follow_redirects = false;
  auto got = run(io_, client, get(server.base_url() + "/x"), options);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 307u);
}

TEST_F(http_client_test, redirect_loop_stops_at_the_limit) {
  http_server server([](const recorded_request& r) {
    reply rep = reply::text(302, "again");
    rep.headers.push_back({"Location", r.path() + "x"});
    return rep;
  });
  http::client client(io_.get_executor());
  http::request_options options;
  options.max_redirects = 3;
  auto got = run(io_, client, get(server.base_url() + "/loop"), options);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::too_many_redirects);
  EXPECT_THAT(got.error().message, HasSubstr("more than 3 redirects"));
  EXPECT_EQ(server.request_count(), 4u);  // the original and 3 followed hops
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

TEST_F(http_client_test, head_has_no_body_and_keeps_the_connection_usable) {
  http_server server([](const recorded_request&) { return ok_text("hello"); });
  http::client client(io_.get_executor());
  auto head = run(io_, client, http::request{verb::head, server.base_url() + "/", {}, {}});
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->status, 200u);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(http::find_header(head->headers, "Content-Length").value_or(""), "5");
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "hello");
  EXPECT_EQ(server.connection_count(), 1u);
}

TEST_F(http_client_test, destroying_the_client_mid_request_is_safe) {
  http_server server([](const recorded_request&) { return reply{reply::kind::hang}; });
  auto client = std::make_unique<http::client>(io_.get_executor());
  std::optional<result<http::response>> out;
  asio::co_spawn(
      io_,
      [&, c = client.get()]() -> asio::awaitable<void> { out.emplace(co_await c->send(get(server.base_url() + "/"))); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  // Run until the server holds the request, then destroy the client under it.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.request_count() == 0 && std::chrono::steady_clock::now() < give_up) io_.run_for(milliseconds(5));
  ASSERT_EQ(server.request_count(), 1u);
  client.reset();
  io_.run_for(std::chrono::seconds(2));
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, error::connection_closed);
}

class http_client_tls_test : public http_client_test {
 protected:
  test_ca ca_;
};

TEST_F(http_client_tls_test, trusted_certificate_works_and_is_reused) {
  http_server server([](const recorded_request&) { return ok_text("secure"); }, ca_.issue());
  http::client client(io_.get_executor(), trusting(ca_));
  for (int i = 0; i < 2; ++i) {
    auto got = run(io_, client, get(server.base_url() + "/s"));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->body, "secure");
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(server.requests()[0].header("Host"), "localhost:" + std::to_string(server.port()));
}

TEST_F(http_client_tls_test, ip_address_url_is_checked_against_ip_san) {
  http_server server([](const recorded_request&) { return ok_text(); }, ca_.issue());
  http::client client(io_.get_executor(), trusting(ca_));
  auto got = run(io_, client, get("https://127.0.0.1:" + std::to_string(server.port()) + "/"));
  ASSERT_TRUE(got) << got.error().message;

  http_server dns_only([](const recorded_request&) { return ok_text(); },
                       ca_.issue({.dns_names = {"localhost"}, .ip_addresses = {}}));
  auto refused = run(io_, client, get("https://127.0.0.1:" + std::to_string(dns_only.port()) + "/"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, error::tls_handshake_failed);
}

TEST_F(http_client_tls_test, wrong_host_name_is_refused) {
  http_server server([](const recorded_request&) { return ok_text(); },
                     ca_.issue({.dns_names = {"other.example"}, .ip_addresses = {}}));
  http::client client(io_.get_executor(), trusting(ca_));
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::tls_handshake_failed);
  EXPECT_THAT(got.error().message, HasSubstr("hostname mismatch"));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(http_client_tls_test, self_signed_certificate_is_refused) {
  http_server server([](const recorded_request&) { return ok_text(); }, test_ca::self_signed());
  http::client client(io_.get_executor(), trusting(ca_));
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::tls_handshake_failed);
  EXPECT_THAT(got.error().message, HasSubstr("self-signed"));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(http_client_tls_test, expired_certificate_is_refused) {
  http_server server([](const recorded_request&) { return ok_text(); }, ca_.issue({.expired = true}));
  http::client client(io_.get_executor(), trusting(ca_));
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::tls_handshake_failed);
  EXPECT_THAT(got.error().message, HasSubstr("expired"));
}

TEST_F(http_client_tls_test, default_context_honours_ssl_cert_file) {
  http_server server([](const recorded_request&) { return ok_text("trusted"); }, ca_.issue());
  temp_dir dir;
  const auto ca_file = ca_.write_certificate(dir.path());

  // Control: without the variable our CA is unknown, so the request must fail.
  {
    http::client untrusting(io_.get_executor());
    auto got = run(io_, untrusting, get(server.base_url() + "/"));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, error::tls_handshake_failed);
  }

  ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  auto context = http::make_default_tls_context();
  http::client via_constructor(io_.get_executor());
  ::unsetenv("SSL_CERT_FILE");

  http::client client(io_.get_executor(), context);
  auto got = run(io_, client, get(server.base_url() + "/"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "trusted");
  auto again = run(io_, via_constructor, get(server.base_url() + "/"));
  ASSERT_TRUE(again) << again.error().message;
}

TEST(http_url, without_credentials) {
  EXPECT_EQ(http::url_without_credentials("https://u:p@h/x"), "https://h/x");
  EXPECT_EQ(http::url_without_credentials("https://u@h:8443/x?y=1"), "https://h:8443/x?y=1");
  EXPECT_EQ(http::url_without_credentials("http://h/a@b"), "http://h/a@b");
  EXPECT_EQ(http::url_without_credentials("https://h"), "https://h");
  EXPECT_EQ(http::url_without_credentials("not a url"), "not a url");
}

TEST(http_header, find_is_case_insensitive_and_first_wins) {
  std::vector<http::header> headers{{"Content-Type", "a"}, {"content-type", "b"}};
  EXPECT_EQ(http::find_header(headers, "CONTENT-TYPE").value_or(""), "a");
  EXPECT_FALSE(http::find_header(headers, "Accept").has_value());
}

TEST(http_error, codes_have_readable_messages) {
  const boost::system::error_code ec = error::body_too_large;
  EXPECT_EQ(ec.category().name(), std::string("oauth2_rest.http"));
  EXPECT_EQ(ec.message(), "response body too large");
}

}  // namespace
