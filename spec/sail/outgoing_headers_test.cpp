// Outgoing headers: the protocol doc's worked example 5.6 field by field, and Node's rules.
#include "sail/outgoing_headers.hpp"

#include "util/json_values.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

// The env of the worked example (values of SN:mocha_spec/integration_helpers).
settings example_settings() {
  settings s;
  s.flow_id = "5559edd38968ec0736000003";
  s.step_id = "step_2";
  s.exec_id = "some-exec-id";
  s.workspace_id = "5559edd38968ec073600683";
  s.container_id = "dc1c8c3f-...";
  s.user_id = "5559edd38968ec0736000002";
  s.comp_id = "5559edd38968ec0736000456";
  s.function = "emit_data";
  return s;
}

json::object example_incoming() {
  return {{"execId", "some-exec-id"},           {"taskId", "5559edd38968ec0736000003"},
          {"workspaceId", "5559edd38968ec073600683"}, {"userId", "5559edd38968ec0736000002"},
          {"threadId", "T1"},                   {"stepId", "step_1"},
          {"messageId", "M1"},                  {"parentMessageId", "P0"}};
}

template <class Table>
std::vector<std::string> keys(const Table& o) {
  std::vector<std::string> out;
  for (const auto& kv : o) out.emplace_back(kv.key());
  return out;
}

std::string never() {
  ADD_FAILURE() << "a new thread id was made although the message has one";
  return "unexpected";
}

TEST(outgoing_headers, worked_example_data_message) {
  json::object incoming = example_incoming();
  std::string thread = thread_id_of(incoming, never);
  EXPECT_EQ(thread, "T1");
  amqp::header_table common =
      build_common_headers(incoming, example_settings(), "NEW-UUID", thread, 1700000000000);
  amqp::header_table h = data_headers(common, "D1", 1, 1700000000050);

  EXPECT_EQ(h.at("stepId"), "step_2");
  EXPECT_EQ(h.at("threadId"), "T1");
  EXPECT_EQ(h.at("messageId"), "D1");
  EXPECT_EQ(h.at("parentMessageId"), "M1");
  EXPECT_EQ(h.at("execId"), "some-exec-id");
  EXPECT_EQ(h.at("taskId"), "5559edd38968ec0736000003");
  EXPECT_EQ(h.at("workspaceId"), "5559edd38968ec073600683");
  EXPECT_EQ(h.at("containerId"), "dc1c8c3f-...");
  EXPECT_EQ(h.at("userId"), "5559edd38968ec0736000002");
  EXPECT_EQ(h.at("compId"), "5559edd38968ec0736000456");
  EXPECT_EQ(h.at("function"), "emit_data");
  EXPECT_EQ(h.at("start"), 1700000000000);
  EXPECT_EQ(h.at("end"), 1700000000050);
  EXPECT_EQ(h.at("protocolVersion"), 1);
  // Exactly these keys, in Node's order.
  EXPECT_EQ(keys(h), (std::vector<std::string>{"stepId", "threadId", "messageId", "parentMessageId",
                                               "execId", "taskId", "workspaceId", "containerId",
                                               "userId", "compId", "function", "start", "end",
                                               "protocolVersion"}));
}

TEST(outgoing_headers, worked_example_error_message) {
  amqp::header_table common =
      build_common_headers(example_incoming(), example_settings(), "NEW-UUID", "T1", 1700000000000);
  amqp::header_table h = error_headers(common, 1700000000050);
  EXPECT_EQ(h.at("messageId"), "NEW-UUID");
  EXPECT_EQ(h.at("end"), 1700000000050);
  EXPECT_FALSE(h.contains("protocolVersion"));
  EXPECT_EQ(keys(h), (std::vector<std::string>{"stepId", "threadId", "messageId", "parentMessageId",
                                               "execId", "taskId", "workspaceId", "containerId",
                                               "userId", "compId", "function", "start", "end"}));
  amqp::header_table reply = error_reply_headers(h);
  EXPECT_EQ(reply.at("x-eio-error-response"), true);
  EXPECT_EQ(reply.size(), h.size() + 1);
}

