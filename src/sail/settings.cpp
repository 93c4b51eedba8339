// Reads the platform worker's environment into sail::settings (protocol doc section 2).
#include "sail/settings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace oauth2_rest::sail {
namespace {

constexpr std::string_view prefix = "ELASTICIO_";

// Collects every problem so that one start-up attempt reports them all.
class reader {
 public:
  explicit reader(const env_lookup& env) : env_(env) {}

  // The value, or nullopt when unset. Empty values are returned as "".
  std::optional<std::string> raw(const std::string& name) const {
    const char* v = env_(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }

  std::string required(const std::string& name) {
    auto v = raw(name);
    if (!v || v->empty()) {
      problems_.push_back(name + " is missing");
      return {};
    }
    return *v;
  }

  std::string optional_string(const std::string& name) const { return raw(name).value_or(""); }

  // Node's rule: unset -> default; "" or "false" -> false; anything else -> true.
  bool boolean(const std::string& name, bool fallback) const {
    auto v = raw(name);
    if (!v) return fallback;
    return !(v->empty() || *v == "false");
  }

  // A decimal integer in [min, max]; unset or empty -> fallback. Node would
  // silently use the default for garbage or 0 (parseInt(v) || default); we
  // stop instead, since a mistyped limit is a configuration error.
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
    auto v = raw(name);
    if (!v || v->empty()) return fallback;
    std::int64_t parsed = 0;
    const char* first = v->data();
    const char* last = v->data() + v->size();
    auto [end, ec] = std::from_chars(first, last, parsed);
    if (ec != std::errc{} || end != last || parsed < min || parsed > max) {
      problems_.push_back(name + " must be an integer from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got \"" + *v + "\"");
      return fallback;
    }
    return parsed;
  }

  // A duration or size that needs only a ceiling: a decimal integer of at least `min`; larger
  // values, even past int64, count as `ceiling` (a huge value means "as long as possible"; it
  // must not overflow into "now" where milliseconds become nanoseconds or a delay is shifted).
  // Unset or empty -> fallback. `ceiling` must stay below int64 max / 10.
  std::int64_t capped(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t ceiling) {
    auto v = raw(name);
    if (!v || v->empty()) return fallback;
    const bool digits = v->find_first_not_of("0123456789") == std::string::npos;
    std::int64_t value = 0;
    if (digits)
      for (char c : *v) value = std::min(ceiling, value * 10 + (c - '0'));
    if (!digits || value < min) {
      problems_.push_back(name + " must be an integer of at least " + std::to_string(min) + " (values above " +
                          std::to_string(ceiling) + " count as " + std::to_string(ceiling) + "), got \"" + *v +
                          "\"");
      return fallback;
    }
    return value;
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const env_lookup& env_;
  std::vector<std::string> problems_;
};

std::string name_of(std::string_view suffix) { return std::string(prefix) + std::string(suffix); }

// The ceiling of every millisecond setting: a day is longer than any sane drain, retry delay or
// backoff, and far from overflow (24 h = 8.64e7 ms; in nanoseconds 8.64e13; shifted by the
// publish backoff's 20 doublings, 9.1e13 ms; int64 holds 9.2e18).
constexpr std::int64_t max_duration_ms = 24LL * 60 * 60 * 1000;
// RabbitMQ's largest per-message TTL (the expiration property): 2^32 - 1 ms. A larger rebound
// expiration is refused by the broker (406 PRECONDITION_FAILED).
constexpr std::int64_t max_expiration_ms = 4294967295LL;
// RabbitMQ's hard maximum message size (max_message_size cannot be set higher): 512 MiB.
constexpr std::int64_t max_message_bytes = 512LL << 20;
// A 10 MiB message (the platform's message size limit) grows by AES-CBC padding (at most 16
// bytes) and base64 (4/3) to 13,981,036 bytes; 16 MiB leaves about 20 % for error records and
// rebounds, which carry the input and are not size-checked by the reference runtime.
constexpr std::int64_t default_max_incoming_message_bytes = 16LL << 20;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_upper(c) || is_lower(c) || is_digit(c); }

// lodash's ordinal words ("1ST", "22ND", "4th"): a digit run whose last digit
// and the two letters after it spell an ordinal, in one case, and that is not
// followed by a letter of the same case or a digit. Returns its length or 0.
std::size_t ordinal_length(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_digit(s[j])) ++j;
  if (j + 2 > s.size()) return 0;
  char d = s[j - 1];
  std::string suffix{s.substr(j, 2)};
  bool upper = is_upper(suffix[0]) && is_upper(suffix[1]);
  bool lower = is_lower(suffix[0]) && is_lower(suffix[1]);
  if (!upper && !lower) return 0;
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool ok = (d == '1' && suffix == "ST") || (d == '2' && suffix == "ND") ||
            (d == '3' && suffix == "RD") || (d != '1' && d != '2' && d != '3' && suffix == "TH");
  if (!ok) return 0;
  std::size_t end = j + 2;
  if (end < s.size()) {
    char next = s[end];
    if (is_digit(next) || (upper && is_upper(next)) || (lower && is_lower(next))) return 0;
  }
  return end - i;
}

