// Bunyan JSON lines: {"name","hostname","pid","level","msg","time","v":0,...}.
#include "util/log.hpp"

#include "util/json_write.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include <unistd.h>

namespace oauth2_rest::log {
namespace {

struct logger_state {
  std::mutex mutex;
  settings config;
  std::string hostname;
  long pid = 0;
};

logger_state& state() {
  static logger_state s;
  return s;
}

std::atomic<int> min_level{static_cast<int>(level::info)};

std::string iso_time_now() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // strftime for the fixed-width fields, the milliseconds by hand: snprintf's "%04d" of an int has
  // no bound GCC can prove, so it warns (-Wformat-truncation) whatever the buffer.
  char buf[32];
  std::string out(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm));
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += 'Z';
  return out;
}

}  // namespace

void configure(settings s) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  st.hostname = host;
  st.pid = static_cast<long>(getpid());
  min_level.store(static_cast<int>(s.min_level));
  st.config = std::move(s);
}

bool enabled(level l) { return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed); }

void write(level l, std::string_view msg, const boost::json::object& fields) {
  if (!enabled(l)) return;
  auto& st = state();
  boost::json::object line;
  {
    std::lock_guard lock(st.mutex);
    if (st.pid == 0) {
      char host[256] = {};
      if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
      st.hostname = host;
      st.pid = static_cast<long>(getpid());
    }
    line["name"] = st.config.name;
    line["hostname"] = st.hostname;
    line["pid"] = st.pid;
    for (const auto& kv : st.config.context) line[kv.key()] = kv.value();
  }
  line["level"] = static_cast<int>(l);
  for (const auto& kv : fields) line[kv.key()] = kv.value();
  line["msg"] = msg;
  line["time"] = iso_time_now();
  line["v"] = 0;
  std::string text = write_json(line);
  text.push_back('\n');
  std::lock_guard lock(st.mutex);
  std::fwrite(text.data(), 1, text.size(), st.config.out);
  std::fflush(st.config.out);
}

std::optional<level> parse_level(std::string_view text) {
  std::string lower;
  for (char c : text) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (lower == "trace") return level::trace;
  if (lower == "debug") return level::debug;
  if (lower == "info") return level::info;
  if (lower == "warn" || lower == "warning") return level::warn;
  if (lower == "error") return level::error;
  if (lower == "fatal") return level::fatal;
  return std::nullopt;
}

}  // namespace oauth2_rest::log
