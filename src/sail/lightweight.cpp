// Lightweight output messages: which bodies go to object storage, and what replaces them.
#include "sail/lightweight.hpp"

#include "util/json_read.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

namespace oauth2_rest::sail {
namespace json = boost::json;

namespace {

std::string stored_id_of(const json::object& entry) {
  if (auto* h = entry.if_contains("headers"); h && h->is_object())
    if (auto* id = h->get_object().if_contains(object_id_header); id && id->is_string() && !id->get_string().empty())
      return std::string(id->get_string());
  return {};
}

}  // namespace

std::vector<lightweight_part> plan_lightweight(json::object& message, std::size_t threshold,
                                               std::string_view own_entry) {
  std::vector<lightweight_part> parts;
  std::size_t total = 0;
  auto add = [&](json::object& entry) {
    auto* body = entry.if_contains("body");
    if (!body) return;
    lightweight_part part{&entry, write_json(*body), {}};
    total += part.body_json.size();
    parts.push_back(std::move(part));
  };
  add(message);
  // A message without a body stays as it is (Node would throw on Buffer.from(undefined)).
  if (parts.empty()) return {};
  if (auto* pt = message.if_contains("passthrough"); pt && pt->is_object()) {
    for (auto& kv : pt->get_object()) {
      if (!own_entry.empty() && kv.key() == own_entry) continue;
      if (kv.value().is_object()) add(kv.value().get_object());
    }
  }
  if (total <= threshold) return {};
  for (std::size_t i = 1; i < parts.size(); ++i) parts[i].stored_id = stored_id_of(*parts[i].entry);
  return parts;
}

void refer_to_stored(json::object& entry, std::string_view id) {
  entry["body"] = json::object();
  auto& headers = entry["headers"];
  if (!headers.is_object()) headers = json::object();
  headers.get_object()[object_id_header] = id;
}

void apply_lightweight(json::object& message, std::vector<lightweight_part>& parts, std::string_view own_entry) {
  for (auto& part : parts) refer_to_stored(*part.entry, part.stored_id);
  if (own_entry.empty() || parts.empty()) return;
  if (auto* pt = message.if_contains("passthrough"); pt && pt->is_object())
    if (auto* own = pt->get_object().if_contains(own_entry); own && own->is_object())
      refer_to_stored(own->get_object(), parts.front().stored_id);
}

result<std::string> parse_stored_object_id(std::string_view answer) {
  boost::system::error_code ec;
  auto doc = read_json(answer, ec);
  if (ec || !doc.is_object())
    return failure{make_error_code(boost::system::errc::bad_message), "object storage answered with no JSON object"};
  auto* id = doc.get_object().if_contains("objectId");
  if (!id || !id->is_string() || id->get_string().empty())
    return failure{make_error_code(boost::system::errc::bad_message),
                   "object storage answered without an objectId string"};
  return std::string(id->get_string());
}

}  // namespace oauth2_rest::sail
