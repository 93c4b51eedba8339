// `oauth2-rest request` and `oauth2-rest token` (SPEC 10) end to end: the built executable
// against the demo token server and API on loopback, with its token cache in a test directory.
#include "support/compression.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using testing::process_result;
using testing::process_spec;
using testing::run_process;
using testing::split_lines;

constexpr const char* secret = "demo-secret";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class oneshot_cli_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  // The demo API, and /raw/... paths that answer exact bytes (gzip-encoded for /raw/gzip).
  testing::http_server server{[this](const testing::recorded_request& r) {
    if (r.path() == "/raw/bytes") {
      if (r.header("Authorization") != "Bearer " + api.issued_tokens().back()) return testing::reply::json(401, "{}");
      return testing::reply::text(200, raw_body(), "application/octet-stream");
    }
    if (r.path() == "/raw/gzip") {
      auto reply = testing::reply::text(200, testing::gzip(raw_body()), "application/octet-stream");
      reply.headers.push_back({"Content-Encoding", "gzip"});
      return reply;
    }
    return api.handle(r);
  }};
  fs::path cache_home = dir.path() / "cache";
  fs::path secret_file = dir.path() / "secret.txt";

  oneshot_cli_test() { std::ofstream(secret_file) << secret << "\n"; }

  // Bytes no text rule would keep as they are: a NUL, invalid UTF-8, CR LF, no final newline.
  static std::string raw_body() { return std::string("a\0b\xff\xfe\r\n{\"not\": json", 19); }

  std::vector<std::string> credential_args() const {
    return {"--token-url", server.base_url() + "/oauth/token", "--client-id", "demo-client",
            "--client-secret-file", secret_file.string(), "--base-url", server.base_url() + "/api"};
  }

  process_spec spec(std::vector<std::string> args, bool with_credentials = true) const {
    process_spec s{.program = OAUTH2_REST_BINARY, .args = std::move(args)};
    if (with_credentials) {
      auto creds = credential_args();
      s.args.insert(s.args.begin() + 1, creds.begin(), creds.end());
    }
    s.env["XDG_CACHE_HOME"] = cache_home.string();
    s.env["LOG_LEVEL"] = "";
    return s;
  }

  process_result run(std::vector<std::string> args, bool with_credentials = true) const {
    return check_no_secret(run_process(spec(std::move(args), with_credentials)));
  }

  // The client secret is never printed, whatever happened.
  static process_result check_no_secret(process_result r) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
    return r;
  }

  std::vector<fs::path> cache_files() const {
    std::vector<fs::path> files;
    if (!fs::exists(cache_home / "oauth2-rest")) return files;
    for (const auto& e : fs::directory_iterator(cache_home / "oauth2-rest")) files.push_back(e.path());
    return files;
  }

  fs::path the_cache_file() const {
    auto files = cache_files();
    EXPECT_EQ(files.size(), 1u) << "one cache file, no temporary file left";
    return files.empty() ? fs::path() : files.front();
  }

  // The cache file parses, holds the last issued token and never the secret.
  void expect_valid_cache() const {
    auto file = the_cache_file();
    const auto text = read_file(file);
    EXPECT_EQ(text.find(secret), std::string::npos) << "the cache holds no secret: " << text;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    ASSERT_FALSE(ec) << "cache file is not JSON: " << text;
    EXPECT_EQ(v.at("tokens").at("access_token").as_string(), api.issued_tokens().back());
    EXPECT_EQ(mode_of(file), 0600u) << std::oct << mode_of(file);
    EXPECT_EQ(mode_of(file.parent_path()), 0700u) << std::oct << mode_of(file.parent_path());
  }

  static std::size_t line_count(const std::string& text) { return split_lines(text).size(); }
};

