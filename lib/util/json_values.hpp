// Small rules about JSON values that several parsers share.
#pragma once

#include <boost/json/value.hpp>

namespace oauth2_rest {

// Numbers beyond a double (1e999, 400 digits) parse to infinity, which Boost.JSON 1.81 writes
// back as "Infinity": not JSON. Node's JSON round trip turns them into null; so does this,
// recursively (callers bound the depth when parsing).
void replace_non_finite(boost::json::value& v);

// JavaScript truthiness, for the places where the reference runtime writes `if (value)`:
// null, "", false, 0 and NaN are false; objects and arrays are true.
bool js_truthy(const boost::json::value& v);

}  // namespace oauth2_rest
