#include "util/json_values.hpp"

#include <cmath>

namespace oauth2_rest {

bool js_truthy(const boost::json::value& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get_string().empty();
  if (v.is_bool()) return v.get_bool();
  if (v.is_int64()) return v.get_int64() != 0;
  if (v.is_uint64()) return v.get_uint64() != 0;
  if (v.is_double()) return v.get_double() != 0.0 && !std::isnan(v.get_double());
  return true;
}

}  // namespace oauth2_rest
