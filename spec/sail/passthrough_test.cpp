// Passthrough: the protocol doc's section 7 example, the NO_SELF_PASSTRHOUGH variant, disabled.
#include "sail/passthrough.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

json::object obj(const char* text) { return json::parse(text).as_object(); }

const char* incoming_text = R"({
  "id": "in-1",
  "headers": {"stepId": "step_1"},
  "body": {"message": "Just do it!"},
  "passthrough": {"step_1": {"headers": {"a": "1"}, "body": {"from": "step_1"}}}
})";

TEST(passthrough, own_output_is_added_under_this_step) {
  json::object emitted = obj(R"({"body":{"hai":"there","id":"someId"},"headers":{"x-custom-component-header":"123_abc"}})");
  json::object out = apply_passthrough(emitted, obj(incoming_text), obj(R"({"stepId":"step_1"})"),
                                       true, false, "step_2");
  json::object expected = obj(R"({
    "body": {"hai": "there", "id": "someId"},
    "headers": {"x-custom-component-header": "123_abc"},
    "passthrough": {
      "step_1": {"headers": {"a": "1"}, "body": {"from": "step_1"}},
      "step_2": {"body": {"hai": "there", "id": "someId"}, "headers": {"x-custom-component-header": "123_abc"}}
    }
  })");
  EXPECT_EQ(out, expected);
}

TEST(passthrough, own_output_excludes_a_component_passthrough_and_gets_headers) {
  json::object emitted = obj(R"({"id":"D1","body":{"x":1},"passthrough":{"junk":{}}})");
  json::object out = apply_passthrough(emitted, obj(R"({"body":{}})"), {}, true, false, "step_2");
  EXPECT_EQ(out, obj(R"({"id":"D1","body":{"x":1},"headers":{},
                         "passthrough":{"step_2":{"id":"D1","body":{"x":1},"headers":{}}}})"));
}

TEST(passthrough, no_self_variant_adds_the_input_under_the_previous_step) {
  json::object emitted = obj(R"({"body":{"x":1},"headers":{}})");
  json::object incoming = obj(incoming_text);
  incoming["passthrough"] = obj(R"({"step_0":{"body":{"from":"step_0"}}})");
  json::object out = apply_passthrough(emitted, incoming, obj(R"({"stepId":"step_1"})"), true,
                                       true, "step_2");
  json::object expected = obj(R"({
    "body": {"x": 1},
    "headers": {},
    "passthrough": {
      "step_0": {"body": {"from": "step_0"}},
      "step_1": {"id": "in-1", "headers": {"stepId": "step_1"}, "body": {"message": "Just do it!"}}
    }
  })");
  EXPECT_EQ(out, expected);
}

TEST(passthrough, no_self_variant_without_step_header_keeps_the_incoming_passthrough) {
  json::object out = apply_passthrough(obj(R"({"body":{}})"), obj(incoming_text), {}, true, true,
                                       "step_2");
  EXPECT_EQ(out.at("passthrough"), obj(R"({"step_1":{"headers":{"a":"1"},"body":{"from":"step_1"}}})"));
}

TEST(passthrough, disabled_returns_the_message_unchanged) {
  json::object emitted = obj(R"({"body":{"x":1},"passthrough":{"mine":{}}})");
  EXPECT_EQ(apply_passthrough(emitted, obj(incoming_text), obj(R"({"stepId":"step_1"})"), false,
                              false, "step_2"),
            emitted);
}

TEST(passthrough, non_object_incoming_passthrough_is_ignored) {
  json::object out = apply_passthrough(obj(R"({"body":{}})"), obj(R"({"passthrough":"junk"})"), {},
                                       true, false, "s");
  EXPECT_EQ(out.at("passthrough"), obj(R"({"s":{"body":{},"headers":{}}})"));
}

}  // namespace
}  // namespace oauth2_rest::sail
