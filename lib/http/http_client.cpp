// The HTTP/1.1 client: connection pool, TLS, one deadline per exchange and redirects, on Beast coroutines.
#include "http/http_client.hpp"

#include "http/body_stream.hpp"
#include "util/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace oauth2_rest::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// boost::system::error_category's destructor is protected and non-virtual by
// design (categories are never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class http_error_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "oauth2_rest.http"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::bad_url: return "not an absolute http:// or https:// URL";
      case error::resolve_failed: return "host name could not be resolved";
      case error::connect_failed: return "could not connect";
      case error::tls_handshake_failed: return "TLS handshake or certificate verification failed";
      case error::timeout: return "timed out";
      case error::connection_closed: return "connection closed before the response was complete";
      case error::body_too_large: return "response body too large";
      case error::header_too_large: return "response header too large";
      case error::too_many_redirects: return "too many redirects";
      case error::protocol_error: return "malformed HTTP response";
      case error::proxy_refused: return "the proxy refused the request";
      case error::connect_timeout: return "timed out before the connection was established";
      case error::body_stream_failed: return "reading the request body or storing the response body failed";
    }
    return "unknown HTTP client error";
  }
};
#pragma GCC diagnostic pop

// Where a request goes, taken apart once per hop.
struct target {
  bool tls = false;
  std::string host;         // for the resolver, SNI and verification: name (lower case) or IP, no brackets
  bool host_is_ip = false;
  std::string port;         // numeric
  std::string host_header;  // host[:port] as written in the URL
  std::string resource;     // path and query, "/" when the URL has no path
  std::string origin;       // scheme://host:port, the redirect origin
  std::string authority;    // host:port, IPv6 in brackets: the CONNECT target
  // The proxy this URL goes through (into client_config::proxy), nullptr when direct.
  const proxy_setting* proxy = nullptr;
  std::string pool_key;     // origin, plus the proxy when there is one
};

std::optional<target> parse_target(std::string_view url, const std::optional<proxy_config>& proxies) {
  auto parsed = urls::parse_uri(url);
  if (parsed.has_error()) return std::nullopt;
  const urls::url_view& u = *parsed;
  target t;
  if (u.scheme_id() == urls::scheme::https) t.tls = true;
  else if (u.scheme_id() != urls::scheme::http) return std::nullopt;
  switch (u.host_type()) {
    case urls::host_type::name: t.host = u.host_address(); break;
    case urls::host_type::ipv4:
    case urls::host_type::ipv6: t.host = u.host_address(); t.host_is_ip = true; break;
    default: return std::nullopt;
  }
  if (t.host.empty()) return std::nullopt;
  std::transform(t.host.begin(), t.host.end(), t.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (u.has_port() && !u.port().empty()) {
    if (u.port_number() == 0) return std::nullopt;
    t.port = std::to_string(u.port_number());
  } else {
    t.port = t.tls ? "443" : "80";
  }
  t.host_header = u.encoded_host_and_port();
  if (!t.host_header.empty() && t.host_header.back() == ':') t.host_header.pop_back();
  t.resource = u.encoded_target();
  if (t.resource.empty() || t.resource.front() != '/') t.resource.insert(0, "/");
  const std::string bracketed = u.host_type() == urls::host_type::ipv6 ? "[" + t.host + "]" : t.host;
  t.authority = bracketed + ":" + t.port;
  t.origin = std::string(t.tls ? "https://" : "http://") + t.authority;
  t.pool_key = t.origin;
  if (proxies) {
    t.proxy = proxies->select(t.tls, t.host, static_cast<unsigned>(std::stoul(t.port)));
    if (t.proxy && t.proxy->server) t.pool_key += " via " + t.proxy->server->url;
  }
  return t;
}

// One pooled (or about to be pooled) connection to an origin.
struct connection {
  std::string origin;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  clock_type::time_point idle_since{};

  beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }

  // No TLS close_notify: it would need another async write on a connection nobody
  // reads any more, and servers treat a bare close of an idle connection as normal.
  void close() { tcp().close(); }

  // A connection that sat in the pool may have been closed by the server (idle
  // timeout) without us noticing: peek without blocking. 0 bytes = FIN; any data
  // is unsolicited (or a TLS alert) and makes the connection unusable too.
  bool looks_alive() {
    auto& socket = tcp().socket();
    if (!socket.is_open() || buffer.size() != 0) return false;
    if (secure && SSL_pending(secure->native_handle()) > 0) return false;
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// Shared by the client and its in-flight requests, so a request still suspended
// when the client is destroyed finds a valid (shut down) state when it resumes.
struct client_state {
  asio::any_io_executor executor;
  std::shared_ptr<ssl::context> tls;
  // Without a context from the caller, the default one is made on the first https request
  // (parsing the system CA bundle costs ~25 ms of start-up and ~1 MB that a worker talking
  // plain http on loopback never needs), from the trust paths captured at construction.
  std::function<std::shared_ptr<ssl::context>()> make_tls;

  ssl::context& tls_context() {
    if (!tls) tls = make_tls();
    return *tls;
  }
  client_config config;
  client_stats stats;

  // parse_target() by URL: a step usually calls the same few URLs, and parsing
  // one costs more than the rest of building its request. Bounded: emptied when full.
  struct url_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::size_t max_cached_targets = 256;
  std::unordered_map<std::string, std::shared_ptr<const target>, url_hash, std::equal_to<>> targets;

  // nullptr when the URL is not an absolute http(s) URL (not cached).
  std::shared_ptr<const target> target_for(std::string_view url) {
    if (auto it = targets.find(url); it != targets.end()) return it->second;
    auto parsed = parse_target(url, config.proxy);
    if (!parsed) return nullptr;
    if (targets.size() >= max_cached_targets) targets.clear();
    auto t = std::make_shared<const target>(std::move(*parsed));
    targets.emplace(std::string(url), t);
    return t;
  }
  std::map<std::string, std::deque<std::unique_ptr<connection>>> idle;
  std::map<std::uint64_t, std::function<void()>> in_flight;  // how to cancel each pending operation
  std::uint64_t next_id = 0;
  bool shut_down = false;

  void close_idle() {
    for (auto& [origin, list] : idle)
      for (auto& c : list) c->close();
    idle.clear();
  }

  void sweep_expired() {
    const auto now = clock_type::now();
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      while (!list.empty() && now - list.front()->idle_since > config.idle_timeout) {
        list.front()->close();
        list.pop_front();
      }
      it = list.empty() ? idle.erase(it) : std::next(it);
    }
  }

  std::unique_ptr<connection> take_idle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    std::unique_ptr<connection> found;
    while (!list.empty() && !found) {
      auto c = std::move(list.back());  // most recently used first: the likeliest to be alive
      list.pop_back();
      if (c->looks_alive()) found = std::move(c);
      else c->close();
    }
    // An emptied list stays for put_idle to refill (a map node, its key and a deque per request
    // otherwise); sweep_expired drops the lists still empty when the next request starts.
    return found;
  }

  void put_idle(std::unique_ptr<connection> c) {
    if (shut_down || config.max_idle_per_origin == 0) return c->close();
    c->tcp().expires_never();
    c->idle_since = clock_type::now();
    auto& list = idle[c->origin];
    list.push_back(std::move(c));
    while (list.size() > config.max_idle_per_origin) {
      list.front()->close();
      list.pop_front();
    }
  }

  void shut_down_now() {
    shut_down = true;
    auto hooks = std::move(in_flight);
    in_flight.clear();
    for (auto& [id, cancel] : hooks) cancel();
    close_idle();
  }
};

