// Outgoing AMQP headers with the Node reference runtime's semantics (protocol doc section 5.2).
#include "sail/outgoing_headers.hpp"
#include "util/json_values.hpp"
#include "util/json_write.hpp"

#include "util/uuid.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

constexpr std::string_view meta_prefix = "x-eio-meta";
constexpr std::string_view trace_id_header = "x-eio-meta-trace-id";

// A JavaScript object literal built with spreads and overwrites: a key keeps
// the position where it was first written, even when its value was
// `undefined` then; undefined keys are dropped at the end, as amqplib drops
// them from the table. This keeps our header order identical to Node's, which
// makes captured traffic diffable.
//
// Slots only refer to their keys and values (the incoming headers, the
// settings, the caller's strings, all alive until to_object()): nothing is
// copied until the final object is built, in its final order, once. The
// caller knows which keys can already be present (most cannot), so a search
// happens only where a key may repeat.
class js_object {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit js_object(std::size_t capacity) { slots_.reserve(capacity); }  // no-op up to inline_slots

  std::size_t size() const { return slots_.size(); }

  // The index of `key` among the slots [from, size()), or npos.
  std::size_t find(std::string_view key, std::size_t from = 0) const {
    for (std::size_t i = from; i < slots_.size(); ++i) {
      if (slots_[i].key == key) return i;
    }
    return npos;
  }
  // A new slot for a key known to be absent; returns its index.
  std::size_t append(std::string_view key) {
    slots_.push_back(slot{key});
    return slots_.size() - 1;
  }
  // The slot of `key`, searched in [from, size()), appended when absent.
  std::size_t index_of(std::string_view key, std::size_t from = 0) {
    std::size_t i = find(key, from);
    return i == npos ? append(key) : i;
  }

  // Values: a json value (nullptr: undefined), a string, an integer.
  void set(std::size_t i, const json::value* v) {
    slots_[i].what = v == nullptr ? kind::undefined : kind::value;
    slots_[i].value = v;
  }
  void set(std::size_t i, std::string_view text) {
    slots_[i].what = kind::text;
    slots_[i].text = text;
  }
  void set(std::size_t i, std::int64_t number) {
    slots_[i].what = kind::number;
    slots_[i].number = number;
  }

  // `spare`: room for that many more keys, so that adding them later does not grow the table.
  // The slots' keys are distinct already: appended without a search.
  amqp::header_table to_headers(std::size_t spare = 0) const {
    std::size_t defined = 0;
    for (const auto& sl : slots_) defined += sl.what != kind::undefined ? 1 : 0;
    amqp::header_table out;
    out.reserve(defined + spare);
    for (const auto& sl : slots_) {
      switch (sl.what) {
        case kind::undefined:
          break;
        case kind::value:
          out.append(sl.key, *sl.value);
          break;
        case kind::text:
          out.append(sl.key, json::string(sl.text));
          break;
        case kind::number:
          out.append(sl.key, sl.number);
          break;
      }
    }
    return out;
  }

 private:
  enum class kind : unsigned char { undefined, value, text, number };
  struct slot {
    std::string_view key;
    kind what = kind::undefined;
    const json::value* value = nullptr;
    std::string_view text;
    std::int64_t number = 0;
  };
  // Enough for the usual headers without a heap allocation (about 15 keys).
  static constexpr std::size_t inline_slots = 32;
  boost::container::small_vector<slot, inline_slots> slots_;
};

const json::value* find_value(const amqp::header_table& h, std::string_view key) { return h.if_contains(key); }


