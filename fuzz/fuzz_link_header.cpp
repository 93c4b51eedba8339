// libFuzzer target: action::parse_link_header and find_link (RFC 8288 Link field values).
// Input: one field value per line. Invariants: every relation type is non-empty, lower-case and
// free of blanks; a target never holds '>'; find_link's answer is the target of a parsed link
// whose relation types include "next", and it finds one whenever a parsed link has it.
#include "action/link_header.hpp"
#include "fuzz_support.hpp"

#include <vector>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  std::vector<std::string_view> fields;
  while (true) {
    const auto nl = text.find('\n');
    fields.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  std::optional<std::string> first_next;
  for (const auto field : fields) {
    for (const auto& link : action::parse_link_header(field)) {
      fuzz_check(link.target.find('>') == std::string::npos, "a target holds '>'");
      for (const auto& rel : link.rels) {
        fuzz_check(!rel.empty(), "an empty relation type");
        for (const char c : rel) {
          fuzz_check(!(c >= 'A' && c <= 'Z'), "a relation type is not lower-cased");
          fuzz_check(c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v',
                     "a relation type holds a blank");
        }
        if (rel == "next" && !first_next) first_next = link.target;
      }
    }
  }
  const auto found = action::find_link(fields, "next");
  fuzz_check(found.has_value() == first_next.has_value(), "find_link disagrees with parse_link_header");
  if (found) fuzz_check(*found == *first_next, "find_link picked another link");
  return 0;
}
