// Local mode: stdin lines -> the action -> event lines on stdout.
#include "local/process_mode.hpp"

#include "util/fd_write.hpp"

#include "action/http_request_action.hpp"
#include "http/http_client.hpp"
#include "local/directory_attachments.hpp"
#include "local/progress.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"
#include "util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace oauth2_rest::local {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* redacted = "[REDACTED]";

json::object read_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read config file '" + path.string() + "'");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto value = read_json(text.str(), ec);
  if (ec) throw std::runtime_error("config file '" + path.string() + "' is not valid JSON: " + ec.message());
  if (!value.is_object()) throw std::runtime_error("config file '" + path.string() + "' must hold a JSON object");
  return std::move(value.as_object());
}

// Local mode's bound on one input line, in bytes (the '\n' not counted): the same knob and
// default as the platform worker's cap on an incoming delivery (sail/settings.hpp), so one
// setting says "the largest message this program accepts". A longer line is an error event
// naming the limit; its bytes are dropped as they arrive, never buffered whole.
constexpr const char* max_line_variable = "OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES";
constexpr std::size_t default_max_line = 16u << 20;
constexpr std::size_t max_line_ceiling = 512u << 20;  // as in the worker: larger values count as this

std::size_t max_line_bytes() {
  const char* env = std::getenv(max_line_variable);
  if (env == nullptr || *env == '\0') return default_max_line;
  const std::string_view text(env);
  const bool digits = text.find_first_not_of("0123456789") == std::string_view::npos;
  std::size_t value = 0;
  if (digits)
    for (char c : text) value = std::min(max_line_ceiling, value * 10 + static_cast<std::size_t>(c - '0'));
  if (!digits || value == 0) {
    throw std::runtime_error(std::string(max_line_variable) + " must be an integer of at least 1 (values above " +
                             std::to_string(max_line_ceiling) + " count as " + std::to_string(max_line_ceiling) +
                             "), got \"" + std::string(text) + "\"");
  }
  return value;
}

// Temporary file in the same directory, then rename: readers see the old or
// the new file, never half of one. The file holds the client secret and the
// tokens, so the temporary file is created with the original's permission bits
// (0600 when there is no original), never the 0666 & ~umask a stream would
// give it: a chmod 600 config must not become world-readable on the first new
// token. O_EXCL: an existing name (a symlink someone planted) is never followed.
// It is fsynced before the rename and the directory after it, so a crash leaves
// the old file or the new one, not an empty file where the credentials were.
void write_config_atomically(const std::filesystem::path& path, const json::object& config) {
  auto warn = [&](const char* what, const std::filesystem::path& where) {
    log::warn(what, {{"path", where.string()}, {"reason", std::generic_category().message(errno)}});
  };
  struct stat original {};
  const bool exists = ::stat(path.c_str(), &original) == 0;
  const mode_t mode = exists ? (original.st_mode & 0777) : 0600;
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) {
    // Left by an earlier process that had our pid and died before its rename.
    ::unlink(tmp.c_str());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  }
  if (fd < 0) return warn("could not create a temporary file for the refreshed token", tmp);
  // open() applied the umask; the copy must have exactly the original's bits (0640 stays 0640).
  // The owner too when we may (as root): otherwise a group that could read it no longer can.
  ::fchmod(fd, mode);
  if (exists && (original.st_uid != ::geteuid() || original.st_gid != ::getegid())) {
    [[maybe_unused]] const int ignored = ::fchown(fd, original.st_uid, original.st_gid);
  }
  const std::string text = write_json(config) + '\n';
  if (!write_all(fd, text) || ::fsync(fd) != 0) {
    warn("could not write the refreshed token to the config file", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return;
  }
  if (::close(fd) != 0) {
    warn("could not write the refreshed token to the config file", tmp);
    ::unlink(tmp.c_str());
    return;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    warn("could not replace the config file with the refreshed token", path);
    ::unlink(tmp.c_str());
    return;
  }
  // The rename itself is durable only once the directory is on disk.
  auto dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) warn("could not flush the config file's directory", dir);
  if (dir_fd >= 0) ::close(dir_fd);
}