// Registers how to cancel an operation for as long as it is pending.
class cancel_hook {
 public:
  cancel_hook(client_state& state, std::function<void()> cancel) : state_(state), id_(++state.next_id) {
    state_.in_flight.emplace(id_, std::move(cancel));
  }
  ~cancel_hook() { state_.in_flight.erase(id_); }
  cancel_hook(const cancel_hook&) = delete;
  cancel_hook& operator=(const cancel_hook&) = delete;

 private:
  client_state& state_;
  std::uint64_t id_;
};

failure make_failure(error e, const std::string& prefix, std::string_view what) {
  return failure{make_error_code(e), prefix + ": " + std::string(what)};
}

std::string describe(bhttp::verb method, std::string_view url) {
  return std::string(bhttp::to_string(method)) + " " + url_without_credentials(url);
}

// Everything one hop needs to describe its failures.
struct hop_context {
  std::shared_ptr<client_state> state;
  const request_options& options;
  clock_type::time_point deadline;
  bhttp::verb method;
  std::string_view url;  // the request's URL for this hop (alive as long as the hop)
  // "GET https://host/path" without userinfo; made only when a failure needs it.
  std::string prefix() const { return describe(method, url); }
  bool expired() const { return clock_type::now() >= deadline; }
  failure timed_out() const {
    return make_failure(error::timeout, prefix(),
                        "timed out after " + std::to_string(options.timeout.count()) + " ms");
  }
  // The deadline passed before a connection was ready (resolve, connect, TLS handshake): the
  // request was not written on this hop, which a caller may retry even for POST.
  failure connect_timed_out() const {
    return make_failure(error::connect_timeout, prefix(),
                        "timed out after " + std::to_string(options.timeout.count()) + " ms");
  }
  failure aborted() const { return make_failure(error::connection_closed, prefix(), "cancelled: the HTTP client was destroyed"); }
};

std::string tls_failure_reason(SSL* native, const error_code& ec) {
  const long verify = SSL_get_verify_result(native);
  if (verify != X509_V_OK) return std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
  return ec.message();
}

// "the proxy http://host:port (from https_proxy)": how errors name a proxy, never with credentials.
std::string proxy_name(const proxy_setting& p) {
  return "the proxy " + (p.server ? p.server->url : std::string("?")) + " (from " + p.variable + ")";
}

