// Attachment names (Content-Disposition, URL), attachment reference forms, the responseAs field
// and its component.json entries (SPEC 9).
#include "action/action_config.hpp"
#include "action/attachment_name.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;

TEST(content_disposition_filename, reads_quoted_token_and_extended_forms) {
  EXPECT_EQ(content_disposition_filename(R"(attachment; filename="a b.pdf")"), "a b.pdf");
  EXPECT_EQ(content_disposition_filename("attachment; filename=report.csv"), "report.csv");
  EXPECT_EQ(content_disposition_filename("inline;filename = report.csv ; size=3"), "report.csv");
  EXPECT_EQ(content_disposition_filename(R"(attachment; FILENAME="q\"uote.txt")"), "q\"uote.txt");
  EXPECT_EQ(content_disposition_filename("attachment; filename*=UTF-8''%E2%82%AC%20rates.csv"), "\xE2\x82\xAC rates.csv");
  EXPECT_EQ(content_disposition_filename("attachment; filename*=iso-8859-1'en'%A3rates.csv"), "\xC2\xA3rates.csv");
}

TEST(content_disposition_filename, the_extended_form_wins_whatever_the_order) {
  EXPECT_EQ(content_disposition_filename("attachment; filename*=UTF-8''new.txt; filename=\"old.txt\""), "new.txt");
  EXPECT_EQ(content_disposition_filename("attachment; filename=\"old.txt\"; filename*=UTF-8''new.txt"), "new.txt");
  EXPECT_EQ(content_disposition_filename("attachment; filename=\"old.txt\"; filename*=koi8-r''x.txt"), "old.txt")
      << "an unknown charset falls back to filename";
}

TEST(content_disposition_filename, never_gives_a_path) {
  EXPECT_EQ(content_disposition_filename(R"(attachment; filename="../../etc/passwd")"), "passwd");
  EXPECT_EQ(content_disposition_filename(R"(attachment; filename="C:\\temp\\x.doc")"), "x.doc");
  EXPECT_EQ(content_disposition_filename(R"(attachment; filename="..")"), "");
  EXPECT_EQ(content_disposition_filename("attachment; filename*=UTF-8''%2F..%2F"), "");
  EXPECT_EQ(content_disposition_filename("attachment; filename=\"a\x01" "b\""), "ab") << "control characters dropped";
  EXPECT_EQ(content_disposition_filename("attachment"), "");
  EXPECT_EQ(content_disposition_filename(""), "");
  EXPECT_EQ(content_disposition_filename("attachment; filename=\"unterminated"), "unterminated");
}

TEST(attachment_name, falls_back_to_the_url_path_then_response) {
  EXPECT_EQ(attachment_name("attachment; filename=x.csv", "https://h/a/b.pdf"), "x.csv");
  EXPECT_EQ(attachment_name("", "https://h/a/b.pdf?download=1#top"), "b.pdf");
  EXPECT_EQ(attachment_name("", "https://h/files/q3%20report.pdf"), "q3 report.pdf");
  EXPECT_EQ(attachment_name("", "https://h/files/"), "files") << "the last non-empty segment";
  EXPECT_EQ(attachment_name("", "https://h/"), "response");
  EXPECT_EQ(attachment_name("", "https://h"), "response");
  EXPECT_EQ(attachment_name("attachment; filename=\"..\"", "https://h/x/%2E%2E"), "response");
  EXPECT_EQ(attachment_name("", "https://h/a/..%2Fsecret"), "secret") << "an encoded slash still splits";
}

TEST(classify_reference, tells_the_forms_apart) {
  using kind = attachment_reference::kind;
  auto r = classify_reference("https://storage/objects/0a1b-2c?storage_type=maester");
  EXPECT_EQ(r.type, kind::maester);
  EXPECT_EQ(r.value, "0a1b-2c");
  r = classify_reference("http://maester.example/base/objects/id%201?x=1&storage_type=maester");
  EXPECT_EQ(r.type, kind::maester);
  EXPECT_EQ(r.value, "id 1");
  r = classify_reference("http://steward/files/1cfc");
  EXPECT_EQ(r.type, kind::http);
  EXPECT_EQ(r.value, "http://steward/files/1cfc");
  EXPECT_EQ(classify_reference("http://steward/files/1?storage_type=steward").type, kind::http);
  r = classify_reference("http://x/objects/1?storage_type=s3");
  EXPECT_EQ(r.type, kind::unsupported);
  EXPECT_EQ(r.value, "s3");
  EXPECT_EQ(classify_reference("http://x/other/1?storage_type=maester").type, kind::unsupported) << "no /objects/";
  EXPECT_EQ(classify_reference("http://x/objects/?storage_type=maester").type, kind::unsupported) << "no id";
  r = classify_reference("file:///tmp/a%20b.bin");
  EXPECT_EQ(r.type, kind::file);
  EXPECT_EQ(r.value, "/tmp/a b.bin");
  EXPECT_EQ(classify_reference("file://localhost/tmp/x").value, "/tmp/x");
  r = classify_reference("report.pdf");
  EXPECT_EQ(r.type, kind::name);
  EXPECT_EQ(r.value, "report.pdf");
}

json::object base_config() {
  return json::object{{"tokenUrl", "https://auth/token"}, {"username", "u"}, {"password", "p"}};
}

TEST(response_as, defaults_to_auto_and_accepts_attachment) {
  auto cfg = base_config();
  auto c = parse_action_config(cfg);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->response_as_attachment);
  cfg["responseAs"] = "auto";
  EXPECT_FALSE(parse_action_config(cfg)->response_as_attachment);
  cfg["responseAs"] = "";
  EXPECT_FALSE(parse_action_config(cfg)->response_as_attachment);
  cfg["responseAs"] = "attachment";
  EXPECT_TRUE(parse_action_config(cfg)->response_as_attachment);
}

TEST(response_as, another_value_is_an_error_naming_the_field) {
  auto cfg = base_config();
  cfg["responseAs"] = "Attachment";
  auto c = parse_action_config(cfg);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "responseAs 'Attachment' is not one of auto, attachment");
  cfg["responseAs"] = 3;
  ASSERT_FALSE(parse_action_config(cfg));
  EXPECT_NE(parse_action_config(cfg).error().message.find("responseAs"), std::string::npos);
}

TEST(component_json, declares_response_as_and_body_attachment) {
  std::ifstream in(std::string(OAUTH2_REST_SOURCE_DIR) + "/component.json");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = json::parse(text.str());
  const auto& action = doc.at("actions").at("httpRequest");
  const auto& field = action.at("fields").at("responseAs");
  EXPECT_EQ(field.at("label"), "Response As");
  EXPECT_EQ(field.at("viewClass"), "SelectView");
  const auto& model = field.at("model").as_object();
  EXPECT_EQ(model.size(), 2u);
  EXPECT_TRUE(model.contains("auto"));
  EXPECT_TRUE(model.contains("attachment"));
  EXPECT_EQ(action.at("metadata").at("in").at("properties").at("bodyAttachment").at("type"), "string");
}

}  // namespace
}  // namespace oauth2_rest::action