json::object redact_keys(json::object keys) {
  for (const char* secret : action::secret_credential_keys)
    if (auto* p = keys.if_contains(secret); p && !(p->is_string() && p->as_string().empty())) *p = redacted;
  if (auto* t = keys.if_contains("tokens"); t && t->is_string()) {
    boost::system::error_code ec;
    auto parsed = read_json(t->as_string(), ec);
    if (!ec && parsed.is_object()) {
      for (const char* secret : {"access_token", "refresh_token", "id_token"})
        if (auto* v = parsed.as_object().if_contains(secret)) *v = redacted;
      *t = write_json(parsed);
    } else {
      *t = redacted;
    }
  }
  return keys;
}

// Appends the JSON text of `v` (a json::value, object or string_view, never
// copied) to `out`, as Node's JSON.stringify writes it.
template <class T>
void append_json(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, json::string_view>) oauth2_rest::append_json_string(out, v);
  else oauth2_rest::append_json(out, v);
}

// Collects one message's events; they are written together when it ends. Each
// event is serialised as it comes, in the same text JSON.stringify gives for
// {"event": ..., ...} (keys in this order, no spaces).
class collecting_sink final : public action::event_sink {
 public:
  collecting_sink(const std::filesystem::path& config_path, json::object& config)
      : config_path_(config_path), config_(config) {}

  void data(json::object message) override {
    text_ += R"({"event":"data","message":)";
    append_json(text_, message);
    text_ += "}\n";
  }
  void error(std::string name, std::string message) override {
    ++errors_;
    text_ += R"({"event":"error","error":{"name":)";
    append_json(text_, json::string_view(name));
    text_ += R"(,"message":)";
    append_json(text_, json::string_view(message));
    text_ += "}}\n";
  }
  void rebound(std::string reason) override {
    text_ += R"({"event":"rebound","reason":)";
    append_json(text_, json::string_view(reason));
    text_ += "}\n";
  }
  void update_keys(json::object keys) override {
    if (auto* t = keys.if_contains("tokens")) {
      config_["tokens"] = *t;
      write_config_atomically(config_path_, config_);
    }
    text_ += R"({"event":"updateKeys","keys":)";
    const json::object redacted_keys = redact_keys(std::move(keys));
    append_json(text_, redacted_keys);
    text_ += "}\n";
  }
  void end(const json::value& id) {
    text_ += R"({"event":"end","id":)";
    append_json(text_, id);
    text_ += "}\n";
  }

  const std::string& text() const { return text_; }
  std::size_t errors() const { return errors_; }

 private:
  const std::filesystem::path& config_path_;
  json::object& config_;
  std::string text_;
  std::size_t errors_ = 0;
};

// stdin is read on its own thread (blocking reads must not stall the I/O of the
// messages in flight), in chunks of whatever read(2) returns, and only when the
// I/O thread asks for more: one hand-off per chunk, not per line, and at most
// about one chunk read ahead of the lines waiting for a free slot.
class input_reader {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;

