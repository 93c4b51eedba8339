// A TCP fault proxy for the reliability tests: placed between the worker and the broker, the
// API or the token server, it forwards bytes and breaks the traffic on demand.
//
// It listens on 127.0.0.1 (a free port), runs on its own thread with its own io_context (like
// http_server), and forwards each accepted connection to a target host:port. The mode can be
// switched at any time from any thread and applies at once to every connection:
//   pass                 forward as received
//   delay                wait `delay` before forwarding each chunk read
//   hang                 stop forwarding both ways but keep every socket open (a half-open peer:
//                        nothing arrives, nothing is refused); new connections are accepted and
//                        held too; forwarding resumes when the mode changes
//   close                close every connection (FIN both sides); new ones are closed at accept
//   reset                reset (RST) every connection; new ones are reset at accept
//   reset_after_bytes    each connection is reset once it has forwarded `reset_after` bytes
//                        (both directions together, counted from its accept)
//   slice                forward in chunks of `slice_bytes` bytes, one write each
// Independently of the mode, set_fault_every(n, after) resets every n-th new connection after
// `after` bytes (the soak's "1% of connections faulted").
// Connections and bytes are counted.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace oauth2_rest::testing {

enum class fault_mode { pass, delay, hang, close, reset, reset_after_bytes, slice };

class fault_proxy {
 public:
  // Starts listening and forwarding at once; the target is an IPv4/IPv6 literal ("127.0.0.1").
  fault_proxy(std::string target_host, unsigned short target_port);
  ~fault_proxy();  // closes everything, joins its thread
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  unsigned short port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  void set_mode(fault_mode mode);
  fault_mode mode() const;
  void set_delay(std::chrono::milliseconds delay);  // for fault_mode::delay (default 50 ms)
  void set_reset_after(std::size_t bytes);          // for fault_mode::reset_after_bytes (default 0)
  void set_slice_bytes(std::size_t bytes);          // for fault_mode::slice (default 1)
  // Every n-th accepted connection (n, 2n, ...) is reset after `after_bytes`; n = 0 turns it off.
  void set_fault_every(std::size_t n, std::size_t after_bytes);

  std::size_t connection_count() const;       // accepted so far
  std::size_t open_connection_count() const;  // accepted and not yet finished
  std::size_t faulted_connection_count() const;  // closed or reset by the proxy
  std::size_t bytes_to_target() const;        // client -> target, forwarded
  std::size_t bytes_to_client() const;        // target -> client, forwarded

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace oauth2_rest::testing
