// libFuzzer target: action::attachment_name / content_disposition_filename (a server's
// Content-Disposition and the response URL) and action::classify_reference (bodyAttachment).
// Input: the Content-Disposition value, '\n', the URL. Invariants: a name is never empty, ".",
// "..", never holds '/', '\' or a control character, and is valid UTF-8; a maester reference has
// a non-empty id without '/'; a file reference's path is what followed file://.
#include "action/attachment_name.hpp"
#include "fuzz_support.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

void check_plain_name(const std::string& name, bool may_be_empty) {
  if (name.empty()) {
    fuzz_check(may_be_empty, "empty attachment name");
    return;
  }
  fuzz_check(name != "." && name != "..", "dot name");
  fuzz_check(name.find_first_of("/\\") == std::string::npos, "name with a path separator");
  for (unsigned char c : name) fuzz_check(c >= 0x20 && c != 0x7f, "name with a control character");
  fuzz_check(fuzz::is_valid_utf8(name), "name not valid UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [disposition, url] = fuzz::split_line(fuzz::as_view(data, size));
  check_plain_name(action::content_disposition_filename(disposition), true);
  check_plain_name(action::attachment_name(disposition, url), false);
  for (auto text : {disposition, url}) {
    const auto ref = action::classify_reference(text);
    if (ref.type == action::attachment_reference::kind::maester)
      fuzz_check(!ref.value.empty() && ref.value.find('/') == std::string::npos, "bad maester id");
    if (ref.type == action::attachment_reference::kind::name) fuzz_check(ref.value == text, "name changed");
  }
  return 0;
}
