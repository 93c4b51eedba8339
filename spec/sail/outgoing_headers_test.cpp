// Outgoing headers: the protocol doc's worked example 5.6 field by field, and Node's rules.
#include "sail/outgoing_headers.hpp"

#include <gtest/gtest.h>

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

std::vector<std::string> keys(const json::object& o) {
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
  json::object common =
      build_common_headers(incoming, example_settings(), "NEW-UUID", thread, 1700000000000);
  json::object h = data_headers(common, "D1", 1, 1700000000050);

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
  json::object common =
      build_common_headers(example_incoming(), example_settings(), "NEW-UUID", "T1", 1700000000000);
  json::object h = error_headers(common, 1700000000050);
  EXPECT_EQ(h.at("messageId"), "NEW-UUID");
  EXPECT_EQ(h.at("end"), 1700000000050);
  EXPECT_FALSE(h.contains("protocolVersion"));
  EXPECT_EQ(keys(h), (std::vector<std::string>{"stepId", "threadId", "messageId", "parentMessageId",
                                               "execId", "taskId", "workspaceId", "containerId",
                                               "userId", "compId", "function", "start", "end"}));
  json::object reply = error_reply_headers(h);
  EXPECT_EQ(reply.at("x-eio-error-response"), true);
  EXPECT_EQ(reply.size(), h.size() + 1);
}

TEST(outgoing_headers, data_message_without_id_keeps_the_new_id) {
  json::object common =
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
  json::object h = build_common_headers(incoming, s, "NEW", thread, 5);
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
  json::object h = build_common_headers(incoming, example_settings(), "NEW", thread, 5);
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
  json::object h = startup_error_headers(s, "ID");
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

}  // namespace
}  // namespace oauth2_rest::sail
