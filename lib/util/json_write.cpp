// JSON text written as Node's JSON.stringify writes it (see json_write.hpp).
#include "util/json_write.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

// What follows the backslash for each byte that JSON.stringify escapes; 0: copied as it is.
constexpr std::array<char, 256> make_escapes() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr auto escapes = make_escapes();

// Whether any of the 8 bytes at p is escaped: below 0x20, '"' or '\\'. Exact: the classic
// "has a byte less than n" and "has a zero byte" word tests have no false positive overall.
inline bool needs_escape(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const std::uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
  const std::uint64_t zero_quote = (quote - ones) & ~quote & highs;
  const std::uint64_t zero_backslash = (backslash - ones) & ~backslash & highs;
  return (below_space | zero_quote | zero_backslash) != 0;
}

// Small writes go through a staging buffer and reach the string in large appends: a JSON text
// is mostly one- to twenty-byte pieces, and std::string::append checks its capacity each time.
class sink {
 public:
  explicit sink(std::string& out) : out_(out) {}
  ~sink() { flush(); }
  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;

  void put(char c) {
    if (pos_ == end()) flush();
    *pos_++ = c;
  }
  void write(const char* p, std::size_t n) {
    if (n > static_cast<std::size_t>(end() - pos_)) {
      flush();
      if (n > sizeof(buf_) / 2) {
        out_.append(p, n);
        return;
      }
    }
    std::memcpy(pos_, p, n);
    pos_ += n;
  }
  void write(std::string_view s) { write(s.data(), s.size()); }
  // Room for `n` bytes (n <= 64) written straight at the returned pointer, then commit().
  char* reserve(std::size_t n) {
    if (n > static_cast<std::size_t>(end() - pos_)) flush();
    return pos_;
  }
  void commit(char* new_pos) { pos_ = new_pos; }
  void flush() {
    out_.append(buf_, static_cast<std::size_t>(pos_ - buf_));
    pos_ = buf_;
  }

 private:
  char* end() { return buf_ + sizeof(buf_); }

  std::string& out_;
  char buf_[1024];
  char* pos_ = buf_;
};

void write_integer(sink& s, std::int64_t i) {
  char* p = s.reserve(24);
  s.commit(std::to_chars(p, p + 24, i).ptr);
}

// ECMAScript Number::toString for a finite, non-zero double.
void write_double(sink& s, double d) {
  // Integers below 2^53 are exact, so their shortest digits are all their digits.
  if (std::fabs(d) < 9007199254740992.0 && d == std::trunc(d)) {
    write_integer(s, static_cast<std::int64_t>(d));
    return;
  }
  // Shortest round-trip digits and the decimal exponent: "-d.ddde+XX".
  char sci[32];
  const char* const sci_end = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific).ptr;
  const char* p = sci;
  char* o = s.reserve(40);  // "-0.00000" + 17 digits, or 17 digits + 4 zeros, or "d.dddde-324"
  if (*p == '-') {
    *o++ = '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  for (; p < sci_end && *p != 'e'; ++p)
    if (*p != '.') digits[k++] = *p;
  ++p;  // 'e'
  const bool negative_exponent = *p == '-';
  ++p;  // sign
  int exponent = 0;
  for (; p < sci_end; ++p) exponent = exponent * 10 + (*p - '0');
  if (negative_exponent) exponent = -exponent;
  // The value is 0.d1d2...dk x 10^n.
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    o = std::copy(digits, digits + k, o);
    o = std::fill_n(o, n - k, '0');
  } else if (0 < n && n <= 21) {
    o = std::copy(digits, digits + n, o);
    *o++ = '.';
    o = std::copy(digits + n, digits + k, o);
  } else if (-6 < n && n <= 0) {
    *o++ = '0';
    *o++ = '.';
    o = std::fill_n(o, -n, '0');
    o = std::copy(digits, digits + k, o);
  } else {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      o = std::copy(digits + 1, digits + k, o);
    }
    *o++ = 'e';
    *o++ = n - 1 >= 0 ? '+' : '-';
    o = std::to_chars(o, o + 4, n - 1 >= 0 ? n - 1 : 1 - n).ptr;
  }
  s.commit(o);
}

