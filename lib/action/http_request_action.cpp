// The httpRequest action: request building, token use, one retry on 401 (or a refreshOnStatus
// status), retries, pagination, Error Tolerance.
#include "action/http_request_action.hpp"

#include "action/attachment_name.hpp"
#include "action/detail/redact.hpp"
#include "action/detail/text.hpp"
#include "action/json_pointer.hpp"
#include "action/link_header.hpp"
#include "action/request_builder.hpp"
#include "action/response_body.hpp"
#include "action/retry_policy.hpp"
#include "action/url_join.hpp"
#include "http/content_coding.hpp"
#include "oauth2/client_keys.hpp"
#include "http/decoding_sink.hpp"
#include "oauth2/token_request.hpp"
#include "oauth2/www_authenticate.hpp"
#include "util/log.hpp"
#include "util/utf8.hpp"
#include "util/uuid.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <random>
#include <set>
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
std::string describe_status(const api_request& req, std::string_view url, const http::response& r,
                            const detail::redactor& secrets) {
  std::string head = req.method_name + " " + http::url_without_credentials(r.url.empty() ? url : r.url) +
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
bool same_origin(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto first = origin_of(a);
  auto second = origin_of(b);
  return first && second && *first == *second;
}


// The request for one page: the input's method, headers and body at `url`; the token only
// when given (pages on another origin than the first request's get none, SPEC 8).
http::request to_http_request(const api_request& req, const std::string& url, const oauth2::token* t) {
  http::request out;
  out.method = req.method;
  out.url = url;
  out.headers.reserve(req.headers.size() + 2);
  for (const auto& [name, value] : req.headers) out.headers.push_back({name, value});
  http::add_default_accept_encoding(out.headers);  // unless the input set one (SPEC 3)
  if (t) out.headers.push_back({"Authorization", "Bearer " + t->access_token});
  out.body = req.body;
  return out;
}

// How a failed call counts for the retry rules: whether the request can have reached the server.
transport_failure classify(const boost::system::error_code& ec) {
  if (ec == http::error::resolve_failed || ec == http::error::connect_failed || ec == http::error::connect_timeout)
    return transport_failure::not_sent;
  if (ec == http::error::timeout || ec == http::error::connection_closed) return transport_failure::after_sending;
  return transport_failure::permanent;
}

double random_fraction() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// The key a page's URL is remembered by, to stop at a URL already fetched: normalized (RFC 3986
// 6.2.2: case of scheme, host and percent-escapes, dot segments), without its fragment.
std::string fetch_key(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (parsed.has_error()) return std::string(url);
  boost::urls::url u(*parsed);
  u.normalize();
  u.remove_fragment();
  return std::string(u.buffer());
}

// The next page's URL: `link` resolved against the URL that answered (RFC 3986 5.2), without
// its fragment; it must be an absolute http(s) URL.
result<std::string> resolve_next(std::string_view base, std::string_view link) {
  auto reference = boost::urls::parse_uri_reference(link);
  auto parsed_base = boost::urls::parse_uri(base);
  boost::urls::url next;
  if (reference.has_error() || parsed_base.has_error() ||
      boost::urls::resolve(*parsed_base, *reference, next).has_error())
    return detail::invalid("is not a valid URL reference");
  next.remove_fragment();
  if (!is_absolute_http_url(next.buffer())) return detail::invalid("is not an http(s) URL");
  return std::string(next.buffer());
}

// A link or URL from a page, for a log line or an error text: no userinfo, at most 300 bytes.
std::string link_for_text(std::string_view link) { return detail::clip(http::url_without_credentials(link), 300); }

}  // namespace