std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_js_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Number(text) for plain decimal text; nullopt for what Node would make NaN
// (or Infinity, which no sender means).
std::optional<double> js_number(std::string_view s) {
  while (!s.empty() && is_js_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_js_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return 0.0;  // Number("  ") is 0
  if (s.front() == '+') s.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// Only "< 2 or not" matters to the protocol, so anything below 2 reads as 1.
int version_from(double d) {
  if (!(d >= 2)) return 1;
  if (d >= static_cast<double>(std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
  return static_cast<int>(d);
}

// The environment's ids, in Node's order. stepId is already at `step_id_slot`; the other
// keys can only be present in the slots from `may_repeat_from` on (additional headers).
void set_env_ids(js_object& h, const settings& s, std::size_t step_id_slot, std::size_t may_repeat_from) {
  auto put = [&](std::string_view key, std::string_view value) {
    h.set(h.index_of(key, may_repeat_from), value);
  };
  put("execId", s.exec_id);
  put("taskId", s.flow_id);
  put("workspaceId", s.workspace_id);
  put("containerId", s.container_id);
  put("userId", s.user_id);
  if (step_id_slot == js_object::npos) put("stepId", s.step_id);
  else h.set(step_id_slot, std::string_view(s.step_id));
  put("compId", s.comp_id);
  put("function", s.function);
}

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// ASCII case-insensitive: whether lower(s) starts with `lower_prefix` (given in lower case).
bool istarts_with(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (lower_char(s[i]) != lower_prefix[i]) return false;
  }
  return true;
}

bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

}  // namespace

int protocol_version_of(const amqp::header_table& incoming_headers) {
  const json::value* v = find_value(incoming_headers, "protocolVersion");
  if (v == nullptr || !js_truthy(*v)) return 1;
  if (v->is_int64()) return version_from(static_cast<double>(v->get_int64()));
  if (v->is_uint64()) return version_from(static_cast<double>(v->get_uint64()));
  if (v->is_double()) return version_from(v->get_double());
  if (v->is_string()) {
    auto d = js_number(v->get_string());
    return d ? version_from(*d) : 1;
  }
  return 1;  // true, objects, arrays
}

std::string thread_id_of(const amqp::header_table& incoming_headers,
                         const std::function<std::string()>& new_uuid) {
  auto text = [](const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : write_json(v);
  };
  if (const auto* t = find_value(incoming_headers, "threadId"); t != nullptr && js_truthy(*t)) return text(*t);
  // Node lower-cases the meta header names first; the last spelling wins.
  const json::value* trace = nullptr;
  for (const auto& kv : incoming_headers) {
    if (kv.key().size() == trace_id_header.size() && istarts_with(kv.key(), trace_id_header)) trace = &kv.value();
  }
  if (trace != nullptr && js_truthy(*trace)) return text(*trace);
  return new_uuid();
}

amqp::header_table build_common_headers(const amqp::header_table& incoming_headers, const settings& s,
                                        std::string_view new_message_id, std::string_view thread_id,
                                        std::int64_t start_ms) {
  js_object h(incoming_headers.size() + s.additional_headers.size() + 16);
  // Meta keys that are not lower case already need a lower-cased copy; reserved
  // up front, so the slots' views stay valid.
  std::vector<std::string> lowered;

  // What Node's readIncomingMessageHeaders keeps, in its order.
  const std::size_t step_id = h.append("stepId");
  h.set(step_id, find_value(incoming_headers, "stepId"));
  const std::size_t meta_from = h.size();
  for (const auto& kv : incoming_headers) {
    std::string_view key = kv.key();
    if (!istarts_with(key, meta_prefix)) continue;
    if (has_upper(key)) {
      if (lowered.capacity() == 0) lowered.reserve(incoming_headers.size());
      key = lowered.emplace_back(lower(key));
    }
    // Only another spelling of the same meta key can be present.
    h.set(h.index_of(key, meta_from), &kv.value());
  }
  const std::size_t thread_slot = h.append("threadId");
  h.set(thread_slot, thread_id);
  const json::value* incoming_message_id = find_value(incoming_headers, "messageId");
  const std::size_t message_slot = h.append("messageId");
  h.set(message_slot, incoming_message_id);
  const std::size_t parent_slot = h.append("parentMessageId");
  h.set(parent_slot, find_value(incoming_headers, "parentMessageId"));
  if (const auto* r = find_value(incoming_headers, "reply_to"); r != nullptr && js_truthy(*r)) {
    h.set(h.append("reply_to"), r);
  }

  // Additional headers may name any key, including the ones above.
  const std::size_t additional_from = h.size();
  for (const auto& [name, value] : s.additional_headers) h.set(h.index_of(name), std::string_view(value));

  h.set(parent_slot, incoming_message_id);
  h.set(thread_slot, thread_id);
  h.set(message_slot, new_message_id);
  set_env_ids(h, s, step_id, additional_from);
  h.set(h.index_of("start", additional_from), start_ms);
  // The last output of a message takes this object and adds end and protocolVersion.
  return h.to_headers(2);
}

namespace {

// A copy of `common` with room for `extra` more keys, so that adding them
// does not grow the table again; messageId replaced by `message_id` when that
// is not empty (added when common has none).
amqp::header_table copy_common(const amqp::header_table& common, std::size_t extra, std::string_view message_id = {}) {
  amqp::header_table h;
  h.reserve(common.size() + extra);
  bool replaced = message_id.empty();
  for (const auto& kv : common) {
    if (!replaced && kv.key() == "messageId") {
      h.append(kv.key(), json::string(message_id));
      replaced = true;
    } else {
      h.append(kv.key(), kv.value());
    }
  }
  if (!replaced) h.append("messageId", json::string(message_id));
  return h;
}

}  // namespace

amqp::header_table data_headers(const amqp::header_table& common, std::string_view message_id,
                                int protocol_version, std::int64_t end_ms) {
  // data.id || headers.messageId
  amqp::header_table h = copy_common(common, 3, message_id);
  h.insert_or_assign("end", end_ms);
  h.insert_or_assign("protocolVersion", protocol_version);
  return h;
}

amqp::header_table data_headers(amqp::header_table&& common, std::string_view message_id,
                                int protocol_version, std::int64_t end_ms) {
  amqp::header_table h = std::move(common);
  // insert_or_assign keeps an existing key where it is and appends a new one: the order
  // copy_common gives.
  if (!message_id.empty()) h.insert_or_assign("messageId", json::string(message_id));
  h.insert_or_assign("end", end_ms);
  h.insert_or_assign("protocolVersion", protocol_version);
  return h;
}

amqp::header_table error_headers(const amqp::header_table& common, std::int64_t end_ms) {
  amqp::header_table h = copy_common(common, 1);
  h.insert_or_assign("end", end_ms);
  return h;
}

amqp::header_table error_reply_headers(const amqp::header_table& error_hdrs) {
  amqp::header_table h = error_hdrs;
  h["x-eio-error-response"] = true;
  return h;
}

amqp::header_table startup_error_headers(const settings& s, std::string_view message_id) {
  js_object h(s.additional_headers.size() + 9);
  for (const auto& [name, value] : s.additional_headers) h.set(h.index_of(name), std::string_view(value));
  set_env_ids(h, s, js_object::npos, 0);
  h.set(h.index_of("messageId"), message_id);
  return h.to_headers();
}

std::string new_uuid_v4() { return oauth2_rest::new_uuid_v4(); }

}  // namespace oauth2_rest::sail
