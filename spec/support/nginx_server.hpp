// A real nginx on a loopback port, for tests that need a server other than our own: its own
// prefix directory (configuration, document root, logs, temp paths) under a temp_dir, started in
// the foreground (daemon off, no master process) as a child_process, stopped on destruction.
// The access log records, per request, the URI, the Accept-Encoding received and $gzip_ratio
// ("-" when nginx did not compress the answer).
#pragma once

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <map>
#include <memory>
#include <string>

namespace oauth2_rest::testing {

struct nginx_options {
  // Files of the document root: path relative to it -> content.
  std::map<std::string, std::string> files;
  // Directives added to the server block, e.g. "gzip on; gzip_types application/json;".
  std::string server_directives;
};

class nginx_server {
 public:
  // Throws std::runtime_error naming what went wrong (nginx not installed, did not start).
  explicit nginx_server(nginx_options options);
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  // The nginx executable found on this machine, or empty.
  static std::string executable();

  unsigned short port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  // The access log so far: one line per request, "URI|Accept-Encoding|gzip ratio".
  std::string access_log() const;

 private:
  temp_dir prefix_;
  unsigned short port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace oauth2_rest::testing
