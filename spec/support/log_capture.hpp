// Captures what the process-wide logger writes (util/log.hpp) for as long as it lives, so a test
// can look at warnings nothing else reports (a connection attempt that failed and is retried).
// The logger goes back to its defaults (stderr, info) on destruction. One at a time; the tests
// that use it log from one thread.
#pragma once

#include "util/log.hpp"

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace oauth2_rest::testing {

class log_capture {
 public:
  explicit log_capture(log::level min_level = log::level::info);
  ~log_capture();
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  std::string text() const;                      // every line so far
  std::size_t count(std::string_view what) const;  // occurrences of `what` in text()

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* stream_ = nullptr;
};

}  // namespace oauth2_rest::testing