// CONNECT authority HTTP/1.1 on a fresh connection to the proxy; ok once it answered 2xx. The
// answer is read header only (a 2xx has no body; any other answer ends the connection).
asio::awaitable<status> establish_tunnel(const hop_context& hop, connection& conn, const target& t) {
  client_state& state = *hop.state;
  const proxy_server& proxy = *t.proxy->server;
  std::string request = "CONNECT " + t.authority + " HTTP/1.1\r\nHost: " + t.authority + "\r\n";
  if (!proxy.authorization.empty()) request += "Proxy-Authorization: " + proxy.authorization + "\r\n";
  if (!state.config.user_agent.empty()) request += "User-Agent: " + state.config.user_agent + "\r\n";
  request += "\r\n";

  auto& stream = conn.tcp();
  stream.expires_at(hop.deadline);
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
  if (state.shut_down) co_return hop.aborted();
  if (write_ec) {
    if (write_ec == beast::error::timeout || hop.expired()) co_return hop.timed_out();
    co_return make_failure(error::connection_closed, hop.prefix(),
                           "sending CONNECT to " + proxy_name(*t.proxy) + " failed: " + write_ec.message());
  }
  // Not counted in stats.requests_sent: that counts the caller's requests (and their hops).
  std::optional<bhttp::response_parser<bhttp::empty_body>> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state.config.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->skip(true);  // a 2xx to CONNECT has no body: what follows is the tunnel
    auto [read_ec, read_bytes] = co_await bhttp::async_read(stream, conn.buffer, *parser, use_tuple);
    if (state.shut_down) co_return hop.aborted();
    if (read_ec) {
      if (read_ec == beast::error::timeout || hop.expired()) co_return hop.timed_out();
      co_return make_failure(error::connection_closed, hop.prefix(),
                             "reading the answer of " + proxy_name(*t.proxy) + " to CONNECT " + t.authority +
                                 " failed: " + read_ec.message());
    }
    const unsigned code = parser->get().result_int();
    if (code >= 100 && code < 200) continue;
    break;
  }
  const auto& answer = parser->get();
  const unsigned code = answer.result_int();
  if (code < 200 || code >= 300)
    co_return make_failure(error::proxy_refused, hop.prefix(),
                           proxy_name(*t.proxy) + " refused CONNECT " + t.authority + ": " + std::to_string(code) +
                               (answer.reason().empty() ? "" : " " + std::string(answer.reason())));
  // The TLS stream reads the socket itself: bytes already buffered here would be lost.
  if (conn.buffer.size() != 0)
    co_return make_failure(error::protocol_error, hop.prefix(),
                           proxy_name(*t.proxy) + " sent data after its answer to CONNECT");
  co_return ok;
}

