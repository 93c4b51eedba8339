// Token responses, the stored "tokens" field, renewal times and ISO-8601
// times (see token.hpp).
#include "oauth2/token.hpp"

#include "oauth2/token_request.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"
#include "util/utf8.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace oauth2_rest::oauth2 {
namespace {

using std::chrono::seconds;

char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

failure response_error(std::string message) {
  return failure{make_error_code(input_error::bad_token_response), std::move(message)};
}

enum class body_kind { json, form, unknown };

// What the Content-Type promises; parameters (charset) do not matter here.
body_kind classify(std::string_view content_type) {
  auto media = trim(content_type.substr(0, content_type.find(';')));
  std::string lowered(media);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
  if (lowered == "application/x-www-form-urlencoded") return body_kind::form;
  if (lowered == "application/json" || lowered == "text/json" ||
      (lowered.size() > 5 && lowered.ends_with("+json"))) {
    return body_kind::json;
  }
  return body_kind::unknown;
}


std::optional<boost::json::object> parse_json_object(std::string_view body) {
  boost::system::error_code ec;
  // As Node reads it; numbers beyond a double are already null.
  boost::json::value parsed = read_json(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  return std::move(parsed.get_object());
}

// Form values become JSON strings; a repeated name keeps its first value. A form may decode to
// bytes that are not UTF-8 (%A1), which a JSON string cannot hold: serializing them would give
// invalid JSON (the stored "tokens", the credential save, error events), so they become U+FFFD.
boost::json::object form_to_object(std::string_view body) {
  boost::json::object object;
  for (auto& [name, value] : parse_form(body)) object.emplace(to_valid_utf8(name), to_valid_utf8(value));
  return object;
}

// The body as an object, as the content type says, else JSON then form.
// nullopt only when the content type promised JSON and the body is not.
std::optional<boost::json::object> body_object(std::string_view content_type, std::string_view body) {
  switch (classify(content_type)) {
    case body_kind::json: return parse_json_object(body);
    case body_kind::form: return form_to_object(body);
    case body_kind::unknown: break;
  }
  if (auto object = parse_json_object(body)) return object;
  return form_to_object(body);
}

std::string_view string_field(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (!value || !value->is_string()) return {};
  const auto& text = value->get_string();
  return {text.data(), text.size()};
}

// A server-provided detail for a user-facing message: one line, bounded, cut
// on a UTF-8 character boundary.
std::string bounded_detail(std::string_view text) {
  if (text.size() > max_error_detail) {
    std::size_t end = max_error_detail;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  std::string out(text);
  for (char& ch : out) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte == 0x7f) ch = ' ';
  }
  return out;
}

// expires_in: absent (nullopt lifetime), a lifetime, or invalid.
struct expires_in_field {
  bool valid = true;
  std::optional<seconds> lifetime;
};

expires_in_field from_seconds(double value) {
  if (!(value >= 0)) return {false, std::nullopt};  // also NaN
  if (value >= static_cast<double>(max_token_lifetime.count())) return {true, max_token_lifetime};
  const auto whole = static_cast<std::int64_t>(std::floor(value));
  if (whole == 0) return {true, std::nullopt};  // "0" is read as "not said" (see token.hpp)
  return {true, seconds{whole}};
}

// "3600" or "3599.9" (the fraction is dropped: whole seconds); no sign, no
// exponent. Huge values stop growing once far above the cap.
std::optional<double> numeric_string(std::string_view text) {
  text = trim(text);
  const auto dot = text.find('.');
  const auto integer = text.substr(0, dot);
  const auto fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (integer.empty() && fraction.empty()) return std::nullopt;
  const auto all_digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  if (!all_digits(integer) || !all_digits(fraction)) return std::nullopt;
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;  // "3600." is not a number
  double value = 0;
  for (char ch : integer) {
    value = value * 10 + (ch - '0');
    if (value > 1e18) break;  // far above the cap already
  }
  return value;
}

expires_in_field read_expires_in(const boost::json::object& object) {
  const auto* value = object.if_contains("expires_in");
  if (!value || value->is_null()) return {};
  if (value->is_int64()) return from_seconds(static_cast<double>(value->get_int64()));
  if (value->is_uint64()) return from_seconds(static_cast<double>(value->get_uint64()));
  if (value->is_double()) return from_seconds(value->get_double());
  if (value->is_string()) {
    const auto& text = value->get_string();
    if (trim({text.data(), text.size()}).empty()) return {};  // "expires_in=" in a form: omitted (RFC 6749 3.2)
    if (auto number = numeric_string({text.data(), text.size()})) return from_seconds(*number);
  }
  return {false, std::nullopt};
}

// Checks token_type: nullopt when it means Bearer (token_type then holds the
// received spelling, or keeps "Bearer" when absent), else the error to report.
std::optional<failure> check_token_type(const boost::json::object& object, std::string& token_type) {
  const auto* value = object.if_contains("token_type");
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    return failure{make_error_code(input_error::unsupported_token_type),
                   "token_type is not a string; only Bearer tokens can be used"};
  }
  const std::string_view text{value->get_string().data(), value->get_string().size()};
  if (text.empty()) return std::nullopt;
  if (!iequals(text, "bearer")) {
    // RFC 6749 7.1: a client must not use a token type it does not understand.
    // Cut on a character boundary: the message goes into JSON error events, which must stay UTF-8.
    std::string shown(utf8_prefix(text, 40));
    for (char& ch : shown) {
      if (static_cast<unsigned char>(ch) < 0x20) ch = '?';
    }
    return failure{make_error_code(input_error::unsupported_token_type),
                   "token_type '" + shown + (text.size() > 40 ? "..." : "") +
                       "' is not supported; only Bearer tokens can be used"};
  }
  token_type = std::string(text);
  return std::nullopt;
}

