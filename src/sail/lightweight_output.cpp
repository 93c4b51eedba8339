// Lightweight output: store the big bodies, then publish references.
#include "sail/lightweight_output.hpp"

#include "sail/lightweight.hpp"
#include "util/log.hpp"

namespace oauth2_rest::sail {

boost::asio::awaitable<std::string> store_lightweight_bodies(platform_api& api, const message_cipher& cipher,
                                                             boost::json::object& message, std::size_t threshold,
                                                             std::string_view own_entry,
                                                             const std::string& message_id) {
  auto parts = plan_lightweight(message, threshold, own_entry);
  if (parts.empty()) co_return std::string();
  for (auto& part : parts) {
    if (!part.stored_id.empty()) continue;  // a passthrough body stored by an earlier step
    auto id = co_await api.store_object(cipher.encrypt(part.body_json), message_id);
    if (!id) {
      log::error("could not store a lightweight message's body in object storage",
                 {{"messageId", message_id}, {"size", part.body_json.size()}, {"reason", id.error().message}});
      co_return "Lightweight message/passthrough body upload error: " + id.error().message;
    }
    log::info("Message body uploaded", {{"messageId", message_id}, {"objectId", *id}, {"size", part.body_json.size()}});
    part.stored_id = std::move(id).value();
  }
  apply_lightweight(message, parts, own_entry);
  co_return std::string();
}

}  // namespace oauth2_rest::sail
