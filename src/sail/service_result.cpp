// Service mode result bodies and the POST_RESULT_URL credentials split (protocol doc section 12).
#include "sail/service_result.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"
#include "util/json_write.hpp"

#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

std::string success(json::value data) {
  json::object body;
  body["status"] = "success";
  body["data"] = std::move(data);
  return write_json(body);
}

}  // namespace

std::string verified_body() { return success(json::object{{"verified", true}}); }

std::string not_verified_body(std::string_view reason) {
  return success(json::object{{"verified", false}, {"reason", reason}});
}

std::string success_body(const json::value& data) { return success(data); }

std::string error_body(std::string_view message) {
  json::object body;
  body["status"] = "error";
  body["data"] = json::object{{"message", message}};
  return write_json(body);
}

result<post_target> split_post_result_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) {
    return failure{make_error_code(error::invalid_url),
                   "ELASTICIO_POST_RESULT_URL is not an absolute URL with a host"};
  }
  boost::urls::url u(*parsed);
  post_target target;
  if (u.has_userinfo()) {
    std::string user = u.user();
    std::string password = u.password();
    if (!user.empty() || !password.empty()) {
      target.authorization = "Basic " + base64_encode(user + ":" + password);
    }
    u.remove_userinfo();
  }
  target.url = std::string(u.buffer());
  return target;
}

}  // namespace oauth2_rest::sail