void write_number(sink& s, double d) {
  if (!std::isfinite(d)) s.write("null", 4);
  else if (d == 0) s.put('0');  // -0 too
  else write_double(s, d);
}

void write_string(sink& s, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  s.put('"');
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  const char* p = run;
  for (;;) {
    // Eight bytes at a time while none needs an escape: most strings are copied whole.
    while (end - p >= 8 && !needs_escape(p)) p += 8;
    if (p == end) break;
    const char e = escapes[static_cast<unsigned char>(*p)];
    if (e != 0) {
      s.write(run, static_cast<std::size_t>(p - run));
      if (e == 'u') {
        const auto c = static_cast<unsigned char>(*p);
        const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        s.write(u, sizeof u);
      } else {
        const char two[] = {'\\', e};
        s.write(two, 2);
      }
      run = p + 1;
    }
    ++p;
  }
  s.write(run, static_cast<std::size_t>(end - run));
  s.put('"');
}

// An array index as JavaScript defines it ("0", "7", ... "4294967294", no leading zero):
// such keys come first in an object's property order.
bool array_index(std::string_view key, std::uint32_t& index) {
  if (key.empty() || key.size() > 10 || key[0] < '0' || key[0] > '9') return false;
  if (key.size() > 1 && key[0] == '0') return false;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 4294967294u) return false;
  index = static_cast<std::uint32_t>(v);
  return true;
}

// Writes nested values with an explicit stack instead of recursion: a value built by code may
// be nested deeper than anything read_json accepts.
class writer {
  struct frame;

 public:
  // The stacks are the thread's, kept between calls (nothing here calls out, so no call nests).
  explicit writer(std::string& out) : sink_(out), stack_(stacks().frames), order_(stacks().order) {
    stack_.clear();
    order_.clear();
  }
  ~writer() {
    // Something deeply nested is not worth its memory for the thread's lifetime.
    if (stack_.capacity() > 1024) std::vector<frame>().swap(stack_);
    if (order_.capacity() > 4096) std::vector<const json::key_value_pair*>().swap(order_);
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  void value(const json::value& v) {
    if (scalar(v)) return;
    if (v.is_object()) open(v.get_object());
    else open(v.get_array());
    run();
  }
  void object(const json::object& o) {
    open(o);
    run();
  }
  void array(const json::array& a) {
    open(a);
    run();
  }

 private:
  // Arrays: elements [next, end). Objects: members [member, member_end) in insertion order,
  // or, when some key is an array index, order_[next_index, end_index) in JavaScript's order.
  struct frame {
    const json::value* next;
    const json::value* end;
    const json::key_value_pair* member;
    const json::key_value_pair* member_end;
    std::size_t order_begin;
    std::size_t next_index;
    std::size_t end_index;
    bool is_object;
    bool ordered;
    bool first;
  };

  // Writes v when it holds no other value (scalars, {} and []); false otherwise.
  bool scalar(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null: sink_.write("null", 4); return true;
      case json::kind::bool_:
        if (v.get_bool()) sink_.write("true", 4);
        else sink_.write("false", 5);
        return true;
      case json::kind::int64: {
        const std::int64_t i = v.get_int64();
        if (i >= -(std::int64_t{1} << 53) && i <= (std::int64_t{1} << 53)) write_integer(sink_, i);
        else write_number(sink_, static_cast<double>(i));  // as Node holds it
        return true;
      }
      case json::kind::uint64: {
        const std::uint64_t u = v.get_uint64();
        if (u <= (std::uint64_t{1} << 53)) write_integer(sink_, static_cast<std::int64_t>(u));
        else write_number(sink_, static_cast<double>(u));
        return true;
      }
      case json::kind::double_: write_number(sink_, v.get_double()); return true;
      case json::kind::string: write_string(sink_, v.get_string()); return true;
      case json::kind::array:
        if (!v.get_array().empty()) return false;
        sink_.write("[]", 2);
        return true;
      case json::kind::object:
        if (!v.get_object().empty()) return false;
        sink_.write("{}", 2);
        return true;
    }
    return true;
  }

