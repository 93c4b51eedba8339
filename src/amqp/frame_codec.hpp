// frame_codec: AMQP 0-9-1 frames to bytes and back, with no I/O.
//
// The wire format is ours to move (the connection driver owns the socket), but the argument and
// property encodings are rabbitmq-c's generated codec (amqp_encode_method / amqp_decode_method /
// amqp_encode_properties / amqp_decode_properties), so every method's layout is the library's and
// not hand-written here. A test can feed the reader any byte sequence, one byte at a time if it
// likes, and check the writer's output against it.
//
// Frame: type (1) | channel (2) | size (4) | payload (size) | 0xCE.
// Method payload: class-id << 16 | method-id (4) | arguments.
// Header payload: class-id (2) | weight 0 (2) | body size (8) | property flags and properties.
#pragma once

#include "util/result.hpp"

#include <amqp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oauth2_rest::amqp {

inline constexpr std::string_view protocol_header{"AMQP\x00\x00\x09\x01", 8};
inline constexpr std::size_t frame_overhead = 8;  // 7-byte header + frame-end octet
inline constexpr std::uint32_t default_frame_max = 131072;

// The method's AMQP name ("basic.ack"), or its number for one rabbitmq-c does not know.
std::string method_name(amqp_method_number_t id);

// Appends encoded frames to a byte string. Every append either adds whole frames or, on an
// encoding failure (a field too long, a table too big for a frame), adds nothing and says why.
class frame_writer {
 public:
  explicit frame_writer(std::uint32_t frame_max = default_frame_max) : frame_max_(frame_max) {}
  void set_frame_max(std::uint32_t frame_max) { frame_max_ = frame_max; }
  std::uint32_t frame_max() const { return frame_max_; }

  status method(std::string& out, std::uint16_t channel, amqp_method_number_t id, const void* arguments);
  // basic.publish, its content header and the body split into frames of at most frame_max.
  status publish(std::string& out, std::uint16_t channel, const amqp_basic_publish_t& publish,
                 const amqp_basic_properties_t& properties, std::string_view body);
  static void heartbeat(std::string& out);

 private:
  std::uint32_t frame_max_;
};

// One decoded frame. Views (method arguments, properties, body) point into the reader's buffer and
// its pool: valid until the next call to next().
struct frame {
  std::uint8_t type = 0;  // AMQP_FRAME_METHOD / HEADER / BODY / HEARTBEAT
  std::uint16_t channel = 0;
  amqp_method_number_t method_id = 0;  // method frames
  void* method = nullptr;              // the decoded arguments (amqp_*_t of method_id)
  std::uint16_t class_id = 0;          // header frames
  std::uint64_t body_size = 0;         // header frames
  const amqp_basic_properties_t* properties = nullptr;  // header frames of the basic class
  std::string_view body;                                // body frames
};

// Collects bytes and cuts them into frames. A malformed frame (bad frame-end, a size over
// frame_max, arguments that do not decode) is a connection error: next() says so, and the caller
// closes the connection (AMQP's FRAME_ERROR / SYNTAX_ERROR are connection-level).
class frame_reader {
 public:
  explicit frame_reader(std::uint32_t frame_max = default_frame_max);
  ~frame_reader();
  frame_reader(const frame_reader&) = delete;
  frame_reader& operator=(const frame_reader&) = delete;
  void set_frame_max(std::uint32_t frame_max) { frame_max_ = frame_max; }

  // Where the caller may write up to `n` new bytes; commit(k) says how many it wrote.
  char* prepare(std::size_t n);
  void commit(std::size_t k) { end_ += k; }
  void feed(std::string_view bytes);  // prepare + copy + commit

  // The next complete frame: true and `out` filled; false when more bytes are needed; a failure
  // when the stream is not AMQP. A server that refuses our protocol version answers with its own
  // protocol header instead of a frame: that is reported as a failure naming it.
  result<bool> next(frame& out);
  std::size_t buffered() const { return end_ - begin_; }

 private:
  std::string buffer_;
  std::size_t begin_ = 0, end_ = 0;
  std::uint32_t frame_max_;
  amqp_pool_t pool_;
};

}  // namespace oauth2_rest::amqp
