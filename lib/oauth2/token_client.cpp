// Token acquisition: cache, single flight, retries with backoff.
#include "oauth2/token_client.hpp"

#include "http/content_coding.hpp"
#include "oauth2/client_assertion.hpp"
#include "util/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <random>

namespace oauth2_rest::oauth2 {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// The ceiling of our own exponential backoff (100 ms, 200 ms, ... 5 s). A Retry-After longer than
// this is still honoured, as the server asked (RFC 9110 10.2.3), as long as it fits in the request
// timeout; one that does not ends the attempt at once (see fetch()).
constexpr auto max_backoff = 5s;
constexpr std::size_t max_token_response = 1024 * 1024;

bool retryable_status(unsigned status) {
  return status >= 500 || status == 408 || status == 425 || status == 429;
}

bool retryable_transport(const boost::system::error_code& ec) {
  // A bad URL, a certificate that does not verify or a proxy that refuses will not heal by retrying.
  return ec != http::error::bad_url && ec != http::error::tls_handshake_failed && ec != http::error::proxy_refused &&
         ec != http::error::body_too_large && ec != http::error::header_too_large;
}

// RFC 9110 10.2.3: delay-seconds, or an IMF-fixdate such as "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::milliseconds> retry_after(const http::response& r) {
  auto v = http::find_header(r.headers, "Retry-After");
  if (!v) return std::nullopt;
  std::string_view text = *v;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  long long seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc{} && end == text.data() + text.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(std::min<long long>(seconds, 365LL * 24 * 3600));
  }
  std::tm tm{};
  std::string date(text);
  if (strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::system_clock::now());
  return std::max(wait, std::chrono::milliseconds(0));
}

// The pause before the next attempt: the larger of the server's hint and our own backoff. A hint
// is a floor, never a licence to go faster: "Retry-After: 0" or a date already past would
// otherwise make back-to-back requests until the timeout (over 10,000 in 2 s on loopback).
std::chrono::milliseconds backoff(int attempt, std::optional<std::chrono::milliseconds> hint) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto base = std::chrono::milliseconds(100) * (1 << std::min(attempt, 6));
  base = std::min<std::chrono::milliseconds>(base, max_backoff);
  std::uniform_int_distribution<long long> jitter(0, base.count() / 5);
  const auto own = base + std::chrono::milliseconds(jitter(rng));
  return hint ? std::max(*hint, own) : own;
}

// Every occurrence of each secret (as sent, form-encoded, and JSON-escaped) replaced by [REDACTED].
std::string redacted(std::string text, const std::vector<std::string_view>& secrets) {
  for (auto secret : secrets) {
    if (secret.empty()) continue;
    std::string escaped = boost::json::serialize(boost::json::value(secret));
    escaped = escaped.substr(1, escaped.size() - 2);
    for (const std::string& form : {std::string(secret), form_encode(secret), escaped}) {
      for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at)) {
        text.replace(at, form.size(), "[REDACTED]");
        at += 10;
      }
    }
  }
  return text;
}

std::string describe_answer(const http::response& r, const token_error_details& d,
                            const std::vector<std::string_view>& secrets) {
  std::string text = std::to_string(r.status);
  if (!r.reason.empty()) text += " " + r.reason;
  // The body itself is never quoted: in body authentication mode a careless
  // server may echo the request, and with it the client secret. The error
  // description is the server's text too, so what we sent is taken out of it.
  if (!d.error.empty()) {
    text += ": " + d.error;
    if (!d.error_description.empty()) text += " (" + d.error_description + ")";
  }
  return redacted(std::move(text), secrets);
}

// The client assertion for one token request (a new jti each time), or "" when the method has none.
result<std::string> assertion_for(const client_credentials& c) {
  const assertion_subject subject{c.client_id, c.token_url, c.key_id, std::chrono::system_clock::now()};
  if (c.auth == client_auth::client_secret_jwt) return make_secret_assertion(c.client_secret, subject);
  if (c.auth == client_auth::private_key_jwt) {
    if (!c.keys) {
      return failure{make_error_code(input_error::bad_credential_field), "privateKey is required for private_key_jwt"};
    }
    return make_private_key_assertion(*c.keys, subject);
  }
  return std::string();
}

}  // namespace

