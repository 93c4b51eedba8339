// A real squid (Debian's package) on a loopback port, for the proxy tests: its configuration,
// logs, pid file and password file in a temp_dir, started in the foreground (-N) as a
// child_process under a service name of its own (-n: squid names its shared memory segments
// after it, so parallel squids do not collide), stopped on destruction. No cache, no system file
// read or written except squid's own binaries and helpers.
//
// With a user set, every request needs Proxy-Authorization: Basic (squid's basic_ncsa_auth
// helper against an htpasswd file written with `openssl passwd -apr1`). CONNECT is allowed to
// every port except denied_connect_port (answered 403 by squid without connecting).
//
// As root (CI), squid refuses to run as root and switches to its cache_effective_user, Debian's
// "proxy": the temp dir is then handed to that user so squid can write its logs there.
#pragma once

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace oauth2_rest::testing {

struct squid_options {
  std::string user;      // empty: no authentication
  std::string password;
  unsigned short denied_connect_port = 25;
};

class squid_server {
 public:
  // Throws std::runtime_error naming what went wrong (squid not installed, did not start).
  explicit squid_server(squid_options options = {});
  ~squid_server();
  squid_server(const squid_server&) = delete;
  squid_server& operator=(const squid_server&) = delete;

  // The squid executable found on this machine, or empty.
  static std::string executable();

  unsigned short port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT"
  // The access log so far (squid's native format: one line per request, with the method and
  // URL, e.g. "CONNECT localhost:8443" or "GET http://127.0.0.1:8080/x", and the status).
  std::string access_log() const;
  // Whether the access log holds `text` within `timeout` (squid logs a CONNECT when its tunnel closes).
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  temp_dir prefix_;
  std::string service_name_;
  unsigned short port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace oauth2_rest::testing
