// Building the API request (method, URL, headers, body) from the action's input.
#include "action/request_builder.hpp"

#include "action/detail/text.hpp"
#include "action/url_join.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

#include <array>

namespace oauth2_rest::action {
namespace {

namespace http = boost::beast::http;

struct method_entry {
  std::string_view name;
  http::verb verb;
};
constexpr std::array<method_entry, 7> methods{{
    {"GET", http::verb::get},
    {"POST", http::verb::post},
    {"PUT", http::verb::put},
    {"PATCH", http::verb::patch},
    {"DELETE", http::verb::delete_},
    {"HEAD", http::verb::head},
    {"OPTIONS", http::verb::options},
}};

constexpr std::string_view form_content_type = "application/x-www-form-urlencoded";

const boost::json::value* field(const boost::json::object& input, std::string_view name) {
  auto it = input.find(name);
  return it == input.end() ? nullptr : &it->value();
}

std::string_view type_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: return "an object";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::null: return "null";
    default: return "a number";
  }
}

// RFC 9110 5.6.2 tchar.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool has_control_char(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return true;
  }
  return false;
}

bool is_dropped_header(std::string_view name) {
  return detail::iequals(name, "Authorization") || detail::iequals(name, "Content-Length") ||
         detail::iequals(name, "Transfer-Encoding");
}

result<http::verb> parse_method(const boost::json::value* value, std::string& name) {
  if (!value || value->is_null() ||
      (value->is_string() && detail::trim(value->get_string()).empty()))
    return detail::invalid("method is required");
  if (!value->is_string())
    return detail::invalid("method must be a string, got " + detail::describe(*value));
  std::string_view raw = detail::trim(value->get_string());
  std::string upper(raw);
  for (auto& c : upper) c = detail::to_upper(c);
  for (const auto& m : methods) {
    if (m.name == upper) {
      name = std::string(m.name);
      return m.verb;
    }
  }
  return detail::invalid("method '" + detail::clip(raw) +
                         "' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
}

status add_headers(const boost::json::value* value,
                   std::vector<std::pair<std::string, std::string>>& out) {
  if (!value || value->is_null()) return ok;
  const auto* headers = value->if_object();
  if (!headers) return detail::invalid("headers must be an object");
  for (const auto& entry : *headers) {
    std::string_view name = detail::trim(entry.key());
    const auto& v = entry.value();
    if (!is_token(name))
      return detail::invalid("headers: '" + detail::clip(name) + "' is not a valid header name");
    // Dropped before any check: the user cannot influence these at all.
    if (is_dropped_header(name)) continue;
    std::string text;
    if (v.is_null()) continue;
    if (v.is_string()) text = std::string(detail::trim(v.get_string()));
    else if (v.is_number()) text = detail::number_text(v);
    else if (v.is_bool()) text = v.get_bool() ? "true" : "false";
    else
      return detail::invalid("headers: '" + std::string(name) +
                             "' must be a string, number or boolean, got " +
                             std::string(type_name(v)));
    if (has_control_char(text))
      return detail::invalid("headers: '" + std::string(name) +
                             "' has a control character (such as a line break) in its value");
    out.emplace_back(std::string(name), std::move(text));
  }
  return ok;
}

const std::string* find_content_type(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers)
    if (detail::iequals(name, "Content-Type")) return &value;
  return nullptr;
}

bool is_form_type(std::string_view content_type) {
  std::string_view media = detail::trim(content_type.substr(0, content_type.find(';')));
  return detail::iequals(media, form_content_type);
}

std::string form_value(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string: return std::string(v.get_string());
    case boost::json::kind::null: return {};
    case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
    case boost::json::kind::object:
    case boost::json::kind::array: return write_json(v);
    default: return detail::number_text(v);
  }
}

std::string form_body(const boost::json::object& fields) {
  std::string out;
  for (const auto& entry : fields) {
    if (!out.empty()) out += '&';
    out += form_encode_component(entry.key());
    out += '=';
    out += form_encode_component(form_value(entry.value()));
  }
  return out;
}

void set_body(http::verb method, const boost::json::value* body, api_request& request) {
  // GET and HEAD carry no body (servers and proxies may reject or drop one).
  if (method == http::verb::get || method == http::verb::head) return;
  if (!body || body->is_null()) return;
  if (body->is_string()) {
    request.body = std::string(body->get_string());
    return;
  }
  const std::string* user_type = find_content_type(request.headers);
  if (body->is_object() && user_type && is_form_type(*user_type)) {
    request.body = form_body(body->get_object());
    return;
  }
  request.body = write_json(*body);  // as Node's JSON.stringify writes it
  if (!user_type) request.headers.emplace_back("Content-Type", "application/json");
}

}  // namespace

std::string form_encode_component(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0x0F];
    }
  }
  return out;
}

result<api_request> build_api_request(const boost::json::object& input, std::string_view base_url) {
  api_request request{};

  const auto* url = field(input, "url");
  if (!url || url->is_null()) return detail::invalid("url is required");
  if (!url->is_string()) return detail::invalid("url must be a string, got " + detail::describe(*url));
  auto joined = join_url(base_url, url->get_string());
  if (!joined) return std::move(joined).error();
  request.url = std::move(*joined);

  auto verb = parse_method(field(input, "method"), request.method_name);
  if (!verb) return std::move(verb).error();
  request.method = *verb;

  if (auto added = add_headers(field(input, "headers"), request.headers); !added)
    return std::move(added).error();

  set_body(request.method, field(input, "body"), request);
  return request;
}

}  // namespace oauth2_rest::action
