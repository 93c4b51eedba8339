// Builds the Client Credentials token request and parses the credential
// fields that shape it (see token_request.hpp).
#include "oauth2/token_request.hpp"

#include "util/base64.hpp"
#include "util/json_members.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>

namespace oauth2_rest::oauth2 {
namespace {

// Items named in error messages are the user's own configuration, but a long
// one would swamp the message: show at most this many bytes.
constexpr std::size_t max_item_in_message = 80;

bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Calls f(item) for each ','-separated item, trimmed, empty ones skipped.
template <class F>
void for_each_csv_item(std::string_view csv, F&& f) {
  while (true) {
    const auto comma = csv.find(',');
    const auto item = trim(csv.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
}

// The item quoted for an error message, shortened and with control
// characters replaced so a message stays one readable line.
std::string quoted(std::string_view item) {
  std::string out = "'";
  const bool cut = item.size() > max_item_in_message;
  for (char ch : item.substr(0, max_item_in_message)) {
    const auto byte = static_cast<unsigned char>(ch);
    out.push_back(byte < 0x20 || byte == 0x7f ? '?' : ch);
  }
  if (cut) out += "...";
  out += "'";
  return out;
}

failure field_error(std::string message) {
  return failure{make_error_code(input_error::bad_credential_field), std::move(message)};
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

void append_param(std::string& body, std::string_view name, std::string_view value) {
  if (!body.empty()) body.push_back('&');
  body += form_encode(name);
  body.push_back('=');
  body += form_encode(value);
}

}  // namespace

std::string form_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') ||
        byte == '-' || byte == '.' || byte == '_' || byte == '*') {
      out.push_back(ch);
    } else if (byte == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0x0f]);
    }
  }
  return out;
}

std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '+') {
      out.push_back(' ');
    } else if (ch == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high << 4 | low));
      i += 2;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value || name->empty()) continue;
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  return pairs;
}

std::vector<std::string> parse_scopes(std::string_view csv) {
  std::vector<std::string> scopes;
  for_each_csv_item(csv, [&](std::string_view item) { scopes.emplace_back(item); });
  return scopes;
}

namespace {

using property_list = std::vector<std::pair<std::string, std::string>>;

// grant_type is fixed by the grant, scope comes from the Scopes field and the
// secret from Password; letting them through would repeat a parameter (RFC
// 6749 3.2) or add a second authentication method (2.3).
std::optional<failure> reserved_key_error(std::string_view key) {
  if (key == "grant_type" || key == "scope" || key == "client_secret")
    return field_error("additionalProperties: key " + quoted(key) + " is reserved");
  return std::nullopt;
}

// A JSON value's kind in an error message: the value itself is never quoted.
const char* kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

result<property_list> parse_csv_properties(std::string_view csv) {
  property_list properties;
  std::optional<failure> first_error;
  std::size_t item_number = 0;
  for_each_csv_item(csv, [&](std::string_view item) {
    ++item_number;
    if (first_error) return;
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) {
      first_error = field_error("additionalProperties: " + quoted(item) + " has no ':' (expected key:value)");
      return;
    }
    const auto key = trim(item.substr(0, colon));
    const auto value = trim(item.substr(colon + 1));
    if (key.empty()) {
      // Named by its place: the item is nothing but its value, which may be a secret.
      first_error = field_error("additionalProperties: item " + std::to_string(item_number) +
                                " has an empty key (expected key:value)");
      return;
    }
    if ((first_error = reserved_key_error(key))) return;
    properties.emplace_back(std::string(key), std::string(value));
  });
  if (first_error) return std::move(*first_error);
  return properties;
}

result<property_list> parse_json_properties(std::string_view text) {
  boost::system::error_code ec;
  // Members in the order written, a repeated key once per occurrence (util/json_members.hpp).
  auto members = read_json_members(text, ec);
  if (ec) {
    // The reader's message names the kind of fault only ("syntax error"), never the text.
    return field_error("additionalProperties: starts with '{' but is not a JSON object (" + ec.message() +
                       "); write e.g. {\"resource\":[\"https://a\",\"https://b\"]}");
  }
  property_list properties;
  for (auto& member : members) {
    const std::string_view key = member.key;
    if (key.empty()) return field_error("additionalProperties: a key of the JSON object is empty");
    if (auto reserved = reserved_key_error(key)) return std::move(*reserved);
    if (member.value.is_string()) {
      properties.emplace_back(member.key, std::string(member.value.get_string()));
      continue;
    }
    if (!member.value.is_array()) {
      return field_error("additionalProperties: the value of key " + quoted(key) + " is " + kind_name(member.value) +
                         " (expected a string or an array of strings)");
    }
    std::size_t element_number = 0;
    for (const auto& element : member.value.get_array()) {
      ++element_number;
      if (!element.is_string()) {
        return field_error("additionalProperties: element " + std::to_string(element_number) + " of key " +
                           quoted(key) + " is " + kind_name(element) + " (expected a string)");
      }
      properties.emplace_back(member.key, std::string(element.get_string()));
    }
  }
  return properties;
}

}  // namespace

