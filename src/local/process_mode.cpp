// Local mode: stdin lines -> the action -> event lines on stdout.
#include "local/process_mode.hpp"

#include "action/http_request_action.hpp"
#include "http/http_client.hpp"
#include "util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

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
  auto value = json::parse(text.str(), ec);
  if (ec) throw std::runtime_error("config file '" + path.string() + "' is not valid JSON: " + ec.message());
  if (!value.is_object()) throw std::runtime_error("config file '" + path.string() + "' must hold a JSON object");
  return std::move(value.as_object());
}

// Temporary file in the same directory, then rename: readers see the old or
// the new file, never half of one.
void write_config_atomically(const std::filesystem::path& path, const json::object& config) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << json::serialize(config) << '\n';
    out.flush();
    if (!out) {
      log::warn("could not write the refreshed token to the config file", {{"path", tmp.string()}});
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    log::warn("could not replace the config file with the refreshed token",
              {{"path", path.string()}, {"reason", ec.message()}});
    std::filesystem::remove(tmp, ec);
  }
}

json::object redact_keys(json::object keys) {
  if (auto* p = keys.if_contains("password"); p && !(p->is_string() && p->as_string().empty())) *p = redacted;
  if (auto* t = keys.if_contains("tokens"); t && t->is_string()) {
    boost::system::error_code ec;
    auto parsed = json::parse(t->as_string(), ec);
    if (!ec && parsed.is_object()) {
      for (const char* secret : {"access_token", "refresh_token", "id_token"})
        if (auto* v = parsed.as_object().if_contains(secret)) *v = redacted;
      *t = json::serialize(parsed);
    } else {
      *t = redacted;
    }
  }
  return keys;
}

// Appends the JSON text of `v` (a json::value, object or string_view, never
// copied) to `out`, serialised straight into its spare capacity.
template <class T>
void append_json(std::string& out, const T& v) {
  json::serializer sr;
  if constexpr (std::is_same_v<T, json::string_view>) sr.reset(v);
  else sr.reset(&v);
  while (!sr.done()) {
    const std::size_t used = out.size();
    if (out.capacity() - used < 512) out.reserve(out.capacity() * 2 + 512);
    out.resize(out.capacity());
    const auto written = sr.read(out.data() + used, out.size() - used);
    out.resize(used + written.size());
  }
}

// Collects one message's events; they are written together when it ends. Each
// event is serialised as it comes, in the same text json::serialize gives for
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

 private:
  const std::filesystem::path& config_path_;
  json::object& config_;
  std::string text_;
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
  json::object config = read_config(options.config_path);

  asio::io_context io{1};
  http::client http(io.get_executor());
  auto created = action::http_request_action::create(http, config);
  if (!created) {
    throw std::runtime_error("config file '" + options.config_path.string() + "': " + created.error().message);
  }
  auto action = std::move(created).value();

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
  auto emit = [&](const std::string& text) {
    output += text;
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
    while (in_flight < options.concurrency) {
      std::string_view line;
      const auto newline = input.find('\n', std::max(consumed, scanned));
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
      while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

      ++in_flight;
      boost::system::error_code ec;
      auto value = json::parse(line, ec);
      if (ec || !value.is_object()) {
        collecting_sink sink(options.config_path, config);
        sink.error("InputError", "line " + std::to_string(number) +
                                     (ec ? " is not valid JSON: " + ec.message() : " is not a JSON object"));
        sink.end(static_cast<std::int64_t>(number));
        emit(sink.text());
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
              co_await action->process(std::move(message), sink);
            } catch (const std::exception& ex) {
              // The action reports failures as events; an exception here is a bug, but the line still ends.
              log::error("unexpected exception while processing a message", {{"what", ex.what()}});
            } catch (...) {
              log::error("unexpected exception while processing a message", {{"what", "not a std::exception"}});
            }
            sink.end(id);
            emit(sink.text());
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

  io.run();
  flush();
  reader.reset();
  return 0;
}

}  // namespace oauth2_rest::local