// Time arithmetic is done in whole seconds since the epoch (int64 holds every
// year 0000-9999); the result must then fit clock::time_point (nanoseconds in
// libstdc++, about 1678-2262).
constexpr std::int64_t seconds_limit =
    std::chrono::duration_cast<seconds>(clock::duration::max()).count() - 1;

class text_cursor {
 public:
  explicit text_cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  bool number(std::size_t digits, int& out) {
    if (text_.size() - pos_ < digits) return false;
    out = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const char ch = text_[pos_ + k];
      if (ch < '0' || ch > '9') return false;
      out = out * 10 + (ch - '0');
    }
    pos_ += digits;
    return true;
  }
  bool eat(char expected) { return eat_any(std::string_view(&expected, 1)); }
  bool eat_any(std::string_view choices) {
    if (done() || choices.find(text_[pos_]) == std::string_view::npos) return false;
    last_ = text_[pos_++];
    return true;
  }
  char last() const { return last_; }
  // Fractional seconds in nanoseconds; digits after the ninth are ignored.
  bool fraction(std::int64_t& nanos) {
    nanos = 0;
    std::size_t count = 0;
    while (!done() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (count < 9) nanos = nanos * 10 + (text_[pos_] - '0');
      ++count;
      ++pos_;
    }
    for (std::size_t k = count; k < 9; ++k) nanos *= 10;
    return count > 0;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  char last_ = 0;
};

}  // namespace

token_error_details parse_token_error(std::string_view content_type, std::string_view body) {
  const auto object = body_object(content_type, body);
  if (!object) return {};
  return {bounded_detail(string_field(*object, "error")), bounded_detail(string_field(*object, "error_description"))};
}

result<token> parse_token_response(std::string_view content_type, std::string_view body, clock::time_point sent_at) {
  auto object = body_object(content_type, body);
  if (!object) return response_error("token response is not a valid JSON object");

  token t;
  const auto access_token = string_field(*object, "access_token");
  if (access_token.empty()) return response_error("token response has no access_token");
  t.access_token = std::string(access_token);
  if (auto bad_type = check_token_type(*object, t.token_type)) return std::move(*bad_type);

  const auto expires_in = read_expires_in(*object);
  if (!expires_in.valid) {
    return response_error("token response has an invalid expires_in (expected a non-negative number of seconds)");
  }
  t.lifetime = expires_in.lifetime;
  if (t.lifetime) t.expires_at = sent_at + *t.lifetime;
  t.raw = std::move(*object);
  return t;
}