asio::awaitable<result<std::unique_ptr<connection>>> open_connection(const hop_context& hop, const target& t) {
  client_state& state = *hop.state;
  if (hop.expired()) co_return hop.connect_timed_out();
  // Through a proxy, the TCP connection goes to the proxy; TLS (below) still to the target.
  const proxy_server* via = t.proxy ? &*t.proxy->server : nullptr;
  const std::string& connect_host = via ? via->host : t.host;
  const std::string& connect_port = via ? via->port : t.port;
  const std::string peer = via ? proxy_name(*t.proxy) + " at " + connect_host : connect_host;

  // getaddrinfo cannot be interrupted, so cancelling the resolver would not
  // bound the wait. Instead the resolve completes into shared state and wakes a
  // timer that expires at the deadline; on timeout the lookup is abandoned and
  // its late completion only touches that shared state.
  struct pending_resolve {
    explicit pending_resolve(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
    tcp::resolver resolver;
    asio::steady_timer wake;
    error_code ec;
    tcp::resolver::results_type results;
    bool done = false;
  };
  auto pending = std::make_shared<pending_resolve>(state.executor);
  pending->wake.expires_at(hop.deadline);
  pending->resolver.async_resolve(connect_host, connect_port, [pending](error_code ec, tcp::resolver::results_type results) {
    pending->ec = ec;
    pending->results = std::move(results);
    pending->done = true;
    pending->wake.cancel();
  });
  {
    cancel_hook hook(state, [weak = std::weak_ptr<pending_resolve>(pending)] {
      if (auto p = weak.lock()) {
        p->resolver.cancel();
        p->wake.cancel();
      }
    });
    co_await pending->wake.async_wait(use_tuple);
  }
  if (state.shut_down) co_return hop.aborted();
  if (!pending->done) {
    pending->resolver.cancel();
    co_return hop.connect_timed_out();
  }
  if (pending->ec) {
    if (hop.expired()) co_return hop.connect_timed_out();
    co_return make_failure(error::resolve_failed, hop.prefix(),
                           "could not resolve " + peer + ": " + pending->ec.message());
  }
  const tcp::resolver::results_type endpoints = std::move(pending->results);

  auto conn = std::make_unique<connection>();
  conn->origin = t.pool_key;
  if (t.tls) conn->secure.emplace(state.executor, state.tls_context());
  else conn->plain.emplace(state.executor);
  cancel_hook hook(state, [c = conn.get()] { c->close(); });

  conn->tcp().expires_at(hop.deadline);
  // Every resolved address (IPv6 and IPv4) is tried in turn.
  auto [connect_ec, endpoint] = co_await conn->tcp().async_connect(endpoints, use_tuple);
  if (state.shut_down) co_return hop.aborted();
  if (connect_ec) {
    if (connect_ec == beast::error::timeout || hop.expired()) co_return hop.connect_timed_out();
    co_return make_failure(error::connect_failed, hop.prefix(),
                           "could not connect to " + peer + " port " + connect_port + ": " + connect_ec.message());
  }
  ++state.stats.connections_opened;
  error_code ignored;
  conn->tcp().socket().set_option(tcp::no_delay(true), ignored);

  if (via && t.tls) {
    auto tunnel = co_await establish_tunnel(hop, *conn, t);
    if (!tunnel) {
      conn->close();
      co_return std::move(tunnel).error();
    }
  }

  if (t.tls) {
    SSL* native = conn->secure->native_handle();
    // SNI and the host name check are always set together: SNI picks the
    // certificate, the check makes sure it is for the host we asked for.
    // SNI must not carry an IP literal (RFC 6066), so IPs are checked as IPs.
    conn->secure->set_verify_mode(ssl::verify_peer);
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    bool configured = false;
    if (t.host_is_ip) {
      configured = X509_VERIFY_PARAM_set1_ip_asc(param, t.host.c_str()) == 1;
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      configured = SSL_set_tlsext_host_name(native, t.host.c_str()) == 1 &&
                   SSL_set1_host(native, t.host.c_str()) == 1;
    }
    if (!configured) {
      conn->close();
      co_return make_failure(error::tls_handshake_failed, hop.prefix(), "could not set up TLS for host " + t.host);
    }
    conn->tcp().expires_at(hop.deadline);
    auto [hs_ec] = co_await conn->secure->async_handshake(ssl::stream_base::client, use_tuple);
    if (state.shut_down) co_return hop.aborted();
    if (hs_ec) {
      conn->close();
      if (hs_ec == beast::error::timeout || hop.expired()) co_return hop.connect_timed_out();
      co_return make_failure(error::tls_handshake_failed, hop.prefix(),
                             "TLS handshake with " + t.host + " failed: " + tls_failure_reason(native, hs_ec));
    }
  }
  co_return std::move(conn);
}

bool is_idempotent(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
    case bhttp::verb::options:
    case bhttp::verb::trace: return true;
    default: return false;
  }
}

bool has_line_break(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
}

struct exchange_outcome {
  std::optional<response> value;
  std::optional<failure> fail;
  bool nothing_received = false;  // failed before any response byte: safe to retry if idempotent
  bool keep_alive = false;
};

failure read_failure(const hop_context& hop, const error_code& ec) {
  if (hop.state->shut_down) return hop.aborted();
  if (ec == beast::error::timeout || hop.expired()) return hop.timed_out();
  if (ec == bhttp::error::body_limit)
    return make_failure(error::body_too_large, hop.prefix(),
                        "response body larger than the limit of " + std::to_string(hop.options.max_response_body) + " bytes");
  if (ec == bhttp::error::header_limit)
    return make_failure(error::header_too_large, hop.prefix(),
                        "response header larger than the limit of " +
                            std::to_string(hop.state->config.max_header_bytes) + " bytes");
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated)
    return make_failure(error::connection_closed, hop.prefix(),
                        "connection closed by the server before the response was complete (" + ec.message() + ")");
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())  // any Beast parse error
    return make_failure(error::protocol_error, hop.prefix(), "malformed response: " + ec.message());
  return make_failure(error::connection_closed, hop.prefix(), "reading the response failed: " + ec.message());
}

// A request as it goes on the wire, built once per hop (and reused by the retry).
struct wire_request {
  std::string bytes;       // start line, header fields, blank line, body
  bool head = false;       // a HEAD response announces a body it never sends
  bool keep_alive = true;  // no "Connection: close" from the caller
  body_source* stream = nullptr;  // the body, when it is sent in pieces after `bytes`
  bool chunked = false;           // the stream's size is unknown
};

