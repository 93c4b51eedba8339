// Conversion between rabbitmq-c's wire structures and our message values.
//
// Field table <-> JSON:
//   'S' long string (and 'x' byte array)       -> string        string      -> 'S'
//   'b' 'B' 's' 'u' 'I' 'i' 'l' 'L' integers   -> int64         int64       -> 'l' (signed 64-bit)
//     ('L' above INT64_MAX stays uint64)                          uint64      -> 'l', or 'd' above INT64_MAX
//   'f' 'd'                                    -> double        double      -> 'd'
//   't'                                        -> bool          bool        -> 't'
//   'F' table / 'A' array                      -> object / array (recursively, both ways;
//                                                  see max_field_table_depth)
//   'V' void                                   -> null          null        -> 'V'
//   'T' timestamp                              -> uint64
//   'D' decimal and unknown kinds are skipped.
// Used by the broker client and by the tests' synchronous helper.
#pragma once

#include "amqp/message.hpp"

#include <amqp.h>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace oauth2_rest::amqp {

inline std::string_view to_string_view(amqp_bytes_t b) noexcept {
  return {static_cast<const char*>(b.bytes), b.len};
}
inline amqp_bytes_t to_bytes(std::string_view s) noexcept {
  return {s.size(), const_cast<char*>(s.data())};
}

// How deep tables and arrays nest below the headers table in table_to_json. The publisher
// decides the nesting (a 128 KB frame holds about 20k levels) and the conversion recurses once
// per level, so an unbounded depth is a stack overflow someone else can cause. The platform's
// headers are flat; 64 is far beyond any real use. A table or array that would be nested
// deeper is skipped, as kinds we do not map are: there is no error to report per header, and
// the message itself stays processable.
inline constexpr std::size_t max_field_table_depth = 64;
boost::json::object table_to_json(const amqp_table_t& table);
// The same for the headers table of a message, as a header_table (order kept; a repeated key
// keeps its first value, as in table_to_json).
header_table table_to_headers(const amqp_table_t& table);
message_properties properties_from_amqp(const amqp_basic_properties_t& props);

// Builds the amqp_basic_properties_t of one publish. Strings point into the message_properties
// passed to encode() (no copy); tables live in a pool that is recycled on the next encode(), so
// the steady state allocates nothing. The result is valid until the next encode() call and
// while `props` is alive and unchanged.
class properties_encoder {
 public:
  properties_encoder();
  ~properties_encoder();
  properties_encoder(const properties_encoder&) = delete;
  properties_encoder& operator=(const properties_encoder&) = delete;

  const amqp_basic_properties_t& encode(const message_properties& props);

 private:
  amqp_table_t encode_table(const header_table& headers);
  amqp_table_t encode_table(const boost::json::object& object);
  template <class Table>
  amqp_table_t encode_entries(const Table& entries);
  amqp_field_value_t encode_value(const boost::json::value& value);
  void* allocate(std::size_t bytes);

  amqp_pool_t pool_;
  amqp_basic_properties_t out_{};
};

}  // namespace oauth2_rest::amqp
