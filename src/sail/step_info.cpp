// Parsing of the step info JSON (protocol doc section 9).
#include "sail/step_info.hpp"

#include "sail/error.hpp"
#include "util/json_read.hpp"

#include <boost/json/value.hpp>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

failure fail(error code, std::string message) { return {make_error_code(code), std::move(message)}; }

// An optional object field: missing or null -> {}; anything else but an object is an error.
result<json::object> object_field(json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return json::object();
  if (!v->is_object()) {
    return fail(error::invalid_step_info, "step info field \"" + std::string(name) + "\" is not an object");
  }
  return std::move(v->get_object());
}

// Informational fields: a missing or non-string value reads as "" rather
// than stopping the worker over a field it does not need.
std::string string_field(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

result<step_info> parse_step_info(std::string_view json_body) {
  boost::system::error_code ec;
  json::value v = read_json(json_body, ec);  // as Node reads it
  if (ec) return fail(error::invalid_json, "step info is not valid JSON: " + ec.message());
  if (!v.is_object()) return fail(error::invalid_step_info, "step info is not a JSON object");
  json::object& o = v.get_object();

  step_info info;
  auto* config = o.if_contains("config");
  if (config == nullptr || !config->is_object()) {
    return fail(error::invalid_step_info, "step info has no config object");
  }
  info.config = std::move(config->get_object());

  auto snapshot = object_field(o, "snapshot");
  if (!snapshot) return std::move(snapshot).error();
  info.snapshot = std::move(*snapshot);
  auto variables = object_field(o, "variables");
  if (!variables) return std::move(variables).error();
  info.variables = std::move(*variables);

  auto* passthrough = o.if_contains("is_passthrough");
  info.is_passthrough = passthrough != nullptr && passthrough->is_bool() && passthrough->get_bool();

  info.id = string_field(o, "id");
  info.comp_id = string_field(o, "comp_id");
  info.function = string_field(o, "function");
  return info;
}

}  // namespace oauth2_rest::sail