bool answered_by_token_origin(std::string_view sent_to, const http::response& r) {
  return r.url.empty() || same_origin(sent_to, r.url);
}

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
  creds.key_id = config.key_id;
  if (!config.private_key.empty() || !config.client_certificate.empty() || !config.client_certificate_key.empty()) {
    auto keys = oauth2::load_client_keys(config.private_key, config.client_certificate, config.client_certificate_key);
    if (!keys) return std::move(keys).error();
    if (creds.auth == oauth2::client_auth::private_key_jwt && keys->has_certificate() &&
        !keys->signing_key_matches_certificate) {
      return failure{make_error_code(oauth2::input_error::bad_credential_field),
                     "privateKey does not match clientCertificate (the assertion's x5t headers name that "
                     "certificate)"};
    }
    creds.keys = std::make_shared<const oauth2::client_keys>(std::move(keys).value());
  }
  return creds;
}

result<std::unique_ptr<http::client>> make_client_certificate_http(asio::any_io_executor executor,
                                                                   const oauth2::client_credentials& creds,
                                                                   const tls_context_factory& make_tls,
                                                                   http::client_config config) {
  if (!creds.keys || !creds.keys->has_certificate()) return std::unique_ptr<http::client>();
  auto context = make_tls ? make_tls() : http::make_default_tls_context();
  if (auto installed = oauth2::install_client_certificate(context->native_handle(), *creds.keys); !installed)
    return std::move(installed).error();
  return std::make_unique<http::client>(std::move(executor), std::move(context), std::move(config));
}

result<std::unique_ptr<http_request_action>> http_request_action::create(http::client& http,
                                                                         const json::object& cfg,
                                                                         std::vector<std::string> runtime_secrets,
                                                                         std::shared_ptr<oauth2::token_store> store,
                                                                         const tls_context_factory& make_tls) {
  auto config = parse_action_config(cfg);
  if (!config) return std::move(config).error();
  auto creds = make_credentials(*config);
  if (!creds) return std::move(creds).error();
  auto own_http = make_client_certificate_http(http.get_executor(), *creds, make_tls, http.config());
  if (!own_http) return std::move(own_http).error();

  json::object keys;
  for (const char* key : credential_keys)
    if (auto* v = cfg.if_contains(key)) keys[key] = *v;

  auto initial = oauth2::parse_stored_tokens(config->tokens);
  return std::unique_ptr<http_request_action>(new http_request_action(http, std::move(own_http).value(),
                                                                      std::move(config).value(),
                                                                      std::move(creds).value(), std::move(initial),
                                                                      std::move(keys), std::move(runtime_secrets),
                                                                      std::move(store)));
}

http_request_action::http_request_action(http::client& http, std::unique_ptr<http::client> own_http,
                                         action_config config, oauth2::client_credentials creds,
                                         std::optional<oauth2::token> initial, json::object keys,
                                         std::vector<std::string> runtime_secrets,
                                         std::shared_ptr<oauth2::token_store> store)
    : own_http_(std::move(own_http)),
      http_(own_http_ ? *own_http_ : http),
      config_(std::move(config)),
      tokens_(std::make_unique<oauth2::token_client>(http_, std::move(creds), std::move(initial), std::move(store))),
      keys_(std::move(keys)) {
  add_forms(secret_forms_, config_.client_secret);
  // Never sent to the API, but a gateway quoting the credential would then be quoted back.
  add_forms(secret_forms_, config_.private_key);
  add_forms(secret_forms_, config_.client_certificate_key);
  for (const auto& s : runtime_secrets) add_forms(secret_forms_, s);
}

void http_request_action::report_new_token(const oauth2::token& t, event_sink& events) {
  keys_["tokens"] = oauth2::stored_tokens_json(t);
  events.update_keys(keys_);
}

