// An asynchronous HTTP/1.1 client on Asio and Beast, for http:// and https://.
//
// - Keep-alive connections are pooled per origin (scheme, host, port) and
//   reused across requests; a pooled connection the server has closed is
//   detected before reuse, and an idempotent request that fails on a reused
//   connection before any response byte arrived is retried once on a new one.
// - TLS is verified against the system trust store (OpenSSL default paths,
//   so SSL_CERT_FILE and SSL_CERT_DIR apply), with SNI and host name checks.
// - One deadline (request_options::timeout) bounds the whole exchange:
//   resolve, connect, handshake, write, read and every redirect hop.
// - Responses larger than request_options::max_response_body are an error
//   (http::error::body_too_large), never unbounded memory.
// - Redirects (301, 302, 303, 307, 308) are followed for GET and HEAD only,
//   at most max_redirects; the Authorization header is dropped as soon as a
//   hop leaves the origin of the original request.
// - Failures say whether the request may have reached the server: resolve_failed,
//   connect_failed and connect_timeout mean it was not written (safe to retry even for
//   POST); timeout and connection_closed mean it may have been.
// - Chunked responses are decoded.
// - Proxies (client_config::proxy, none by default): https URLs go through a CONNECT tunnel to
//   the target, then TLS with SNI and verification against the target host, end to end; http
//   URLs are sent to the proxy in absolute form. The proxy URL's credentials are sent as
//   Proxy-Authorization: Basic (on the CONNECT; on every proxied http request). A proxy that
//   answers CONNECT with anything but 2xx, or a proxied http request with 407, is
//   error::proxy_refused naming the proxy (its URL without credentials) and the status.
//   Pooled connections are keyed on the proxy too: a tunnel belongs to its target origin.
//   Cross-origin redirects also drop the caller's Cookie and Proxy-Authorization headers.
// - Bodies of any size can stream both ways (body_stream.hpp): request::body_stream is sent in
//   pieces (Content-Length or chunked), request_options::sink receives the response body in
//   pieces; memory per request stays bounded.
//
// All work happens on the executor given at construction (single-threaded use:
// call send() from that executor's thread). Errors are results, never
// exceptions. Messages in failures name the method and the URL without
// userinfo, never header values.
#pragma once

#include "http/proxy_config.hpp"
#include "util/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace oauth2_rest::http {

enum class error {
  bad_url = 1,          // not an absolute http(s) URL
  resolve_failed,
  connect_failed,
  tls_handshake_failed, // includes certificate and host name verification
  timeout,              // request_options::timeout elapsed
  connection_closed,    // peer closed or reset before the response was complete
  body_too_large,       // response body over request_options::max_response_body
  header_too_large,
  too_many_redirects,
  protocol_error,       // malformed response
  proxy_refused,        // the proxy answered CONNECT with non-2xx (or 407 to a proxied request), or its setting is unusable
  // request_options::timeout elapsed while resolving, connecting or in the TLS handshake of a
  // hop: the request was not written on it (error::timeout means it may have been).
  connect_timeout,
  body_stream_failed,   // request::body_stream or request_options::sink failed (body_stream.hpp)
};
const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(error e) noexcept;

class body_source;
class body_sink;

struct header {
  std::string name;
  std::string value;
};

// Case-insensitive lookup of the first header with this name.
std::optional<std::string_view> find_header(const std::vector<header>& headers,
                                            std::string_view name);

struct request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string url;              // absolute http:// or https:// URL
  std::vector<header> headers;  // Host, Content-Length and User-Agent are added when absent
  std::string body;             // sent when non-empty (and Content-Length: 0 for POST/PUT/PATCH otherwise)
  // When set, the body instead of `body`, read in pieces (body_stream.hpp): Content-Length when
  // its size is known, chunked otherwise; rewound when the request is sent again.
  std::shared_ptr<body_source> body_stream;
};

struct response {
  unsigned status = 0;
  std::string reason;
  std::vector<header> headers;  // as received, in order, names as the server wrote them
  std::string body;             // decoded from chunked transfer if needed
  std::string url;              // the URL that produced this response (after redirects)
};

struct request_options {
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_response_body = 20 * 1024 * 1024;
  bool follow_redirects = true;  // for GET and HEAD only
  int max_redirects = 10;
  // When set, the final response's body goes here in pieces (response::body stays empty), at
  // most max_response_body bytes in all (body_stream.hpp). Not owned.
  body_sink* sink = nullptr;
};

struct client_config {
  std::size_t max_idle_per_origin = 128;
  std::chrono::seconds idle_timeout{30};   // pooled connections older than this are closed
  std::size_t max_header_bytes = 64 * 1024;
  std::string user_agent = "oauth2-rest/0.1";
  // Proxies for this client's requests; none: every request goes direct. The action's client
  // gets proxy_config_from_process_environment(); the runtime's platform clients get none.
  std::optional<proxy_config> proxy;
};

struct client_stats {
  std::size_t connections_opened = 0;  // TCP connections established, ever
  std::size_t requests_sent = 0;       // requests written, including redirect hops and retries
};

class client {
 public:
  // Uses a TLS context that verifies peers against the OpenSSL default paths.
  explicit client(boost::asio::any_io_executor executor, client_config config = {});
  // Uses the given TLS context (tests pass one trusting their own CA).
  client(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
         client_config config = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  boost::asio::awaitable<result<response>> send(request req, request_options options = {});

  // The executor given at construction (a second client for the same thread is made on it).
  boost::asio::any_io_executor get_executor() const;
  // What it was made with (a client for the same calls with another TLS identity copies it).
  const client_config& config() const;

  client_stats stats() const;
  // Closes every pooled idle connection.
  void close_idle();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The TLS context used by default: TLS 1.2+, peer verification against the
// OpenSSL default verify paths (SSL_CERT_FILE / SSL_CERT_DIR honoured).
std::shared_ptr<boost::asio::ssl::context> make_default_tls_context();

// The URL with any userinfo (user:password@) removed, for error messages and logs.
std::string url_without_credentials(std::string_view url);

}  // namespace oauth2_rest::http

template <>
struct boost::system::is_error_code_enum<oauth2_rest::http::error> : std::true_type {};