std::string stored_tokens_json(const token& t) {
  boost::json::object out;
  // Fields the reader needs come first when the response did not carry them.
  if (!t.raw.contains("access_token")) out["access_token"] = t.access_token;
  if (!t.raw.contains("token_type")) out["token_type"] = t.token_type;
  for (const auto& field : t.raw) {
    if (field.key() == "tokenExpiryTime") continue;
    if (field.key() == "access_token") {
      out["access_token"] = t.access_token;
    } else {
      out[field.key()] = field.value();
    }
  }
  if (!t.raw.contains("expires_in") && t.lifetime) out["expires_in"] = t.lifetime->count();
  if (t.expires_at) out["tokenExpiryTime"] = format_iso8601(*t.expires_at);
  return write_json(out);
}

std::optional<token> parse_stored_tokens(std::string_view tokens_field) {
  tokens_field = trim(tokens_field);
  if (tokens_field.empty()) return std::nullopt;
  auto object = parse_json_object(tokens_field);
  if (!object) return std::nullopt;

  token t;
  const auto access_token = string_field(*object, "access_token");
  if (access_token.empty()) return std::nullopt;
  t.access_token = std::string(access_token);
  if (check_token_type(*object, t.token_type)) return std::nullopt;

  // A stored expires_in that cannot be read only loses the margin cap.
  t.lifetime = read_expires_in(*object).lifetime;
  if (const auto* expiry = object->if_contains("tokenExpiryTime"); expiry && !expiry->is_null()) {
    if (!expiry->is_string()) return std::nullopt;
    t.expires_at = parse_iso8601({expiry->get_string().data(), expiry->get_string().size()});
    if (!t.expires_at) return std::nullopt;
    // At the precision stored_tokens_json writes, so that writing it back changes nothing.
    t.expires_at = std::chrono::floor<std::chrono::milliseconds>(*t.expires_at);
  } else if (t.lifetime) {
    return std::nullopt;  // it expires, but nobody wrote down when
  }

  // Rebuilt rather than erased: Boost.JSON's object::erase reorders fields.
  for (const auto& field : *object) {
    if (field.key() != "tokenExpiryTime") t.raw[field.key()] = field.value();
  }
  return t;
}

std::optional<clock::time_point> refresh_at(const token& t) {
  if (!t.expires_at) return std::nullopt;
  clock::duration margin = refresh_margin;
  if (t.lifetime) margin = std::min(margin, clock::duration(*t.lifetime) / 2);
  return *t.expires_at - margin;
}

bool is_fresh(const token& t, clock::time_point now) {
  if (t.access_token.empty()) return false;
  const auto renew = refresh_at(t);
  return !renew || now < *renew;
}

std::string format_iso8601(clock::time_point tp) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(tp);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buffer;
}

std::optional<clock::time_point> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  text_cursor in(trim(text));
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!(in.number(4, y) && in.eat('-') && in.number(2, mo) && in.eat('-') && in.number(2, d) && in.eat_any("Tt ") &&
        in.number(2, h) && in.eat(':') && in.number(2, mi) && in.eat(':') && in.number(2, s))) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  if (in.eat_any(".,") && !in.fraction(nanos)) return std::nullopt;

  int offset_minutes = 0;
  if (in.eat_any("Zz")) {
    // UTC
  } else if (in.eat_any("+-")) {
    const int sign = in.last() == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!in.number(2, oh)) return std::nullopt;
    in.eat(':');
    if (!in.number(2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;  // no zone: a local time we cannot place
  }
  if (!in.done()) return std::nullopt;

  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;  // 60: a leap second
  const std::int64_t epoch_seconds = sys_days{ymd}.time_since_epoch().count() * std::int64_t{86400} +
                                     std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + s -
                                     std::int64_t{offset_minutes} * 60;
  if (epoch_seconds >= seconds_limit || epoch_seconds <= -seconds_limit) return std::nullopt;
  return clock::time_point(duration_cast<clock::duration>(seconds{epoch_seconds}) +
                           duration_cast<clock::duration>(nanoseconds{nanos}));
}

}  // namespace oauth2_rest::oauth2
