// libFuzzer target: oauth2::bearer_error and should_refresh on a WWW-Authenticate value.
// Invariants: the error code is a substring of the input (a token or a quoted string, unescaped
// only where the input had backslashes); never a refresh on anything but 401.
#include "fuzz_support.hpp"
#include "oauth2/www_authenticate.hpp"

#include <boost/algorithm/string/predicate.hpp>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = fuzz::as_view(data, size);
  const std::string error = oauth2::bearer_error(header);
  fuzz_check(error.size() <= header.size(), "error code longer than the header");
  if (header.find('\\') == std::string_view::npos && !error.empty())
    fuzz_check(header.find(error) != std::string_view::npos, "error code not taken from the header");
  fuzz_check(!oauth2::should_refresh(403, header), "refresh on 403");
  fuzz_check(!oauth2::should_refresh(200, header), "refresh on 200");
  const bool refresh = oauth2::should_refresh(401, header);
  if (error.empty()) fuzz_check(refresh, "401 without an error code must refresh");
  else fuzz_check(refresh == boost::algorithm::iequals(error, "invalid_token"), "refresh decision disagrees with the error code");
  return 0;
}
