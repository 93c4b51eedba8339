// Lightweight output (platform-protocol section 8): an outgoing data message over
// ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD has its bodies stored in object storage and carries
// references instead, as the reference runtime sends it (the decisions: sail/lightweight.hpp).
// The stored bytes are AES-256-CBC of the body JSON with the message key and IV, raw (no
// base64), exactly what the reference's maester client uploads and what fetch_object reads back.
#pragma once

#include "sail/message_cipher.hpp"
#include "sail/platform_api.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace oauth2_rest::sail {

// Stores what plan_lightweight picks, one body after the other, and rewrites `message` to refer
// to them. Empty when the message is ready to publish (stored, or small enough to stay as it
// is); otherwise the text of the error event, "Lightweight message/passthrough body upload
// error: <why>" (the reference's words, with the reason), and `message` is not to be published.
boost::asio::awaitable<std::string> store_lightweight_bodies(platform_api& api, const message_cipher& cipher,
                                                             boost::json::object& message, std::size_t threshold,
                                                             std::string_view own_entry,
                                                             const std::string& message_id);

}  // namespace oauth2_rest::sail
