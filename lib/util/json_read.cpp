// JSON text read as Node's JSON.parse reads it (see json_read.hpp).
#include "util/json_read.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

// Boost.JSON's own value-building handler (detail::handler in parser.ipp), except for doubles.
class node_handler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  // Only a number cut by the end of a buffer comes in parts; the whole text is one buffer here,
  // but keep the parts so a double is never converted from half its digits.
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view tail, json::error_code&) {
    std::string_view text(tail.data(), tail.size());
    if (!number_.empty()) {
      number_.append(tail.data(), tail.size());
      text = number_;
    }
    double d = 0;
    // The grammar was checked by the parser; from_chars does not take a leading '+' (never in
    // JSON) and does take the '-'.
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Beyond a double: Boost's approximation says which way. Node holds +-Infinity, written
      // as null; a tiny number is a zero of the right sign.
      if (std::fabs(approximate) >= 1.0) {
        number_.clear();
        st.push_null();
        return true;
      }
      d = text.front() == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc{} || end != text.data() + text.size()) {
      d = approximate;  // not expected for text the parser accepted; keep Boost's reading
    }
    number_.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  void reset() { number_.clear(); }

 private:
  std::string number_;
};

json::parse_options node_options() {
  json::parse_options options;
  options.max_depth = json_max_depth;
  return options;
}

// One per thread: the parser's and value stack's working memory is kept between documents.
struct thread_reader {
  json::basic_parser<node_handler> parser{node_options()};
  std::string rewritten;  // the text with lone surrogate escapes replaced, when it had one
};

thread_reader& reader() {
  thread_local thread_reader r;
  return r;
}

// Large buffers are not kept for the thread's lifetime.
constexpr std::size_t kept_buffer_capacity = 1 << 20;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the "\uXXXX" escape at p (p[0] == '\\'), or -1 when there is none.
long escape_at(const char* p, const char* end) {
  if (end - p < 6 || p[1] != 'u') return -1;
  long u = 0;
  for (int i = 2; i < 6; ++i) {
    const int h = hex_digit(p[i]);
    if (h < 0) return -1;
    u = u << 4 | h;
  }
  return u;
}

// The offset of the first lone surrogate escape at or after `from`, or npos. Every backslash
// in JSON text starts an escape inside a string (outside one the text is not JSON, and the
// parser says so either way), so walking from escape to escape never mistakes the second
// character of "\\" for the start of one.
std::size_t find_lone_surrogate(std::string_view text, std::size_t from) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin + from;
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (p == nullptr) return std::string_view::npos;
    const long u = escape_at(p, end);
    if (u < 0xD800 || u > 0xDFFF) {
      p += u < 0 ? 2 : 6;  // another escape, or a malformed one the parser will report
      continue;
    }
    if (u <= 0xDBFF && p + 6 < end && p[6] == '\\') {
      const long low = escape_at(p + 6, end);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        p += 12;  // a pair: one character
        continue;
      }
    }
    return static_cast<std::size_t>(p - begin);
  }
  return std::string_view::npos;
}

// Runs the parser on text without lone surrogates.
json::value parse(thread_reader& r, std::string_view text, boost::system::error_code& ec) {
  auto& p = r.parser;
  p.reset();
  p.handler().reset();
  p.handler().st.reset();
  ec = {};
  json::error_code jec;
  const std::size_t n = p.write_some(false, text.data(), text.size(), jec);
  if (!jec && n < text.size()) {
    jec = json::error::extra_data;
    p.fail(jec);
  }
  if (jec || !p.done()) {
    ec = jec ? jec : json::make_error_code(json::error::incomplete);
    p.reset();
    return nullptr;
  }
  return p.handler().st.release();
}

json::value parse_with_lone_surrogates_replaced(thread_reader& r, std::string_view text,
                                                boost::system::error_code& ec) {
  const std::size_t first = find_lone_surrogate(text, 0);
  if (first == std::string_view::npos) return parse(r, text, ec);
  // Same length: "\uD83D" and "\uFFFD" are both six characters, so offsets stay true.
  r.rewritten.assign(text);
  for (std::size_t at = first; at != std::string_view::npos; at = find_lone_surrogate(text, at + 6))
    std::memcpy(r.rewritten.data() + at + 2, "FFFD", 4);
  json::value v = parse(r, r.rewritten, ec);
  if (r.rewritten.capacity() > kept_buffer_capacity) std::string().swap(r.rewritten);
  return v;
}

// The text as Node's UTF-8 decoder (the WHATWG one) reads bytes: each maximal invalid
// subsequence becomes one U+FFFD ("\xE2\x82" one, "\xED\xA0\x80" three).
std::string node_decoded(std::string_view bytes) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size() + 16);
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the next byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;  // no overlong
      if (c == 0xED) hi = 0x9F;  // no surrogate
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;  // no overlong
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      out += replacement;
      ++i;
      continue;
    }
    std::size_t j = i + 1, got = 0;
    while (got < need && j < n) {
      const auto cc = static_cast<unsigned char>(bytes[j]);
      if (cc < lo || cc > hi) break;
      lo = 0x80;
      hi = 0xBF;
      ++j;
      ++got;
    }
    if (got == need) out.append(bytes.substr(i, j - i));
    else out += replacement;
    i = j;
  }
  return out;
}

}  // namespace

json::value read_json(std::string_view text, boost::system::error_code& ec) {
  thread_reader& r = reader();
  json::value v = parse_with_lone_surrogates_replaced(r, text, ec);
  if (!ec) return v;
  // Node decodes the bytes to a string (invalid sequences become U+FFFD) before JSON.parse.
  const std::string valid = node_decoded(text);
  if (valid == text) return v;
  boost::system::error_code second;
  v = parse_with_lone_surrogates_replaced(r, valid, second);
  if (!second) ec = {};
  return v;
}

}  // namespace oauth2_rest