template <class Stream>
asio::awaitable<exchange_outcome> exchange_on(const hop_context& hop, connection& conn, Stream& stream,
                                              const wire_request& message) {
  client_state& state = *hop.state;
  exchange_outcome out;
  cancel_hook hook(state, [c = &conn] { c->close(); });

  if (hop.expired()) {
    out.fail = hop.timed_out();
    co_return out;
  }
  // One deadline for the whole exchange: it bounds the write and every read below.
  conn.tcp().expires_at(hop.deadline);
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(message.bytes), use_tuple);
  if (write_ec) {
    out.nothing_received = !(write_ec == beast::error::timeout || hop.expired() || state.shut_down);
    if (state.shut_down) out.fail = hop.aborted();
    else if (write_ec == beast::error::timeout || hop.expired()) out.fail = hop.timed_out();
    else out.fail = make_failure(error::connection_closed, hop.prefix(), "sending the request failed: " + write_ec.message());
    co_return out;
  }
  ++state.stats.requests_sent;

  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state.config.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(hop.options.max_response_body);
    if (message.head) parser->skip(true);  // a HEAD response announces a body it never sends

    // Header and body in one read: an interim response (1xx) has no body, so the
    // read ends after its header and the loop reads the next response.
    auto [read_ec, read_bytes] = co_await bhttp::async_read(stream, conn.buffer, *parser, use_tuple);
    if (read_ec) {
      out.nothing_received = !parser->got_some() && conn.buffer.size() == 0 &&
                             read_ec != beast::error::timeout && !hop.expired() && !state.shut_down;
      out.fail = read_failure(hop, read_ec);
      co_return out;
    }
    const unsigned status = parser->get().result_int();
    // Interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status >= 100 && status < 200 && status != 101) continue;
    break;
  }

  auto& m = parser->get();
  response r;
  r.status = m.result_int();
  r.reason = std::string(m.reason());
  r.headers.reserve(static_cast<std::size_t>(std::distance(m.begin(), m.end())));
  for (const auto& field : m) r.headers.push_back(header{std::string(field.name_string()), std::string(field.value())});
  r.body = std::move(m.body());
  out.keep_alive = m.keep_alive() && message.keep_alive && !parser->need_eof() && r.status != 101;
  out.value = std::move(r);
  co_return out;
}

// Optional whitespace around a field value, as Beast trims it.
std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The bytes Beast's serializer writes for the bhttp::request<string_body> this
// client used to build (same fields, same order: a repeated name is kept next to
// its first occurrence; Host, User-Agent and Content-Length last), without
// building the message and walking its buffer sequence.
result<wire_request> build_message(const hop_context& hop, const request& req, const target& t) {
  struct field_ref {
    std::string_view name, value;
  };
  std::vector<field_ref> fields;
  fields.reserve(req.headers.size() + 3);
  const auto add = [&](std::string_view name, std::string_view value) {
    // Beast's field length limit (its offsets are 16 bits); over it, it throws.
    if (name.size() + 2 > std::numeric_limits<std::uint16_t>::max()) throw std::length_error("field name too large");
    if (value.size() + 2 > std::numeric_limits<std::uint16_t>::max()) throw std::length_error("field value too large");
    auto at = fields.end();
    for (auto it = fields.begin(); it != fields.end(); ++it)
      if (beast::iequals(it->name, name)) at = it + 1;
    fields.insert(at, field_ref{name, trim_ows(value)});
  };
  const auto has = [&](std::string_view name) {
    return std::any_of(fields.begin(), fields.end(), [&](const field_ref& f) { return beast::iequals(f.name, name); });
  };
  // Plain http through a proxy: the request goes to the proxy, in absolute form, with the
  // proxy's credentials (which replace any the caller set).
  const bool to_proxy = t.proxy && !t.tls;
  const std::string& proxy_authorization = to_proxy ? t.proxy->server->authorization : std::string();
  for (const auto& h : req.headers) {
    if (h.name.empty() || has_line_break(h.name) || h.name.find(':') != std::string::npos)
      return make_failure(error::bad_url, hop.prefix(), "invalid header name");
    // Only the name is reported: values may be secrets.
    if (has_line_break(h.value)) return make_failure(error::bad_url, hop.prefix(), "header " + h.name + " contains a line break");
    // The client frames the body itself.
    if (beast::iequals(h.name, "Content-Length") || beast::iequals(h.name, "Transfer-Encoding")) continue;
    if (!proxy_authorization.empty() && beast::iequals(h.name, "Proxy-Authorization")) continue;
    add(h.name, h.value);
  }
  if (!proxy_authorization.empty()) add("Proxy-Authorization", proxy_authorization);
  if (!has("Host")) add("Host", t.host_header);
  if (!has("User-Agent") && !hop.state->config.user_agent.empty()) add("User-Agent", hop.state->config.user_agent);
  std::string length;
  if (req.body_stream) {
    if (auto n = req.body_stream->size()) length = std::to_string(*n);
    else add("Transfer-Encoding", "chunked");
  } else if (!req.body.empty()) length = std::to_string(req.body.size());
  else if (req.method == bhttp::verb::post || req.method == bhttp::verb::put || req.method == bhttp::verb::patch) length = "0";
  if (!length.empty()) add("Content-Length", length);

  wire_request out;
  out.head = req.method == bhttp::verb::head;
  out.stream = req.body_stream.get();
  out.chunked = out.stream && !out.stream->size();
  // As Beast's keep_alive() for HTTP/1.1: the first Connection field decides.
  for (const auto& f : fields) {
    if (beast::iequals(f.name, "Connection")) {
      out.keep_alive = !bhttp::token_list{f.value}.exists("close");
      break;
    }
  }
  const std::string_view method = bhttp::to_string(req.method);
  const std::string_view absolute_prefix = to_proxy ? std::string_view("http://") : std::string_view();
  const std::string_view absolute_host = to_proxy ? std::string_view(t.host_header) : std::string_view();
  std::size_t size = method.size() + 1 + absolute_prefix.size() + absolute_host.size() + t.resource.size() + 11 + 2 +
                     req.body.size();
  for (const auto& f : fields) size += f.name.size() + 2 + f.value.size() + 2;
  std::string& w = out.bytes;
  w.reserve(size);
  w.append(method).append(1, ' ').append(absolute_prefix).append(absolute_host).append(t.resource).append(" HTTP/1.1\r\n");
  for (const auto& f : fields) w.append(f.name).append(": ").append(f.value).append("\r\n");
  w.append("\r\n");
  if (!out.stream) w.append(req.body);
  return out;
}

