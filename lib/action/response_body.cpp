// Response body decoding (content type, charset, base64) and response headers as JSON.
#include "action/response_body.hpp"

#include "action/detail/text.hpp"
#include "util/base64.hpp"
#include "util/json_read.hpp"


#include <array>
#include <cmath>
#include <cstdint>

namespace oauth2_rest::action {
namespace {

enum class body_kind { json, text, binary, unknown };
enum class encoding { utf8, windows_1252, utf16le, utf16be };

constexpr std::uint32_t replacement = 0xFFFD;

void append_code_point(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Copies UTF-8 and replaces each maximal invalid subpart (Unicode 15, 3.9,
// "U+FFFD substitution of maximal subparts", as WHATWG decoders do) with
// U+FFFD: overlongs, surrogates and code points above U+10FFFF are invalid.
// Returns whether the input was already valid.
bool append_sanitized_utf8(std::string_view in, std::string& out) {
  bool valid = true;
  out.reserve(out.size() + in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    int need = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) need = 1;
    else if (b == 0xE0) { need = 2; lo = 0xA0; }
    else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) need = 2;
    else if (b == 0xED) { need = 2; hi = 0x9F; }   // no surrogates
    else if (b == 0xF0) { need = 3; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) need = 3;
    else if (b == 0xF4) { need = 3; hi = 0x8F; }   // nothing above U+10FFFF
    std::size_t j = i + 1;
    int got = 0;
    while (got < need && j < in.size()) {
      auto c = static_cast<unsigned char>(in[j]);
      bool ok = got == 0 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
      if (!ok) break;
      ++j;
      ++got;
    }
    if (need != 0 && got == need) {
      out.append(in.substr(i, j - i));
    } else {
      valid = false;
      append_code_point(out, replacement);
    }
    i = j;
  }
  return valid;
}

bool is_ascii(std::string_view in) {
  unsigned char any = 0;
  for (char c : in) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

bool is_valid_utf8(std::string_view in) {
  if (is_ascii(in)) return true;
  std::string scratch;
  return append_sanitized_utf8(in, scratch);
}

// ASCII lower case of short text without a heap allocation (header names,
// media types); longer text goes to a string.
class lowered {
 public:
  explicit lowered(std::string_view s) {
    char* dst = buf_.data();
    if (s.size() > buf_.size()) {
      long_.resize(s.size());
      dst = long_.data();
    }
    for (std::size_t i = 0; i < s.size(); ++i) dst[i] = detail::to_lower(s[i]);
    view_ = std::string_view(dst, s.size());
  }
  lowered(const lowered&) = delete;
  lowered& operator=(const lowered&) = delete;
  std::string_view view() const { return view_; }

 private:
  std::array<char, 64> buf_;
  std::string long_;
  std::string_view view_;
};

// windows-1252 0x80-0x9F; the five unassigned bytes map to the C1 control of
// the same number, as in the WHATWG index.
constexpr std::array<std::uint16_t, 32> windows_1252_high{
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string decode_windows_1252(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  for (char ch : in) {
    auto b = static_cast<unsigned char>(ch);
    if (b >= 0x80 && b <= 0x9F) append_code_point(out, windows_1252_high[b - 0x80]);
    else append_code_point(out, b);
  }
  return out;
}

std::string decode_utf16(std::string_view in, bool little_endian) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  auto unit = [&](std::size_t k) -> std::uint32_t {
    auto a = static_cast<unsigned char>(in[k]);
    auto b = static_cast<unsigned char>(in[k + 1]);
    return little_endian ? (b << 8 | a) : (a << 8 | b);
  };
  std::size_t i = 0;
  for (; i + 1 < in.size(); i += 2) {
    std::uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 < in.size()) {
        std::uint32_t low = unit(i + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          append_code_point(out, 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
          i += 2;
          continue;
        }
      }
      append_code_point(out, replacement);  // unpaired high surrogate
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      append_code_point(out, replacement);  // unpaired low surrogate
    } else {
      append_code_point(out, u);
    }
  }
  if (i < in.size()) append_code_point(out, replacement);  // odd trailing byte
  return out;
}

encoding encoding_of(std::string_view label, bool& utf16_unspecified) {
  std::string l = detail::to_lower(detail::trim(label));
  utf16_unspecified = false;
  if (l == "utf-16le" || l == "utf16le" || l == "unicode" || l == "ucs-2")
    return encoding::utf16le;
  if (l == "utf-16be" || l == "utf16be" || l == "unicodefffe") return encoding::utf16be;
  if (l == "utf-16" || l == "utf16") {
    utf16_unspecified = true;
    return encoding::utf16le;
  }
  static constexpr std::string_view latin[] = {
      "us-ascii",   "ascii",        "ansi_x3.4-1968", "iso-8859-1",    "iso8859-1", "iso_8859-1",
      "iso88591",   "iso_8859-1:1987", "latin1",      "latin-1",       "l1",        "cp819",
      "ibm819",     "csisolatin1",  "windows-1252",   "cp1252",        "x-cp1252"};
  for (auto name : latin)
    if (l == name) return encoding::windows_1252;
  return encoding::utf8;  // utf-8 and anything we do not know
}

// The charset parameter of a content type whose media type ends at `semi`: as
// written, unquoted, a view of the header; empty when absent.
std::string_view charset_parameter(std::string_view content_type, std::size_t semi) {
  std::string_view charset;
  while (semi != std::string_view::npos) {
    content_type.remove_prefix(semi + 1);
    semi = content_type.find(';');
    std::string_view param = content_type.substr(0, semi);
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!detail::iequals(detail::trim(param.substr(0, eq)), "charset")) continue;
    std::string_view value = detail::trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    charset = detail::trim(value);
  }
  return charset;
}

bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }
bool starts_with(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }

body_kind kind_of(std::string_view media) {
  if (media.empty()) return body_kind::unknown;
  if (media == "application/json" || media == "text/json" || ends_with(media, "+json"))
    return body_kind::json;
  if (starts_with(media, "text/") || ends_with(media, "+xml")) return body_kind::text;
  static constexpr std::string_view text_types[] = {
      "application/xml",         "application/javascript", "application/x-javascript",
      "application/ecmascript",  "application/x-www-form-urlencoded", "application/yaml",
      "application/x-yaml",      "application/x-ndjson",   "application/ndjson",
      "application/jsonl",       "application/graphql",    "application/sql",
      "application/x-sh",        "application/csv",        "application/rtf"};
  for (auto t : text_types)
    if (media == t) return body_kind::text;
  for (auto prefix : {"image/", "audio/", "video/", "font/", "model/"})
    if (starts_with(media, prefix)) return body_kind::binary;
  static constexpr std::string_view binary_types[] = {
      "application/octet-stream", "application/pdf",       "application/zip",
      "application/gzip",         "application/x-gzip",    "application/x-tar",
      "application/x-7z-compressed", "application/x-rar-compressed", "application/vnd.rar",
      "application/x-bzip2",      "application/java-archive", "application/wasm",
      "application/msword",       "application/x-protobuf", "application/protobuf",
      "application/x-msdownload", "application/vnd.android.package-archive",
      "application/x-shockwave-flash"};
  for (auto t : binary_types)
    if (media == t) return body_kind::binary;
  for (auto prefix : {"application/vnd.ms-", "application/vnd.openxmlformats-",
                      "application/vnd.oasis.opendocument."})
    if (starts_with(media, prefix)) return body_kind::binary;
  return body_kind::unknown;
}

// As Node's JSON.parse reads it (util/json_read.hpp): deep nesting and lone surrogates too,
// so what Node takes as JSON never becomes a string body here.
bool try_parse_json(std::string_view text, boost::json::value& out) {
  boost::system::error_code ec;
  boost::json::value v = read_json(text, ec);
  if (ec) return false;
  out = std::move(v);
  return true;
}

bool starts_with_bom(std::string_view b) {
  return b.starts_with("\xEF\xBB\xBF") || b.starts_with("\xFF\xFE") || b.starts_with("\xFE\xFF");
}

