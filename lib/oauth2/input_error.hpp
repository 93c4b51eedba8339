// Error codes of the pure OAuth2 logic: why a credential field or a token
// response could not be used. The failure's message says it for the user; the
// code is for programs (e.g. "do not retry: the configuration is wrong").
//
// Header-only so the module stays three translation units.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <string>
#include <type_traits>

namespace oauth2_rest::oauth2 {

enum class input_error {
  bad_credential_field = 1,  // additionalProperties or clientAuthentication cannot be used as written
  bad_token_response,        // a 2xx token answer without a usable token (not JSON/form, no access_token, bad expires_in)
  unsupported_token_type,    // token_type other than Bearer (RFC 6749 section 7.1: do not use it)
};

namespace detail {

// Boost's error_category has a protected non-virtual destructor by design
// (categories are never deleted through a base pointer); GCC warns anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class input_error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "oauth2.input"; }
  std::string message(int ev) const override {
    switch (static_cast<input_error>(ev)) {
      case input_error::bad_credential_field: return "invalid credential field";
      case input_error::bad_token_response: return "unusable token response";
      case input_error::unsupported_token_type: return "unsupported token type";
    }
    return "unknown oauth2 input error";
  }
};
#pragma GCC diagnostic pop

}  // namespace detail

inline const boost::system::error_category& input_error_category() noexcept {
  static const detail::input_error_category_impl instance;
  return instance;
}

inline boost::system::error_code make_error_code(input_error e) noexcept {
  return {static_cast<int>(e), input_error_category()};
}

}  // namespace oauth2_rest::oauth2

template <>
struct boost::system::is_error_code_enum<oauth2_rest::oauth2::input_error> : std::true_type {};