// The last output moves the common headers into its own and adds two keys: the table has room
// for them, so the message's headers are not copied a second time to grow it.
TEST(outgoing_headers, common_headers_have_room_for_the_last_outputs_keys) {
  amqp::header_table common =
      build_common_headers(example_incoming(), example_settings(), "NEW-UUID", "T1", 1);
  EXPECT_GE(common.capacity(), common.size() + 2);
  const void* table = &*common.begin();
  amqp::header_table h = data_headers(std::move(common), "", 1, 2);
  EXPECT_EQ(&*h.begin(), table);
  EXPECT_EQ(h.size(), 14u);
}

TEST(outgoing_headers, data_message_without_id_keeps_the_new_id) {
  amqp::header_table common =
      build_common_headers(example_incoming(), example_settings(), "NEW-UUID", "T1", 1);
  EXPECT_EQ(data_headers(common, "", 2, 2).at("messageId"), "NEW-UUID");
  EXPECT_EQ(data_headers(common, "", 2, 2).at("protocolVersion"), 2);
}

TEST(outgoing_headers, meta_headers_reply_to_and_additional_vars) {
  json::object incoming{{"X-EIO-Meta-Trace-Id", "trace-1"}, {"x-eio-meta-tenant", "t"},
                        {"reply_to", "rk.reply"},           {"custom", "dropped"},
                        {"messageId", "M1"}};
  settings s = example_settings();
  s.additional_headers = {{"secondElasticioEnv", "v2"}, {"stepId", "overwritten"}};
  std::string thread = thread_id_of(incoming, never);
  EXPECT_EQ(thread, "trace-1");
  amqp::header_table h = build_common_headers(incoming, s, "NEW", thread, 5);
  EXPECT_EQ(keys(h), (std::vector<std::string>{"stepId", "x-eio-meta-trace-id", "x-eio-meta-tenant",
                                               "threadId", "messageId", "parentMessageId",
                                               "reply_to", "secondElasticioEnv", "execId",
                                               "taskId", "workspaceId", "containerId", "userId",
                                               "compId", "function", "start"}));
  EXPECT_EQ(h.at("x-eio-meta-trace-id"), "trace-1");
  EXPECT_EQ(h.at("reply_to"), "rk.reply");
  EXPECT_EQ(h.at("secondElasticioEnv"), "v2");
  EXPECT_EQ(h.at("stepId"), "step_2");  // the env wins over an additional var
  EXPECT_EQ(h.at("threadId"), "trace-1");
  EXPECT_FALSE(h.contains("custom"));
}

TEST(outgoing_headers, message_without_ids_gets_no_parent) {
  json::object incoming;
  std::string thread = thread_id_of(incoming, [] { return std::string("fresh-uuid"); });
  EXPECT_EQ(thread, "fresh-uuid");
  amqp::header_table h = build_common_headers(incoming, example_settings(), "NEW", thread, 5);
  EXPECT_FALSE(h.contains("parentMessageId"));
  EXPECT_EQ(h.at("threadId"), "fresh-uuid");
  EXPECT_EQ(keys(h).front(), "stepId");
}

TEST(outgoing_headers, empty_thread_id_falls_back) {
  json::object incoming{{"threadId", ""}, {"x-eio-meta-trace-id", ""}};
  EXPECT_EQ(thread_id_of(incoming, [] { return std::string("U"); }), "U");
}

TEST(outgoing_headers, protocol_version_of_follows_number_rules) {
  struct row {
    json::value header;  // null: header absent
    int expected;
  };
  std::vector<row> rows{{nullptr, 1},  {1, 1},      {2, 2},      {0, 1},    {"2", 2},
                        {" 2 ", 2},    {"1", 1},    {"", 1},     {"abc", 1}, {2.0, 2},
                        {1.5, 1},      {true, 1},   {-3, 1},     {std::uint64_t{2}, 2}};
  for (const auto& [header, expected] : rows) {
    json::object h;
    if (!header.is_null()) h["protocolVersion"] = header;
    EXPECT_EQ(protocol_version_of(h), expected) << header;
  }
}

