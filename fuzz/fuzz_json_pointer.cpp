// libFuzzer target: action::parse_json_pointer and find_pointer (RFC 6901).
// Input: the pointer, '\n', a JSON document. Invariants: a parsed pointer, escaped again
// ('~' -> "~0", '/' -> "~1"), gives back the text it came from; find_pointer never fails on
// any document, and what it selects is part of that document (its JSON text round-trips).
#include "action/json_pointer.hpp"
#include "fuzz_support.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [pointer_text, document_text] = fuzz::split_line(fuzz::as_view(data, size));
  auto pointer = action::parse_json_pointer(pointer_text);
  if (!pointer) return 0;
  std::string again;
  for (const auto& token : pointer->tokens) {
    again += '/';
    for (const char c : token) {
      if (c == '~') again += "~0";
      else if (c == '/') again += "~1";
      else again += c;
    }
  }
  fuzz_check(again == pointer_text, "the pointer does not round-trip");
  boost::json::value document;
  if (!fuzz::try_parse_json(document_text, document)) return 0;
  if (const auto* selected = action::find_pointer(document, *pointer)) {
    if (!fuzz::has_non_finite(*selected)) fuzz::check_json_round_trip(*selected, "the selected value");
  }
  return 0;
}
