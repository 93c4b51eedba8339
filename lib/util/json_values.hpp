// Small rules about JSON values that several parsers share.
#pragma once

#include <boost/json/value.hpp>

namespace oauth2_rest {

// JavaScript truthiness, for the places where the reference runtime writes `if (value)`:
// null, "", false, 0 and NaN are false; objects and arrays are true.
bool js_truthy(const boost::json::value& v);

}  // namespace oauth2_rest
