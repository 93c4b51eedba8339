// Service mode result delivery (protocol doc section 12): the JSON bodies
// POSTed to ELASTICIO_POST_RESULT_URL, and the split of that URL into a URL
// without userinfo plus the Basic Authorization value taken from it.
#pragma once

#include "util/result.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::sail {

// {"status":"success","data":{"verified":true}}
std::string verified_body();
// {"status":"success","data":{"verified":false,"reason":"<reason>"}}
std::string not_verified_body(std::string_view reason);
// {"status":"success","data":<data>} (getMetaModel / selectModel results)
std::string success_body(const boost::json::value& data);
// {"status":"error","data":{"message":"<message>"}}
std::string error_body(std::string_view message);

struct post_target {
  std::string url;                           // the URL with any user:pass@ removed
  std::optional<std::string> authorization;  // "Basic base64(user:pass)" when the URL had userinfo
};

// User and password are percent-decoded before encoding (Node:
// decodeURIComponent). A user without a password gives "user:" (what Node's
// HTTP client sends in that case). Fails when the text is not an absolute URL
// with a host; the message does not repeat the URL (it holds credentials).
result<post_target> split_post_result_url(std::string_view url);

}  // namespace oauth2_rest::sail
