// Local mode reads its input lines and config as Node's JSON.parse reads them and writes events,
// request bodies and the config as Node's JSON.stringify writes them (SPEC section 6).
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class local_mode_json_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  testing::http_server server{api.as_handler()};

  std::filesystem::path write_config(const std::string& extra_fields) {
    auto path = dir.path() / "config.json";
    std::ofstream(path) << R"({"tokenUrl":")" << server.base_url() << R"(/oauth/token","username":"demo-client",)"
                        << R"("password":"demo-secret","baseUrl":")" << server.base_url() << R"(/api",)"
                        << R"("errorTolerance":"noErrors","requestTimeout":"10",)" << extra_fields << "}";
    return path;
  }

  testing::process_result process(const std::filesystem::path& config, std::string input) {
    testing::process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config.string()}};
    spec.input = std::move(input);
    return testing::run_process(spec);
  }
};

TEST_F(local_mode_json_test, lines_are_read_and_everything_written_as_node_does) {
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  auto config = write_config(R"("note":"cut \ud83d","ratio":1e21,"small":1e-7)");
  auto r = process(config, R"({"id":1e21,"body":{"url":"/echo","method":"POST","body":{"n":1e21,"m":1e-7,)"
                           R"("big":9007199254740993,"cut":"ab\ud83d","deep":)" + deep + "}}}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The request body the API received, which it echoes as a string.
  const std::string want_body = R"({"n":1e+21,"m":1e-7,"big":9007199254740992,"cut":"ab)" "\xEF\xBF\xBD"
                                R"(","deep":)" + deep + "}";
  bool echoed = false;
  for (const auto& line : testing::split_lines(r.out)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    if (v.at("event") != "data") continue;
    EXPECT_EQ(v.at("message").at("body").at("body").at("body").as_string(), want_body);
    echoed = true;
  }
  EXPECT_TRUE(echoed) << r.out;
  EXPECT_NE(r.out.find(R"({"event":"end","id":1e+21})"), std::string::npos) << r.out;
  // The config file, written back with the new token, keeps its other fields in Node's spelling.
  const std::string saved = read_file(config);
  EXPECT_NE(saved.find(R"("note":"cut )" "\xEF\xBF\xBD" R"(","ratio":1e+21,"small":1e-7)"), std::string::npos) << saved;
}

}  // namespace
}  // namespace oauth2_rest
