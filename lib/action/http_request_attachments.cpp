// The httpRequest action's attachment parts (SPEC 9): bodyAttachment resolved and opened, and the
// data message of a response stored as an attachment.
#include "action/http_request_action.hpp"

#include "action/detail/text.hpp"
#include "action/response_body.hpp"
#include "util/uuid.hpp"

#include <boost/json/value.hpp>
#include <boost/system/errc.hpp>

namespace oauth2_rest::action {
namespace asio = boost::asio;
namespace json = boost::json;

boost::asio::awaitable<result<opened_attachment>> http_request_action::open_body_attachment(
    const json::object& message, const json::value& reference) {
  if (!reference.is_string())
    co_return detail::invalid("bodyAttachment must be a string (an attachment name or URL), got " +
                              detail::describe(reference));
  std::string ref(reference.get_string());
  std::string content_type;
  // A name of the incoming message's attachments is read by its url (SPEC 9).
  if (const auto* all = message.if_contains("attachments"); all && all->is_object()) {
    if (const auto* entry = all->get_object().if_contains(ref); entry && entry->is_object()) {
      const auto& a = entry->get_object();
      const auto* url = a.if_contains("url");
      if (!url || !url->is_string() || url->get_string().empty())
        co_return detail::invalid("bodyAttachment '" + detail::clip(ref) + "': the attachment has no url");
      if (const auto* type = a.if_contains("content-type"); type && type->is_string())
        content_type = std::string(type->get_string());
      ref = std::string(url->get_string());
    }
  }
  if (!attachments_)
    co_return failure{make_error_code(boost::system::errc::not_supported),
                      "bodyAttachment: this runtime has no attachment storage"};
  auto opened = co_await attachments_->open(ref);
  if (!opened) co_return std::move(opened).error();
  if (!content_type.empty()) opened->content_type = std::move(content_type);
  co_return std::move(opened).value();
}

json::object attachment_output_message(const http::response& r, const std::string& name,
                                       const stored_attachment& stored, const std::string& content_type) {
  std::vector<header_view> headers;
  headers.reserve(r.headers.size());
  for (const auto& h : r.headers) headers.push_back({h.name, h.value});

  json::object body(3);
  body.emplace("statusCode", static_cast<std::int64_t>(r.status));
  body.emplace("headers", response_headers_json_of(headers));
  body.emplace("attachment", name);

  json::object entry(3);
  entry.emplace("url", stored.url);
  entry.emplace("size", static_cast<std::int64_t>(stored.size));
  entry.emplace("content-type", content_type);
  json::object attachments;
  attachments.emplace(name, std::move(entry));

  json::object message(5);
  message.emplace("id", new_uuid_v4());
  message.emplace("attachments", std::move(attachments));
  message.emplace("body", std::move(body));
  message.emplace("headers", json::object());
  message.emplace("metadata", json::object());
  return message;
}

}  // namespace oauth2_rest::action
