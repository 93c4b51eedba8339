// The progress line: a timer, the counters, one write(2) per update.
#include "local/progress.hpp"

#include "util/log.hpp"

#include <cerrno>
#include <cstdio>

#include <unistd.h>

namespace oauth2_rest::local {

namespace {

// Carriage return, then "erase to the end of the line" (ECMA-48 EL, CSI K): the next text
// replaces the line, and a shorter text leaves nothing of a longer one behind.
constexpr std::string_view erase_line = "\r\x1b[K";

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: progress is not worth failing for
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

bool progress_wanted(std::optional<bool> forced, int fd) { return forced.value_or(::isatty(fd) == 1); }

std::string format_progress(const progress_counters& c, double messages_per_second) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", messages_per_second);
  return "read " + std::to_string(c.read) + ", done " + std::to_string(c.done) + ", errors " +
         std::to_string(c.errors) + ", " + rate + " msg/s";
}

progress_report::progress_report(boost::asio::any_io_executor executor, const progress_counters& counters, int fd)
    : timer_(std::move(executor)), counters_(counters), fd_(fd) {
  samples_.emplace_back(std::chrono::steady_clock::now(), counters_.done);
  schedule();
}

progress_report::~progress_report() { finish(); }

void progress_report::schedule() {
  timer_.expires_after(interval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || finished_) return;
    tick();
    schedule();
  });
}

void progress_report::tick() {
  const auto now = std::chrono::steady_clock::now();
  samples_.emplace_back(now, counters_.done);
  while (samples_.size() > 2 && now - samples_[1].first >= std::chrono::seconds(1)) samples_.pop_front();
  const bool changed = counters_.read != last_read_ || counters_.done != last_done_ || counters_.errors != last_errors_;
  // Unchanged counters still change the rate: redraw those once a second.
  if (changed || !showing_ || now - last_draw_ >= std::chrono::seconds(1)) draw();
}

void progress_report::draw() {
  const auto& [then, done_then] = samples_.front();
  const auto& [now, done_now] = samples_.back();
  const double seconds = std::chrono::duration<double>(now - then).count();
  const double rate = seconds > 0 ? static_cast<double>(done_now - done_then) / seconds : 0.0;
  std::string line(erase_line);
  line += format_progress(counters_, rate);
  write_all(fd_, line);
  showing_ = true;
  last_draw_ = now;
  last_read_ = counters_.read;
  last_done_ = counters_.done;
  last_errors_ = counters_.errors;
}

// The log's lowest enabled level: log.hpp has no getter, and routing must keep the level.
static log::level current_log_level() {
  for (auto l : {log::level::trace, log::level::debug, log::level::info, log::level::warn, log::level::error})
    if (log::enabled(l)) return l;
  return log::level::fatal;
}

void progress_report::route_log() {
  if (log_stream_ != nullptr || finished_) return;
  cookie_io_functions_t io{};
  io.write = &progress_report::log_write;
  log_stream_ = ::fopencookie(this, "w", io);
  if (log_stream_ == nullptr) return;
  std::setvbuf(log_stream_, nullptr, _IONBF, 0);  // each log line reaches log_write at once
  log::settings s;
  s.out = log_stream_;
  s.min_level = current_log_level();
  log::configure(std::move(s));
}

ssize_t progress_report::log_write(void* self, const char* data, std::size_t size) {
  auto* report = static_cast<progress_report*>(self);
  if (report->showing_) {
    write_all(report->fd_, erase_line);
    report->showing_ = false;  // the next tick draws it again, below the log line
  }
  write_all(report->fd_, std::string_view(data, size));
  return static_cast<ssize_t>(size);
}

void progress_report::finish() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  if (log_stream_ != nullptr) {
    log::settings s;
    s.out = stderr;
    s.min_level = current_log_level();
    log::configure(std::move(s));
    std::fclose(log_stream_);
    log_stream_ = nullptr;
  }
  if (showing_) write_all(fd_, erase_line);
}

}  // namespace oauth2_rest::local
