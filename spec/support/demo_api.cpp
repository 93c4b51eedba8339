// The demo token endpoint and sample JSON API.
#include "demo_api.hpp"

#include "oauth2/token_request.hpp"
#include "util/base64.hpp"
#include "util/uuid.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>

namespace oauth2_rest::testing {
namespace json = boost::json;

namespace {

reply json_reply(unsigned status, const json::value& body) { return reply::json(status, json::serialize(body)); }

reply oauth_error(unsigned status, std::string_view error, std::string_view description) {
  auto r = json_reply(status, json::object{{"error", error}, {"error_description", description}});
  r.headers.push_back({"Cache-Control", "no-store"});
  if (status == 401) r.headers.push_back({"WWW-Authenticate", "Basic realm=\"demo\""});
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json::array sample_items() {
  return json::array{
      json::object{{"id", 1}, {"name", "Anvil"}, {"price", 99.5}},
      json::object{{"id", 2}, {"name", "Rocket skates"}, {"price", 250}},
      json::object{{"id", 3}, {"name", "Giant magnet"}, {"price", 120}},
  };
}

}  // namespace

demo_api::demo_api(demo_api_options options) : options_(std::move(options)) {}

reply demo_api::handle(const recorded_request& request) {
  auto path = request.path();
  if (path == "/oauth/token") return token_endpoint(request);
  if (path == "/health") return json_reply(200, json::object{{"status", "ok"}});
  if (path.starts_with("/api/") || path == "/api") return api(request);
  return json_reply(404, json::object{{"error", "not_found"}, {"path", path}});
}

reply demo_api::token_endpoint(const recorded_request& request) {
  std::lock_guard lock(mutex_);
  ++token_requests_;
  if (request.method != "POST") {
    auto r = oauth_error(405, "invalid_request", "the token endpoint accepts POST only");
    r.headers.push_back({"Allow", "POST"});
    return r;
  }
  if (!lower(request.header("Content-Type")).starts_with("application/x-www-form-urlencoded")) {
    return oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  std::map<std::string, std::string> form;
  for (auto& [k, v] : oauth2::parse_form(request.body)) {
    // RFC 6749 3.2: a parameter must not repeat, except the resource indicators of RFC 8707
    // (section 2: several resource parameters ask for a token usable at each).
    if (form.contains(k) && k != "resource")
      return oauth_error(400, "invalid_request", "parameter '" + k + "' is repeated");
    form[k] = v;
  }
  if (form["grant_type"] != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported");
  }

  std::string id, secret;
  auto authorization = request.header("Authorization");
  bool body_auth = form.contains("client_id") || form.contains("client_secret");
  if (!authorization.empty()) {
    if (body_auth) return oauth_error(400, "invalid_request", "more than one client authentication method");
    if (!lower(authorization).starts_with("basic ")) return oauth_error(401, "invalid_client", "unsupported scheme");
    auto decoded = base64_decode(std::string_view(authorization).substr(6));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return oauth_error(401, "invalid_client", "malformed Basic credentials");
    // RFC 6749 2.3.1: both parts are form-encoded before base64.
    auto user = oauth2::form_decode(std::string_view(*decoded).substr(0, colon));
    auto pass = oauth2::form_decode(std::string_view(*decoded).substr(colon + 1));
    if (!user || !pass) return oauth_error(401, "invalid_client", "malformed Basic credentials");
    id = *user;
    secret = *pass;
  } else if (body_auth) {
    id = form["client_id"];
    secret = form["client_secret"];
  } else {
    return oauth_error(401, "invalid_client", "client authentication is required");
  }
  if (id != options_.client_id || secret != options_.client_secret) {
    return oauth_error(401, "invalid_client", "unknown client or wrong secret");
  }

  auto token = "demo-" + std::to_string(issued_.size() + 1) + "-" + new_uuid_v4();
  tokens_[token] = std::chrono::steady_clock::now() + options_.token_lifetime;
  issued_.push_back(token);
  json::object body{{"access_token", token}, {"token_type", "Bearer"}};
  if (options_.send_expires_in) {
    body["expires_in"] = std::chrono::duration_cast<std::chrono::seconds>(options_.token_lifetime).count();
  }
  if (auto scope = form.find("scope"); scope != form.end() && !scope->second.empty()) body["scope"] = scope->second;
  auto r = json_reply(200, body);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

reply demo_api::api(const recorded_request& request) {
  std::lock_guard lock(mutex_);
  ++api_requests_;
  auto authorization = request.header("Authorization");
  if (authorization.empty()) {
    auto r = json_reply(401, json::object{{"error", "unauthorized"}});
    r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"demo\""});
    return r;
  }
  auto known = lower(authorization).starts_with("bearer ") ? tokens_.find(authorization.substr(7)) : tokens_.end();
  if (known == tokens_.end() || std::chrono::steady_clock::now() >= known->second) {
    auto r = json_reply(401, json::object{{"error", "invalid_token"}});
    r.headers.push_back({"WWW-Authenticate",
                         "Bearer realm=\"demo\", error=\"invalid_token\", error_description=\"expired or unknown\""});
    return r;
  }

  auto path = request.path();
  if (path == "/api/echo") {
    json::object headers;
    for (const auto& h : request.headers) {
      if (lower(h.name) == "authorization") continue;
      headers[lower(h.name)] = h.value;
    }
    return json_reply(200, json::object{{"method", request.method},
                                        {"path", path},
                                        {"query", request.query()},
                                        {"headers", headers},
                                        {"body", request.body},
                                        {"authorized", true}});
  }
  if (path.starts_with("/api/status/")) {
    unsigned code = 0;
    for (char c : path.substr(12)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) { code = 0; break; }
      code = code * 10 + static_cast<unsigned>(c - '0');
    }
    if (code < 200 || code > 599) return json_reply(400, json::object{{"error", "status must be 200-599"}});
    return json_reply(code, json::object{{"status", code}});
  }
  if (path == "/api/items") {
    if (request.method == "GET") return json_reply(200, json::object{{"items", sample_items()}});
    if (request.method == "POST") {
      boost::system::error_code ec;
      auto body = json::parse(request.body, ec);
      if (ec || !body.is_object()) return json_reply(400, json::object{{"error", "expected a JSON object"}});
      body.as_object()["id"] = static_cast<std::int64_t>(next_item_id_++);
      auto r = json_reply(201, body);
      r.headers.push_back({"Location", "/api/items/" + std::to_string(body.as_object()["id"].as_int64())});
      return r;
    }
    return json_reply(405, json::object{{"error", "method not allowed"}});
  }
  if (path.starts_with("/api/items/")) {
    auto id = path.substr(11);
    for (const auto& item : sample_items()) {
      if (std::to_string(item.as_object().at("id").as_int64()) != id) continue;
      if (request.method == "GET" || request.method == "HEAD") return json_reply(200, item);
      if (request.method == "DELETE") return reply{.status = 204};
      if (request.method == "PUT" || request.method == "PATCH") {
        boost::system::error_code ec;
        auto body = json::parse(request.body, ec);
        if (ec || !body.is_object()) return json_reply(400, json::object{{"error", "expected a JSON object"}});
        auto updated = item.as_object();
        for (const auto& kv : body.as_object()) updated[kv.key()] = kv.value();
        return json_reply(200, updated);
      }
      return json_reply(405, json::object{{"error", "method not allowed"}});
    }
    return json_reply(404, json::object{{"error", "not_found"}, {"id", id}});
  }
  return json_reply(404, json::object{{"error", "not_found"}, {"path", path}});
}

std::size_t demo_api::token_requests() const {
  std::lock_guard lock(mutex_);
  return token_requests_;
}
std::size_t demo_api::tokens_issued() const {
  std::lock_guard lock(mutex_);
  return issued_.size();
}
std::size_t demo_api::api_requests() const {
  std::lock_guard lock(mutex_);
  return api_requests_;
}
std::vector<std::string> demo_api::issued_tokens() const {
  std::lock_guard lock(mutex_);
  return issued_;
}
void demo_api::revoke_all() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}

}  // namespace oauth2_rest::testing
