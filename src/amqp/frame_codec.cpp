// AMQP frames <-> bytes (format in the header).
#include "amqp/frame_codec.hpp"

#include "amqp/error.hpp"

#include <amqp_framing.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace oauth2_rest::amqp {
namespace {

constexpr std::uint8_t frame_end = 0xCE;
constexpr std::size_t header_size = 7;

void put16(char* p, std::uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
void put32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
}
void put64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (56 - 8 * i));
}
std::uint16_t get16(const char* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]));
}
std::uint32_t get32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint64_t get64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

failure encode_failure(const std::string& what, int rc) {
  return {make_error_code(error::refused), std::string("cannot encode ") + what + ": " + amqp_error_string2(rc)};
}

// Writes the frame header for a payload that the caller then fills in at out[start + 7 ...].
std::size_t open_frame(std::string& out, std::uint8_t type, std::uint16_t channel, std::size_t payload_room) {
  const std::size_t start = out.size();
  out.resize(start + header_size + payload_room + 1);
  out[start] = static_cast<char>(type);
  put16(&out[start + 1], channel);
  return start;
}
void close_frame(std::string& out, std::size_t start, std::size_t payload) {
  put32(&out[start + 3], static_cast<std::uint32_t>(payload));
  out[start + header_size + payload] = static_cast<char>(frame_end);
  out.resize(start + header_size + payload + 1);
}

}  // namespace

std::string method_name(amqp_method_number_t id) {
  // rabbitmq-c names only the methods it knows; a broker (or garbage) may send others.
  if (const char* name = amqp_method_name(id)) return name;
  char text[32];
  std::snprintf(text, sizeof text, "method 0x%08x", static_cast<unsigned>(id));
  return text;
}

// Method arguments and message properties are a few hundred bytes: they are encoded into a
// small room on the stack and appended with their exact size; only one that does not fit is
// encoded again into a whole frame's room. (Growing the output string to a room zero-fills it:
// 4 KiB twice per message was a tenth of the worker's instructions.)
constexpr std::size_t first_room = 4096;

namespace {
// Appends one whole frame whose payload is `payload`.
void append_frame(std::string& out, std::uint8_t type, std::uint16_t channel, std::string_view payload) {
  char head[header_size];
  head[0] = static_cast<char>(type);
  put16(head + 1, channel);
  put32(head + 3, static_cast<std::uint32_t>(payload.size()));
  out.append(head, header_size);
  out.append(payload);
  out.push_back(static_cast<char>(frame_end));
}
}  // namespace

status frame_writer::method(std::string& out, std::uint16_t channel, amqp_method_number_t id, const void* arguments) {
  const std::size_t full = frame_max_ - frame_overhead;
  char small[first_room];
  const std::size_t small_room = std::min(first_room, full);
  put32(small, id);
  int n = amqp_encode_method(id, const_cast<void*>(arguments), amqp_bytes_t{small_room - 4, small + 4});
  if (n >= 0) {
    append_frame(out, AMQP_FRAME_METHOD, channel, std::string_view(small, static_cast<std::size_t>(n) + 4));
    return ok;
  }
  if (small_room == full) return encode_failure(method_name(id), n);
  const std::size_t start = open_frame(out, AMQP_FRAME_METHOD, channel, full);
  put32(&out[start + header_size], id);
  n = amqp_encode_method(id, const_cast<void*>(arguments), amqp_bytes_t{full - 4, &out[start + header_size + 4]});
  if (n < 0) {
    out.resize(start);
    return encode_failure(method_name(id), n);
  }
  close_frame(out, start, static_cast<std::size_t>(n) + 4);
  return ok;
}

status frame_writer::publish(std::string& out, std::uint16_t channel, const amqp_basic_publish_t& publish,
                             const amqp_basic_properties_t& properties, std::string_view body) {
  const std::size_t rollback = out.size();
  if (auto s = method(out, channel, AMQP_BASIC_PUBLISH_METHOD, &publish); !s) return s;

  const std::size_t room = frame_max_ - frame_overhead;
  auto header_prefix = [&](char* p) {
    put16(p, AMQP_BASIC_CLASS);
    put16(p + 2, 0);
    put64(p + 4, body.size());
  };
  char small[first_room];
  const std::size_t small_room = std::min(first_room, room);
  header_prefix(small);
  int n = amqp_encode_properties(AMQP_BASIC_CLASS, const_cast<amqp_basic_properties_t*>(&properties),
                                 amqp_bytes_t{small_room - 12, small + 12});
  if (n >= 0) {
    append_frame(out, AMQP_FRAME_HEADER, channel, std::string_view(small, static_cast<std::size_t>(n) + 12));
  } else {
    const std::size_t start = small_room == room ? 0 : open_frame(out, AMQP_FRAME_HEADER, channel, room);
    if (small_room != room) {
      header_prefix(&out[start + header_size]);
      n = amqp_encode_properties(AMQP_BASIC_CLASS, const_cast<amqp_basic_properties_t*>(&properties),
                                 amqp_bytes_t{room - 12, &out[start + header_size + 12]});
    }
    if (n < 0) {
      out.resize(rollback);
      return encode_failure("the message properties (headers too large for a frame?)", n);
    }
    close_frame(out, start, static_cast<std::size_t>(n) + 12);
  }

  out.reserve(out.size() + body.size() + (body.size() / room + 1) * frame_overhead);
  for (std::size_t at = 0; at < body.size(); at += room)
    append_frame(out, AMQP_FRAME_BODY, channel, body.substr(at, std::min(room, body.size() - at)));
  return ok;
}

