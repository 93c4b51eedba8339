// AMQP field tables and basic properties <-> JSON and message_properties (mapping in the header).
#include "amqp/field_table.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <limits>
#include <new>

namespace oauth2_rest::amqp {
namespace {

boost::json::object table_to_json_at(const amqp_table_t& table, std::size_t level);

// false for kinds we do not map (decimal, anything unknown) and for a table or array that
// would sit deeper than max_field_table_depth: the caller skips the entry. `level` is the
// nesting level of this field's value, the headers table being level 0.
bool field_to_json(const amqp_field_value_t& field, boost::json::value& out, std::size_t level) {
  switch (field.kind) {
    case AMQP_FIELD_KIND_BOOLEAN: out = field.value.boolean != 0; return true;
    case AMQP_FIELD_KIND_I8: out = std::int64_t{field.value.i8}; return true;
    case AMQP_FIELD_KIND_U8: out = std::int64_t{field.value.u8}; return true;
    case AMQP_FIELD_KIND_I16: out = std::int64_t{field.value.i16}; return true;
    case AMQP_FIELD_KIND_U16: out = std::int64_t{field.value.u16}; return true;
    case AMQP_FIELD_KIND_I32: out = std::int64_t{field.value.i32}; return true;
    case AMQP_FIELD_KIND_U32: out = std::int64_t{field.value.u32}; return true;
    case AMQP_FIELD_KIND_I64: out = field.value.i64; return true;
    case AMQP_FIELD_KIND_U64:
      if (field.value.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        out = static_cast<std::int64_t>(field.value.u64);
      else
        out = field.value.u64;
      return true;
    case AMQP_FIELD_KIND_F32: out = double{field.value.f32}; return true;
    case AMQP_FIELD_KIND_F64: out = field.value.f64; return true;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: out = boost::json::string(to_string_view(field.value.bytes)); return true;
    case AMQP_FIELD_KIND_TIMESTAMP: out = field.value.u64; return true;
    case AMQP_FIELD_KIND_VOID: out = nullptr; return true;
    case AMQP_FIELD_KIND_TABLE:
      if (level > max_field_table_depth) return false;
      out = table_to_json_at(field.value.table, level);
      return true;
    case AMQP_FIELD_KIND_ARRAY: {
      if (level > max_field_table_depth) return false;
      boost::json::array array;
      array.reserve(static_cast<std::size_t>(field.value.array.num_entries));
      for (int i = 0; i < field.value.array.num_entries; ++i) {
        boost::json::value item;
        if (field_to_json(field.value.array.entries[i], item, level + 1)) array.push_back(std::move(item));
      }
      out = std::move(array);
      return true;
    }
    default: return false;
  }
}

std::optional<std::string> optional_string(const amqp_basic_properties_t& p, amqp_flags_t flag,
                                           amqp_bytes_t bytes) {
  if ((p._flags & flag) == 0) return std::nullopt;
  return std::string(to_string_view(bytes));
}

void set_string(amqp_basic_properties_t& p, amqp_flags_t flag, amqp_bytes_t& field,
                const std::optional<std::string>& value) {
  if (!value) return;
  p._flags |= flag;
  field = to_bytes(*value);
}

boost::json::object table_to_json_at(const amqp_table_t& table, std::size_t level) {
  boost::json::object object;
  object.reserve(static_cast<std::size_t>(table.num_entries));
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];
    boost::json::value value;
    if (field_to_json(entry.value, value, level + 1)) object.emplace(to_string_view(entry.key), std::move(value));
  }
  return object;
}

}  // namespace

boost::json::object table_to_json(const amqp_table_t& table) { return table_to_json_at(table, 0); }

header_table table_to_headers(const amqp_table_t& table) {
  header_table headers;
  headers.reserve(static_cast<std::size_t>(table.num_entries));
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];
    boost::json::value value;
    // emplace: a key repeated in the table keeps its first value, as table_to_json does.
    if (field_to_json(entry.value, value, 1)) headers.emplace(to_string_view(entry.key), std::move(value));
  }
  return headers;
}

message_properties properties_from_amqp(const amqp_basic_properties_t& p) {
  message_properties out;
  if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) out.content_type = to_string_view(p.content_type);
  if (p._flags & AMQP_BASIC_CONTENT_ENCODING_FLAG) out.content_encoding = to_string_view(p.content_encoding);
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) out.headers = table_to_headers(p.headers);
  if (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) out.delivery_mode = p.delivery_mode;
  if (p._flags & AMQP_BASIC_PRIORITY_FLAG) out.priority = p.priority;
  out.correlation_id = optional_string(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
  out.reply_to = optional_string(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to);
  out.expiration = optional_string(p, AMQP_BASIC_EXPIRATION_FLAG, p.expiration);
  out.message_id = optional_string(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id);
  if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) out.timestamp = p.timestamp;
  out.type = optional_string(p, AMQP_BASIC_TYPE_FLAG, p.type);
  out.user_id = optional_string(p, AMQP_BASIC_USER_ID_FLAG, p.user_id);
  out.app_id = optional_string(p, AMQP_BASIC_APP_ID_FLAG, p.app_id);
  return out;
}

