// Where the httpRequest action reads and writes attachments (SPEC 9): an interface the runtime
// provides, so the action knows no platform. Local mode implements it with a directory
// (src/local/directory_attachments.*), the platform worker with object storage
// (src/sail/object_storage_attachments.*).
//
// Bodies never sit whole in memory: an opened attachment is a body_source read in pieces, and a
// response to store is written into an upload (a body_sink) piece by piece, then committed under
// its name. An upload that is never committed leaves nothing behind and nothing referenced.
#pragma once

#include "http/body_stream.hpp"
#include "util/result.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace oauth2_rest::action {

struct opened_attachment {
  std::shared_ptr<http::body_source> body;
  std::string content_type;  // as the store knows it; empty when it does not
};

struct stored_attachment {
  std::string url;  // what the next step reads it by
  std::uint64_t size = 0;
};

class attachment_upload : public http::body_sink {
 public:
  // The first bytes written (for error texts that quote a body that was not stored).
  virtual const std::string& excerpt() const = 0;
  virtual std::uint64_t size() const = 0;
  // Stores what was written under `name`; after it the upload is spent.
  virtual boost::asio::awaitable<result<stored_attachment>> commit(std::string name, std::string content_type) = 0;
};

class attachment_store {
 public:
  virtual ~attachment_store() = default;
  // reference: an attachment URL, or a bare name the store may know (local mode's files).
  virtual boost::asio::awaitable<result<opened_attachment>> open(std::string reference) = 0;
  virtual result<std::unique_ptr<attachment_upload>> begin_upload() = 0;
};

}  // namespace oauth2_rest::action
