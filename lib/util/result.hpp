// result<T>: the value of an operation or the reason it failed.
//
// Used on every I/O and asynchronous path instead of exceptions: a failure
// carries an error_code (for programs to branch on) and a message written for
// the user (which never contains a secret).
#pragma once

#include <boost/system/error_code.hpp>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace oauth2_rest {

struct failure {
  boost::system::error_code code;
  std::string message;
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(failure f) : state_(std::in_place_index<1>, std::move(f)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(state_); }
  const T& value() const& { assert(has_value()); return std::get<0>(state_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const failure& error() const& { assert(!has_value()); return std::get<1>(state_); }
  failure&& error() && { assert(!has_value()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, failure> state_;
};

struct ok_t {};
inline constexpr ok_t ok{};
// result<void> is spelled status: ok or a failure.
using status = result<ok_t>;

}  // namespace oauth2_rest
