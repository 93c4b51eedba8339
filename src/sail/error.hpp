// Error codes of the platform worker's pure wire-format logic (src/sail): why an
// incoming message, a step info or a service URL could not be used. The
// failure's message says it for the user (and never quotes message content);
// the code is for programs (e.g. "reject the delivery, do not requeue").
//
// Header-only so the module adds no translation unit for it.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <string>
#include <type_traits>

namespace oauth2_rest::sail {

enum class error {
  empty_message = 1,    // an AMQP body of zero bytes
  invalid_base64,       // a protocol 1 body (or an error record field) that is not base64
  decrypt_failed,       // wrong key/IV or a corrupted ciphertext (bad length or padding)
  invalid_json,         // decrypted text (or an error record, a step info) that is not JSON
  not_an_object,        // JSON that is valid but not the object the protocol requires
  invalid_step_info,    // step info JSON without the fields the worker needs
  invalid_url,          // ELASTICIO_POST_RESULT_URL that is not an absolute URL
};

namespace detail {

// Boost's error_category has a protected non-virtual destructor on purpose
// (categories are never deleted through a base pointer); GCC warns regardless.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sail"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::empty_message: return "message body is empty";
      case error::invalid_base64: return "message is not valid base64";
      case error::decrypt_failed: return "could not decrypt message";
      case error::invalid_json: return "not valid JSON";
      case error::not_an_object: return "JSON value is not an object";
      case error::invalid_step_info: return "invalid step info";
      case error::invalid_url: return "invalid URL";
    }
    return "unknown sail error";
  }
};
#pragma GCC diagnostic pop

}  // namespace detail

inline const boost::system::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace oauth2_rest::sail

template <>
struct boost::system::is_error_code_enum<oauth2_rest::sail::error> : std::true_type {};
