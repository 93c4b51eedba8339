// `oauth2-rest process` progress line (SPEC 10): on stderr when it is a terminal (a pseudo-
// terminal the test opens), erased at the end, never on stdout; not on a pipe unless --progress.
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using testing::process_spec;
using testing::run_process;
using testing::split_lines;

constexpr std::string_view erase = "\r\x1b[K";

struct pty_result {
  int exit_code = -1;
  std::string out;       // stdout (a pipe)
  std::string terminal;  // what the program wrote to its stderr, the pseudo-terminal
  std::chrono::milliseconds took{0};
};

std::string drain(int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;  // EOF, or EIO once the terminal's last writer is gone
    text.append(buf, static_cast<std::size_t>(n));
  }
}

// The built executable with stdin and stdout on pipes and stderr on a new pseudo-terminal.
pty_result run_with_stderr_on_a_terminal(const std::vector<std::string>& args, const std::string& input,
                                         const std::vector<std::string>& env_extra) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pseudo-terminal");
  const std::string slave_name = ::ptsname(master);
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_strings{OAUTH2_REST_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setsid();
    const int slave = ::open(slave_name.c_str(), O_RDWR);
    if (slave < 0) _exit(126);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(slave, 2);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  std::signal(SIGPIPE, SIG_IGN);
  pty_result r;
  std::thread out_reader([&] { r.out = drain(out_pipe[0]); });
  std::thread terminal_reader([&] { r.terminal = drain(master); });
  [[maybe_unused]] const auto written = ::write(in_pipe[1], input.data(), input.size());
  ::close(in_pipe[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  out_reader.join();
  terminal_reader.join();
  ::close(out_pipe[0]);
  ::close(master);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The event kinds of stdout, in order (data messages carry random ids: compare their kinds),
// without updateKeys (only the run that gets the token has it: the next one reuses it).
std::vector<std::string> kinds(const std::string& out) {
  std::vector<std::string> list;
  for (const auto& line : split_lines(out)) {
    std::string kind(json::parse(line).at("event").as_string());
    if (kind != "updateKeys") list.push_back(std::move(kind));
  }
  return list;
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class progress_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  // /api/slow answers after a pause, so that the run lasts several progress intervals.
  testing::http_server server{[this](const testing::recorded_request& r) {
    if (r.path() == "/api/slow") {
      auto reply = testing::reply::json(200, R"({"slow":true})");
      reply.delay = std::chrono::milliseconds(700);
      return reply;
    }
    return api.handle(r);
  }};

  std::string config() {
    auto path = dir.path() / "config.json";
    std::ofstream(path) << json::serialize(json::object{{"tokenUrl", server.base_url() + "/oauth/token"},
                                                        {"username", "demo-client"},
                                                        {"password", "demo-secret"},
                                                        {"baseUrl", server.base_url() + "/api"},
                                                        {"errorTolerance", "noErrors"}});
    return path.string();
  }

  // Three good messages, one line that is not JSON (an error), then the slow one.
  static std::string input() {
    return R"({"body":{"url":"/items","method":"GET"}})" "\n"
           R"({"body":{"url":"/items/1","method":"GET"}})" "\n"
           "not json\n"
           R"({"body":{"url":"/items/2","method":"GET"}})" "\n"
           R"({"body":{"url":"/slow","method":"GET"}})" "\n";
  }
  static inline const std::vector<std::string> expected_kinds = {"data", "end", "data", "end", "error",
                                                                 "end",  "data", "end", "data", "end"};
};

TEST_F(progress_test, a_terminal_gets_a_progress_line_that_is_erased_at_the_end) {
  auto r = run_with_stderr_on_a_terminal({"process", "--config", config()}, input(), {"LOG_LEVEL=error"});
  ASSERT_EQ(r.exit_code, 0) << r.terminal;
  EXPECT_EQ(kinds(r.out), expected_kinds) << "stdout is the events only";
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find("msg/s"), std::string::npos);

  // Every update is "\r ESC[K read N, done N, errors N, R msg/s", and the last thing written is the erase.
  ASSERT_TRUE(r.terminal.starts_with(erase)) << r.terminal;
  ASSERT_TRUE(r.terminal.ends_with(erase)) << "the line is erased at the end: " << r.terminal;
  const std::regex update(R"(\r\x1b\[Kread \d+, done \d+, errors \d+, \d+\.\d msg/s)");
  const std::string leftover = std::regex_replace(r.terminal, update, "");
  EXPECT_EQ(leftover, std::string(erase)) << "nothing but progress updates and the final erase: " << r.terminal;
  EXPECT_NE(r.terminal.find("read 5, done 4, errors 1"), std::string::npos)
      << "while the slow message runs, the counts so far: " << r.terminal;
  const auto updates = count(r.terminal, "read ");
  EXPECT_GE(updates, 1u);
  // At most ten a second (plus the first): a bound on the count, not on time.
  EXPECT_LE(updates, static_cast<std::size_t>(r.took.count() / 100 + 1)) << r.terminal;
}

// A log line written while the progress line shows starts on a line of its own: the progress
// line is erased first and drawn again after it.
TEST_F(progress_test, a_log_line_never_lands_on_the_progress_line) {
  // After the slow message, a 401 that makes the action log "renewing" (info) mid-run.
  const std::string lines = input() + R"({"body":{"url":"/status/401","method":"GET"}})" "\n";
  auto r = run_with_stderr_on_a_terminal({"process", "--config", config()}, lines, {"LOG_LEVEL=info"});
  ASSERT_EQ(r.exit_code, 0) << r.terminal;
  ASSERT_NE(r.terminal.find("renewing"), std::string::npos) << "the log reached the terminal: " << r.terminal;
  // Every log line starts the terminal, follows another line's end (the terminal writes "\r\n"),
  // or follows the erase of the progress line; the "renewing" one came while progress showed.
  std::size_t after_erase = 0;
  for (auto at = r.terminal.find(R"({"name":)"); at != std::string::npos; at = r.terminal.find(R"({"name":)", at + 1)) {
    const std::string before = r.terminal.substr(0, at);
    const bool erased = before.ends_with(erase);
    EXPECT_TRUE(at == 0 || before.ends_with("\n") || erased) << "a log line after other text: " << r.terminal;
    if (erased) ++after_erase;
  }
  EXPECT_GE(after_erase, 1u) << r.terminal;
  EXPECT_EQ(r.terminal.find("msg/s{"), std::string::npos) << r.terminal;
  // Nothing of the progress line is left on the last line.
  const std::string last_line = r.terminal.substr(r.terminal.rfind('\n') + 1);
  EXPECT_TRUE(last_line.empty() || last_line.ends_with(erase)) << r.terminal;
}

TEST_F(progress_test, no_progress_turns_it_off_on_a_terminal) {
  auto r = run_with_stderr_on_a_terminal({"process", "--config", config(), "--no-progress"}, input(),
                                         {"LOG_LEVEL=error"});
  ASSERT_EQ(r.exit_code, 0) << r.terminal;
  EXPECT_EQ(kinds(r.out), expected_kinds);
  EXPECT_EQ(r.terminal, "");
}

TEST_F(progress_test, a_pipe_gets_no_progress_unless_asked) {
  process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config()}};
  spec.input = input();
  spec.env["LOG_LEVEL"] = "error";
  auto plain = run_process(spec);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(kinds(plain.out), expected_kinds);
  EXPECT_EQ(plain.err, "") << "stderr is not a terminal: no progress";

  spec.args.push_back("--progress");
  auto forced = run_process(spec);
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(kinds(forced.out), expected_kinds);
  EXPECT_NE(forced.err.find("\r\x1b[Kread "), std::string::npos) << forced.err;
  EXPECT_TRUE(forced.err.ends_with(erase)) << forced.err;
}

}  // namespace
}  // namespace oauth2_rest