  void open(const json::array& a) {
    sink_.put('[');
    stack_.push_back(frame{.next = a.data(), .end = a.data() + a.size(), .member = nullptr,
                           .member_end = nullptr, .order_begin = 0, .next_index = 0, .end_index = 0,
                           .is_object = false, .ordered = false, .first = true});
  }

  void open(const json::object& o) {
    sink_.put('{');
    frame f{.next = nullptr, .end = nullptr, .member = o.begin(), .member_end = o.end(),
            .order_begin = 0, .next_index = 0, .end_index = 0,
            .is_object = true, .ordered = false, .first = true};
    // Most objects have no array-index key: one look at each key's first character.
    std::uint32_t index = 0;
    const bool any_index =
        std::any_of(o.begin(), o.end(), [&](const json::key_value_pair& m) { return array_index(m.key(), index); });
    if (any_index) {
      // Index keys ascending, then the rest in insertion order (the sort is stable).
      f.ordered = true;
      f.order_begin = f.next_index = order_.size();
      for (const auto& m : o) order_.push_back(&m);
      auto rank = [](const json::key_value_pair* m) {
        std::uint32_t i = 0;
        return array_index(m->key(), i) ? std::uint64_t{i} : std::uint64_t{1} << 32;
      };
      std::stable_sort(order_.begin() + static_cast<std::ptrdiff_t>(f.next_index), order_.end(),
                       [&](const auto* a, const auto* b) { return rank(a) < rank(b); });
      f.end_index = order_.size();
    }
    stack_.push_back(f);
  }

  void run() {
    while (!stack_.empty()) {
      frame& f = stack_.back();
      const json::value* child = nullptr;
      if (f.is_object) {
        const json::key_value_pair* m = nullptr;
        if (f.ordered) {
          if (f.next_index != f.end_index) m = order_[f.next_index++];
        } else if (f.member != f.member_end) {
          m = f.member++;
        }
        if (m == nullptr) {
          close(f);
          continue;
        }
        if (!f.first) sink_.put(',');
        f.first = false;
        write_string(sink_, m->key());
        sink_.put(':');
        child = &m->value();
      } else {
        if (f.next == f.end) {
          close(f);
          continue;
        }
        if (!f.first) sink_.put(',');
        f.first = false;
        child = f.next++;
      }
      // `f` may dangle from here: open() grows the stack.
      if (scalar(*child)) continue;
      if (child->is_object()) open(child->get_object());
      else open(child->get_array());
    }
  }

  void close(const frame& f) {
    sink_.put(f.is_object ? '}' : ']');
    // An ordered object's pointers are the last in order_: its children were closed before it.
    if (f.ordered) order_.resize(f.order_begin);
    stack_.pop_back();
  }

  struct thread_stacks {
    std::vector<frame> frames;
    std::vector<const json::key_value_pair*> order;
  };
  static thread_stacks& stacks() {
    thread_local thread_stacks s;
    return s;
  }

  sink sink_;
  std::vector<frame>& stack_;
  std::vector<const json::key_value_pair*>& order_;
};

}  // namespace

void append_json_number(std::string& out, double d) {
  sink s(out);
  write_number(s, d);
}

void append_json_string(std::string& out, std::string_view text) {
  sink s(out);
  write_string(s, text);
}

void append_json(std::string& out, const json::value& v) { writer(out).value(v); }
void append_json(std::string& out, const json::object& v) { writer(out).object(v); }
void append_json(std::string& out, const json::array& v) { writer(out).array(v); }

std::string write_json(const json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string write_json(const json::object& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string write_json(const json::array& v) {
  std::string out;
  append_json(out, v);
  return out;
}

}  // namespace oauth2_rest
