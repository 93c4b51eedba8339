// Local mode: `oauth2-rest process --config FILE [--concurrency N]`.
//
// Runs the httpRequest action with no broker: JSON Lines messages on stdin,
// one JSON event per line on stdout, logs on stderr. A line that is not
// valid JSON yields an error event and processing goes on. Up to
// `concurrency` messages run at once; the events of one message are written
// together, in order, when it ends. stdout is written in batches: the events of
// the messages that ended are flushed once the work ready at that moment is done
// (and at the end), never held back waiting for more input. stdin is read in
// chunks, about one chunk ahead of the lines waiting for a free slot. A new token is written back to the config
// file atomically (temporary file + rename), so the next run reuses it; the
// updateKeys event on stdout shows the keys with secrets redacted. A progress line on stderr
// (progress.hpp) counts lines read, messages done and errors. --attachments DIR gives the action
// a directory as its attachment store (directory_attachments.hpp, SPEC 9).
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>

namespace oauth2_rest::local {

struct process_options {
  std::filesystem::path config_path;
  unsigned concurrency = 1;
  // --attachments DIR (SPEC 9): the directory attachments are read from and written to; empty:
  // none (bodyAttachment and responseAs=attachment are then error events).
  std::filesystem::path attachments_dir;
  // The progress line on stderr (progress.hpp): nullopt = when stderr is a terminal.
  std::optional<bool> progress;
};

// Returns the exit code (0 once every line was handled, even if some failed).
// Throws std::runtime_error when the config file cannot be used (start-up error).
int run_process_mode(const process_options& options, std::FILE* in = stdin, std::FILE* out = stdout);

}  // namespace oauth2_rest::local
