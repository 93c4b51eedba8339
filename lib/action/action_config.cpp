// Parsing and validating the httpRequest action's merged cfg.
#include "action/action_config.hpp"

#include "action/detail/text.hpp"
#include "action/json_pointer.hpp"
#include "action/retry_policy.hpp"
#include "action/url_join.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
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
// (Appended rather than "'" + text + "'": GCC 12 reports a false -Wrestrict on that once inlined.)
std::string quoted_value(const boost::json::value& v) {
  const std::string text = v.is_string()   ? detail::clip(detail::trim(v.get_string()))
                           : v.is_number() ? detail::number_text(v)
                                           : detail::clip(write_json(v));
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
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

// refreshOnStatus: "401,419" (blanks around items allowed, empty items skipped) or one JSON
// number. Codes below 400 are refused: a listed 200 would renew the token after every answer.
status read_refresh_on_status(const boost::json::object& cfg, std::vector<unsigned>& out) {
  out = {401};
  const auto* v = field(cfg, "refreshOnStatus");
  if (!v || is_blank(*v)) return ok;
  auto add = [&](const boost::json::value& item) -> status {
    std::int64_t code = 0;
    const bool digits_only = !item.is_string() || (detail::trim(item.get_string()).find_first_not_of("0123456789") ==
                                                   std::string_view::npos);
    if (!digits_only || !detail::integer_of(item, code))
      return detail::invalid("refreshOnStatus " + quoted_value(item) +
                             " is not an HTTP status code (expected a comma-separated list such as 401,419)");
    if (code < 400 || code > 599)
      return detail::invalid("refreshOnStatus " + quoted_value(item) +
                             " is not an error status (expected codes from 400 to 599)");
    out.push_back(static_cast<unsigned>(code));
    return ok;
  };
  if (v->is_number()) {
    if (auto s = add(*v); !s) return s;
  } else if (v->is_string()) {
    std::string_view csv = v->get_string();
    while (true) {
      const auto comma = csv.find(',');
      const auto item = detail::trim(csv.substr(0, comma));
      if (!item.empty()) {
        if (auto s = add(boost::json::value(item)); !s) return s;
      }
      if (comma == std::string_view::npos) break;
      csv.remove_prefix(comma + 1);
    }
  } else {
    return detail::invalid("refreshOnStatus must be a string of comma-separated status codes");
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return ok;
}

// SPEC 8: a whole number in [min, max] from a JSON number or a numeric string; absent, null
// or blank means the default already in `out`.
status read_whole_number(const boost::json::object& cfg, std::string_view name, int min, int max, int& out) {
  const auto* v = field(cfg, name);
  if (!v || is_blank(*v)) return ok;
  std::int64_t n = 0;
  if (!detail::integer_of(*v, n) || n < min || n > max)
    return detail::invalid(std::string(name) + " " + quoted_value(*v) + " must be a whole number from " +
                           std::to_string(min) + " to " + std::to_string(max));
  out = static_cast<int>(n);
  return ok;
}

status read_paging(const boost::json::object& cfg, action_config& c) {
  if (auto s = read_whole_number(cfg, "retries", 0, max_retries, c.retries); !s) return s;
  std::string mode;
  if (auto s = read_string(cfg, "pagination", mode); !s) return s;
  mode = std::string(detail::trim(mode));
  if (mode.empty() || mode == "none") c.pagination = pagination_mode::none;
  else if (mode == "linkHeader") c.pagination = pagination_mode::link_header;
  else if (mode == "bodyPointer") c.pagination = pagination_mode::body_pointer;
  else return detail::invalid("pagination '" + detail::clip(mode) + "' is not one of none, linkHeader, bodyPointer");
  if (auto s = read_string(cfg, "nextPagePointer", c.next_page_pointer); !s) return s;
  c.next_page_pointer = std::string(detail::trim(c.next_page_pointer));
  if (c.pagination == pagination_mode::body_pointer) {
    if (c.next_page_pointer.empty())
      return detail::invalid("nextPagePointer is required when pagination is bodyPointer");
    if (auto p = parse_json_pointer(c.next_page_pointer); !p)
      return detail::invalid("nextPagePointer '" + detail::clip(c.next_page_pointer) +
                             "' is not a JSON Pointer (RFC 6901) such as /links/next: it " + p.error().message);
  }
  return read_whole_number(cfg, "maxPages", 1, max_pages_limit, c.max_pages);
}

// clientAuthentication as the OAuth2 module reads it (case-insensitive, blanks
// trimmed), for the fields each method needs; unknown values are its to report.
bool method_is(std::string_view raw, std::string_view name) {
  const auto value = detail::trim(raw);
  if (value.size() != name.size()) return false;
  for (std::size_t i = 0; i < value.size(); ++i)
    if (detail::to_lower(value[i]) != name[i]) return false;
  return true;
}

// The fields of SPEC section 7 and the ones the chosen method cannot do without.
status read_key_fields(const boost::json::object& cfg, action_config& c) {
  for (auto [name, out] : {std::pair{"privateKey", &c.private_key}, std::pair{"keyId", &c.key_id},
                           std::pair{"clientCertificate", &c.client_certificate},
                           std::pair{"clientCertificateKey", &c.client_certificate_key}}) {
    if (auto s = read_string(cfg, name, *out); !s) return s;
    if (detail::trim(*out).empty()) out->clear();
    if (out == &c.key_id) *out = std::string(detail::trim(*out));
  }
  const bool needs_no_secret = method_is(c.client_authentication, "private_key_jwt") ||
                               method_is(c.client_authentication, "tls_client_auth");
  if (c.client_secret.empty() && !needs_no_secret) return detail::invalid("password is required");
  if (method_is(c.client_authentication, "private_key_jwt") && c.private_key.empty())
    return detail::invalid("privateKey is required for private_key_jwt");
  if (method_is(c.client_authentication, "tls_client_auth") && c.client_certificate.empty())
    return detail::invalid("clientCertificate is required for tls_client_auth");
  return ok;
}

}  // namespace

result<action_config> parse_action_config(const boost::json::object& cfg) {
  action_config c;

  if (auto s = read_url(cfg, "tokenUrl", true, c.token_url); !s) return std::move(s).error();

  if (auto s = read_string(cfg, "username", c.client_id); !s) return std::move(s).error();
  if (detail::trim(c.client_id).empty()) return detail::invalid("username is required");

  if (auto s = read_string(cfg, "password", c.client_secret); !s) return std::move(s).error();

  if (auto s = read_url(cfg, "baseUrl", false, c.base_url); !s) return std::move(s).error();
  if (auto s = read_string(cfg, "scopes", c.scopes); !s) return std::move(s).error();
  if (auto s = read_string(cfg, "additionalProperties", c.additional_properties); !s)
    return std::move(s).error();
  if (auto s = read_string(cfg, "clientAuthentication", c.client_authentication); !s)
    return std::move(s).error();
  if (auto s = read_key_fields(cfg, c); !s) return std::move(s).error();

  if (auto s = read_refresh_on_status(cfg, c.refresh_on_status); !s) return std::move(s).error();

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
  if (auto s = read_paging(cfg, c); !s) return std::move(s).error();

  // responseAs (SPEC 9): auto (default) or attachment.
  std::string response_as;
  if (auto s = read_string(cfg, "responseAs", response_as); !s) return std::move(s).error();
  response_as = std::string(detail::trim(response_as));
  if (response_as == "attachment") c.response_as_attachment = true;
  else if (!response_as.empty() && response_as != "auto")
    return detail::invalid("responseAs '" + detail::clip(response_as, 100) + "' is not one of auto, attachment");
  // One stored attachment per message: pages would each need their own, so the two do not mix.
  if (c.response_as_attachment && c.pagination != pagination_mode::none)
    return detail::invalid("responseAs attachment cannot be combined with pagination (one attachment per message)");
  return c;
}

}  // namespace oauth2_rest::action
