// Writing JSON text as Node's JSON.stringify writes it (SPEC section 6): the one serializer
// for every JSON the project writes (messages, events, error records, tokens, credential saves,
// request bodies, logs).
//
// Compact, like JSON.stringify(value) with no indentation, and where it differs from
// boost::json::serialize (Boost 1.81):
//  - Numbers as JavaScript spells them (Number.prototype.toString): the shortest digits that
//    read back to the same double, in exponent form only below 1e-6 or from 1e21 (99.5, 1e+21,
//    1e-7, 5e-324, 0.000001, 100000000000000000000); -0 as 0; integers as integers. An integer
//    beyond 2^53 in magnitude is written as Node would after reading it as a double
//    (9007199254740993 as 9007199254740992, 18446744073709551615 as 18446744073709552000).
//    A non-finite double (only ever made by code: read_json never gives one) is null.
//  - Object keys in JavaScript's property order: the keys that are array indices ("0", "7",
//    up to "4294967294") first, in ascending numeric order, then the others in insertion order.
//  - Strings escaped exactly as JSON.stringify escapes them: '"' and '\\', the control
//    characters as \b \t \n \f \r or \u00xx (lowercase hex); '/', DEL and all non-ASCII text
//    as they are. Bytes are copied, not validated: the text is as valid UTF-8 as the strings.
// Writing is iterative: any nesting depth is safe.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace oauth2_rest {

// Append the JSON text to `out` (its content kept, its capacity reused).
void append_json(std::string& out, const boost::json::value& v);
void append_json(std::string& out, const boost::json::object& v);
void append_json(std::string& out, const boost::json::array& v);
// `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);
// A double as JSON.stringify writes it (null when not finite).
void append_json_number(std::string& out, double d);

// The JSON text alone.
std::string write_json(const boost::json::value& v);
std::string write_json(const boost::json::object& v);
std::string write_json(const boost::json::array& v);

}  // namespace oauth2_rest