TEST(outgoing_headers, startup_error_headers) {
  settings s = example_settings();
  s.additional_headers = {{"extra", "x"}};
  amqp::header_table h = startup_error_headers(s, "ID");
  EXPECT_EQ(keys(h), (std::vector<std::string>{"extra", "execId", "taskId", "workspaceId",
                                               "containerId", "userId", "stepId", "compId",
                                               "function", "messageId"}));
  EXPECT_EQ(h.at("messageId"), "ID");
}

TEST(outgoing_headers, uuid_v4_format) {
  std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_uuid_v4();
    EXPECT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// --- The headers built in place against the straightforward construction ---
//
// What build_common_headers, data_headers, error_headers and
// startup_error_headers did before they were built in place: a JavaScript
// object literal replayed key by key (search per key, a copy per value).

class reference_js_object {
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
    for (auto& [k, v] : entries_) {
      if (v) out[k] = std::move(*v);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::optional<json::value>>> entries_;
};

std::optional<json::value> reference_get(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  return it->value();
}

std::string reference_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void reference_env_ids(reference_js_object& h, const settings& s) {
  h.set("execId", s.exec_id);
  h.set("taskId", s.flow_id);
  h.set("workspaceId", s.workspace_id);
  h.set("containerId", s.container_id);
  h.set("userId", s.user_id);
  h.set("stepId", s.step_id);
  h.set("compId", s.comp_id);
  h.set("function", s.function);
}

json::object reference_common(const json::object& incoming, const settings& s, std::string_view new_id,
                              std::string_view thread_id, std::int64_t start_ms) {
  reference_js_object h;
  h.set("stepId", reference_get(incoming, "stepId"));
  for (const auto& kv : incoming) {
    std::string key = reference_lower(kv.key());
    if (key.starts_with("x-eio-meta")) h.set(key, kv.value());
  }
  h.set("threadId", thread_id);
  h.set("messageId", reference_get(incoming, "messageId"));
  h.set("parentMessageId", reference_get(incoming, "parentMessageId"));
  if (auto r = reference_get(incoming, "reply_to"); r && js_truthy(*r)) h.set("reply_to", std::move(*r));
  for (const auto& [name, value] : s.additional_headers) h.set(name, std::string_view(value));
  h.set("parentMessageId", reference_get(incoming, "messageId"));
  h.set("threadId", thread_id);
  h.set("messageId", new_id);
  reference_env_ids(h, s);
  h.set("start", json::value(start_ms));
  return std::move(h).to_object();
}

json::object reference_data(const json::object& common, std::string_view message_id, int protocol_version,
                            std::int64_t end_ms) {
  json::object h = common;
  if (!message_id.empty()) h["messageId"] = message_id;
  h["end"] = end_ms;
  h["protocolVersion"] = protocol_version;
  return h;
}

json::object reference_error(const json::object& common, std::int64_t end_ms) {
  json::object h = common;
  h["end"] = end_ms;
  return h;
}

json::object reference_startup(const settings& s, std::string_view message_id) {
  reference_js_object h;
  for (const auto& [name, value] : s.additional_headers) h.set(name, std::string_view(value));
  reference_env_ids(h, s);
  h.set("messageId", message_id);
  return std::move(h).to_object();
}

// Same keys in the same order with the same values (the serialized text), and no key twice.
void expect_same(const amqp::header_table& ours, const json::object& reference, const std::string& what) {
  EXPECT_EQ(ours.size(), reference.size()) << what;
  EXPECT_EQ(json::serialize(ours.to_object()), json::serialize(reference)) << what;
}

void expect_all_same(const json::object& incoming, const settings& s, const std::string& what) {
  const amqp::header_table common = build_common_headers(incoming, s, "NEW-ID", "T-1", 1700000000000);
  const json::object ref = reference_common(incoming, s, "NEW-ID", "T-1", 1700000000000);
  expect_same(common, ref, what + " common");
  for (std::string_view id : {"", "D1", "0b6f1a4e-3c1d-4a55-8f0e-2d7c9b1e6a22"}) {
    for (int version : {1, 2}) {
      expect_same(data_headers(common, id, version, 1700000000050),
                  reference_data(ref, id, version, 1700000000050), what + " data " + std::string(id));
      amqp::header_table moved_from = common;
      expect_same(data_headers(std::move(moved_from), id, version, 1700000000050),
                  reference_data(ref, id, version, 1700000000050), what + " data (moved) " + std::string(id));
    }
  }
  expect_same(error_headers(common, 7), reference_error(ref, 7), what + " error");
  expect_same(error_reply_headers(error_headers(common, 7)), error_reply_headers(reference_error(ref, 7)).to_object(),
              what + " error reply");
  expect_same(startup_error_headers(s, "S-ID"), reference_startup(s, "S-ID"), what + " startup");
  // The outputs are plain heap objects, and common can be copied and changed.
  amqp::header_table data = data_headers(common, "D1", 1, 1);
  data["retry"] = 1;
  amqp::header_table copy = common;
  copy["extra"] = "x";
  EXPECT_EQ(copy.size(), common.size() + 1);
}

TEST(outgoing_headers, built_in_place_as_the_literal_replay_builds_them) {
  const settings plain = example_settings();
  expect_all_same(example_incoming(), plain, "worked example");
  expect_all_same(json::object{}, plain, "no headers");
  expect_all_same(json::object{{"messageId", nullptr}, {"parentMessageId", "P"}, {"stepId", 3},
                               {"reply_to", ""}, {"threadId", false}},
                  plain, "falsy values");
  expect_all_same(json::object{{"parentMessageId", "P-only"}}, plain, "parent without message id");
  expect_all_same(json::object{{"X-EIO-META-A", 1}, {"x-eio-meta-a", 2}, {"X-Eio-Meta-b", "B"},
                               {"x-eio-metadata", "m"}, {"x-eio-met", "short"}, {"X-EIO-Meta", "bare"},
                               {"reply_to", "rk"}, {"messageId", "M"}},
                  plain, "meta spellings");

  // Additional headers named like every other key, repeated, and new ones.
  const std::vector<std::string> names = {"stepId", "threadId", "messageId", "parentMessageId", "reply_to",
                                          "execId", "taskId", "workspaceId", "containerId", "userId",
                                          "compId", "function", "start", "end", "protocolVersion",
                                          "x-eio-meta-a", "x-eio-meta-new", "custom", "x-eio-error-response"};
  const json::object incoming{{"stepId", "s1"}, {"X-EIO-META-A", "a"}, {"threadId", "T"},
                              {"messageId", "M1"}, {"parentMessageId", "P0"}, {"reply_to", "rk"}};
  for (const auto& name : names) {
    settings s = example_settings();
    s.additional_headers = {{name, "additional"}};
    expect_all_same(incoming, s, std::string("additional ").append(name));
    expect_all_same(json::object{}, s, std::string("additional on no headers ").append(name));
  }
  std::mt19937 rng(3);
  for (int round = 0; round < 200; ++round) {
    settings s = example_settings();
    json::object in;
    for (const auto& name : names) {
      if (rng() % 3 == 0) s.additional_headers.emplace_back(name, std::string("v").append(std::to_string(rng() % 10)));
      if (rng() % 3 == 0) {
        std::string key = name;
        if (rng() % 2 == 0) key = reference_lower(key);
        in[key] = rng() % 4 == 0 ? json::value(nullptr) : json::value(std::string("i").append(std::to_string(rng() % 10)));
      }
    }
    expect_all_same(in, s, std::string("random round ").append(std::to_string(round)));
  }
}

TEST(outgoing_headers, many_meta_headers_outgrow_the_first_block) {
  // Many and long keys: beyond the builder's inline slots.
  json::object incoming{{"messageId", "M1"}};
  for (int i = 0; i < 60; ++i) {
    incoming["x-eio-meta-" + std::string(40, static_cast<char>('a' + i % 26)) + std::to_string(i)] =
        std::string(100, 'v');
  }
  settings s = example_settings();
  for (int i = 0; i < 30; ++i) s.additional_headers.emplace_back("extra-" + std::to_string(i), std::string(50, 'x'));
  expect_all_same(incoming, s, "large");
}

}  // namespace
}  // namespace oauth2_rest::sail
