// The members of a JSON object text in the order they are written, a repeated key kept once per
// occurrence: what the JSON form of Additional Properties needs (SPEC 2: "a key may repeat, and
// each occurrence is sent"), where read_json, like Node's JSON.parse and Boost.JSON, keeps only
// the last value of a repeated key.
//
// The text is read with read_json (util/json_read.hpp) first, so what is accepted, and how
// strings and numbers read, is exactly what every other input of the project gets. Then the
// object's top level is walked to cut the text into member slices, and each key and value slice
// is read with read_json again.
//
//   read_json_members(R"({"resource":"a","aud":"x","resource":["b"]})", ec)
//     -> {"resource","a"}, {"aud","x"}, {"resource",["b"]}
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest {

struct json_member {
  std::string key;
  boost::json::value value;
};

// The members of `text`, which must be one JSON object (blanks around it allowed). On failure
// returns {} with `ec` set: read_json's error for text that is not JSON, or
// boost::json::error::not_object for JSON that is not an object. Never throws but for
// std::bad_alloc.
std::vector<json_member> read_json_members(std::string_view text, boost::system::error_code& ec);

}  // namespace oauth2_rest