properties_encoder::properties_encoder() { init_amqp_pool(&pool_, 4096); }
properties_encoder::~properties_encoder() { empty_amqp_pool(&pool_); }

void* properties_encoder::allocate(std::size_t bytes) {
  void* p = amqp_pool_alloc(&pool_, bytes);
  if (p == nullptr && bytes != 0) throw std::bad_alloc();
  return p;
}

const amqp_basic_properties_t& properties_encoder::encode(const message_properties& props) {
  recycle_amqp_pool(&pool_);
  out_ = {};
  amqp_basic_properties_t& p = out_;
  if (!props.content_type.empty()) {
    p._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
    p.content_type = to_bytes(props.content_type);
  }
  if (!props.content_encoding.empty()) {
    p._flags |= AMQP_BASIC_CONTENT_ENCODING_FLAG;
    p.content_encoding = to_bytes(props.content_encoding);
  }
  if (!props.headers.empty()) {
    p._flags |= AMQP_BASIC_HEADERS_FLAG;
    p.headers = encode_table(props.headers);
  }
  if (props.delivery_mode != 0) {
    p._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    p.delivery_mode = props.delivery_mode;
  }
  if (props.priority) {
    p._flags |= AMQP_BASIC_PRIORITY_FLAG;
    p.priority = *props.priority;
  }
  set_string(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id, props.correlation_id);
  set_string(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to, props.reply_to);
  set_string(p, AMQP_BASIC_EXPIRATION_FLAG, p.expiration, props.expiration);
  set_string(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id, props.message_id);
  if (props.timestamp) {
    p._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    p.timestamp = *props.timestamp;
  }
  set_string(p, AMQP_BASIC_TYPE_FLAG, p.type, props.type);
  set_string(p, AMQP_BASIC_USER_ID_FLAG, p.user_id, props.user_id);
  set_string(p, AMQP_BASIC_APP_ID_FLAG, p.app_id, props.app_id);
  return out_;
}

// A header_table and a JSON object iterate alike (key(), value()): one encoding for both.
template <class Table>
amqp_table_t properties_encoder::encode_entries(const Table& entries) {
  amqp_table_t table{};
  table.num_entries = static_cast<int>(entries.size());
  table.entries = static_cast<amqp_table_entry_t*>(allocate(sizeof(amqp_table_entry_t) * entries.size()));
  int i = 0;
  for (const auto& e : entries) {
    table.entries[i].key = to_bytes(e.key());
    table.entries[i].value = encode_value(e.value());
    ++i;
  }
  return table;
}

amqp_table_t properties_encoder::encode_table(const header_table& headers) { return encode_entries(headers); }
amqp_table_t properties_encoder::encode_table(const boost::json::object& object) { return encode_entries(object); }

amqp_field_value_t properties_encoder::encode_value(const boost::json::value& value) {
  amqp_field_value_t field{};
  switch (value.kind()) {
    case boost::json::kind::string:
      field.kind = AMQP_FIELD_KIND_UTF8;
      field.value.bytes = to_bytes(value.get_string());
      break;
    case boost::json::kind::int64:
      field.kind = AMQP_FIELD_KIND_I64;
      field.value.i64 = value.get_int64();
      break;
    case boost::json::kind::uint64:
      // RabbitMQ's table codec has no unsigned 64-bit type: what does not fit 'l' goes as a double.
      if (value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        field.kind = AMQP_FIELD_KIND_I64;
        field.value.i64 = static_cast<std::int64_t>(value.get_uint64());
      } else {
        field.kind = AMQP_FIELD_KIND_F64;
        field.value.f64 = static_cast<double>(value.get_uint64());
      }
      break;
    case boost::json::kind::double_:
      field.kind = AMQP_FIELD_KIND_F64;
      field.value.f64 = value.get_double();
      break;
    case boost::json::kind::bool_:
      field.kind = AMQP_FIELD_KIND_BOOLEAN;
      field.value.boolean = value.get_bool() ? 1 : 0;
      break;
    case boost::json::kind::null:
      field.kind = AMQP_FIELD_KIND_VOID;
      break;
    case boost::json::kind::object:
      field.kind = AMQP_FIELD_KIND_TABLE;
      field.value.table = encode_table(value.get_object());
      break;
    case boost::json::kind::array: {
      const boost::json::array& array = value.get_array();
      field.kind = AMQP_FIELD_KIND_ARRAY;
      field.value.array.num_entries = static_cast<int>(array.size());
      field.value.array.entries =
          static_cast<amqp_field_value_t*>(allocate(sizeof(amqp_field_value_t) * array.size()));
      for (std::size_t i = 0; i < array.size(); ++i) field.value.array.entries[i] = encode_value(array[i]);
      break;
    }
  }
  return field;
}

}  // namespace oauth2_rest::amqp