// Splits like lodash's _.words for ASCII text: runs of letters and digits,
// broken at any other character, between letters and digits, before an
// upper-case letter that starts a lower-case run ("ABCdef" -> "AB", "Cdef").
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (!is_alnum(c)) {
      ++i;
      continue;
    }
    std::size_t j = i;
    if (is_digit(c)) {
      if (std::size_t n = ordinal_length(s, i)) {
        j = i + n;
      } else {
        while (j < s.size() && is_digit(s[j])) ++j;
      }
    } else if (is_lower(c) || (i + 1 < s.size() && is_lower(s[i + 1]))) {
      j = i + 1;
      while (j < s.size() && is_lower(s[j])) ++j;
    } else {
      while (j < s.size() && is_upper(s[j])) ++j;
      // "ABCdef": the last capital begins the next word.
      if (j < s.size() && is_lower(s[j]) && j - i >= 2) --j;
    }
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// The section 13 context keys (the reference logs exactly these when set).
constexpr std::array<std::string_view, 16> log_context_names = {
    "ELASTICIO_API_USERNAME",   "ELASTICIO_COMP_ID",          "ELASTICIO_COMP_NAME",
    "ELASTICIO_CONTAINER_ID",   "ELASTICIO_CONTRACT_ID",      "ELASTICIO_EXEC_ID",
    "ELASTICIO_EXEC_TYPE",      "ELASTICIO_EXECUTION_RESULT_ID", "ELASTICIO_FLOW_ID",
    "ELASTICIO_FLOW_VERSION",   "ELASTICIO_FUNCTION",         "ELASTICIO_STEP_ID",
    "ELASTICIO_TASK_USER_EMAIL", "ELASTICIO_TENANT_ID",       "ELASTICIO_USER_ID",
    "ELASTICIO_WORKSPACE_ID"};

std::string trim(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// REQUEST_MAX_RETRY and REQUEST_TIMEOUT as the maester client reads them (src/utils.ts):
// parseInt(v, 10) || default, then a value outside [min, max] is the default. These names carry
// no ELASTICIO_ prefix and may mean something else to other programs, so unlike ours they never
// stop the worker: anything unusable is the default, as in Node.
std::int64_t maester_number(const std::optional<std::string>& v, std::int64_t fallback, std::int64_t min,
                            std::int64_t max) {
  if (!v) return fallback;
  std::string_view text = *v;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc{} || parsed == 0 || parsed < min || parsed > max) return fallback;
  return parsed;
}

}  // namespace

std::string camel_case(std::string_view name) {
  std::string out;
  bool first = true;
  for (auto w : words(name)) {
    for (std::size_t k = 0; k < w.size(); ++k) {
      auto c = static_cast<unsigned char>(w[k]);
      out.push_back(static_cast<char>(!first && k == 0 ? std::toupper(c) : std::tolower(c)));
    }
    first = false;
  }
  return out;
}