bool is_redirect(unsigned status);

failure stream_failure(const hop_context& hop, const failure& f) {
  return make_failure(error::body_stream_failed, hop.prefix(), f.message);
}

// exchange_on for a body read from request::body_stream and/or a response body written to
// request_options::sink, one piece (body_piece_size) at a time: memory stays bounded whatever
// the size (SPEC 9). A redirect that run_send will follow has its body read and dropped.
template <class Stream>
asio::awaitable<exchange_outcome> exchange_streaming_on(const hop_context& hop, connection& conn, Stream& stream,
                                                        const wire_request& message, const request& req) {
  client_state& state = *hop.state;
  exchange_outcome out;
  cancel_hook hook(state, [c = &conn] { c->close(); });
  if (hop.expired()) {
    out.fail = hop.timed_out();
    co_return out;
  }
  conn.tcp().expires_at(hop.deadline);
  const auto write_failed = [&](const error_code& ec) {
    out.nothing_received = !(ec == beast::error::timeout || hop.expired() || state.shut_down);
    if (state.shut_down) out.fail = hop.aborted();
    else if (ec == beast::error::timeout || hop.expired()) out.fail = hop.timed_out();
    else out.fail = make_failure(error::connection_closed, hop.prefix(), "sending the request failed: " + ec.message());
  };
  {
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(message.bytes), use_tuple);
    if (ec) {
      write_failed(ec);
      co_return out;
    }
  }
  std::vector<char> piece(body_piece_size + 32);
  if (message.stream) {
    if (auto rewound = message.stream->rewind(); !rewound) {
      out.fail = stream_failure(hop, rewound.error());
      co_return out;
    }
    for (;;) {
      constexpr std::size_t frame = 16;  // room for a chunk-size line before the data
      auto got = message.stream->read(piece.data() + frame, body_piece_size);
      if (!got) {
        out.fail = stream_failure(hop, got.error());
        co_return out;
      }
      std::size_t begin = frame, end = frame + *got;
      if (message.chunked) {
        if (*got == 0) {
          static constexpr std::string_view last = "0\r\n\r\n";
          std::copy(last.begin(), last.end(), piece.data() + end);
          end += last.size();
        } else {
          char size_line[16];
          const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", *got);
          begin = frame - static_cast<std::size_t>(len);
          std::copy(size_line, size_line + len, piece.data() + begin);
          piece[end++] = '\r';
          piece[end++] = '\n';
        }
      }
      if (end > begin) {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(piece.data() + begin, end - begin), use_tuple);
        if (ec) {
          write_failed(ec);
          co_return out;
        }
      }
      if (*got == 0) break;
    }
  }
  ++state.stats.requests_sent;

  const bool may_follow = hop.options.follow_redirects && (req.method == bhttp::verb::get || req.method == bhttp::verb::head);
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state.config.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(hop.options.max_response_body);
    if (message.head) parser->skip(true);
    auto [ec, n] = co_await bhttp::async_read_header(stream, conn.buffer, *parser, use_tuple);
    if (ec) {
      out.nothing_received = !parser->got_some() && conn.buffer.size() == 0 && ec != beast::error::timeout &&
                             !hop.expired() && !state.shut_down;
      out.fail = read_failure(hop, ec);
      co_return out;
    }
    const unsigned status = parser->get().result_int();
    if (status >= 100 && status < 200 && status != 101) {
      // An interim response has no body: the next header follows.
      continue;
    }
    break;
  }
  auto& m = parser->get();
  const bool dropped = may_follow && is_redirect(m.result_int()) && m.find(bhttp::field::location) != m.end();
  body_sink* sink = dropped ? nullptr : hop.options.sink;
  response r;
  r.status = m.result_int();
  r.reason = std::string(m.reason());
  for (const auto& field : m) r.headers.push_back(header{std::string(field.name_string()), std::string(field.value())});
  if (sink) {
    if (auto started = sink->start(r.status, r.headers); !started) {
      out.fail = stream_failure(hop, started.error());
      co_return out;
    }
  }
  std::string kept;  // the body when there is no sink (a streamed request's answer), within body_limit
  while (!parser->is_done()) {
    m.body().data = piece.data();
    m.body().size = body_piece_size;
    auto [ec, n] = co_await bhttp::async_read(stream, conn.buffer, *parser, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      out.fail = read_failure(hop, ec);
      co_return out;
    }
    const std::size_t got = body_piece_size - m.body().size;
    if (sink && got > 0) {
      if (auto written = sink->write(std::string_view(piece.data(), got)); !written) {
        out.fail = stream_failure(hop, written.error());
        co_return out;
      }
    } else if (!dropped && !hop.options.sink) {
      kept.append(piece.data(), got);
    }
  }
  r.body = std::move(kept);
  out.keep_alive = m.keep_alive() && message.keep_alive && !parser->need_eof() && r.status != 101;
  out.value = std::move(r);
  co_return out;
}

