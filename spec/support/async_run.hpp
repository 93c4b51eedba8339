// Runs one coroutine to completion on an io_context, for synchronous test code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace oauth2_rest::testing {

// Stops the io_context as soon as the coroutine ends (pooled connections may
// keep other work pending), then makes it ready for the next call.
template <class T>
T run_async(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  std::exception_ptr failed;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
      [&](std::exception_ptr e) {
        failed = e;
        io.stop();
      });
  io.restart();
  io.run();
  io.restart();
  if (failed) std::rethrow_exception(failed);
  return std::move(*out);
}

inline void run_async(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr failed;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    failed = e;
    io.stop();
  });
  io.restart();
  io.run();
  io.restart();
  if (failed) std::rethrow_exception(failed);
}

}  // namespace oauth2_rest::testing
