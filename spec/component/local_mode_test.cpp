// Local mode end to end: the built oauth2-rest executable against the demo API on loopback.
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using testing::process_spec;
using testing::run_process;
using testing::split_lines;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class local_mode_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  testing::http_server server{api.as_handler()};

  std::filesystem::path write_config(json::object extra = {}) {
    json::object cfg{{"tokenUrl", server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", server.base_url() + "/api"},
                     {"errorTolerance", "notFoundOnly"},
                     {"requestTimeout", "10"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    auto path = dir.path() / "config.json";
    std::ofstream(path) << json::serialize(cfg);
    return path;
  }

  testing::process_result process(const std::filesystem::path& config, std::string input,
                                  std::vector<std::string> extra_args = {}) {
    process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config.string()}};
    spec.args.insert(spec.args.end(), extra_args.begin(), extra_args.end());
    spec.input = std::move(input);
    return run_process(spec);
  }

  static std::vector<json::object> events(const std::string& out) {
    std::vector<json::object> list;
    for (const auto& line : split_lines(out)) {
      boost::system::error_code ec;
      auto v = json::parse(line, ec);
      EXPECT_FALSE(ec) << "stdout line is not JSON: " << line;
      if (!ec) list.push_back(v.as_object());
    }
    return list;
  }
};