struct http_request_action::message_state {
  std::chrono::steady_clock::time_point started;
  // SPEC 9: bodyAttachment's bytes, sent as the body of every attempt (rewound by the client),
  // typed by body_type unless the input's headers set a Content-Type.
  std::shared_ptr<http::body_source> body;
  std::string body_type;
  // responseAs=attachment: where each attempt's response body goes, emptied before a resend.
  http::decoding_sink* decoder = nullptr;
  int sends = 0;
  // Every token sent for this message, for redaction.
  std::vector<std::shared_ptr<const oauth2::token>> tokens_used;
  void remember(const std::shared_ptr<const oauth2::token>& t) {
    if (std::find(tokens_used.begin(), tokens_used.end(), t) == tokens_used.end()) tokens_used.push_back(t);
  }
};

// responseAs=attachment: a resend (a retry, or the request again with a renewed token) starts
// the upload over, so only the answer that counts is stored.
status http_request_action::empty_sink_for_resend(message_state& state) {
  if (!state.decoder || state.sends++ == 0) return ok;
  return state.decoder->reset();
}

asio::awaitable<void> http_request_action::process(const json::object& message, event_sink& events) {
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

  message_state state;
  state.started = std::chrono::steady_clock::now();
  const bool paginating = config_.pagination != pagination_mode::none;
  std::optional<json_pointer> next_pointer;
  if (config_.pagination == pagination_mode::body_pointer) {
    auto parsed = parse_json_pointer(config_.next_page_pointer);  // checked at configuration
    if (parsed) next_pointer = std::move(parsed).value();
  }
  // The attachment parts of every call (call_api): the streamed body, the decoding upload.
  std::optional<http::decoding_sink> decoder;
  if (upload) {
    decoder.emplace(*upload, config_.max_response_size);
    state.decoder = &*decoder;
  }
  if (body_attachment.body) {
    state.body = body_attachment.body;
    state.body_type = body_attachment.content_type.empty() ? "application/octet-stream" : body_attachment.content_type;
  }
  // Built only for the texts that quote the server: the hot path (emit) never pays for it.
  auto redactor = [&] {
    std::vector<std::string> secrets = secret_forms_;
    for (const auto& t : state.tokens_used) add_forms(secrets, t->access_token);
    return detail::redactor(std::move(secrets));
  };

  std::set<std::string> fetched;  // fetch_key of every URL requested or answering for this message
  std::string url = req->url;
  for (int page = 1;; ++page) {
    if (paginating) fetched.insert(fetch_key(url));  // a URL parse: not for single calls
    auto call = co_await call_api(*req, url, same_origin(url, req->url), state, events);
    if (call.token_failed) {
      events.error("TokenError", call.answer.error().message);
      co_return;
    }
    auto& answer = call.answer;
    if (!answer) {
      std::string text = answer.error().message;
      if (decoder && (answer.error().code == http::error::body_too_large ||
                      (decoder->failed() && decoder->failed()->code == http::coding_error::too_large)))
        text += " (maxResponseSize)";
      events.error("RequestError", redactor().redact(text));
      co_return;
    }
    if (paginating && !answer->url.empty() && answer->url != url) fetched.insert(fetch_key(answer->url));
    const std::string& answered_url = answer->url.empty() ? url : answer->url;

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
          events.error("RequestError", redactor().redact(req->method_name + " " + http::url_without_credentials(answered_url) +
                                                         ": " + complete.error().message));
          co_return;
        }
        const std::string name =
            attachment_name(http::find_header(answer->headers, "Content-Disposition").value_or(""), answered_url);
        std::string type(http::find_header(answer->headers, "Content-Type").value_or(""));
        if (type.empty()) type = "application/octet-stream";
        auto stored = co_await upload->commit(name, type);
        if (!stored) {
          events.error("AttachmentError", redactor().redact(stored.error().message));
          co_return;
        }
        events.data(attachment_output_message(*answer, name, *stored, type));
        co_return;  // responseAs=attachment never paginates (action_config.hpp)
      }
      answer->body = upload->excerpt();
    }
    // SPEC 3: the body is decoded from its Content-Encoding, asked for or not, before the body rules
    // and before an error text quotes it; maxResponseSize bounds the decoded size too. A body that
    // cannot be decoded fails an output that needs it; an error or rebound still follows its status
    // and says why its body is not quoted.
    if (auto decoded = http::decode_response_content(*answer, config_.max_response_size); !decoded) {
      if (verdict == outcome::emit) {
        std::string text = req->method_name + " " + http::url_without_credentials(answered_url) + ": " +
                           decoded.error().message;
        if (decoded.error().code == http::coding_error::too_large) text += " (maxResponseSize)";
        events.error("RequestError", redactor().redact(text));
        co_return;
      }
      answer->body = "(" + decoded.error().message + ")";
    }
    if (verdict == outcome::error) {
      events.error("HTTPError", describe_status(*req, url, *answer, redactor()));
      co_return;
    }
    if (verdict == outcome::rebound) {
      events.rebound(describe_status(*req, url, *answer, redactor()));
      co_return;
    }

    auto emitted = output_message(*answer);
    if (!paginating) {
      events.data(std::move(emitted));
      co_return;
    }
    auto& out = emitted["body"].as_object();
    out.emplace("page", page);

    // The next link, read before the message is handed over.
    std::optional<std::string> link;
    std::string link_problem;
    if (config_.pagination == pagination_mode::link_header) {
      std::vector<std::string_view> values;
      for (const auto& h : answer->headers)
        if (detail::iequals(h.name, "Link")) values.push_back(h.value);
      link = find_link(values, "next");
    } else if (next_pointer) {
      if (const auto* at = find_pointer(out["body"], *next_pointer); at && !at->is_null()) {
        if (at->is_string()) link = std::string(at->get_string());
        else link_problem = "nextPagePointer " + config_.next_page_pointer + " selects " + detail::describe(*at, 60) +
                            ", not a URL string";
      }
    }
    events.data(std::move(emitted));

    if (!link_problem.empty()) {
      events.error("PaginationError", redactor().redact(req->method_name + " " + http::url_without_credentials(answered_url) +
                                                        " (page " + std::to_string(page) + "): " + link_problem));
      co_return;
    }
    if (!link || detail::trim(*link).empty()) co_return;  // the last page
    auto next = resolve_next(answered_url, detail::trim(*link));
    if (!next) {
      events.error("PaginationError",
                   redactor().redact("the next page link '" + link_for_text(*link) + "' of page " + std::to_string(page) +
                                     " (" + http::url_without_credentials(answered_url) + ") " + next.error().message));
      co_return;
    }
    if (fetched.count(fetch_key(*next)) != 0) {
      log::info("pagination stops: the next page link points to a page already fetched for this message",
                {{"page", page}, {"next", redactor().redact(link_for_text(*next))}});
      co_return;
    }
    if (page >= config_.max_pages) {
      log::warn("pagination stops at maxPages; the next page is left unfetched",
                {{"maxPages", config_.max_pages}, {"next", redactor().redact(link_for_text(*next))}});
      co_return;
    }
    url = std::move(next).value();
  }
}