result<std::vector<std::pair<std::string, std::string>>> parse_additional_properties(std::string_view text) {
  // JSON is recognised by its first character after blanks (a newline too: the
  // text may have been pasted); a CSV key cannot start with '{' then.
  std::size_t first = 0;
  while (first < text.size() && (is_blank(text[first]) || text[first] == '\n' || text[first] == '\r')) ++first;
  if (first < text.size() && text[first] == '{') return parse_json_properties(text);
  return parse_csv_properties(text);
}

result<client_auth> parse_client_auth(std::string_view text) {
  const auto value = trim(text);
  if (value.empty() || iequals(value, "basic") || iequals(value, "client_secret_basic")) return client_auth::basic;
  if (iequals(value, "body") || iequals(value, "client_secret_post")) return client_auth::body;
  if (iequals(value, "private_key_jwt")) return client_auth::private_key_jwt;
  if (iequals(value, "client_secret_jwt")) return client_auth::client_secret_jwt;
  if (iequals(value, "tls_client_auth")) return client_auth::tls_client_auth;
  return field_error("clientAuthentication: " + quoted(value) +
                     " is not supported (expected basic, body, private_key_jwt, client_secret_jwt or tls_client_auth)");
}

status validate_credentials(const client_credentials& c) {
  if (trim(c.token_url).empty()) return field_error("tokenUrl is empty: set the token endpoint's URL");
  if (c.client_id.empty()) return field_error("username is empty: set the OAuth2 client id");
  if (c.auth != client_auth::basic) {
    for (const auto& [key, value] : c.additional_properties) {
      if (key == "client_id") {
        return field_error("additionalProperties: key 'client_id' repeats the username in " +
                           std::string(c.auth == client_auth::body ? "body" : "this") +
                           " client authentication; remove it");
      }
      if (uses_client_assertion(c.auth) && (key == "client_assertion" || key == "client_assertion_type")) {
        return field_error("additionalProperties: key " + quoted(key) +
                           " is reserved: the component makes the client assertion");
      }
    }
  }
  return ok;
}

token_http_request build_token_request(const client_credentials& c, std::string_view client_assertion) {
  token_http_request request;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  if (c.auth == client_auth::basic) {
    // RFC 6749 2.3.1: id and secret are form-encoded before base64, so a ':'
    // in the id cannot be mistaken for the separator. Servers that skip the
    // decoding break on such secrets; body mode is the way around them.
    request.headers.emplace_back(
        "Authorization", "Basic " + base64_encode(form_encode(c.client_id) + ":" + form_encode(c.client_secret)));
  }

  append_param(request.body, "grant_type", "client_credentials");
  std::string scope;
  for (const auto& item : c.scopes) {
    if (item.empty()) continue;
    if (!scope.empty()) scope.push_back(' ');
    scope += item;
  }
  if (!scope.empty()) append_param(request.body, "scope", scope);  // RFC 6749 3.2: empty means omitted
  const bool assertion = uses_client_assertion(c.auth);
  for (const auto& [key, value] : c.additional_properties) {
    if (c.auth != client_auth::basic && key == "client_id") continue;  // sent below, exactly once
    if (assertion && (key == "client_assertion" || key == "client_assertion_type")) continue;
    append_param(request.body, key, value);
  }
  if (c.auth != client_auth::basic) append_param(request.body, "client_id", c.client_id);
  if (c.auth == client_auth::body && !c.client_secret.empty()) {
    append_param(request.body, "client_secret", c.client_secret);
  }
  if (assertion) {
    // RFC 7523 2.2; client_id too, as RFC 7521 4.2 allows and several servers want.
    append_param(request.body, "client_assertion_type", client_assertion_type);
    append_param(request.body, "client_assertion", client_assertion);
  }
  return request;
}

}  // namespace oauth2_rest::oauth2