struct token_client::flight {
  explicit flight(asio::any_io_executor ex) : done(ex, asio::steady_timer::time_point::max()) {}
  // Followers wait on this timer; the leader cancels it when the outcome is set.
  asio::steady_timer done;
  std::optional<result<std::shared_ptr<const token>>> outcome;
};

token_client::token_client(http::client& http, client_credentials credentials,
                           std::optional<token> initial, std::shared_ptr<token_store> store)
    : http_(http), credentials_(std::move(credentials)), store_(std::move(store)) {
  if (initial && !initial->access_token.empty()) {
    current_ = std::make_shared<const token>(std::move(*initial));
  }
  std::string_view url = credentials_.token_url;
  if (url.size() >= 7 && std::equal(url.begin(), url.begin() + 7, "http://",
                                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
    log::warn("the token URL uses plain http: the client credentials cross the network unencrypted",
              {{"tokenUrl", http::url_without_credentials(url)}});
  }
}

// The token is known and has not reached its expiry time. A plain function, not an expression
// inside the coroutine: GCC 12 at -O1 with -fsanitize=address evaluated the inline condition
// wrongly after the co_await (the fallback below was skipped; spec/component token_client_test
// failed_renewal_keeps_using_a_token_that_has_not_expired_yet failed only in that build).
static bool not_expired(const token* t, clock::time_point now) {
  return t != nullptr && t->expires_at.has_value() && now < *t->expires_at;
}

token_client::~token_client() {
  if (flight_) flight_->done.cancel();
}

asio::awaitable<result<acquired_token>> token_client::get(std::chrono::milliseconds timeout) {
  if (current_ && is_fresh(*current_, clock::now())) co_return acquired_token{current_, false};
  auto renewed = co_await join_or_lead(timeout, nullptr);
  if (!renewed.has_value() && not_expired(current_.get(), clock::now())) {
    // Renewal starts before expiry on purpose; while the token endpoint is failing,
    // the current token is still good until it actually expires.
    log::warn("could not renew the access token; using the current one until it expires",
              {{"reason", renewed.error().message}});
    co_return acquired_token{current_, false};
  }
  co_return renewed;
}

asio::awaitable<result<acquired_token>> token_client::refresh(std::shared_ptr<const token> rejected,
                                                              std::chrono::milliseconds timeout) {
  if (current_ && current_ != rejected && is_fresh(*current_, clock::now())) {
    co_return acquired_token{current_, false};
  }
  co_return co_await join_or_lead(timeout, rejected);
}

asio::awaitable<result<acquired_token>> token_client::join_or_lead(std::chrono::milliseconds timeout,
                                                                   const std::shared_ptr<const token>& rejected) {
  if (flight_) {
    auto f = flight_;
    co_await f->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!f->outcome) {
      co_return failure{make_error_code(boost::system::errc::operation_canceled),
                        "token request was cancelled"};
    }
    if (!*f->outcome) co_return f->outcome->error();
    co_return acquired_token{f->outcome->value(), false};
  }
  auto f = std::make_shared<flight>(co_await asio::this_coro::executor);
  flight_ = f;
  if (store_) {
    // Another holder of the credential may have renewed it already (replicas of one step).
    auto stored = co_await store_->load();
    if (stored && is_fresh(*stored, clock::now()) && !(rejected && rejected->access_token == stored->access_token) &&
        !(current_ && current_->access_token == stored->access_token)) {
      log::info("using the access token another holder of the credential saved", {{"tokenUrl", http::url_without_credentials(credentials_.token_url)}});
      current_ = std::make_shared<const token>(std::move(*stored));
      f->outcome = result<std::shared_ptr<const token>>(current_);
      flight_.reset();
      f->done.cancel();
      co_return acquired_token{current_, false};
    }
  }
  auto fetched = co_await fetch(timeout);
  if (fetched) current_ = fetched.value();
  f->outcome = fetched;
  flight_.reset();
  f->done.cancel();
  if (!fetched) co_return std::move(fetched).error();
  co_return acquired_token{fetched.value(), true};
}

