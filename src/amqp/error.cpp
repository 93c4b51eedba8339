// The "amqp" error category.
#include "amqp/error.hpp"

#include <string>

namespace oauth2_rest::amqp {
namespace {

// Boost's error_category has a protected non-virtual destructor by design (categories are never
// deleted through a base pointer); GCC warns anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "amqp"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::nacked: return "the broker rejected the message (basic.nack)";
      case error::connection_lost: return "connection lost before the broker confirmed the message";
      case error::stopped: return "the AMQP client stopped before the broker confirmed the message";
      case error::unroutable: return "the broker returned the message as unroutable (basic.return)";
      case error::refused: return "the broker refused the message";
      case error::channel_closed: return "the broker closed the publish channel";
      case error::protocol: return "AMQP protocol error";
    }
    return "unknown amqp error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& amqp_category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace oauth2_rest::amqp
