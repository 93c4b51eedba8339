// A body_sink that undoes a response's Content-Encoding piece by piece (SPEC 3 and 9): what an
// attachment stores is the content, decoded as the in-memory path (content_coding.hpp) decodes
// it, without ever holding the body.
//
// start() reads the response's Content-Encoding fields (a list, last applied first, at most
// max_stacked_codings; identity skipped): gzip and x-gzip (concatenated members decoded in turn,
// bytes after the end that start no member ignored), deflate (zlib-wrapped when its first two
// bytes are a zlib header, raw otherwise: unlike the in-memory path there is no second try as raw
// once zlib data turns out corrupt, because the first bytes are gone), br (bytes after the end are
// corrupt). Decoded bytes go to the inner sink; more than `limit` of them is coding_error::
// too_large. finish() says whether the data ended where it should (truncated otherwise). An
// unknown coding fails start(). Messages name the coding, as content_coding.hpp's do.
#pragma once

#include "http/body_stream.hpp"
#include "http/http_client.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace oauth2_rest::http {

class decoding_sink final : public body_sink {
 public:
  decoding_sink(body_sink& inner, std::size_t limit);
  ~decoding_sink() override;
  decoding_sink(const decoding_sink&) = delete;
  decoding_sink& operator=(const decoding_sink&) = delete;

  status start(unsigned status, const std::vector<header>& headers) override;
  status write(std::string_view piece) override;
  status reset() override;
  status finish();
  // Whether a coding was undone (then the response's Content-Encoding and Content-Length no
  // longer describe the stored bytes).
  bool decoded() const { return !stages_.empty(); }
  // The last decoding failure (its code a coding_error), for callers that see it wrapped.
  const std::optional<failure>& failed() const { return failed_; }

  struct stage;

 private:
  status emit(std::size_t index, std::string_view bytes);
  body_sink& inner_;
  std::size_t limit_;
  std::size_t written_ = 0;
  std::vector<std::unique_ptr<stage>> stages_;  // in decoding order
  std::optional<failure> failed_;
  status note(status s);
};

}  // namespace oauth2_rest::http
