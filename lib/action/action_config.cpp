// Parsing and validating the httpRequest action's merged cfg.
#include "action/action_config.hpp"

#include "action/detail/text.hpp"
#include "action/url_join.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace oauth2_rest::action {
namespace {

const boost::json::value* field(const boost::json::object& cfg, std::string_view name) {
  auto it = cfg.find(name);
  if (it == cfg.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

// A string field: absent or null -> "". The message names the field and the
// JSON type only, never the value (some of these fields are secrets).
status read_string(const boost::json::object& cfg, std::string_view name, std::string& out) {
  const auto* v = field(cfg, name);
  if (!v) return ok;
  if (!v->is_string()) return detail::invalid(std::string(name) + " must be a string");
  out = std::string(v->get_string());
  return ok;
}

// A number field's text for messages: 'abc', '0', 'true'.
std::string quoted_value(const boost::json::value& v) {
  if (v.is_string()) return "'" + detail::clip(detail::trim(v.get_string())) + "'";
  if (v.is_number()) return "'" + detail::number_text(v) + "'";
  return "'" + detail::clip(write_json(v)) + "'";
}

// A finite decimal number from a JSON number or a numeric string; false for
// anything else ("abc", "1e", "inf", "0x10", "", true).
bool number_of(const boost::json::value& v, double& out) {
  if (v.is_number()) {
    boost::system::error_code ec;
    out = v.to_number<double>(ec);
    return !ec && std::isfinite(out);
  }
  if (!v.is_string()) return false;
  std::string_view s = detail::trim(v.get_string());
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || !((s.front() >= '0' && s.front() <= '9') || s.front() == '-' || s.front() == '.'))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  return ec == std::errc{} && end == s.data() + s.size() && std::isfinite(out);
}

bool is_blank(const boost::json::value& v) {
  return v.is_string() && detail::trim(v.get_string()).empty();
}

status read_timeout(const boost::json::object& cfg, std::chrono::milliseconds& out) {
  const auto* v = field(cfg, "requestTimeout");
  if (!v || is_blank(*v)) return ok;
  double seconds = 0;
  if (!number_of(*v, seconds))
    return detail::invalid("requestTimeout " + quoted_value(*v) +
                           " is not a valid number of seconds");
  if (!(seconds > 0) || seconds > max_request_timeout_seconds)
    return detail::invalid("requestTimeout " + quoted_value(*v) +
                           " must be greater than 0 and at most 1140 seconds (19 minutes)");
  // A tiny positive value still means "some" timeout, not none.
  auto ms = static_cast<std::int64_t>(std::llround(seconds * 1000.0));
  out = std::chrono::milliseconds(ms < 1 ? 1 : ms);
  return ok;
}

status read_max_size(const boost::json::object& cfg, std::size_t& out) {
  const auto* v = field(cfg, "maxResponseSize");
  if (!v || is_blank(*v)) return ok;
  auto bad = [&] {
    return detail::invalid("maxResponseSize " + quoted_value(*v) +
                           " is not a positive integer number of bytes");
  };
  std::uint64_t bytes = 0;
  if (v->is_uint64()) {
    bytes = v->get_uint64();
  } else if (v->is_string()) {
    // Digits only: "20MB", "1e6", "-1" and "1.5" are rejected.
    std::string_view s = detail::trim(v->get_string());
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.front() < '0' || s.front() > '9') return bad();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), bytes);
    if (ec != std::errc{} || end != s.data() + s.size()) return bad();
  } else {
    std::int64_t n = 0;
    if (!detail::integer_of(*v, n) || n < 0) return bad();
    bytes = static_cast<std::uint64_t>(n);
  }
  if (bytes == 0 || bytes > std::numeric_limits<std::size_t>::max()) return bad();
  out = static_cast<std::size_t>(bytes);
  return ok;
}

status read_url(const boost::json::object& cfg, std::string_view name, bool required,
                std::string& out) {
  if (auto s = read_string(cfg, name, out); !s) return s;
  out = std::string(detail::trim(out));
  if (out.empty()) {
    if (required) return detail::invalid(std::string(name) + " is required");
    return ok;
  }
  if (!is_absolute_http_url(out))
    return detail::invalid(std::string(name) + " '" + detail::clip(strip_userinfo(out), 200) +
                           "' is not an absolute http(s) URL");
  return ok;
}

}  // namespace

result<action_config> parse_action_config(const boost::json::object& cfg) {
  action_config c;

  if (auto s = read_url(cfg, "tokenUrl", true, c.token_url); !s) return std::move(s).error();

  if (auto s = read_string(cfg, "username", c.client_id); !s) return std::move(s).error();
  if (detail::trim(c.client_id).empty()) return detail::invalid("username is required");

  if (auto s = read_string(cfg, "password", c.client_secret); !s) return std::move(s).error();
  if (c.client_secret.empty()) return detail::invalid("password is required");

  if (auto s = read_url(cfg, "baseUrl", false, c.base_url); !s) return std::move(s).error();
  if (auto s = read_string(cfg, "scopes", c.scopes); !s) return std::move(s).error();
  if (auto s = read_string(cfg, "additionalProperties", c.additional_properties); !s)
    return std::move(s).error();
  if (auto s = read_string(cfg, "clientAuthentication", c.client_authentication); !s)
    return std::move(s).error();

  if (const auto* tokens = field(cfg, "tokens")) {
    if (tokens->is_string()) c.tokens = std::string(tokens->get_string());
    else if (tokens->is_object()) c.tokens = write_json(*tokens);
    else return detail::invalid("tokens must be a JSON string or object");
  }

  std::string tolerance_key;
  if (auto s = read_string(cfg, "errorTolerance", tolerance_key); !s) return std::move(s).error();
  auto mode = parse_tolerance(tolerance_key);
  if (!mode) return std::move(mode).error();
  c.error_tolerance = *mode;

  if (auto s = read_timeout(cfg, c.request_timeout); !s) return std::move(s).error();
  if (auto s = read_max_size(cfg, c.max_response_size); !s) return std::move(s).error();

  // responseAs (SPEC 9): auto (default) or attachment.
  std::string response_as;
  if (auto s = read_string(cfg, "responseAs", response_as); !s) return std::move(s).error();
  response_as = std::string(detail::trim(response_as));
  if (response_as == "attachment") c.response_as_attachment = true;
  else if (!response_as.empty() && response_as != "auto")
    return detail::invalid("responseAs '" + detail::clip(response_as, 100) + "' is not one of auto, attachment");
  return c;
}

}  // namespace oauth2_rest::action
