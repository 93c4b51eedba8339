// A program started in the background (the oauth2-rest worker under test): signal it, wait for
// it, read what it printed. Output goes to files, so a chatty child never blocks on a pipe.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

class child_process {
 public:
  child_process(const std::string& program, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env, const std::filesystem::path& output_dir);
  ~child_process();  // SIGKILL if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void signal(int signal_number);
  // The exit code once it exited (-1 when killed by a signal); nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string out() const;
  std::string err() const;
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path out_path_, err_path_;
};

}  // namespace oauth2_rest::testing