// One hop: a pooled or new connection, and once more on a new connection when a
// reused one turns out dead before answering an idempotent request.
asio::awaitable<result<response>> send_hop(const hop_context& hop, const request& req, const target& t) {
  client_state& state = *hop.state;
  if (t.proxy && !t.proxy->server)
    co_return make_failure(error::proxy_refused, hop.prefix(),
                           "the " + t.proxy->variable + " environment variable is not usable: " + t.proxy->problem);
  auto message = build_message(hop, req, t);
  if (!message) co_return std::move(message).error();

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<connection> conn = attempt == 0 ? state.take_idle(t.pool_key) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      auto opened = co_await open_connection(hop, t);
      if (!opened) co_return std::move(opened).error();
      conn = std::move(*opened);
      if (log::enabled(log::level::debug)) {
        if (t.proxy) log::debug("opened HTTP connection", {{"origin", t.origin}, {"proxy", t.proxy->server->url}});
        else log::debug("opened HTTP connection", {{"origin", t.origin}});
      }
    }
    // Not `c ? co_await a : co_await b`: GCC 12 miscompiles co_await in a conditional expression.
    exchange_outcome out;
    if (message->stream || hop.options.sink) {
      if (conn->secure) out = co_await exchange_streaming_on(hop, *conn, *conn->secure, *message, req);
      else out = co_await exchange_streaming_on(hop, *conn, *conn->plain, *message, req);
    } else if (conn->secure) out = co_await exchange_on(hop, *conn, *conn->secure, *message);
    else out = co_await exchange_on(hop, *conn, *conn->plain, *message);
    if (out.value && out.value->status == 407 && t.proxy && !t.tls) {
      // Only a proxy answers 407: the request never reached the target.
      conn->close();
      co_return make_failure(error::proxy_refused, hop.prefix(),
                             proxy_name(*t.proxy) + " refused the request: 407" +
                                 (out.value->reason.empty() ? "" : " " + out.value->reason));
    }
    if (out.value) {
      out.value->url = req.url;
      if (out.keep_alive && !state.shut_down) state.put_idle(std::move(conn));
      else conn->close();
      co_return std::move(*out.value);
    }
    conn->close();
    if (reused && attempt == 0 && out.nothing_received && is_idempotent(req.method) && !state.shut_down) {
      if (log::enabled(log::level::debug))
        log::debug("reused HTTP connection failed before the response, retrying on a new one", {{"origin", t.origin}});
      continue;
    }
    co_return std::move(*out.fail);
  }
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void remove_headers(std::vector<header>& headers, std::string_view name) {
  std::erase_if(headers, [&](const header& h) { return beast::iequals(h.name, name); });
}

// req: the caller's request, owned by client::send's frame; redirects change it,
// after saving its first URL in first_url.
asio::awaitable<result<response>> run_send(std::shared_ptr<client_state> state, request& req, request_options options,
                                           std::string& first_url) {
  // Saturated: a caller may pass milliseconds::max() to mean "no deadline".
  const auto now = clock_type::now();
  const auto deadline = options.timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::time_point::max() - now)
                            ? clock_type::time_point::max()
                            : now + std::chrono::duration_cast<clock_type::duration>(options.timeout);
  const auto original = state->target_for(req.url);
  if (!original)
    co_return make_failure(error::bad_url, describe(req.method, req.url), "not an absolute http:// or https:// URL");
  std::shared_ptr<const target> current = original;
  bool left_origin = false;
  const bool may_follow = options.follow_redirects &&
                          (req.method == bhttp::verb::get || req.method == bhttp::verb::head);

  for (int redirects = 0;; ++redirects) {
    state->sweep_expired();
    hop_context hop{state, options, deadline, req.method, req.url};
    auto res = co_await send_hop(hop, req, *current);
    if (!res || !may_follow || !is_redirect(res->status)) co_return res;
    const auto location = find_header(res->headers, "Location");
    if (!location) co_return res;
    if (redirects >= options.max_redirects)
      co_return make_failure(error::too_many_redirects, hop.prefix(),
                             "more than " + std::to_string(options.max_redirects) + " redirects");

    auto reference = urls::parse_uri_reference(*location);
    auto base = urls::parse_uri(req.url);
    urls::url next;
    if (reference.has_error() || base.has_error() || urls::resolve(*base, *reference, next).has_error())
      co_return make_failure(error::bad_url, hop.prefix(),
                             "redirect " + std::to_string(res->status) + " to an invalid Location");
    next.remove_fragment();
    auto next_target = state->target_for(next.buffer());
    if (!next_target)
      co_return make_failure(error::bad_url, hop.prefix(),
                             "redirect to a URL that is not http(s): " + url_without_credentials(next.buffer()));

    // Credentials are for the origin the caller chose; once a hop leaves it they
    // stay dropped, even if a later hop comes back (curl and browsers drop the same three).
    if (!left_origin && next_target->origin != original->origin) {
      left_origin = true;
      remove_headers(req.headers, "Authorization");
      remove_headers(req.headers, "Cookie");
      remove_headers(req.headers, "Proxy-Authorization");
    }
    if (next_target->origin != current->origin) remove_headers(req.headers, "Host");
    if (res->status == 301 || res->status == 302 || res->status == 303) req.body.clear();
    if (first_url.empty()) first_url = req.url;
    req.url = std::string(next.buffer());
    current = std::move(next_target);
  }
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const http_error_category category;
  return category;
}

boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

std::optional<std::string_view> find_header(const std::vector<header>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (beast::iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::string url_without_credentials(std::string_view url) {
  // Done by hand, not with Boost.URL, so that even an unparseable URL loses its password.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority_begin = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  const auto at = url.substr(authority_begin, authority_end - authority_begin).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, authority_begin));
  out.append(url.substr(authority_begin + at + 1));
  return out;
}

std::shared_ptr<asio::ssl::context> make_default_tls_context() {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  context->set_verify_mode(ssl::verify_peer);
  // Reads SSL_CERT_FILE / SSL_CERT_DIR now, so a context made after setting them uses them.
  error_code ec;
  context->set_default_verify_paths(ec);
  if (ec) log::warn("could not load the default TLS trust store", {{"error", ec.message()}});
  return context;
}

namespace {

std::optional<std::string> env_value(const char* name) {
  if (const char* v = std::getenv(name)) return std::string(v);
  return std::nullopt;
}

// make_default_tls_context() for the SSL_CERT_FILE / SSL_CERT_DIR values given (nullopt: the
// variable was unset): the same lookups X509_STORE_set_default_paths adds, a PEM bundle file and
// a hashed certificate directory (list), with the environment read earlier instead of now.
std::shared_ptr<ssl::context> make_tls_context_for(const std::optional<std::string>& cert_file,
                                                   const std::optional<std::string>& cert_dir) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  context->set_verify_mode(ssl::verify_peer);
  X509_STORE* store = SSL_CTX_get_cert_store(context->native_handle());
  X509_LOOKUP* file = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  X509_LOOKUP* dir = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
  if (!file || !dir) {
    log::warn("could not load the default TLS trust store", {{"error", "no X509 lookup"}});
  } else {
    // As OpenSSL's own default paths: a missing file or directory is not an error.
    X509_LOOKUP_load_file(file, cert_file ? cert_file->c_str() : X509_get_default_cert_file(), X509_FILETYPE_PEM);
    X509_LOOKUP_add_dir(dir, cert_dir ? cert_dir->c_str() : X509_get_default_cert_dir(), X509_FILETYPE_PEM);
  }
  ERR_clear_error();
  return context;
}

}  // namespace

struct client::impl {
  std::shared_ptr<client_state> state_;
};

client::client(asio::any_io_executor executor, client_config config)
    : client(std::move(executor), nullptr, std::move(config)) {}

client::client(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls, client_config config)
    : impl_(std::make_unique<impl>()) {
  impl_->state_ = std::make_shared<client_state>();
  impl_->state_->executor = std::move(executor);
  impl_->state_->tls = std::move(tls);
  // SSL_CERT_FILE / SSL_CERT_DIR as they are now, for the context made on first use.
  impl_->state_->make_tls = [file = env_value("SSL_CERT_FILE"), dir = env_value("SSL_CERT_DIR")] {
    return make_tls_context_for(file, dir);
  };
  impl_->state_->config = std::move(config);
}

client::~client() { impl_->state_->shut_down_now(); }

asio::awaitable<result<response>> client::send(request req, request_options options) {
  // Copied before the first suspension: the client may be gone when this resumes.
  auto state = impl_->state_;
  std::string first_url;  // the URL given, once a redirect has replaced req.url
  try {
    co_return co_await run_send(std::move(state), req, options, first_url);
  } catch (const std::exception& e) {
    co_return make_failure(error::protocol_error, describe(req.method, first_url.empty() ? req.url : first_url),
                           std::string("internal error: ") + e.what());
  }
}

asio::any_io_executor client::get_executor() const { return impl_->state_->executor; }
const client_config& client::config() const { return impl_->state_->config; }

client_stats client::stats() const { return impl_->state_->stats; }

void client::close_idle() { impl_->state_->close_idle(); }

}  // namespace oauth2_rest::http
