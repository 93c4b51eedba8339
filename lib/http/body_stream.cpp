// File-backed request bodies and response sinks (see body_stream.hpp).
#include "http/body_stream.hpp"

#include <boost/system/errc.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace oauth2_rest::http {

namespace {

failure file_failure(const char* what, const std::filesystem::path& path, int err) {
  return failure{boost::system::error_code(err, boost::system::generic_category()),
                 std::string(what) + " '" + path.string() + "': " + std::strerror(err)};
}

class file_source final : public body_source {
 public:
  file_source(std::filesystem::path path, int fd, std::uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~file_source() override { ::close(fd_); }
  std::optional<std::uint64_t> size() const override { return size_; }
  result<std::size_t> read(char* buf, std::size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return file_failure("cannot read", path_, errno);
    }
  }
  status rewind() override {
    if (::lseek(fd_, 0, SEEK_SET) < 0) return file_failure("cannot rewind", path_, errno);
    return ok;
  }

 private:
  std::filesystem::path path_;
  int fd_;
  std::uint64_t size_;
};

}  // namespace

result<std::shared_ptr<body_source>> open_file_source(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_failure("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno != 0 && !S_ISREG(st.st_mode) ? EINVAL : errno;
    ::close(fd);
    return file_failure("not a regular file", path, err == 0 ? EINVAL : err);
  }
  return std::shared_ptr<body_source>(std::make_shared<file_source>(path, fd, static_cast<std::uint64_t>(st.st_size)));
}

result<std::unique_ptr<file_sink>> file_sink::create(std::filesystem::path path, std::size_t excerpt_limit) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return file_failure("cannot create", path, errno);
  return std::unique_ptr<file_sink>(new file_sink(std::move(path), fd, excerpt_limit));
}

file_sink::~file_sink() {
  if (fd_ >= 0) ::close(fd_);
  if (!keep_) ::unlink(path_.c_str());
}

status file_sink::write(std::string_view piece) {
  if (fd_ < 0) return file_failure("cannot write", path_, EBADF);
  if (excerpt_.size() < excerpt_limit_) excerpt_.append(piece.substr(0, excerpt_limit_ - excerpt_.size()));
  size_ += piece.size();
  while (!piece.empty()) {
    const ssize_t n = ::write(fd_, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return file_failure("cannot write", path_, n < 0 ? errno : EIO);
    piece.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok;
}

status file_sink::reset() {
  excerpt_.clear();
  size_ = 0;
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) return file_failure("cannot truncate", path_, errno);
  return ok;
}

status file_sink::finish() {
  // No fsync: the file is an attachment for the next step, not state that must survive a crash.
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return file_failure("cannot write", path_, errno);
  return ok;
}

}  // namespace oauth2_rest::http
