// The httpRequest action: request building, token use, one retry on 401, Error Tolerance.
#include "action/http_request_action.hpp"

#include "action/attachment_name.hpp"
#include "action/detail/redact.hpp"
#include "action/detail/text.hpp"
#include "action/request_builder.hpp"
#include "action/response_body.hpp"
#include "http/content_coding.hpp"
#include "http/decoding_sink.hpp"
#include "oauth2/token_request.hpp"
#include "oauth2/www_authenticate.hpp"
#include "util/log.hpp"
#include "util/utf8.hpp"
#include "util/uuid.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <tuple>

namespace oauth2_rest::action {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// How much of an error response body an error message quotes.
constexpr std::size_t error_body_excerpt = 1000;

bool is_http_url(std::string_view url) {
  auto starts = [&](std::string_view p) {
    if (url.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    return true;
  };
  return starts("http://") || starts("https://");
}

// The forms in which a secret may come back in a server's text: as it is, form-encoded (a
// query or form the server quotes) and JSON-escaped (a JSON error body quoting headers).
void add_forms(std::vector<std::string>& out, const std::string& secret) {
  if (secret.empty()) return;
  out.push_back(secret);
  out.push_back(oauth2::form_encode(secret));
  std::string quoted = json::serialize(json::value(secret));
  out.push_back(quoted.substr(1, quoted.size() - 2));
}

// "METHOD URL answered STATUS REASON: <body excerpt>", secrets redacted. The server chooses the
// reason phrase, the body and (through redirects) the URL, so all of it is redacted; the body
// before it is cut (detail/redact.hpp).
std::string describe_status(const api_request& req, const http::response& r, const detail::redactor& secrets) {
  std::string head = req.method_name + " " + http::url_without_credentials(r.url.empty() ? req.url : r.url) +
                     " answered " + std::to_string(r.status);
  if (!r.reason.empty()) head += " " + r.reason;
  std::string text = secrets.redact(head);
  if (!r.body.empty()) {
    text += ": ";
    text += to_valid_utf8(secrets.excerpt(r.body, error_body_excerpt));
  }
  return text;
}

// scheme, host, port: the origin the HTTP client pools by and keeps Authorization within.
std::optional<std::tuple<std::string, std::string, std::uint16_t>> origin_of(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (parsed.has_error()) return std::nullopt;
  std::string scheme = detail::to_lower(parsed->scheme());
  std::uint16_t port = parsed->has_port() && !parsed->port().empty() ? parsed->port_number()
                       : scheme == "https"                            ? 443
                                                                      : 80;
  return std::tuple{std::move(scheme), detail::to_lower(parsed->host_address()), port};
}

// Whether the answer came from the origin the token was sent to. A redirect to another origin
// drops Authorization (http_client.hpp), so a 401 from there says nothing about the token:
// renewing would fetch a new token for every message and change nothing.
bool answered_by_token_origin(const api_request& req, const http::response& r) {
  if (r.url.empty() || r.url == req.url) return true;
  auto sent = origin_of(req.url);
  auto answered = origin_of(r.url);
  return sent && answered && *sent == *answered;
}

http::request to_http_request(const api_request& req, const oauth2::token& t) {
  http::request out;
  out.method = req.method;
  out.url = req.url;
  out.headers.reserve(req.headers.size() + 2);
  for (const auto& [name, value] : req.headers) out.headers.push_back({name, value});
  http::add_default_accept_encoding(out.headers);  // unless the input set one (SPEC 3)
  out.headers.push_back({"Authorization", "Bearer " + t.access_token});
  out.body = req.body;
  return out;
}

void set_bearer(http::request& r, const oauth2::token& t) {
  for (auto& h : r.headers)
    if (h.name == "Authorization") h.value = "Bearer " + t.access_token;
}

}  // namespace

json::object output_message(const http::response& r) {
  // The headers are read in place (views), and every object gets its final
  // capacity at once: no copies of the header strings, no table regrowth.
  boost::container::small_vector<header_view, 24> headers;
  headers.reserve(r.headers.size());
  for (const auto& h : r.headers) headers.push_back({h.name, h.value});
  auto content_type = http::find_header(r.headers, "Content-Type").value_or("");
  auto decoded = decode_response_body(content_type, r.body);

  json::object body(4);
  body.emplace("statusCode", static_cast<std::int64_t>(r.status));
  body.emplace("headers", response_headers_json_of(headers));
  body.emplace("body", std::move(decoded.body));
  if (decoded.base64) body.emplace("bodyEncoding", "base64");

  json::object message(5);
  message.emplace("id", new_uuid_v4());
  message.emplace("attachments", json::object());
  message.emplace("body", std::move(body));
  message.emplace("headers", json::object());
  message.emplace("metadata", json::object());
  return message;
}

result<oauth2::client_credentials> make_credentials(const action_config& config) {
  if (!is_http_url(config.token_url)) {
    return failure{make_error_code(boost::system::errc::invalid_argument),
                   "tokenUrl '" + http::url_without_credentials(config.token_url) +
                       "' is not an absolute http(s) URL"};
  }
  oauth2::client_credentials creds;
  creds.token_url = config.token_url;
  creds.client_id = config.client_id;
  creds.client_secret = config.client_secret;
  creds.scopes = oauth2::parse_scopes(config.scopes);
  auto extra = oauth2::parse_additional_properties(config.additional_properties);
  if (!extra) return std::move(extra).error();
  creds.additional_properties = std::move(extra).value();
  auto auth = oauth2::parse_client_auth(config.client_authentication);
  if (!auth) return std::move(auth).error();
  creds.auth = *auth;
  return creds;
}

result<std::unique_ptr<http_request_action>> http_request_action::create(http::client& http,
                                                                         const json::object& cfg,
                                                                         std::vector<std::string> runtime_secrets,
                                                                         std::shared_ptr<oauth2::token_store> store) {
  auto config = parse_action_config(cfg);
  if (!config) return std::move(config).error();
  auto creds = make_credentials(*config);
  if (!creds) return std::move(creds).error();

  json::object keys;
  for (const char* key : credential_keys)
    if (auto* v = cfg.if_contains(key)) keys[key] = *v;

  auto initial = oauth2::parse_stored_tokens(config->tokens);
  return std::unique_ptr<http_request_action>(new http_request_action(http, std::move(config).value(),
                                                                      std::move(creds).value(), std::move(initial),
                                                                      std::move(keys), std::move(runtime_secrets),
                                                                      std::move(store)));
}

http_request_action::http_request_action(http::client& http, action_config config,
                                         oauth2::client_credentials creds,
                                         std::optional<oauth2::token> initial, json::object keys,
                                         std::vector<std::string> runtime_secrets,
                                         std::shared_ptr<oauth2::token_store> store)
    : http_(http),
      config_(std::move(config)),
      tokens_(std::make_unique<oauth2::token_client>(http, std::move(creds), std::move(initial), std::move(store))),
      keys_(std::move(keys)) {
  add_forms(secret_forms_, config_.client_secret);
  for (const auto& s : runtime_secrets) add_forms(secret_forms_, s);
}

void http_request_action::report_new_token(const oauth2::token& t, event_sink& events) {
  keys_["tokens"] = oauth2::stored_tokens_json(t);
  events.update_keys(keys_);
}

asio::awaitable<void> http_request_action::process(json::object message, event_sink& events) {
  const auto* body = message.if_contains("body");
  if (body == nullptr || !body->is_object()) {
    events.error("InputError", "the message body must be an object with url and method");
    co_return;
  }
  const auto& input = body->get_object();
  auto req = build_api_request(input, config_.base_url);
  if (!req) {
    events.error("InputError", req.error().message);
    co_return;
  }

  std::vector<code_range> ranges;
  rebound_codes rebound;
  if (config_.error_tolerance == tolerance::manual) {
    auto parsed = parse_code_ranges(input.if_contains("httpCodesToThrow"));
    if (!parsed) {
      events.error("InputError", parsed.error().message);
      co_return;
    }
    ranges = std::move(parsed).value();
  } else if (config_.error_tolerance == tolerance::rebound_codes) {
    auto parsed = parse_rebound_codes(input.if_contains("httpCodesToRebound"));
    if (!parsed) {
      events.error("InputError", parsed.error().message);
      co_return;
    }
    rebound = std::move(parsed).value();
  }

  // SPEC 9: bodyAttachment's bytes are the request body, streamed.
  opened_attachment body_attachment;
  if (const auto* ref = input.if_contains("bodyAttachment");
      ref && !ref->is_null() && !(ref->is_string() && ref->get_string().empty())) {
    const auto* plain_body = input.if_contains("body");
    std::string refused;
    if (plain_body && !plain_body->is_null()) refused = "set either body or bodyAttachment, not both";
    else if (req->method == boost::beast::http::verb::get || req->method == boost::beast::http::verb::head)
      refused = "bodyAttachment: " + req->method_name + " requests carry no body";
    if (!refused.empty()) {
      events.error("InputError", refused);
      co_return;
    }
    auto opened = co_await open_body_attachment(message, *ref);
    if (!opened) {
      events.error(opened.error().code == boost::system::errc::invalid_argument ? "InputError" : "AttachmentError",
                   opened.error().message);
      co_return;
    }
    body_attachment = std::move(opened).value();
  }
  std::unique_ptr<attachment_upload> upload;
  if (config_.response_as_attachment) {
    if (!attachments_) {
      events.error("AttachmentError", "responseAs attachment: this runtime has no attachment storage");
      co_return;
    }
    auto begun = attachments_->begin_upload();
    if (!begun) {
      events.error("AttachmentError", begun.error().message);
      co_return;
    }
    upload = std::move(begun).value();
  }

  auto token = co_await tokens_->get(config_.request_timeout);
  if (!token) {
    events.error("TokenError", token.error().message);
    co_return;
  }
  if (token->fetched) report_new_token(*token->value, events);

  http::request_options options;
  options.timeout = config_.request_timeout;
  options.max_response_body = config_.max_response_size;
  auto request = to_http_request(*req, *token->value);
  if (body_attachment.body) {
    request.body.clear();
    request.body_stream = body_attachment.body;
    bool typed = false;
    for (const auto& [name, value] : req->headers) typed = typed || detail::iequals(name, "Content-Type");
    if (!typed)
      request.headers.push_back({"Content-Type", body_attachment.content_type.empty() ? "application/octet-stream"
                                                                                     : body_attachment.content_type});
  }
  // SPEC 3 and 9: a compressed response is decoded on its way into the attachment, in pieces;
  // maxResponseSize bounds the received and the decoded size alike.
  std::optional<http::decoding_sink> decoder;
  if (upload) {
    decoder.emplace(*upload, config_.max_response_size);
    options.sink = &*decoder;
  }
  auto answer = co_await http_.send(request, options);
  std::shared_ptr<const oauth2::token> renewed_token;

  if (answer && answer->status == 401 &&
      oauth2::should_refresh(401, http::find_header(answer->headers, "WWW-Authenticate").value_or(""))) {
    if (!answered_by_token_origin(*req, *answer)) {
      log::debug("a redirect target on another origin answered 401; it never saw the token, which is kept",
                 {{"url", http::url_without_credentials(req->url)},
                  {"answeredBy", http::url_without_credentials(answer->url)}});
    } else {
      // RFC 6750 3.1: an invalid_token answer may be retried with a new token, once.
      log::info("the API refused the access token; renewing it and retrying once",
                {{"url", http::url_without_credentials(req->url)}});
      auto renewed = co_await tokens_->refresh(token->value, config_.request_timeout);
      if (!renewed) {
        events.error("TokenError", renewed.error().message);
        co_return;
      }
      if (renewed->fetched) report_new_token(*renewed->value, events);
      renewed_token = renewed->value;
      set_bearer(request, *renewed->value);
      if (decoder) {
        if (auto reset = decoder->reset(); !reset) {
          events.error("AttachmentError", reset.error().message);
          co_return;
        }
      }
      answer = co_await http_.send(std::move(request), options);
    }
  }

  if (!answer) {
    std::string text = answer.error().message;
    if (upload && (answer.error().code == http::error::body_too_large ||
                   (decoder->failed() && decoder->failed()->code == http::coding_error::too_large)))
      text += " (maxResponseSize)";
    events.error("RequestError", text);
    co_return;
  }
  // Built only for the texts that quote the server: the hot path (emit) never pays for it.
  auto redactor = [&] {
    std::vector<std::string> secrets = secret_forms_;
    add_forms(secrets, token->value->access_token);
    if (renewed_token) add_forms(secrets, renewed_token->access_token);
    return detail::redactor(std::move(secrets));
  };
  const outcome verdict = decide(config_.error_tolerance, answer->status, ranges, rebound);
  if (upload) {
    // Decoded as it arrived; an error or rebound quotes its start and stores nothing.
    auto complete = decoder->finish();
    if (complete && decoder->decoded())
      std::erase_if(answer->headers, [](const http::header& h) {
        return detail::iequals(h.name, "Content-Encoding") || detail::iequals(h.name, "Content-Length");
      });
    if (verdict == outcome::emit) {
      if (!complete) {
        events.error("RequestError", redactor().redact(req->method_name + " " +
                                                       http::url_without_credentials(answer->url.empty() ? req->url : answer->url) +
                                                       ": " + complete.error().message));
        co_return;
      }
      const std::string name = attachment_name(http::find_header(answer->headers, "Content-Disposition").value_or(""),
                                               answer->url.empty() ? req->url : answer->url);
      std::string type(http::find_header(answer->headers, "Content-Type").value_or(""));
      if (type.empty()) type = "application/octet-stream";
      auto stored = co_await upload->commit(name, type);
      if (!stored) {
        events.error("AttachmentError", redactor().redact(stored.error().message));
        co_return;
      }
      events.data(attachment_output_message(*answer, name, *stored, type));
      co_return;
    }
    answer->body = upload->excerpt();
  }
  // SPEC 3: the body is decoded from its Content-Encoding, asked for or not, before the body rules
  // and before an error text quotes it; maxResponseSize bounds the decoded size too. A body that
  // cannot be decoded fails an output that needs it; an error or rebound still follows its status
  // and says why its body is not quoted.
  if (auto decoded = http::decode_response_content(*answer, config_.max_response_size); !decoded) {
    if (verdict == outcome::emit) {
      std::string text = req->method_name + " " + http::url_without_credentials(answer->url.empty() ? req->url : answer->url) +
                         ": " + decoded.error().message;
      if (decoded.error().code == http::coding_error::too_large) text += " (maxResponseSize)";
      events.error("RequestError", redactor().redact(text));
      co_return;
    }
    answer->body = "(" + decoded.error().message + ")";
  }
  switch (verdict) {
    case outcome::emit:
      events.data(output_message(*answer));
      break;
    case outcome::error:
      events.error("HTTPError", describe_status(*req, *answer, redactor()));
      break;
    case outcome::rebound:
      events.rebound(describe_status(*req, *answer, redactor()));
      break;
  }
}

}  // namespace oauth2_rest::action