  // on_chunk(std::string) with the bytes read, on_eof() once at end of input
  // (or on a read error); both run on `io`.
  template <class OnChunk, class OnEof>
  input_reader(asio::io_context& io, int fd, OnChunk on_chunk, OnEof on_eof) {
    if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe for the stdin reader");
    thread_ = std::thread([this, &io, fd, on_chunk = std::move(on_chunk), on_eof = std::move(on_eof)] {
      for (;;) {
        {
          std::unique_lock lock(mutex_);
          wake_.wait(lock, [&] { return wanted_ || quit_; });
          if (quit_) return;
          wanted_ = false;
        }
        // Wait for input or for the destructor, so that destroying the reader
        // never waits for a line that may never come.
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        int ready;
        do ready = ::poll(fds, 2, -1);
        while (ready < 0 && errno == EINTR);
        if (fds[1].revents != 0) return;
        std::string chunk(chunk_size, '\0');
        ssize_t n;
        do n = ::read(fd, chunk.data(), chunk.size());
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
          asio::post(io, on_eof);
          return;
        }
        chunk.resize(static_cast<std::size_t>(n));
        asio::post(io, [on_chunk, chunk = std::move(chunk)]() mutable { on_chunk(std::move(chunk)); });
      }
    });
  }

  ~input_reader() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wake_.notify_one();
    const char byte = 0;
    [[maybe_unused]] const auto ignored = ::write(stop_pipe_[1], &byte, 1);
    thread_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }
  input_reader(const input_reader&) = delete;
  input_reader& operator=(const input_reader&) = delete;

  // Asks for one more chunk (called from the I/O thread; at most one request is outstanding).
  void request() {
    {
      std::lock_guard lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool quit_ = false;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace

int run_process_mode(const process_options& options, std::FILE* in, std::FILE* out) {
  if (options.concurrency == 0) throw std::runtime_error("--concurrency must be at least 1");
  const std::size_t max_line = max_line_bytes();
  json::object config = read_config(options.config_path);

  asio::io_context io{1};
  // The action's client honours https_proxy / http_proxy / no_proxy (SPEC 3).
  http::client_config client_config;
  client_config.proxy = http::proxy_config_from_process_environment();
  if (client_config.proxy->any()) log::info("HTTP requests use proxies", {{"proxies", client_config.proxy->describe()}});
  http::client http(io.get_executor(), client_config);
  auto created = action::http_request_action::create(http, config);
  if (!created) {
    throw std::runtime_error("config file '" + options.config_path.string() + "': " + created.error().message);
  }
  auto action = std::move(created).value();
  if (!options.attachments_dir.empty())
    action->set_attachment_store(make_directory_attachments(options.attachments_dir));

  auto work = asio::make_work_guard(io);

  // Output: each message's events are appended together to one buffer, which is
  // written out once the handlers ready now have run (a flush posted behind
  // them), so a burst of completions costs one write, and an event is never held
  // back while the process waits for input or for the API.
  std::string output;
  bool flush_posted = false;
  auto flush = [&] {
    if (!output.empty()) {
      std::fwrite(output.data(), 1, output.size(), out);
      output.clear();
    }
    std::fflush(out);
  };
  progress_counters counters;
  auto emit = [&](const collecting_sink& sink) {
    ++counters.done;
    counters.errors += sink.errors();
    output += sink.text();
    if (output.size() >= 64 * 1024) {
      flush();
    } else if (!flush_posted) {
      flush_posted = true;
      asio::post(io, [&] {
        flush_posted = false;
        flush();
      });
    }
  };

  // Input: the bytes read and not yet started as messages, from `consumed` on.
  std::string input;
  std::size_t consumed = 0;
  std::size_t scanned = 0;  // input[consumed, scanned) holds no '\n' (a long line arriving in many chunks is scanned once)
  bool input_eof = false;
  bool read_requested = false;
  bool skipping = false;   // inside a line over max_line, already reported: its bytes are dropped up to its '\n'
  std::size_t number = 0;  // line number, blank lines included
  std::size_t in_flight = 0;
  std::unique_ptr<input_reader> reader;

  auto finish_if_done = [&] {
    if (input_eof && in_flight == 0 && consumed == input.size()) {
      flush();
      http.close_idle();
      work.reset();
      io.stop();
    }
  };

  // Starts lines while slots are free. co_spawn runs a message inline up to its
  // first suspension, so a message that ends without one calls pump() from
  // within pump(): that call returns at once and the loop here goes on.
  bool pumping = false;
  std::function<void()> pump;
  pump = [&] {
    if (pumping) return;
    pumping = true;
    // A line over max_line: an error event and an end for it, as for a line that is not JSON.
    auto refuse_long_line = [&] {
      collecting_sink sink(options.config_path, config);
      sink.error("InputError", "line " + std::to_string(number) + " is longer than the " + std::to_string(max_line) +
                                   "-byte limit (" + max_line_variable + ") and was skipped");
      sink.end(static_cast<std::int64_t>(number));
      emit(sink);
    };
    while (in_flight < options.concurrency) {
      std::string_view line;
      const auto newline = input.find('\n', std::max(consumed, scanned));
      if (skipping) {
        if (newline == std::string::npos) {
          consumed = scanned = input.size();  // dropped (the next chunk erases them)
          if (input_eof) {
            skipping = false;
            continue;
          }
          if (!read_requested) {
            read_requested = true;
            reader->request();
          }
          break;
        }
        consumed = newline + 1;
        skipping = false;
        continue;
      }
      if (newline == std::string::npos && input.size() - consumed > max_line) {
        // Too long before its end has even arrived: report it now and drop the rest as it comes,
        // so memory stays bounded by the limit plus one read.
        ++number;
        counters.read = number;
        refuse_long_line();
        consumed = scanned = input.size();
        skipping = !input_eof;
        continue;
      }
      if (newline == std::string::npos) {
        scanned = input.size();
        if (!input_eof) {
          if (!read_requested) {
            read_requested = true;
            reader->request();
          }
          break;
        }
        if (consumed == input.size()) break;
        line = std::string_view(input).substr(consumed);  // a last line without '\n'
        consumed = input.size();
      } else {
        line = std::string_view(input).substr(consumed, newline - consumed);
        consumed = newline + 1;
      }
      ++number;
      counters.read = number;
      if (line.size() > max_line) {
        refuse_long_line();
        continue;
      }
      while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

      ++in_flight;
      boost::system::error_code ec;
      auto value = read_json(line, ec);
      if (ec || !value.is_object()) {
        collecting_sink sink(options.config_path, config);
        sink.error("InputError", "line " + std::to_string(number) +
                                     (ec ? " is not valid JSON: " + ec.message() : " is not a JSON object"));
        sink.end(static_cast<std::int64_t>(number));
        emit(sink);
        --in_flight;
        continue;
      }
      json::value id = static_cast<std::int64_t>(number);
      if (auto* given = value.as_object().if_contains("id"); given && !given->is_null()) id = *given;
      asio::co_spawn(
          io,
          [&, message = std::move(value.as_object()), id = std::move(id)]() mutable -> asio::awaitable<void> {
            collecting_sink sink(options.config_path, config);
            try {
              co_await action->process(message, sink);
            } catch (const std::exception& ex) {
              // The action reports failures as events; an exception here is a bug, but the line still ends.
              log::error("unexpected exception while processing a message", {{"what", ex.what()}});
            } catch (...) {
              log::error("unexpected exception while processing a message", {{"what", "not a std::exception"}});
            }
            sink.end(id);
            emit(sink);
            --in_flight;
            pump();
          },
          asio::detached);
    }
    pumping = false;
    // Keep about one chunk read ahead while messages are waiting for a slot.
    if (!input_eof && !read_requested && input.size() - consumed < input_reader::chunk_size) {
      read_requested = true;
      reader->request();
    }
    finish_if_done();
  };

  reader = std::make_unique<input_reader>(
      io, ::fileno(in),
      [&](std::string chunk) {
        read_requested = false;
        if (consumed != 0) {
          input.erase(0, consumed);
          scanned = scanned > consumed ? scanned - consumed : 0;
          consumed = 0;
        }
        input += chunk;
        pump();
      },
      [&] {
        read_requested = false;
        input_eof = true;
        pump();
      });
  asio::post(io, [&] { pump(); });

  std::optional<progress_report> progress;
  if (progress_wanted(options.progress, STDERR_FILENO)) {
    progress.emplace(io.get_executor(), counters, STDERR_FILENO);
    progress->route_log();
  }
  io.run();
  if (progress) progress->finish();
  flush();
  reader.reset();
  return 0;
}

}  // namespace oauth2_rest::local