settings load_settings(const env_lookup& env) {
  reader r(env);
  settings s;

  // Same order as Node's list, so the messages read the same way.
  s.flow_id = r.required(name_of("FLOW_ID"));
  s.exec_id = r.required(name_of("EXEC_ID"));
  s.step_id = r.required(name_of("STEP_ID"));
  s.container_id = r.required(name_of("CONTAINER_ID"));
  s.workspace_id = r.required(name_of("WORKSPACE_ID"));
  s.user_id = r.required(name_of("USER_ID"));
  s.comp_id = r.required(name_of("COMP_ID"));
  s.function = r.required(name_of("FUNCTION"));
  s.api_uri = r.required(name_of("API_URI"));
  while (!s.api_uri.empty() && s.api_uri.back() == '/') s.api_uri.pop_back();
  s.api_username = r.required(name_of("API_USERNAME"));
  s.api_key = r.required(name_of("API_KEY"));

  s.hook_shutdown = r.boolean(name_of("HOOK_SHUTDOWN"), false);
  // Node relaxes this check on the raw value (any non-empty string, even
  // "false") but then runs message mode for "false", failing later and less
  // clearly. We relax it only when the shutdown hook is what will run.
  using read_fn = std::string (*)(reader&, const std::string&);
  read_fn messaging = s.hook_shutdown
                          ? +[](reader& rd, const std::string& n) { return rd.optional_string(n); }
                          : +[](reader& rd, const std::string& n) { return rd.required(n); };
  s.amqp_uri = messaging(r, name_of("AMQP_URI"));
  s.listen_messages_on = messaging(r, name_of("LISTEN_MESSAGES_ON"));
  s.publish_messages_to = messaging(r, name_of("PUBLISH_MESSAGES_TO"));
  s.data_routing_key = messaging(r, name_of("DATA_ROUTING_KEY"));
  s.error_routing_key = messaging(r, name_of("ERROR_ROUTING_KEY"));
  s.rebound_routing_key = messaging(r, name_of("REBOUND_ROUTING_KEY"));
  s.snapshot_routing_key = messaging(r, name_of("SNAPSHOT_ROUTING_KEY"));
  s.message_crypto_iv = messaging(r, name_of("MESSAGE_CRYPTO_IV"));
  s.message_crypto_password = messaging(r, name_of("MESSAGE_CRYPTO_PASSWORD"));
  // AES-CBC takes the IV string's bytes as is: anything but 16 would make
  // every message fail (Node throws "Invalid IV length" on the first one).
  if (!s.message_crypto_iv.empty() && s.message_crypto_iv.size() != 16) {
    r.problem(name_of("MESSAGE_CRYPTO_IV") + " must be exactly 16 bytes, got " +
              std::to_string(s.message_crypto_iv.size()));
  }

  constexpr auto int_max = std::numeric_limits<int>::max();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  s.prefetch = static_cast<int>(r.integer(name_of("RABBITMQ_PREFETCH_SAILOR"), 1, 1, 65535));
  s.rebound_limit = static_cast<int>(r.integer(name_of("REBOUND_LIMIT"), 20, 1, int_max));
  s.rebound_initial_expiration_ms =
      r.capped(name_of("REBOUND_INITIAL_EXPIRATION"), 15000, 1, max_expiration_ms);
  s.startup_required = r.boolean(name_of("STARTUP_REQUIRED"), false);
  s.no_self_passthrough = r.boolean(name_of("NO_SELF_PASSTRHOUGH"), false);
  s.protocol_version = static_cast<int>(r.integer(name_of("PROTOCOL_VERSION"), 1, 1, 2));

  // Node treats every value but "error" as the default format; a typo there
  // would make an error handler misread every record, so we refuse it.
  if (auto f = r.raw(name_of("INPUT_FORMAT")); f && !f->empty()) {
    if (*f == "default") {
      s.input_format = input_format::standard;
    } else if (*f == "error") {
      s.input_format = input_format::error_record;
    } else {
      r.problem(name_of("INPUT_FORMAT") + " must be \"default\" or \"error\", got \"" + *f + "\"");
    }
  }

  s.no_error_replies = r.boolean(name_of("NO_ERROR_REPLIES"), false);
  s.outgoing_message_size_limit = static_cast<std::size_t>(
      r.integer(name_of("OUTGOING_MESSAGE_SIZE_LIMIT"), 10485760, 1, i64_max));
  s.amqp_persistent_messages = r.boolean(name_of("AMQP_PERSISTENT_MESSAGES"), false);
  // Node's default is Infinity; "Infinity" itself is accepted for symmetry.
  if (auto a = r.raw(name_of("AMQP_PUBLISH_RETRY_ATTEMPTS")); a && !a->empty() && *a != "Infinity") {
    s.amqp_publish_retry_attempts = r.integer(name_of("AMQP_PUBLISH_RETRY_ATTEMPTS"), 0, 1, i64_max);
  }
  s.amqp_publish_retry_delay_ms = r.capped(name_of("AMQP_PUBLISH_RETRY_DELAY"), 100, 1, max_duration_ms);
  s.amqp_publish_max_retry_delay_ms =
      r.capped(name_of("AMQP_PUBLISH_MAX_RETRY_DELAY"), 300000, 1, max_duration_ms);
  s.api_request_retry_attempts =
      static_cast<int>(r.integer(name_of("API_REQUEST_RETRY_ATTEMPTS"), 3, 1, int_max));
  s.api_request_retry_delay_ms = r.capped(name_of("API_REQUEST_RETRY_DELAY"), 100, 1, max_duration_ms);
  if (auto v = r.raw(name_of("OBJECT_STORAGE_URI")); v && !v->empty()) s.object_storage_uri = *v;
  if (auto v = r.raw(name_of("OBJECT_STORAGE_TOKEN")); v && !v->empty()) s.object_storage_token = *v;
  s.emit_lightweight_message = r.boolean(name_of("EMIT_LIGHTWEIGHT_MESSAGE"), false);
  s.object_storage_size_threshold = static_cast<std::size_t>(
      r.integer(name_of("OBJECT_STORAGE_SIZE_THRESHOLD"), 1048576, 1, i64_max));
  s.object_storage_retries = static_cast<int>(maester_number(r.raw("REQUEST_MAX_RETRY"), 2, 0, 4));
  s.object_storage_timeout_ms = maester_number(r.raw("REQUEST_TIMEOUT"), 10000, 500, 20000);

  // Node: split on ',', trim, drop a leading ELASTICIO_, camelCase; the value
  // is the variable's own value (unset -> not sent).
  if (auto list = r.raw(name_of("ADDITIONAL_VARS_FOR_HEADERS")); list && !list->empty()) {
    std::string_view rest = *list;
    while (true) {
      auto comma = rest.find(',');
      std::string var = trim(rest.substr(0, comma));
      if (!var.empty()) {
        std::string_view key = var;
        if (key.starts_with(prefix)) key.remove_prefix(prefix.size());
        if (auto value = r.raw(var)) {
          std::string header = camel_case(key);
          auto same = [&](const auto& p) { return p.first == header; };
          // A later duplicate replaces the earlier value in place (JS object semantics).
          if (auto it = std::find_if(s.additional_headers.begin(), s.additional_headers.end(), same);
              it != s.additional_headers.end()) {
            it->second = *value;
          } else {
            s.additional_headers.emplace_back(std::move(header), *value);
          }
        }
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }

  if (auto l = r.raw("LOG_LEVEL"); l && !l->empty()) {
    if (auto parsed = log::parse_level(*l)) {
      s.log_level = *parsed;
    } else {
      r.problem("LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got \"" + *l + "\"");
    }
  }

  s.drain_timeout_ms = r.capped("OAUTH2_REST_DRAIN_TIMEOUT_MS", 30000, 1, max_duration_ms);
  // Seconds, bounded by the protocol's 16-bit field (at most about 18 h): no cap needed.
  s.amqp_heartbeat_seconds = static_cast<int>(r.integer("OAUTH2_REST_AMQP_HEARTBEAT", 60, 0, 65535));
  s.max_incoming_message_bytes = static_cast<std::size_t>(r.capped(
      "OAUTH2_REST_MAX_INCOMING_MESSAGE_BYTES", default_max_incoming_message_bytes, 1, max_message_bytes));

  for (auto name : log_context_names) {
    if (auto v = r.raw(std::string(name)); v && !v->empty()) s.log_context[name] = *v;
  }
  if (!s.flow_id.empty()) s.log_context["tag"] = s.flow_id;

  if (!r.problems().empty()) {
    std::string text;
    for (const auto& p : r.problems()) {
      if (!text.empty()) text += '\n';
      text += p;
    }
    throw std::runtime_error(text);
  }
  return s;
}

}  // namespace oauth2_rest::sail