TEST_F(oneshot_cli_test, token_prints_the_token_and_a_second_call_makes_no_token_request) {
  auto first = run({"token"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(api.tokens_issued(), 1u);
  EXPECT_EQ(first.out, api.issued_tokens().at(0) + "\n") << "the token and a newline, nothing else";
  EXPECT_EQ(first.err, "");
  auto second = run({"token"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(api.token_requests(), 1u) << "the cached token was used";
  expect_valid_cache();
}

TEST_F(oneshot_cli_test, different_scopes_get_their_own_cache_file) {
  ASSERT_EQ(run({"token"}).exit_code, 0);
  ASSERT_EQ(run({"token", "--scopes", "items:read"}).exit_code, 0);
  EXPECT_EQ(api.token_requests(), 2u) << "a token for other scopes is not reused";
  EXPECT_EQ(cache_files().size(), 2u);
}

TEST_F(oneshot_cli_test, request_get_prints_the_body_byte_for_byte) {
  auto r = run({"request", "/items"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto body = json::parse(r.out).as_object();
  EXPECT_EQ(body.at("items").as_array().size(), 3u);
  EXPECT_EQ(r.err, "");

  auto raw = run({"request", server.base_url() + "/raw/bytes"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(raw.out, raw_body()) << "as received, nothing added";
  EXPECT_EQ(api.token_requests(), 1u) << "the second request used the cached token";
}

TEST_F(oneshot_cli_test, a_compressed_body_is_printed_decoded) {
  auto r = run({"request", "-i", server.base_url() + "/raw/gzip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto end_of_head = r.out.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(end_of_head + 4), raw_body());
  EXPECT_EQ(r.out.substr(0, end_of_head).find("Content-Encoding"), std::string::npos)
      << "the headers describe the decoded body: " << r.out;
}

TEST_F(oneshot_cli_test, include_prints_the_status_line_and_headers_before_the_body) {
  auto r = run({"request", "-i", "/items"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 200 OK\r\n")) << r.out;
  EXPECT_NE(r.out.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << r.out;
  const auto end_of_head = r.out.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos);
  EXPECT_EQ(json::parse(r.out.substr(end_of_head + 4)).at("items").as_array().size(), 3u);
}

TEST_F(oneshot_cli_test, fail_exits_22_with_one_line_and_without_it_the_body_is_printed) {
  auto failed = run({"request", "--fail", "/items/77"});
  EXPECT_EQ(failed.exit_code, 22);
  EXPECT_EQ(failed.out, "") << "no body with --fail, as curl";
  EXPECT_EQ(line_count(failed.err), 1u) << failed.err;
  EXPECT_NE(failed.err.find("404"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("/api/items/77"), std::string::npos) << failed.err;

  auto tolerated = run({"request", "/items/77"});
  EXPECT_EQ(tolerated.exit_code, 0) << tolerated.err;
  EXPECT_NE(tolerated.out.find("not_found"), std::string::npos) << tolerated.out;
}

TEST_F(oneshot_cli_test, data_is_sent_as_json_or_raw_with_its_content_type) {
  auto json_data = run({"request", "-d", R"({"name": "x"})", "/echo"});
  ASSERT_EQ(json_data.exit_code, 0) << json_data.err;
  auto echo = json::parse(json_data.out).as_object();
  EXPECT_EQ(echo.at("method").as_string(), "POST") << "-d means POST";
  EXPECT_EQ(echo.at("body").as_string(), R"({"name": "x"})") << "byte for byte";
  EXPECT_EQ(echo.at("headers").at("content-type").as_string(), "application/json");

  const auto file = dir.path() / "form.txt";
  std::ofstream(file) << "a=1&b=2";
  auto raw = run({"request", "-X", "PUT", "-H", "X-Trace: t1", "-d", "@" + file.string(), "/echo"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  echo = json::parse(raw.out).as_object();
  EXPECT_EQ(echo.at("method").as_string(), "PUT");
  EXPECT_EQ(echo.at("body").as_string(), "a=1&b=2");
  EXPECT_EQ(echo.at("headers").at("content-type").as_string(), "application/x-www-form-urlencoded");
  EXPECT_EQ(echo.at("headers").at("x-trace").as_string(), "t1");
}

TEST_F(oneshot_cli_test, data_from_stdin) {
  auto s = spec({"request", "-d", "@-", "-H", "content-type: text/csv", "/echo"});
  s.input = "a,b\n1,2\n";
  auto r = check_no_secret(run_process(s));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto echo = json::parse(r.out).as_object();
  EXPECT_EQ(echo.at("body").as_string(), "a,b\n1,2\n");
  EXPECT_EQ(echo.at("headers").at("content-type").as_string(), "text/csv") << "the user's Content-Type is kept";
}

TEST_F(oneshot_cli_test, https_is_verified_through_ssl_cert_file) {
  testing::test_ca ca;
  testing::demo_api tls_api;
  testing::http_server tls_server(tls_api.as_handler(), ca.issue());
  auto args = std::vector<std::string>{"request", "--token-url", tls_server.base_url() + "/oauth/token",
                                       "--client-id", "demo-client", "--client-secret-file", secret_file.string(),
                                       tls_server.base_url() + "/api/items/2"};
  auto s = spec(args, false);
  s.env["SSL_CERT_FILE"] = ca.write_certificate(dir.path()).string();
  auto trusted = check_no_secret(run_process(s));
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(json::parse(trusted.out).at("name").as_string(), "Rocket skates");

  auto untrusted_spec = spec({"token", "--token-url", tls_server.base_url() + "/oauth/token", "--client-id",
                              "demo-client", "--client-secret-file", secret_file.string(), "--scopes", "x"},
                             false);
  untrusted_spec.unset_env = {"SSL_CERT_FILE", "SSL_CERT_DIR"};
  auto untrusted = check_no_secret(run_process(untrusted_spec));
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_EQ(line_count(untrusted.err), 1u) << untrusted.err;
  EXPECT_EQ(untrusted.out, "");
  EXPECT_EQ(tls_api.tokens_issued(), 1u) << "no token over an unverified connection";
}

TEST_F(oneshot_cli_test, usage_errors_exit_2_with_one_line) {
  struct usage_case {
    std::vector<std::string> args;
    bool with_credentials;
    std::string says;
  };
  const std::vector<usage_case> cases = {
      {{"request"}, true, "missing the URL"},
      {{"request", "--bogus", "/items"}, true, "unknown option '--bogus'"},
      {{"request", "/items", "--timeout"}, true, "--timeout needs"},
      {{"request", "--timeout", "abc", "/items"}, true, "--timeout must be"},
      {{"request", "-H", "no colon here", "/items"}, true, "-H needs 'Name: value'"},
      {{"request", "-X", "GET", "-d", "x", "/items"}, true, "-d cannot be used with -X GET"},
      {{"request", "/a", "/b"}, true, "only one URL"},
      {{"token", "/items"}, true, "token takes no URL"},
      {{"token", "-X", "POST"}, true, "unknown option '-X'"},
      {{"token"}, false, "needs --config FILE"},
      {{"token", "--token-url", "http://127.0.0.1:1/t"}, false, "needs --client-id"},
      {{"token", "--client-secret-env", "S"}, true, "give the secret once"},
  };
  for (const auto& c : cases) {
    auto r = run(c.args, c.with_credentials);
    EXPECT_EQ(r.exit_code, 2) << c.args.front() << " " << c.says << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(api.token_requests(), 0u);
}

TEST_F(oneshot_cli_test, a_client_secret_on_the_command_line_is_refused_saying_why) {
  for (std::vector<std::string> args : {std::vector<std::string>{"token", "--client-secret", "hunter2-secret"},
                                        std::vector<std::string>{"token", "--client-secret=hunter2-secret"},
                                        std::vector<std::string>{"request", "--client-secret", "hunter2-secret", "/x"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--client-secret is refused"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--client-secret-file"), std::string::npos) << "says what to use instead: " << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << "the value is never echoed: " << r.err;
  }
  EXPECT_EQ(api.token_requests(), 0u);
}

TEST_F(oneshot_cli_test, the_secret_comes_from_a_file_or_an_environment_variable) {
  auto from_file = run({"token"});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;

  auto s = spec({"token", "--token-url", server.base_url() + "/oauth/token", "--client-id", "demo-client",
                 "--client-secret-env", "MY_CLIENT_SECRET", "--scopes", "other"},
                false);
  s.env["MY_CLIENT_SECRET"] = secret;
  auto from_env = check_no_secret(run_process(s));
  ASSERT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(from_env.out, api.issued_tokens().back() + "\n");
  EXPECT_EQ(api.tokens_issued(), 2u);

  // A wrong secret: exit 1, one line with the server's error, the secret nowhere.
  s.env["MY_CLIENT_SECRET"] = "wrong-secret-value";
  s.args.back() = "third";
  auto wrong = run_process(s);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(line_count(wrong.err), 1u) << wrong.err;
  EXPECT_EQ(wrong.err.find("wrong-secret-value"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.out, "");

  // An unset variable is named.
  s.unset_env.push_back("MY_CLIENT_SECRET");
  s.env.erase("MY_CLIENT_SECRET");
  auto unset = run_process(s);
  EXPECT_EQ(unset.exit_code, 1);
  EXPECT_NE(unset.err.find("MY_CLIENT_SECRET"), std::string::npos) << unset.err;
}

TEST_F(oneshot_cli_test, config_file_gives_the_credential_and_is_never_written) {
  const auto config = dir.path() / "c.json";
  const std::string text = json::serialize(json::object{{"tokenUrl", server.base_url() + "/oauth/token"},
                                                        {"username", "demo-client"},
                                                        {"password", secret},
                                                        {"baseUrl", server.base_url() + "/api"},
                                                        {"clientAuthentication", "body"}});
  std::ofstream(config) << text;
  auto r = run({"request", "--config", config.string(), "/items/1"}, false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("name").as_string(), "Anvil");
  EXPECT_EQ(read_file(config), text) << "tokens go to the cache, not into the config file";
  ASSERT_EQ(api.token_requests(), 1u);
  auto token = run({"token", "--config", config.string()}, false);
  EXPECT_EQ(token.out, api.issued_tokens().at(0) + "\n");
  EXPECT_EQ(api.token_requests(), 1u);

  // A bad field of the config is named, exit 1.
  std::ofstream(config) << R"({"tokenUrl":"x","username":"u","password":"p"})";
  auto bad = run({"token", "--config", config.string()}, false);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("tokenUrl"), std::string::npos) << bad.err;
}

TEST_F(oneshot_cli_test, a_corrupted_cache_file_is_ignored_with_a_warning_and_replaced) {
  ASSERT_EQ(run({"token"}).exit_code, 0);
  const auto file = the_cache_file();
  std::ofstream(file, std::ios::trunc) << "{\"tokens\": {\"access_tok";
  auto r = run({"token"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("warning: ignoring the token cache file"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, api.issued_tokens().back() + "\n");
  EXPECT_EQ(api.token_requests(), 2u);
  expect_valid_cache();
  auto again = run({"token"});
  EXPECT_EQ(again.err, "") << "the replaced file is trusted";
  EXPECT_EQ(api.token_requests(), 2u);
}

TEST_F(oneshot_cli_test, a_cache_file_readable_by_others_is_ignored_and_replaced_with_mode_0600) {
  ASSERT_EQ(run({"token"}).exit_code, 0);
  const auto file = the_cache_file();
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto r = run({"token"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("0644"), std::string::npos) << r.err;
  EXPECT_EQ(api.token_requests(), 2u) << "its token was not trusted";
  expect_valid_cache();
}

TEST_F(oneshot_cli_test, a_cache_file_owned_by_another_user_is_ignored_and_replaced) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the file to another user";
  ASSERT_EQ(run({"token"}).exit_code, 0);
  const auto file = the_cache_file();
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);  // nobody
  auto r = run({"token"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("owned by uid 65534"), std::string::npos) << r.err;
  EXPECT_EQ(api.token_requests(), 2u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid()) << "replaced by a file of ours";
  expect_valid_cache();
}

TEST_F(oneshot_cli_test, a_401_renews_the_cached_token_once) {
  ASSERT_EQ(run({"token"}).exit_code, 0);
  api.revoke_all();
  auto r = run({"request", "/items"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("items").as_array().size(), 3u);
  EXPECT_EQ(api.token_requests(), 2u);
  EXPECT_EQ(api.api_requests(), 2u) << "refused once, then repeated with the new token";
  expect_valid_cache();

  // An API that keeps answering 401: one renewal, one repeat, then the answer as it is.
  auto always = run({"request", "--fail", "/status/401"});
  EXPECT_EQ(always.exit_code, 22) << always.err;
  EXPECT_EQ(api.token_requests(), 3u) << "renewed once, not in a loop";
  EXPECT_EQ(api.api_requests(), 4u);
}

TEST_F(oneshot_cli_test, concurrent_requests_both_succeed_and_leave_a_valid_cache) {
  constexpr int n = 4;
  std::vector<process_result> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { results[i] = run_process(spec({"request", "/items"})); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    check_no_secret(r);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out).at("items").as_array().size(), 3u);
    EXPECT_EQ(r.err, "");
  }
  // Each may have fetched its own token; the file holds one of them, whole.
  auto file = the_cache_file();
  auto tokens = api.issued_tokens();
  auto cached = json::parse(read_file(file)).at("tokens").at("access_token").as_string();
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), cached), tokens.end());
  EXPECT_EQ(mode_of(file), 0600u);
  const auto before = api.token_requests();
  ASSERT_EQ(run({"token"}).exit_code, 0);
  EXPECT_EQ(api.token_requests(), before) << "the cache left behind is used";
}

TEST_F(oneshot_cli_test, help_describes_the_cache_and_exits_0) {
  for (const char* command : {"request", "token"}) {
    auto r = run({command, "--help"}, false);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("oauth2-rest/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("never written"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace oauth2_rest
