// squid in a private directory on a free loopback port: configuration and password file written,
// started, waited for; stopped and its shared memory segments removed.
#include "support/squid_server.hpp"

#include "support/process_runner.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace oauth2_rest::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto start_timeout = 15s;
constexpr const char* basic_auth_helper = "/usr/lib/squid/basic_ncsa_auth";

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("squid_server: could not write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("squid_server: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("squid_server: could not find a free port");
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

// An htpasswd line with an Apache MD5 hash, which basic_ncsa_auth reads.
std::string password_line(const std::string& user, const std::string& password) {
  std::string openssl;
  for (const char* candidate : {"/usr/bin/openssl", "/usr/local/bin/openssl"})
    if (::access(candidate, X_OK) == 0) openssl = candidate;
  if (openssl.empty()) throw std::runtime_error("squid_server: openssl is not installed");
  auto r = run_process({.program = openssl, .args = {"passwd", "-apr1", "-stdin"}, .input = password + "\n",
                        .timeout = std::chrono::seconds(20)});
  std::string hash = r.out;
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  if (r.exit_code != 0 || hash.rfind("$apr1$", 0) != 0)
    throw std::runtime_error("squid_server: openssl passwd -apr1 failed: " + r.err);
  return user + ":" + hash + "\n";
}

// Everything squid writes stays in the prefix; nothing is cached; shutdown does not linger.
std::string configuration(const fs::path& prefix, unsigned short port, const squid_options& options) {
  const std::string p = prefix.string();
  std::string c;
  c += "http_port 127.0.0.1:" + std::to_string(port) + "\n";
  c += "pid_filename " + p + "/squid.pid\n";
  c += "cache_log " + p + "/cache.log\n";
  c += "access_log stdio:" + p + "/access.log\n";
  c += "cache_store_log none\n";
  c += "strip_query_terms off\n";  // the tests read the URLs squid was sent
  c += "coredump_dir " + p + "\n";
  c += "cache deny all\n";
  c += "cache_mem 8 MB\n";
  c += "max_filedescriptors 1024\n";
  c += "netdb_filename none\n";
  c += "pinger_enable off\n";
  c += "logfile_rotate 0\n";
  c += "shutdown_lifetime 0 seconds\n";
  c += "acl denied_port port " + std::to_string(options.denied_connect_port) + "\n";
  c += "acl CONNECT method CONNECT\n";
  c += "http_access deny CONNECT denied_port\n";
  if (!options.user.empty()) {
    c += "auth_param basic program " + std::string(basic_auth_helper) + " " + p + "/passwd\n";
    c += "auth_param basic children 2 startup=1\n";
    c += "acl authenticated proxy_auth REQUIRED\n";
    c += "http_access allow authenticated\n";
    c += "http_access deny all\n";
  } else {
    c += "http_access allow all\n";
  }
  return c;
}

// As root, squid drops to its cache_effective_user (Debian's "proxy"), which must own the prefix.
void hand_to_squid_user(const fs::path& prefix) {
  if (::geteuid() != 0) return;
  const passwd* user = ::getpwnam("proxy");
  if (!user) throw std::runtime_error("squid_server: running as root but there is no 'proxy' user for squid");
  if (::chown(prefix.c_str(), user->pw_uid, user->pw_gid) != 0)
    throw std::runtime_error("squid_server: could not chown " + prefix.string());
  for (const auto& entry : fs::directory_iterator(prefix))
    if (::chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::runtime_error("squid_server: could not chown " + entry.path().string());
}

void remove_shared_memory(const std::string& service_name) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev/shm", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(service_name + "-", 0) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace

std::string squid_server::executable() {
  for (const char* candidate : {"/usr/sbin/squid", "/usr/local/sbin/squid", "/usr/bin/squid"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

squid_server::squid_server(squid_options options) {
  const std::string program = executable();
  if (program.empty()) throw std::runtime_error("squid is not installed (scripts/install-deps.sh --test installs it)");
  if (!options.user.empty() && ::access(basic_auth_helper, X_OK) != 0)
    throw std::runtime_error(std::string("squid's ") + basic_auth_helper + " is missing");
  const fs::path& prefix = prefix_.path();
  static int counter = 0;
  service_name_ = "o2rtest" + std::to_string(::getpid()) + "n" + std::to_string(++counter);
  if (!options.user.empty()) write_file(prefix / "passwd", password_line(options.user, options.password));

  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    const fs::path conf = prefix / "squid.conf";
    write_file(conf, configuration(prefix, port_, options));
    hand_to_squid_user(prefix);
    process_ = std::make_unique<child_process>(program, std::vector<std::string>{"-N", "-n", service_name_, "-f", conf.string()},
                                               std::map<std::string, std::string>{}, prefix);
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (std::chrono::steady_clock::now() < deadline && process_->running() && !accepts_connections(port_))
      std::this_thread::sleep_for(20ms);
    if (process_->running() && accepts_connections(port_)) return;
    last_error = process_->err() + read_file(prefix / "cache.log");
    process_.reset();
    remove_shared_memory(service_name_);
  }
  throw std::runtime_error("squid did not start: " + last_error);
}

squid_server::~squid_server() {
  if (process_) {
    process_->signal(SIGTERM);  // shutdown_lifetime 0: closes at once
    if (!process_->wait(5s)) process_->signal(SIGKILL);
    process_->wait(5s);
    process_.reset();
  }
  remove_shared_memory(service_name_);  // left behind when squid was killed
}

std::string squid_server::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string squid_server::access_log() const { return read_file(prefix_.path() / "access.log"); }

bool squid_server::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (access_log().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace oauth2_rest::testing
