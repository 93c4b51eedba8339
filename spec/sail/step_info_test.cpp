// parse_step_info: the protocol doc's section 9 example and what is refused.
#include "sail/step_info.hpp"

#include "sail/error.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

TEST(step_info, parses_the_documented_example) {
  auto r = parse_step_info(R"({
    "id": "step_1",
    "comp_id": "5559edd38968ec0736000456",
    "function": "createPet",
    "config": { "apiKey": "secret", "status": "available", "_account": "5559edd38968ec0736000003" },
    "snapshot": { "lastModifiedDate": 123456789 },
    "is_passthrough": true,
    "variables": { "MY_FLOW_VAR": "value" }
  })");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, "step_1");
  EXPECT_EQ(r->comp_id, "5559edd38968ec0736000456");
  EXPECT_EQ(r->function, "createPet");
  EXPECT_EQ(r->config, json::parse(R"({"apiKey":"secret","status":"available","_account":"5559edd38968ec0736000003"})"));
  EXPECT_EQ(r->snapshot, json::parse(R"({"lastModifiedDate":123456789})"));
  EXPECT_TRUE(r->is_passthrough);
  EXPECT_EQ(r->variables, json::parse(R"({"MY_FLOW_VAR":"value"})"));
}

TEST(step_info, is_read_as_node_reads_it) {
  // Lone surrogate escapes and nesting deeper than Boost.JSON's default 32 levels.
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  auto r = parse_step_info(R"({"config":{"name":"cut \ud83d","deep":)" + deep + R"(},"snapshot":{"n":0.1}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->config.at("name").as_string(), "cut \xEF\xBF\xBD");
}

TEST(step_info, optional_parts_default_to_empty) {
  auto r = parse_step_info(R"({"config":{},"snapshot":null,"is_passthrough":"true","id":7})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->snapshot.empty());
  EXPECT_TRUE(r->variables.empty());
  EXPECT_FALSE(r->is_passthrough);  // only JSON true counts
  EXPECT_EQ(r->id, "");
}

TEST(step_info, errors_name_what_is_wrong) {
  auto fails = [](std::string_view body, error code, const std::string& message) {
    auto r = parse_step_info(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, make_error_code(code));
    EXPECT_EQ(r.error().message, message);
  };
  fails("[]", error::invalid_step_info, "step info is not a JSON object");
  fails("{}", error::invalid_step_info, "step info has no config object");
  fails(R"({"config":"x"})", error::invalid_step_info, "step info has no config object");
  fails(R"({"config":{},"snapshot":[]})", error::invalid_step_info,
        "step info field \"snapshot\" is not an object");
  fails(R"({"config":{},"variables":1})", error::invalid_step_info,
        "step info field \"variables\" is not an object");
  auto r = parse_step_info("<html>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::invalid_json));
  EXPECT_EQ(r.error().message.rfind("step info is not valid JSON: ", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace oauth2_rest::sail
