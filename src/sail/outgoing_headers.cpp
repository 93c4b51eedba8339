// Outgoing AMQP headers with the Node reference runtime's semantics (protocol doc section 5.2).
#include "sail/outgoing_headers.hpp"
#include "util/json_values.hpp"

#include "util/uuid.hpp"

#include <boost/json/serialize.hpp>
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
// `undefined` then (nullopt here); undefined keys are dropped at the end, as
// amqplib drops them from the table. This keeps our header order identical to
// Node's, which makes captured traffic diffable.
class js_object {
 public:
  void set(std::string_view key, std::optional<json::value> v) {
    for (auto& [k, val] : entries_) {
      if (k == key) {
        val = std::move(v);
        return;
      }
    }
    entries_.emplace_back(std::string(key), std::move(v));
  }
  void set(std::string_view key, std::string_view v) { set(key, json::value(v)); }
  void set(std::string_view key, json::value v) { set(key, std::optional<json::value>(std::move(v))); }

  json::object to_object() && {
    json::object out;
    out.reserve(entries_.size());
    for (auto& [k, v] : entries_) {
      if (v) out[k] = std::move(*v);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::optional<json::value>>> entries_;
};

std::optional<json::value> get(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  return it->value();
}


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

void set_env_ids(js_object& h, const settings& s) {
  h.set("execId", s.exec_id);
  h.set("taskId", s.flow_id);
  h.set("workspaceId", s.workspace_id);
  h.set("containerId", s.container_id);
  h.set("userId", s.user_id);
  h.set("stepId", s.step_id);
  h.set("compId", s.comp_id);
  h.set("function", s.function);
}

}  // namespace

int protocol_version_of(const json::object& incoming_headers) {
  auto v = get(incoming_headers, "protocolVersion");
  if (!v || !js_truthy(*v)) return 1;
  if (v->is_int64()) return version_from(static_cast<double>(v->get_int64()));
  if (v->is_uint64()) return version_from(static_cast<double>(v->get_uint64()));
  if (v->is_double()) return version_from(v->get_double());
  if (v->is_string()) {
    auto d = js_number(v->get_string());
    return d ? version_from(*d) : 1;
  }
  return 1;  // true, objects, arrays
}

std::string thread_id_of(const json::object& incoming_headers,
                         const std::function<std::string()>& new_uuid) {
  auto text = [](const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  };
  if (auto t = get(incoming_headers, "threadId"); t && js_truthy(*t)) return text(*t);
  // Node lower-cases the meta header names first; the last spelling wins.
  const json::value* trace = nullptr;
  for (const auto& kv : incoming_headers) {
    if (lower(kv.key()) == trace_id_header) trace = &kv.value();
  }
  if (trace != nullptr && js_truthy(*trace)) return text(*trace);
  return new_uuid();
}

json::object build_common_headers(const json::object& incoming_headers, const settings& s,
                                  std::string_view new_message_id, std::string_view thread_id,
                                  std::int64_t start_ms) {
  js_object h;
  // What Node's readIncomingMessageHeaders keeps, in its order.
  h.set("stepId", get(incoming_headers, "stepId"));
  for (const auto& kv : incoming_headers) {
    std::string key = lower(kv.key());
    if (key.starts_with(meta_prefix)) h.set(key, kv.value());
  }
  h.set("threadId", thread_id);
  h.set("messageId", get(incoming_headers, "messageId"));
  h.set("parentMessageId", get(incoming_headers, "parentMessageId"));
  if (auto r = get(incoming_headers, "reply_to"); r && js_truthy(*r)) h.set("reply_to", std::move(*r));

  for (const auto& [name, value] : s.additional_headers) h.set(name, std::string_view(value));

  h.set("parentMessageId", get(incoming_headers, "messageId"));
  h.set("threadId", thread_id);
  h.set("messageId", new_message_id);
  set_env_ids(h, s);
  h.set("start", json::value(start_ms));
  return std::move(h).to_object();
}

json::object data_headers(const json::object& common, std::string_view message_id,
                          int protocol_version, std::int64_t end_ms) {
  json::object h = common;
  // data.id || headers.messageId
  if (!message_id.empty()) h["messageId"] = message_id;
  h["end"] = end_ms;
  h["protocolVersion"] = protocol_version;
  return h;
}

json::object error_headers(const json::object& common, std::int64_t end_ms) {
  json::object h = common;
  h["end"] = end_ms;
  return h;
}

json::object error_reply_headers(const json::object& error_hdrs) {
  json::object h = error_hdrs;
  h["x-eio-error-response"] = true;
  return h;
}

json::object startup_error_headers(const settings& s, std::string_view message_id) {
  js_object h;
  for (const auto& [name, value] : s.additional_headers) h.set(name, std::string_view(value));
  set_env_ids(h, s);
  h.set("messageId", message_id);
  return std::move(h).to_object();
}

std::string new_uuid_v4() { return oauth2_rest::new_uuid_v4(); }

}  // namespace oauth2_rest::sail
