// The passthrough algorithm of the Node reference runtime (protocol doc section 7).
#include "sail/passthrough.hpp"
#include "util/json_values.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

#include <string>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

json::object without_passthrough(json::object message) {
  message.erase("passthrough");
  return message;
}

}  // namespace

json::object apply_passthrough(json::object emitted, const json::object& incoming_message,
                               const amqp::header_table& incoming_headers, bool is_passthrough,
                               bool no_self_passthrough, std::string_view step_id) {
  if (!is_passthrough) return emitted;

  // _.cloneDeep(payload.passthrough) || {}; a non-object there is unusable.
  json::object passthrough;
  if (auto* p = incoming_message.if_contains("passthrough"); p != nullptr && p->is_object()) {
    passthrough = p->get_object();
  }

  // Node assigns data.passthrough first and defaults data.headers after it;
  // doing the same keeps the key order of the JSON identical.
  emitted["passthrough"] = json::object();
  // Node: data.headers = data.headers || {} before the own output is copied.
  if (auto* h = emitted.if_contains("headers"); h == nullptr || !js_truthy(*h)) {
    emitted["headers"] = json::object();
  }

  if (no_self_passthrough) {
    auto* previous = incoming_headers.if_contains("stepId");
    if (previous != nullptr && js_truthy(*previous)) {
      // A JS property key is the value's string form.
      std::string key = previous->is_string() ? std::string(previous->get_string())
                                              : write_json(*previous);
      passthrough[key] = without_passthrough(incoming_message);
    }
  } else {
    passthrough[step_id] = without_passthrough(emitted);
  }
  emitted["passthrough"] = std::move(passthrough);
  return emitted;
}

}  // namespace oauth2_rest::sail
