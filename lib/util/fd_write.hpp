// Writing a whole buffer to a file descriptor, retrying short writes and EINTR.
#pragma once

#include <cerrno>
#include <string_view>
#include <sys/types.h>
#include <unistd.h>

namespace oauth2_rest {

// false when write(2) fails or writes nothing (errno says why).
inline bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace oauth2_rest