void frame_writer::heartbeat(std::string& out) {
  const std::size_t start = open_frame(out, AMQP_FRAME_HEARTBEAT, 0, 0);
  close_frame(out, start, 0);
}

frame_reader::frame_reader(std::uint32_t frame_max) : frame_max_(frame_max) { init_amqp_pool(&pool_, 4096); }

frame_reader::~frame_reader() { empty_amqp_pool(&pool_); }

char* frame_reader::prepare(std::size_t n) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < n) {
    // Move the unread tail to the front before growing: the buffer stays about one frame big.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < n) buffer_.resize(end_ + n);
  }
  return buffer_.data() + end_;
}

void frame_reader::feed(std::string_view bytes) {
  std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
  commit(bytes.size());
}

result<bool> frame_reader::next(frame& out) {
  const std::size_t have = end_ - begin_;
  if (have < header_size) return false;
  const char* p = buffer_.data() + begin_;
  if (p[0] == 'A') {
    // "AMQP" + version: the server does not speak our protocol version.
    if (have < 8) return false;
    return failure{make_error_code(error::protocol), "the broker does not speak AMQP 0-9-1 (it answered with protocol " +
                                                         std::to_string(static_cast<unsigned char>(p[5])) + "-" +
                                                         std::to_string(static_cast<unsigned char>(p[6])) + "-" +
                                                         std::to_string(static_cast<unsigned char>(p[7])) + ")"};
  }
  const std::uint32_t size = get32(p + 3);
  if (size > frame_max_ - frame_overhead)
    return failure{make_error_code(error::protocol),
                   "AMQP frame of " + std::to_string(size) + " bytes exceeds frame-max " + std::to_string(frame_max_)};
  if (have < header_size + size + 1) return false;
  if (static_cast<std::uint8_t>(p[header_size + size]) != frame_end)
    return failure{make_error_code(error::protocol), "malformed AMQP frame (bad frame-end octet)"};

  recycle_amqp_pool(&pool_);
  out = frame{};
  out.type = static_cast<std::uint8_t>(p[0]);
  out.channel = get16(p + 1);
  const char* payload = p + header_size;
  begin_ += header_size + size + 1;
  switch (out.type) {
    case AMQP_FRAME_METHOD: {
      if (size < 4) return failure{make_error_code(error::protocol), "malformed AMQP method frame"};
      out.method_id = get32(payload);
      amqp_bytes_t args{size - 4, const_cast<char*>(payload + 4)};
      int rc = amqp_decode_method(out.method_id, &pool_, args, &out.method);
      if (rc < 0)
        return failure{make_error_code(error::protocol),
                       "cannot decode AMQP " + method_name(out.method_id) + ": " +
                           amqp_error_string2(rc)};
      return true;
    }
    case AMQP_FRAME_HEADER: {
      if (size < 14) return failure{make_error_code(error::protocol), "malformed AMQP content header"};
      out.class_id = get16(payload);
      out.body_size = get64(payload + 4);
      if (out.class_id != AMQP_BASIC_CLASS) return true;  // never sent to us; ignored by the caller
      amqp_bytes_t props{size - 12, const_cast<char*>(payload + 12)};
      void* decoded = nullptr;
      int rc = amqp_decode_properties(out.class_id, &pool_, props, &decoded);
      if (rc < 0)
        return failure{make_error_code(error::protocol),
                       std::string("cannot decode AMQP message properties: ") + amqp_error_string2(rc)};
      out.properties = static_cast<const amqp_basic_properties_t*>(decoded);
      return true;
    }
    case AMQP_FRAME_BODY: out.body = std::string_view(payload, size); return true;
    case AMQP_FRAME_HEARTBEAT: return true;
    default:
      return failure{make_error_code(error::protocol), "unknown AMQP frame type " + std::to_string(out.type)};
  }
}

}  // namespace oauth2_rest::amqp
