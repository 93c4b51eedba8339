// A real HTTP/1.1 server on a loopback socket, plain or TLS, for tests and the demo.
//
// It runs on its own thread with its own io_context, so synchronous test code
// (and clients on other io_contexts) can talk to it. Every request is recorded.
// A handler decides each reply; replies can be delayed, chunked, hang forever,
// or close/reset the connection, so clients can be tested against misbehaving
// peers. Keep-alive is honoured unless the reply asks to close.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::testing {

struct server_header {
  std::string name;
  std::string value;
};

struct recorded_request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path and query as sent, e.g. "/api/items?q=1"
  std::vector<server_header> headers;
  std::string body;
  std::size_t connection_id = 0;  // 1 for the first accepted connection, 2 for the next, ...
  std::chrono::steady_clock::time_point received_at;  // when the server had read the whole request
  // TLS with client_ca_pem: the common name of the certificate the client presented.
  std::string client_certificate_subject;

  // Case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::string path() const;   // target without the query
  std::string query() const;  // after '?', empty when none
};

struct reply {
  enum class kind {
    respond,          // send the response below
    hang,             // never answer (until the server stops)
    close,            // close the connection without answering
    reset,            // reset (RST) the connection without answering
    partial_then_reset,  // send headers and half the body, then reset
  };
  kind action = kind::respond;
  unsigned status = 200;
  std::vector<server_header> headers;  // Content-Length is set unless chunked
  std::string body;
  bool chunked = false;               // send the body with Transfer-Encoding: chunked
  bool close_after = false;           // Connection: close, then close
  std::chrono::milliseconds delay{0}; // wait before answering
  // Close after answering without saying so (no Connection: close), as a server
  // does when it drops an idle keep-alive connection.
  bool drop_after = false;

  static reply json(unsigned status, std::string body);
  static reply text(unsigned status, std::string body, std::string content_type = "text/plain");
};

using handler = std::function<reply(const recorded_request&)>;

struct tls_identity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
  // Set on a server's identity: the handshake requires a client certificate issued by this CA
  // (mutual TLS); a client without one is refused before any request.
  std::string client_ca_pem;
  // With client_ca_pem: ask for a client certificate but accept a client without one (its
  // requests then record an empty client_certificate_subject).
  bool client_certificate_optional = false;
};

class http_server {
 public:
  // Listens on 127.0.0.1 (port 0 = a free port) and starts serving at once.
  explicit http_server(handler h, std::optional<tls_identity> tls = std::nullopt,
                       unsigned short port = 0);
  ~http_server();  // stops and joins its thread
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  unsigned short port() const;
  // "http://127.0.0.1:PORT" or "https://localhost:PORT" (TLS certificates are issued for localhost).
  std::string base_url() const;

  // Replaces the handler (thread-safe).
  void set_handler(handler h);

  std::vector<recorded_request> requests() const;  // a copy, in arrival order
  std::size_t request_count() const;
  std::size_t connection_count() const;            // connections accepted so far
  std::size_t open_connection_count() const;       // accepted and not yet closed by the server
  void clear_requests();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace oauth2_rest::testing
