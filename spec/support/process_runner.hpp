// Runs a program (the built oauth2-rest) with given arguments, stdin text and environment,
// and captures its exit code, stdout and stderr.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

struct process_result {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

struct process_spec {
  std::string program;
  std::vector<std::string> args;
  std::string input;                          // written to stdin, then stdin is closed
  std::map<std::string, std::string> env;     // added to (or overriding) the current environment
  std::vector<std::string> unset_env;         // removed from the environment
  std::chrono::seconds timeout{60};           // killed (SIGKILL) after this
};

process_result run_process(const process_spec& spec);

// Splits text into lines (without the '\n'), dropping a final empty line.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace oauth2_rest::testing
