// Local mode end to end: the built oauth2-rest executable against the demo API on loopback.
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

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

// The built executable with its stdin and stdout on pipes held by the test, so
// a test can write a line and read the events it produced while stdin is still
// open. stderr goes to a file. SIGKILLed if still running when destroyed.
class interactive_process {
 public:
  interactive_process(const std::vector<std::string>& args, const std::filesystem::path& err_file) {
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_strings{OAUTH2_REST_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string err_path = err_file.string();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in_pipe[0], 0);
      dup2(out_pipe[1], 1);
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) dup2(err, 2);
      execve(argv[0], argv.data(), environ);
      _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_ = in_pipe[1];
    out_ = out_pipe[0];
    signal(SIGPIPE, SIG_IGN);
  }
  ~interactive_process() {
    close_stdin();
    if (out_ >= 0) close(out_);
    if (!exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  interactive_process(const interactive_process&) = delete;
  interactive_process& operator=(const interactive_process&) = delete;

  bool write_stdin(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = write(in_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // The next complete stdout line; nullopt at end of output, or when none came
  // within `limit` (a safety net so a broken build fails instead of hanging the suite).
  std::optional<std::string> read_line(std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      char buf[4096];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // The exit code; nullopt if it has not exited within `limit` (then it is killed by the destructor).
  std::optional<int> wait_exit(std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      if (r < 0 && errno != EINTR) return std::nullopt;
      if (std::chrono::steady_clock::now() >= give_up) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string pending_;
  std::optional<int> exit_code_;
};

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

// Finding 10: the config file holds the client secret and the tokens; writing a new token back
// must not widen who may read it (the temporary file used to be created 0666 & ~umask).
class config_mode_test : public local_mode_test, public ::testing::WithParamInterface<unsigned> {};

TEST_P(config_mode_test, a_token_refresh_keeps_the_config_files_mode) {
  const auto mode = static_cast<std::filesystem::perms>(GetParam());
  auto config = write_config();
  std::filesystem::permissions(config, mode);
  auto r = process(config, R"({"body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(read_file(config).find(api.issued_tokens().at(0)), std::string::npos) << "the token was written back";
  const auto after = std::filesystem::status(config).permissions() & std::filesystem::perms::all;
  EXPECT_EQ(static_cast<unsigned>(after), GetParam()) << std::oct << "mode 0" << GetParam() << " became 0"
                                                      << static_cast<unsigned>(after);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"config.json"}) << "no temporary file is left behind";
}

INSTANTIATE_TEST_SUITE_P(modes, config_mode_test, ::testing::Values(0600u, 0640u),
                         [](const ::testing::TestParamInfo<unsigned>& case_info) {
                           return case_info.param == 0600u ? "owner_only_0600" : "group_readable_0640";
                         });

// Finding 14: a line is bounded (OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES, as for the worker's
// deliveries): an over-long line is an error event naming the limit, and the next line is processed.
TEST_F(local_mode_test, an_over_long_line_is_an_error_naming_the_limit_and_processing_goes_on) {
  auto config = write_config();
  auto message = [](const std::string& id, std::size_t pad) {
    return R"({"id":")" + id + R"(","body":{"url":"/items","method":"GET","pad":")" + std::string(pad, 'p') + R"("}})";
  };
  process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config.string()}};
  spec.env["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "200";
  // A short line, a valid message over the limit, a short line, and a last over-long line without '\n'.
  spec.input = message("a", 10) + "\n" + message("long", 300) + "\n" + message("c", 10) + "\n" + message("tail", 5000);
  auto r = run_process(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(r.out);
  std::vector<std::string> kinds;
  for (auto& e : ev) kinds.push_back(std::string(e.at("event").as_string()));
  EXPECT_EQ(kinds, (std::vector<std::string>{"updateKeys", "data", "end", "error", "end", "data", "end", "error", "end"}))
      << r.out;
  ASSERT_EQ(ev.size(), 9u) << r.out;
  for (std::size_t i : {3u, 7u}) {
    const std::string text(ev[i].at("error").at("message").as_string());
    EXPECT_EQ(ev[i].at("error").at("name").as_string(), "InputError");
    EXPECT_NE(text.find("200-byte limit"), std::string::npos) << text;
    EXPECT_NE(text.find("OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"), std::string::npos) << text;
  }
  EXPECT_NE(std::string(ev[3].at("error").at("message").as_string()).find("line 2"), std::string::npos);
  EXPECT_EQ(ev[4].at("id").as_int64(), 2);
  EXPECT_EQ(ev[6].at("id").as_string(), "c");
  EXPECT_EQ(ev[8].at("id").as_int64(), 4);
  EXPECT_EQ(api.api_requests(), 2u) << "the over-long lines were not sent";

  // A limit that is not a number is a start-up error naming the variable, like a bad config.
  spec.env["OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES"] = "16MiB";
  auto bad = run_process(spec);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES must be an integer"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty()) << bad.out;
}

// The default bound (16 MiB, the worker's incoming message cap), with the line arriving in many reads.
TEST_F(local_mode_test, a_line_over_16_mib_is_refused_by_default) {
  auto config = write_config();
  const std::string big = R"({"id":"big","body":{"url":"/items","method":"GET","pad":")" +
                          std::string((16u << 20) + 1, 'p') + R"("}})";
  auto r = process(config, big + "\n" + R"({"id":"next","body":{"url":"/items","method":"GET"}})" "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(r.out);
  ASSERT_GE(ev.size(), 2u) << r.out;
  EXPECT_EQ(ev[0].at("event").as_string(), "error") << r.out;
  EXPECT_NE(r.out.find("16777216-byte limit"), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_EQ(ev.back().at("event").as_string(), "end");
  EXPECT_EQ(ev.back().at("id").as_string(), "next");
  EXPECT_EQ(api.api_requests(), 1u);
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

// updateKeys carries every credential key (SPEC 2); the ones that hold secrets (component.json's
// PasswordFieldView fields) are redacted on stdout, the others are shown as they are.
TEST_F(local_mode_test, every_secret_credential_key_is_redacted_in_update_keys) {
  const auto identity = testing::test_ca::self_signed();
  auto config = write_config({{"privateKey", identity.private_key_pem},
                              {"keyId", "key-1"},
                              {"clientCertificate", identity.certificate_chain_pem},
                              {"clientCertificateKey", identity.private_key_pem},
                              {"refreshOnStatus", "401,419"}});
  auto r = process(config, R"({"body":{"url":"/items","method":"GET"}})" "\n", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("PRIVATE KEY"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("PRIVATE KEY"), std::string::npos) << r.err;
  auto ev = events(r.out);
  ASSERT_FALSE(ev.empty());
  ASSERT_EQ(ev[0].at("event").as_string(), "updateKeys") << r.out;
  const auto& keys = ev[0].at("keys").as_object();
  EXPECT_EQ(keys.at("password").as_string(), "[REDACTED]");
  EXPECT_EQ(keys.at("privateKey").as_string(), "[REDACTED]");
  EXPECT_EQ(keys.at("clientCertificateKey").as_string(), "[REDACTED]");
  EXPECT_EQ(keys.at("clientCertificate").as_string(), identity.certificate_chain_pem) << "a certificate is public";
  EXPECT_EQ(keys.at("keyId").as_string(), "key-1");
  EXPECT_EQ(keys.at("refreshOnStatus").as_string(), "401,419");
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

TEST_F(local_mode_test, events_are_written_while_stdin_is_still_open) {
  // Output is buffered and flushed once the work at hand is done: a message's
  // events must reach stdout without waiting for more input or for end of input.
  auto config = write_config();
  interactive_process child({"process", "--config", config.string(), "--concurrency", "4"}, dir.path() / "err.log");

  auto read_events_until_end = [&](const std::string& id) {
    std::vector<json::object> got;
    while (auto line = child.read_line()) {
      boost::system::error_code ec;
      auto v = json::parse(*line, ec);
      EXPECT_FALSE(ec) << "stdout line is not JSON: " << *line;
      if (ec) break;
      got.push_back(v.as_object());
      if (got.back().at("event").as_string() == "end") {
        EXPECT_EQ(got.back().at("id").as_string(), id);
        break;
      }
    }
    return got;
  };

  ASSERT_TRUE(child.write_stdin(R"({"id":"first","body":{"url":"/items/1","method":"GET"}})" "\n"));
  auto first = read_events_until_end("first");
  std::vector<std::string> kinds;
  for (auto& e : first) kinds.push_back(std::string(e.at("event").as_string()));
  EXPECT_EQ(kinds, (std::vector<std::string>{"updateKeys", "data", "end"}));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[1].at("message").at("body").at("statusCode").as_int64(), 200);

  // stdin still open: a second line, then a line that is not JSON, each answered before the next is written.
  ASSERT_TRUE(child.write_stdin(R"({"id":"second","body":{"url":"/items","method":"GET"}})" "\n"));
  auto second = read_events_until_end("second");
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].at("event").as_string(), "data");

  ASSERT_TRUE(child.write_stdin("not json\n"));
  auto bad = child.read_line();
  ASSERT_TRUE(bad.has_value()) << "no event for a bad line while stdin is open";
  auto bad_event = json::parse(*bad).as_object();
  EXPECT_EQ(bad_event.at("event").as_string(), "error");
  EXPECT_NE(std::string(bad_event.at("error").at("message").as_string()).find("line 3"), std::string::npos);
  auto bad_end = child.read_line();
  ASSERT_TRUE(bad_end.has_value());
  EXPECT_EQ(json::parse(*bad_end).at("id").as_int64(), 3);

  child.close_stdin();
  EXPECT_FALSE(child.read_line().has_value()) << "nothing more after end of input";
  EXPECT_EQ(child.wait_exit(), 0);
  EXPECT_EQ(api.token_requests(), 1u);
  EXPECT_EQ(api.api_requests(), 2u);
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
    // Bunyan's time: ISO 8601 in UTC with milliseconds, as Node's Date#toISOString writes it.
    static const std::regex iso_time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    const auto* time = v.as_object().if_contains("time");
    EXPECT_TRUE(time && time->is_string() && std::regex_match(std::string(time->as_string()), iso_time)) << line;
  }
}

}  // namespace
}  // namespace oauth2_rest
