// nginx in a private prefix on a free loopback port: configuration written, started, waited for.
#include "support/nginx_server.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace oauth2_rest::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto start_timeout = 10s;

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("nginx_server: could not write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A port nobody listens on now (nginx binds it a moment later; a lost race is retried).
unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("nginx_server: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("nginx_server: could not find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Everything nginx writes stays under the prefix: pid, logs, the five temp paths (their compiled-in
// defaults are under /var/lib/nginx, which a test must not need).
std::string configuration(const fs::path& prefix, unsigned short port, const std::string& server_directives) {
  const std::string p = prefix.string();
  std::string c;
  c += "daemon off;\nmaster_process off;\nworker_processes 1;\n";
  c += "pid " + p + "/nginx.pid;\n";
  c += "error_log " + p + "/error.log info;\n";
  c += "events { worker_connections 64; }\n";
  c += "http {\n";
  c += "  types { application/json json; text/plain txt; }\n";
  c += "  default_type application/octet-stream;\n";
  c += "  log_format probe '$request_uri|$http_accept_encoding|$gzip_ratio';\n";
  c += "  access_log " + p + "/access.log probe;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
    c += "  " + std::string(temp) + "_temp_path " + p + "/tmp/" + temp + ";\n";
  c += "  server {\n";
  c += "    listen 127.0.0.1:" + std::to_string(port) + ";\n";
  c += "    root " + p + "/html;\n";
  c += "    " + server_directives + "\n";
  c += "  }\n";
  c += "}\n";
  return c;
}

}  // namespace

std::string nginx_server::executable() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

nginx_server::nginx_server(nginx_options options) {
  const std::string program = executable();
  if (program.empty())
    throw std::runtime_error("nginx is not installed (scripts/install-deps.sh --test installs it)");
  const fs::path& prefix = prefix_.path();
  for (const auto& [path, content] : options.files) write_file(prefix / "html" / path, content);
  fs::create_directories(prefix / "tmp");

  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    const fs::path conf = prefix / "nginx.conf";
    write_file(conf, configuration(prefix, port_, options.server_directives));
    // -e: the error log before the configuration is read (otherwise /var/log/nginx/error.log).
    process_ = std::make_unique<child_process>(
        program, std::vector<std::string>{"-p", prefix.string(), "-c", conf.string(), "-e", (prefix / "error.log").string()},
        std::map<std::string, std::string>{}, prefix);
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (std::chrono::steady_clock::now() < deadline && process_->running() && !accepts_connections(port_))
      std::this_thread::sleep_for(20ms);
    if (process_->running() && accepts_connections(port_)) return;
    last_error = process_->err() + read_file(prefix / "error.log");
    process_.reset();  // SIGKILL if it is still there
  }
  throw std::runtime_error("nginx did not start: " + last_error);
}

nginx_server::~nginx_server() {
  if (!process_) return;
  process_->signal(SIGQUIT);  // graceful: finish what is in flight
  if (!process_->wait(5s)) process_->signal(SIGKILL);
  process_->wait(5s);
}

std::string nginx_server::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string nginx_server::access_log() const { return read_file(prefix_.path() / "access.log"); }

}  // namespace oauth2_rest::testing
