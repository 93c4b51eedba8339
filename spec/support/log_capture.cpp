// The logger into a memory stream (open_memstream), and back to stderr afterwards.
#include "support/log_capture.hpp"

#include <cstdlib>
#include <stdexcept>

namespace oauth2_rest::testing {

log_capture::log_capture(log::level min_level) {
  stream_ = ::open_memstream(&buffer_, &size_);
  if (stream_ == nullptr) throw std::runtime_error("log_capture: open_memstream failed");
  log::settings s;
  s.out = stream_;
  s.min_level = min_level;
  log::configure(std::move(s));
}

log_capture::~log_capture() {
  log::configure(log::settings{});
  std::fclose(stream_);
  std::free(buffer_);
}

std::string log_capture::text() const {
  std::fflush(stream_);  // the logger flushes every line; this makes buffer_ / size_ current
  return std::string(buffer_ != nullptr ? buffer_ : "", size_);
}

std::size_t log_capture::count(std::string_view what) const {
  const std::string t = text();
  std::size_t n = 0;
  for (auto at = t.find(what); !what.empty() && at != std::string::npos; at = t.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace oauth2_rest::testing
