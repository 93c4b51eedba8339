// Local mode's progress line (SPEC 10): "read 1200, done 1180, errors 3, 412.5 msg/s" on
// stderr, redrawn in place (carriage return + erase line) at most ten times a second, erased
// at the end, so a terminal shows where a long `process` run is and the scrollback keeps
// nothing of it. Never on stdout (which carries the events).
//
// Driven by a timer on the executor that runs the messages: the message path only increments
// the counters (no call, no clock read per message). The rate is the messages done over the
// last second or so (since the start during the first second).
//
// Shown by default when stderr is a terminal; --progress / --no-progress force it. The log
// shares that terminal: while the report lives, log lines go through it (route_log), and each
// one first erases the progress line, so a log line never lands at the end of a progress line;
// the next tick draws the progress again below it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace oauth2_rest::local {

struct progress_counters {
  std::size_t read = 0;    // input lines read (blank lines included)
  std::size_t done = 0;    // messages ended (their end event written)
  std::size_t errors = 0;  // error events
};

// forced: --progress (true) or --no-progress (false); otherwise whether `fd` is a terminal.
bool progress_wanted(std::optional<bool> forced, int fd);

// The text of one update, without the carriage return and erase: "read 3, done 2, errors 0, 1.5 msg/s".
std::string format_progress(const progress_counters& c, double messages_per_second);

class progress_report {
 public:
  static constexpr std::chrono::milliseconds interval{100};  // at most ten updates a second

  // Starts drawing at once; `counters` must outlive the report.
  progress_report(boost::asio::any_io_executor executor, const progress_counters& counters, int fd);
  ~progress_report();  // finish()
  progress_report(const progress_report&) = delete;
  progress_report& operator=(const progress_report&) = delete;

  // Sends the log (its level kept) through log_write while the report lives; finish() gives
  // the log its plain stream back. Without fopencookie the log is left as it is.
  void route_log();

  // Stops the timer, erases the line and gives the log back (once; later calls do nothing).
  void finish();

 private:
  static ssize_t log_write(void* self, const char* data, std::size_t size);
  void schedule();
  void tick();
  void draw();

  boost::asio::steady_timer timer_;
  const progress_counters& counters_;
  int fd_;
  bool finished_ = false;
  bool showing_ = false;  // the progress line is on the terminal now (not erased by a log line)
  std::FILE* log_stream_ = nullptr;
  std::chrono::steady_clock::time_point last_draw_{};
  std::size_t last_read_ = 0, last_done_ = 0, last_errors_ = 0;
  // (time, done) of the last second's ticks, for the rate.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::size_t>> samples_;
};

}  // namespace oauth2_rest::local
