// Local mode: stdin lines -> the action -> event lines on stdout.
#include "local/process_mode.hpp"

#include "action/http_request_action.hpp"
#include "http/http_client.hpp"
#include "util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <fstream>
#include <semaphore>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
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

// Collects one message's events; they are written together when it ends.
class collecting_sink final : public action::event_sink {
 public:
  collecting_sink(const std::filesystem::path& config_path, json::object& config)
      : config_path_(config_path), config_(config) {}

  void data(json::object message) override {
    add({{"event", "data"}, {"message", std::move(message)}});
  }
  void error(std::string name, std::string message) override {
    add({{"event", "error"}, {"error", {{"name", std::move(name)}, {"message", std::move(message)}}}});
  }
  void rebound(std::string reason) override { add({{"event", "rebound"}, {"reason", std::move(reason)}}); }
  void update_keys(json::object keys) override {
    if (auto* t = keys.if_contains("tokens")) {
      config_["tokens"] = *t;
      write_config_atomically(config_path_, config_);
    }
    add({{"event", "updateKeys"}, {"keys", redact_keys(std::move(keys))}});
  }
  void end(const json::value& id) { add({{"event", "end"}, {"id", id}}); }

  const std::string& text() const { return text_; }

 private:
  void add(json::object event) {
    text_ += json::serialize(event);
    text_ += '\n';
  }
  const std::filesystem::path& config_path_;
  json::object& config_;
  std::string text_;
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
  std::counting_semaphore<> slots(static_cast<std::ptrdiff_t>(options.concurrency));
  std::size_t in_flight = 0;
  bool input_done = false;
  auto finish_if_done = [&] {
    if (input_done && in_flight == 0) {
      http.close_idle();
      work.reset();
      io.stop();
    }
  };

  auto handle_line = [&](std::string line, std::size_t number) {
    ++in_flight;
    auto sink = std::make_shared<collecting_sink>(options.config_path, config);
    boost::system::error_code ec;
    auto value = json::parse(line, ec);
    auto done = [&, sink](json::value id) {
      sink->end(id);
      std::fwrite(sink->text().data(), 1, sink->text().size(), out);
      std::fflush(out);
      --in_flight;
      slots.release();
      finish_if_done();
    };
    if (ec || !value.is_object()) {
      sink->error("InputError", "line " + std::to_string(number) +
                                    (ec ? " is not valid JSON: " + ec.message() : " is not a JSON object"));
      done(static_cast<std::int64_t>(number));
      return;
    }
    json::value id = static_cast<std::int64_t>(number);
    if (auto* given = value.as_object().if_contains("id"); given && !given->is_null()) id = *given;
    asio::co_spawn(
        io,
        [&, sink, message = std::move(value.as_object())]() mutable -> asio::awaitable<void> {
          co_await action->process(std::move(message), *sink);
        },
        [done, id](std::exception_ptr e) mutable {
          if (e) {
            // The action reports failures as events; an exception here is a bug, but the line still ends.
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              log::error("unexpected exception while processing a message", {{"what", ex.what()}});
            }
          }
          done(id);
        });
  };

  // stdin is read on its own thread: blocking reads must not stall the I/O of
  // messages in flight, and the semaphore keeps at most `concurrency` lines
  // read ahead of their completion.
  std::thread reader([&] {
    std::size_t number = 0;
    std::string line;
    char* buffer = nullptr;
    std::size_t capacity = 0;
    for (;;) {
      slots.acquire();
      ssize_t n = ::getline(&buffer, &capacity, in);
      if (n < 0) {
        slots.release();
        break;
      }
      ++number;
      line.assign(buffer, static_cast<std::size_t>(n));
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) {
        slots.release();
        continue;
      }
      asio::post(io, [&handle_line, l = std::move(line), number]() mutable { handle_line(std::move(l), number); });
      line = std::string();
    }
    std::free(buffer);
    asio::post(io, [&] {
      input_done = true;
      finish_if_done();
    });
  });

  io.run();
  reader.join();
  return 0;
}

}  // namespace oauth2_rest::local
