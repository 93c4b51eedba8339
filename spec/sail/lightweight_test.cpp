// Lightweight output decisions (sail/lightweight.hpp): what is measured against the threshold,
// what is stored, what replaces it, and the store answer's parser.
#include "sail/lightweight.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

json::object message_of(const char* text) { return json::parse(text).as_object(); }

TEST(lightweight, a_message_at_the_threshold_stays_inline_one_byte_more_is_stored) {
  // body {"t":"üü"}: 12 bytes of UTF-8 JSON (ü is two bytes), as Buffer.from(JSON.stringify(body)).length.
  auto m = message_of(R"({"id":"1","body":{"t":"üü"},"headers":{}})");
  const auto before = m;
  EXPECT_TRUE(plan_lightweight(m, 12, "").empty());
  EXPECT_EQ(m, before);
  auto parts = plan_lightweight(m, 11, "");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].entry, &m);
  EXPECT_EQ(parts[0].body_json, R"({"t":"üü"})");
  EXPECT_TRUE(parts[0].stored_id.empty());
}

TEST(lightweight, passthrough_bodies_count_and_are_stored_except_those_already_stored_and_the_own_entry) {
  auto m = message_of(R"({"body":{"a":1},"headers":{"h":"v"},"passthrough":{
      "step_1":{"body":{"b":"xx"},"headers":{}},
      "step_0":{"body":{"c":3},"headers":{"x-ipaas-object-storage-id":"old-id"}},
      "step_x":"not an object",
      "step_y":{"headers":{}},
      "step_2":{"body":{"a":1},"headers":{"h":"v"}}}})");
  // {"a":1} 7 + {"b":"xx"} 10 + {"c":3} 7 = 24; step_2 (this step's own copy) is not counted.
  EXPECT_TRUE(plan_lightweight(m, 24, "step_2").empty());
  // Without an own entry, step_2's body counts too: 31.
  EXPECT_FALSE(plan_lightweight(m, 24, "").empty());
  auto parts = plan_lightweight(m, 23, "step_2");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].entry, &m);
  EXPECT_EQ(parts[1].body_json, R"({"b":"xx"})");
  EXPECT_TRUE(parts[1].stored_id.empty());
  EXPECT_EQ(parts[2].stored_id, "old-id");  // reused, not uploaded again

  parts[0].stored_id = "id-body";
  parts[1].stored_id = "id-1";
  apply_lightweight(m, parts, "step_2");
  EXPECT_EQ(m, message_of(R"({"body":{},"headers":{"h":"v","x-ipaas-object-storage-id":"id-body"},"passthrough":{
      "step_1":{"body":{},"headers":{"x-ipaas-object-storage-id":"id-1"}},
      "step_0":{"body":{},"headers":{"x-ipaas-object-storage-id":"old-id"}},
      "step_x":"not an object",
      "step_y":{"headers":{}},
      "step_2":{"body":{},"headers":{"h":"v","x-ipaas-object-storage-id":"id-body"}}}})"));
}

TEST(lightweight, missing_or_odd_headers_become_an_object_with_the_reference) {
  auto m = message_of(R"({"body":"0123456789"})");
  auto parts = plan_lightweight(m, 5, "");
  ASSERT_EQ(parts.size(), 1u);
  parts[0].stored_id = "id";
  apply_lightweight(m, parts, "");
  EXPECT_EQ(m, message_of(R"({"body":{},"headers":{"x-ipaas-object-storage-id":"id"}})"));
  auto odd = message_of(R"({"body":[1,2,3],"headers":"text"})");
  refer_to_stored(odd, "id2");
  EXPECT_EQ(odd, message_of(R"({"body":{},"headers":{"x-ipaas-object-storage-id":"id2"}})"));
}

TEST(lightweight, a_message_without_a_body_is_never_stored) {
  auto m = message_of(R"({"headers":{},"passthrough":{"s":{"body":"a long passthrough body"}}})");
  EXPECT_TRUE(plan_lightweight(m, 1, "").empty());
}

TEST(lightweight, the_store_answer_gives_the_object_id) {
  auto id = parse_stored_object_id(R"({"objectId":"0b1c-2d","contentLength":32})");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "0b1c-2d");
  for (const char* bad : {"", "not json", "[]", R"("objectId")", "{}", R"({"objectId":42})",
                          R"({"objectId":""})", R"({"objectId":null})", R"({"id":"x"})"}) {
    auto r = parse_stored_object_id(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("object storage answered"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace oauth2_rest::sail
