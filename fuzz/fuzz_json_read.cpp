// libFuzzer target: read_json (util/json_read.hpp), the reader every input of the project goes
// through, and write_json (util/json_write.hpp). Input: any bytes, read as one JSON text.
// Invariants: nothing crashes; what reads is written as valid UTF-8 that reads back to the same
// value (numbers compared as JavaScript compares them, as doubles), and writing that gives the
// same text again; whatever Boost.JSON's strict default parser accepts, read_json accepts too,
// with the same value (Boost's doubles within its rounding error; its infinities are our null).
#include "fuzz_support.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

namespace json = boost::json;

// Equal as JavaScript values after JSON.parse: numbers by their double, objects by their keys
// whatever the order (the writer puts array-index keys first, as JavaScript does).
bool same_js_value(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_js_value(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (other == nullptr || !same_js_value(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// Equal to Boost.JSON's reading of the same text: its doubles are off by its rounding error
// (relative, or absolute among the subnormals, which it reads as zero or near it).
bool close_to_boost(const json::value& ours, const json::value& boost_value) {
  if (ours.is_number() && boost_value.is_number()) {
    const double x = ours.to_number<double>(), y = boost_value.to_number<double>();
    return x == y || std::abs(x - y) <= std::max(std::abs(x), std::abs(y)) * 1e-9 ||
           (std::abs(x) < 1e-300 && std::abs(y) < 1e-300);
  }
  if (ours.kind() != boost_value.kind()) return false;
  if (ours.is_array()) {
    const auto &x = ours.get_array(), &y = boost_value.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!close_to_boost(x[i], y[i])) return false;
    return true;
  }
  if (ours.is_object()) {
    const auto &x = ours.get_object(), &y = boost_value.get_object();
    if (x.size() != y.size()) return false;
    auto it = y.begin();
    for (const auto& kv : x) {  // same order: both keep insertion order
      if (kv.key() != it->key() || !close_to_boost(kv.value(), it->value())) return false;
      ++it;
    }
    return true;
  }
  return ours == boost_value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_view(data, size);
  boost::system::error_code ec;
  const json::value v = read_json(text, ec);

  boost::system::error_code strict_ec;
  const json::value strict = boost::json::parse(text, strict_ec);
  if (!strict_ec) {
    fuzz_check(!ec, "Boost.JSON reads it, read_json does not");
    if (!fuzz::has_non_finite(strict)) fuzz_check(close_to_boost(v, strict), "read_json and Boost.JSON disagree");
  }
  if (ec) {
    fuzz_check(v.is_null(), "a failed read returned a value");
    return 0;
  }
  fuzz_check(!fuzz::has_non_finite(v), "read_json gave a non-finite number");

  const std::string written = write_json(v);
  if (!fuzz::is_valid_utf8(written)) {
    std::fprintf(stderr, "not valid UTF-8: %s\n", written.c_str());
    fuzz::fuzz_fail("written text");
  }
  boost::system::error_code back_ec;
  const json::value back = read_json(written, back_ec);
  if (back_ec) {
    std::fprintf(stderr, "does not read back (%s): %s\n", back_ec.message().c_str(), written.c_str());
    fuzz::fuzz_fail("written text");
  }
  if (!same_js_value(v, back)) {
    std::fprintf(stderr, "written: %s\nrewritten: %s\n", written.c_str(), write_json(back).c_str());
    fuzz::fuzz_fail("read -> write -> read changed the value");
  }
  fuzz_check(write_json(back) == written, "writing is not stable");
  return 0;
}
