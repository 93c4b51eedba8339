// Bodies that never sit whole in memory: a request body read in pieces (body_source) and a
// response body delivered in pieces (body_sink), for attachments of any size (SPEC 9).
//
// The HTTP client (http_client.hpp) takes a source in request::body_stream, sent with
// Content-Length when its size is known and chunked otherwise, and a sink in
// request_options::sink, which receives the final response's body piece by piece (the bytes as
// received, content codings not undone: wrap it in a decoding_sink for that; a redirect's body
// is never written to it), at most request_options::max_response_body bytes in all, after one
// start() call with the response's status and headers.
//
// The file implementations here use plain blocking reads and writes of at most one piece
// (64 KiB): local files answer in microseconds, and a thread per transfer would cost more than
// it saves. Errors are results naming the file, never exceptions.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::http {

// The size of one piece read or written by the streaming paths.
inline constexpr std::size_t body_piece_size = 64 * 1024;

class body_source {
 public:
  virtual ~body_source() = default;
  // The total size, known before the first read (Content-Length), or nullopt (chunked).
  virtual std::optional<std::uint64_t> size() const = 0;
  // Up to n bytes into buf; 0 at the end.
  virtual result<std::size_t> read(char* buf, std::size_t n) = 0;
  // Back to the first byte: a request sent again (a retry, a new token) sends it all again.
  virtual status rewind() = 0;
};

struct header;

class body_sink {
 public:
  virtual ~body_sink() = default;
  // Called once per response whose body comes here, before its first piece: its status and
  // headers as received (a decoding sink reads Content-Encoding there).
  virtual status start(unsigned status, const std::vector<header>& headers) {
    (void)status;
    (void)headers;
    return ok;
  }
  virtual status write(std::string_view piece) = 0;
  // Forgets what was written: the response it belonged to is not the one kept (a retry).
  virtual status reset() = 0;
};

// A regular file read from its start; size() is its size when opened.
result<std::shared_ptr<body_source>> open_file_source(const std::filesystem::path& path);

// Writes into a file it creates (O_EXCL, mode 0600); keeps the first `excerpt_limit` bytes in
// memory too, so an error text can quote the start of a body stored on disk. The file is
// removed when the sink is destroyed unless keep() was called.
class file_sink final : public body_sink {
 public:
  static result<std::unique_ptr<file_sink>> create(std::filesystem::path path, std::size_t excerpt_limit = 4096);
  ~file_sink() override;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;

  status write(std::string_view piece) override;
  status reset() override;
  // Closes the file (no more writes); it is still removed with the sink unless kept.
  status finish();
  void keep() { keep_ = true; }

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  const std::string& excerpt() const { return excerpt_; }

 private:
  file_sink(std::filesystem::path path, int fd, std::size_t excerpt_limit)
      : path_(std::move(path)), fd_(fd), excerpt_limit_(excerpt_limit) {}
  std::filesystem::path path_;
  int fd_ = -1;
  std::size_t excerpt_limit_;
  std::uint64_t size_ = 0;
  std::string excerpt_;
  bool keep_ = false;
};

}  // namespace oauth2_rest::http