asio::awaitable<result<std::shared_ptr<const token>>> token_client::fetch(
    std::chrono::milliseconds timeout) {
  using steady = std::chrono::steady_clock;
  const auto deadline = steady::now() + timeout;
  const std::string where = "token request to " + http::url_without_credentials(credentials_.token_url);

  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::string last_problem = "no attempt fitted in the request timeout";
  int attempt = 0;
  int made = 0;
  for (;; ++attempt) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (remaining <= 0ms) break;
    http::request_options options;
    options.timeout = remaining;
    options.follow_redirects = false;
    options.max_response_body = max_token_response;
    // Built for every attempt: a client assertion is good for one request only (its jti must not
    // repeat, RFC 7523 3), and a server may have recorded it even when it answered 5xx.
    auto assertion = assertion_for(credentials_);
    if (!assertion) co_return failure{assertion.error().code, where + " failed: " + assertion.error().message};
    auto parts = build_token_request(credentials_, *assertion);
    http::request request;
    request.method = boost::beast::http::verb::post;
    request.url = credentials_.token_url;
    for (auto& [name, value] : parts.headers) request.headers.push_back({name, value});
    http::add_default_accept_encoding(request.headers);  // as the API requests (SPEC 3)
    request.body = std::move(parts.body);
    const std::vector<std::string_view> sent_secrets{credentials_.client_secret, *assertion};

    const auto sent_at = clock::now();
    ++requests_sent_;
    ++made;
    auto answer = co_await http_.send(request, options);

    std::optional<std::chrono::milliseconds> hint;
    if (!answer) {
      last_problem = answer.error().message;
      if (!retryable_transport(answer.error().code)) {
        co_return failure{answer.error().code, where + " failed: " + last_problem};
      }
      log::warn("token request failed, will retry", {{"attempt", attempt + 1}, {"reason", last_problem}});
    } else if (answer->status >= 200 && answer->status < 300) {
      if (auto decoded = http::decode_response_content(*answer, max_token_response); !decoded) {
        co_return failure{make_error_code(token_errc::bad_response),
                          where + " returned an unusable answer: " + decoded.error().message};
      }
      auto content_type = http::find_header(answer->headers, "Content-Type").value_or("");
      auto parsed = parse_token_response(content_type, answer->body, sent_at);
      if (!parsed) {
        co_return failure{make_error_code(token_errc::bad_response),
                          where + " returned an unusable answer: " + parsed.error().message};
      }
      log::info("obtained a new access token",
                {{"tokenUrl", http::url_without_credentials(credentials_.token_url)},
                 {"expiresIn", parsed->lifetime ? parsed->lifetime->count() : -1}});
      co_return std::make_shared<const token>(std::move(parsed).value());
    } else {
      // An error answer counts by its status; a body that cannot be decoded only loses its error code.
      if (!http::decode_response_content(*answer, max_token_response)) answer->body.clear();
      // Before parsing, which shortens long descriptions: a secret cut in two would no longer match.
      answer->body = redacted(std::move(answer->body), sent_secrets);
      auto content_type = http::find_header(answer->headers, "Content-Type").value_or("");
      auto details = parse_token_error(content_type, answer->body);
      last_problem = describe_answer(*answer, details, sent_secrets);
      if (!retryable_status(answer->status)) {
        co_return failure{make_error_code(token_errc::rejected), where + " was refused: " + last_problem};
      }
      hint = retry_after(*answer);
      if (hint && steady::now() + *hint >= deadline) {
        // Waiting as asked would outlast the request timeout: say so now rather than later.
        co_return failure{make_error_code(token_errc::unavailable),
                          where + " answered " + last_problem + " and asked to retry after " +
                              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*hint).count()) +
                              " s, beyond the " + std::to_string(timeout.count()) + " ms request timeout"};
      }
      log::warn("token endpoint answered with a transient error, will retry",
                {{"attempt", attempt + 1}, {"status", answer->status}});
    }

    // Our own part of the delay is capped by max_backoff; the server's part was checked against
    // the deadline above; either way a pause that would outlast the timeout ends the attempt.
    auto delay = backoff(attempt, hint);
    if (steady::now() + delay >= deadline) break;
    pause.expires_after(delay);
    auto [ec] = co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) break;
  }
  co_return failure{make_error_code(token_errc::unavailable),
                    where + " failed after " + std::to_string(made) + " attempt(s) within " +
                        std::to_string(timeout.count()) + " ms: " + last_problem};
}

}  // namespace oauth2_rest::oauth2