TEST_F(local_mode_test, messages_share_one_token_and_each_ends) {
  auto config = write_config();
  auto r = process(config,
                   R"({"id":"a","body":{"url":"/items","method":"GET"}})" "\n"
                   R"({"id":"b","body":{"url":"items/1","method":"GET"}})" "\n"
                   R"({"id":"c","body":{"url":"/items/99","method":"GET"}})" "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(r.out);
  std::vector<std::string> kinds;
  for (auto& e : ev) kinds.push_back(std::string(e.at("event").as_string()));
  std::vector<std::string> expected{"updateKeys", "data", "end", "data", "end", "data", "end"};
  EXPECT_EQ(kinds, expected) << r.out;
  EXPECT_EQ(ev[2].at("id").as_string(), "a");
  EXPECT_EQ(ev[6].at("id").as_string(), "c");
  EXPECT_EQ(ev[5].at("message").at("body").at("statusCode").as_int64(), 404) << "notFoundOnly emits 404";
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(api.api_requests(), 3u);
}

TEST_F(local_mode_test, token_is_written_back_and_reused_by_the_next_run) {
  auto config = write_config();
  auto first = process(config, R"({"body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto saved = json::parse(read_file(config)).as_object();
  ASSERT_TRUE(saved.contains("tokens"));
  auto tokens = json::parse(saved.at("tokens").as_string()).as_object();
  EXPECT_EQ(tokens.at("access_token").as_string(), api.issued_tokens().at(0));
  EXPECT_EQ(saved.at("password").as_string(), "demo-secret") << "the rest of the file is kept";

  auto second = process(config, R"({"body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(api.token_requests(), 1u) << "the saved token was reused";
  EXPECT_EQ(second.out.find("updateKeys"), std::string::npos);
}

TEST_F(local_mode_test, secrets_are_redacted_on_stdout_and_absent_from_logs) {
  auto config = write_config();
  auto r = process(config, R"({"body":{"url":"/echo","method":"GET"}})" "\n", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto token = api.issued_tokens().at(0);
  EXPECT_EQ(r.out.find("demo-secret"), std::string::npos);
  EXPECT_EQ(r.out.find(token), std::string::npos);
  EXPECT_EQ(r.err.find("demo-secret"), std::string::npos);
  EXPECT_EQ(r.err.find(token), std::string::npos);
  auto ev = events(r.out);
  ASSERT_FALSE(ev.empty());
  ASSERT_EQ(ev[0].at("event").as_string(), "updateKeys");
  EXPECT_EQ(ev[0].at("keys").at("password").as_string(), "[REDACTED]");
  auto tokens = json::parse(ev[0].at("keys").at("tokens").as_string()).as_object();
  EXPECT_EQ(tokens.at("access_token").as_string(), "[REDACTED]");
  EXPECT_TRUE(tokens.contains("tokenExpiryTime"));
}

TEST_F(local_mode_test, a_bad_line_is_an_error_event_and_processing_goes_on) {
  auto config = write_config();
  auto r = process(config, "this is not json\n" R"({"id":7,"body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(r.out);
  ASSERT_GE(ev.size(), 4u) << r.out;
  EXPECT_EQ(ev[0].at("event").as_string(), "error");
  EXPECT_NE(std::string(ev[0].at("error").at("message").as_string()).find("line 1"), std::string::npos);
  EXPECT_EQ(ev[1].at("event").as_string(), "end");
  EXPECT_EQ(ev.back().at("event").as_string(), "end");
  EXPECT_EQ(ev.back().at("id").as_int64(), 7);
  bool had_data = false;
  for (auto& e : ev) had_data = had_data || e.at("event").as_string() == "data";
  EXPECT_TRUE(had_data);
}

TEST_F(local_mode_test, concurrent_messages_keep_their_events_together) {
  auto config = write_config();
  std::string input;
  for (int i = 0; i < 40; ++i) {
    input += R"({"id":"m)" + std::to_string(i) + R"(","body":{"url":")" + (i % 3 ? "/items" : "/items/404") +
             R"(","method":"GET"}})" "\n";
  }
  auto r = process(config, input, {"--concurrency", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(r.out);
  std::map<std::string, int> ends;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    auto kind = ev[i].at("event").as_string();
    if (kind == "data") {
      ASSERT_LT(i + 1, ev.size());
      EXPECT_EQ(ev[i + 1].at("event").as_string(), "end") << "a message's data is followed by its end";
    }
    if (kind == "end") ends[std::string(ev[i].at("id").as_string())]++;
  }
  EXPECT_EQ(ends.size(), 40u);
  for (auto& [id, n] : ends) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(api.token_requests(), 1u);
}

TEST_F(local_mode_test, invalid_config_exits_1_naming_the_field) {
  auto config = dir.path() / "bad.json";
  std::ofstream(config) << R"({"username":"u","password":"p"})";
  auto r = process(config, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tokenUrl"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(local_mode_test, usage_errors_exit_2_with_one_line) {
  auto run = [](std::vector<std::string> args) {
    return run_process({.program = OAUTH2_REST_BINARY, .args = std::move(args)});
  };
  for (auto args : std::vector<std::vector<std::string>>{{"process", "--bogus"},
                                                          {"process"},
                                                          {"process", "--config"},
                                                          {"process", "--config", "x", "--concurrency", "zero"},
                                                          {"launch"},
                                                          {"serve", "getMetaModel"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(split_lines(r.err).size(), 1u) << r.err;
  }
  for (auto args : std::vector<std::vector<std::string>>{{"--help"}, {"process", "--help"}, {"sail", "--help"},
                                                          {"serve", "--help"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
}

TEST_F(local_mode_test, https_token_and_api_verified_through_ssl_cert_file) {
  testing::test_ca ca;
  testing::demo_api tls_api;
  testing::http_server tls_server(tls_api.as_handler(), ca.issue());
  auto ca_file = ca.write_certificate(dir.path());
  auto config = write_config({{"tokenUrl", tls_server.base_url() + "/oauth/token"},
                              {"baseUrl", tls_server.base_url() + "/api"}});
  process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config.string()}};
  spec.input = R"({"body":{"url":"/items","method":"GET"}})" "\n";
  spec.env["SSL_CERT_FILE"] = ca_file.string();
  auto trusted = run_process(spec);
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_NE(trusted.out.find(R"("statusCode":200)"), std::string::npos) << trusted.out;

  spec.env.erase("SSL_CERT_FILE");
  spec.unset_env = {"SSL_CERT_FILE", "SSL_CERT_DIR"};
  auto untrusted = run_process(spec);
  ASSERT_EQ(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.out.find(R"("event":"error")"), std::string::npos) << untrusted.out;
  EXPECT_EQ(tls_api.tokens_issued(), 1u) << "no token for the unverified run";
}

TEST_F(local_mode_test, logs_are_json_lines_on_stderr) {
  auto config = write_config();
  auto r = process(config, R"({"body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(r.exit_code, 0);
  auto lines = split_lines(r.err);
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    for (const char* key : {"name", "hostname", "pid", "level", "msg", "time", "v"}) {
      EXPECT_TRUE(v.as_object().contains(key)) << line;
    }
  }
}

}  // namespace
}  // namespace oauth2_rest