// Whether to_utf8(body, charset) would return the body unchanged: UTF-8 (by
// label), no byte order mark, nothing to replace.
bool already_utf8(std::string_view body, std::string_view charset) {
  bool utf16_unspecified = false;
  return !starts_with_bom(body) && encoding_of(charset, utf16_unspecified) == encoding::utf8 &&
         is_valid_utf8(body);
}

decoded_body as_text_or_json(std::string_view body, std::string_view charset, bool want_json) {
  std::string converted;
  std::string_view text = body;  // no copy for the usual UTF-8 body
  if (!already_utf8(body, charset)) {
    converted = to_utf8(body, charset);
    text = converted;
  }
  if (want_json) {
    boost::json::value parsed;
    if (try_parse_json(text, parsed)) return {std::move(parsed), false};
  }
  return {boost::json::value(boost::json::string(text)), false};
}

// Appends one header to the output object: name lower-cased, name and value
// with invalid UTF-8 replaced; a repeated name makes an array of its values.
void add_header(boost::json::object& out, std::string_view name, std::string_view value) {
  std::string sanitized_name;
  std::string sanitized_value;
  // ASCII (the usual case) needs no replacement: lower-cased in place, value used as it is.
  const lowered lower_name(name);
  std::string_view key = lower_name.view();
  if (!is_ascii(key)) {
    append_sanitized_utf8(key, sanitized_name);
    key = sanitized_name;
  }
  std::string_view text = value;
  if (!is_ascii(text)) {
    append_sanitized_utf8(value, sanitized_value);
    text = sanitized_value;
  }
  auto [it, inserted] = out.emplace(key, text);
  if (inserted) return;
  if (auto* existing = it->value().if_array()) {
    existing->emplace_back(text);
  } else {
    boost::json::array values;
    values.reserve(2);
    values.emplace_back(std::move(it->value()));
    values.emplace_back(text);
    it->value() = std::move(values);
  }
}

}  // namespace

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  bool utf16_unspecified = false;
  encoding enc = encoding_of(charset, utf16_unspecified);
  // A byte order mark decides the encoding whatever the label says (WHATWG "decode").
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    enc = encoding::utf8;
    bytes.remove_prefix(3);
  } else if (bytes.starts_with("\xFF\xFE")) {
    enc = encoding::utf16le;
    bytes.remove_prefix(2);
  } else if (bytes.starts_with("\xFE\xFF")) {
    enc = encoding::utf16be;
    bytes.remove_prefix(2);
  }
  switch (enc) {
    case encoding::windows_1252:
      return decode_windows_1252(bytes);
    case encoding::utf16le:
      return decode_utf16(bytes, true);
    case encoding::utf16be:
      return decode_utf16(bytes, false);
    case encoding::utf8:
      break;
  }
  std::string out;
  append_sanitized_utf8(bytes, out);
  return out;
}

decoded_body decode_response_body(std::string_view content_type, std::string_view body) {
  if (body.empty()) return {boost::json::value(boost::json::object()), false};
  const std::size_t semi = content_type.find(';');
  const lowered media(detail::trim(content_type.substr(0, semi)));  // lower case, no parameters
  const std::string_view charset = charset_parameter(content_type, semi);
  switch (kind_of(media.view())) {
    case body_kind::json:
      return as_text_or_json(body, charset, true);
    case body_kind::text:
      return as_text_or_json(body, charset, false);
    case body_kind::binary:
      return {boost::json::value(boost::json::string(base64_encode(body))), true};
    case body_kind::unknown:
      break;
  }
  // A declared charset says the bytes are text; otherwise look at them.
  if (!charset.empty()) return as_text_or_json(body, charset, false);
  if (starts_with_bom(body) || is_valid_utf8(body)) return as_text_or_json(body, "", true);
  return {boost::json::value(boost::json::string(base64_encode(body))), true};
}

boost::json::object response_headers_json(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  boost::json::object out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) add_header(out, name, value);
  return out;
}

boost::json::object response_headers_json_of(std::span<const header_view> headers) {
  boost::json::object out;
  out.reserve(headers.size());
  for (const auto& h : headers) add_header(out, h.name, h.value);
  return out;
}

}  // namespace oauth2_rest::action