asio::awaitable<http_request_action::call_outcome> http_request_action::call_api(const api_request& req,
                                                                                const std::string& url,
                                                                                bool with_token,
                                                                                message_state& state,
                                                                                event_sink& events) {
  http::request_options options;
  options.timeout = config_.request_timeout;
  options.max_response_body = config_.max_response_size;
  bool renewed = false;
  for (int retries_done = 0;; ++retries_done) {
    // The cached token (cheap); asked again on every attempt so a long pause cannot leave an
    // expired one in the request.
    std::shared_ptr<const oauth2::token> token;
    if (with_token) {
      auto got = co_await tokens_->get(config_.request_timeout);
      if (!got) co_return call_outcome{std::move(got).error(), true};
      if (got->fetched) report_new_token(*got->value, events);
      token = got->value;
      state.remember(token);
    }
    // Built for each send and moved into it (no copy per message); the one resend with a
    // renewed token below builds its own.
    auto request_with = [&](const oauth2::token* bearer) {
      auto request = to_http_request(req, url, bearer);
      if (state.body) {
        request.body.clear();
        request.body_stream = state.body;
        bool typed = false;
        for (const auto& [name, value] : req.headers) typed = typed || detail::iequals(name, "Content-Type");
        if (!typed) request.headers.push_back({"Content-Type", state.body_type});
      }
      return request;
    };
    options.sink = state.decoder;
    if (auto emptied = empty_sink_for_resend(state); !emptied) co_return call_outcome{std::move(emptied).error()};
    auto answer = co_await http_.send(request_with(token.get()), options);

    // 401 (invalid_token or no error code) and the statuses of refreshOnStatus mean "token no
    // longer valid" (www_authenticate.hpp).
    if (token && !renewed && answer &&
        oauth2::should_refresh(answer->status, http::find_header(answer->headers, "WWW-Authenticate").value_or(""),
                               config_.refresh_on_status)) {
      if (!answered_by_token_origin(url, *answer)) {
        log::debug("a redirect target on another origin refused the request; it never saw the token, which is kept",
                   {{"url", http::url_without_credentials(url)},
                    {"answeredBy", http::url_without_credentials(answer->url)},
                    {"status", static_cast<std::int64_t>(answer->status)}});
      } else {
        // RFC 6750 3.1: an invalid_token answer may be retried with a new token, once. Not one of
        // the `retries`: it fixes our credential, not the server's trouble.
        log::info("the API refused the access token; renewing it and retrying once",
                  {{"url", http::url_without_credentials(url)}, {"status", static_cast<std::int64_t>(answer->status)}});
        renewed = true;
        auto fresh = co_await tokens_->refresh(token, config_.request_timeout);
        if (!fresh) co_return call_outcome{std::move(fresh).error(), true};
        if (fresh->fetched) report_new_token(*fresh->value, events);
        state.remember(fresh->value);
        if (auto emptied = empty_sink_for_resend(state); !emptied) co_return call_outcome{std::move(emptied).error()};
        answer = co_await http_.send(request_with(fresh->value.get()), options);
      }
    }
    if (config_.retries == 0) co_return call_outcome{std::move(answer)};

    attempt_result attempt;
    attempt.method = req.method_name;
    if (answer) {
      attempt.status = answer->status;
      attempt.retry_after = http::find_header(answer->headers, "Retry-After");
    } else {
      attempt.failure = classify(answer.error().code);
    }
    retry_context context;
    context.retries_done = retries_done;
    context.retries_allowed = config_.retries;
    context.time_left = message_ceiling - std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - state.started);
    context.now = std::chrono::system_clock::now();
    context.random_fraction = random_fraction();
    const auto decision = decide_retry(attempt, context);
    if (decision.what == retry_decision::verdict::not_retryable) co_return call_outcome{std::move(answer)};

    // The log names what failed, never a header value: the status, or the HTTP client's
    // failure text (method and URL without userinfo).
    json::object fields{{"method", req.method_name},
                        {"url", http::url_without_credentials(url)},
                        {"attempt", retries_done + 1},
                        {"attempts", config_.retries + 1}};
    if (answer) fields["status"] = answer->status;
    else fields["error"] = answer.error().message;
    if (decision.what == retry_decision::verdict::spent) {
      log::warn("API call failed and its retries are spent", fields);
      co_return call_outcome{std::move(answer)};
    }
    fields["pauseMs"] = decision.pause.count();
    if (decision.from_retry_after) fields["retryAfter"] = true;
    if (decision.what == retry_decision::verdict::past_ceiling) {
      log::warn("API call not retried: the pause asked for would end past the platform's 19-minute limit for a message",
                fields);
      co_return call_outcome{std::move(answer)};
    }
    log::warn("API call failed, retrying", fields);
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(decision.pause);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace oauth2_rest::action
