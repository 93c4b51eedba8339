// Rebound iteration, expiration and headers (protocol doc section 5.5).
#include "sail/rebound.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <limits>

namespace oauth2_rest::sail {
namespace {

constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

// The incoming iteration, or 0 when Node would start over.
std::int64_t previous_iteration(const amqp::header_table& headers) {
  auto it = headers.find("reboundIteration");
  if (it == headers.end()) return 0;
  const auto& v = it->value();
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    return v.get_uint64() > static_cast<std::uint64_t>(i64_max) ? i64_max
                                                                : static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (std::isnan(d)) return 0;
    if (d >= 9.0e18) return i64_max;
    if (d <= -9.0e18) return 0;
    return static_cast<std::int64_t>(d);
  }
  return 0;  // strings and the rest: Node's typeof check fails
}

}  // namespace

rebound_plan plan_rebound(const amqp::header_table& incoming_headers, int limit,
                          std::int64_t initial_expiration_ms) {
  std::int64_t prev = previous_iteration(incoming_headers);
  constexpr std::int64_t int_max = std::numeric_limits<int>::max();
  std::int64_t next = prev < 1 ? 1 : prev >= int_max ? int_max : prev + 1;
  rebound_plan plan{};
  plan.iteration = static_cast<int>(next);
  plan.limit_exceeded = plan.iteration > limit;
  // 2^(iteration-1) * initial, saturating at int64 max.
  std::int64_t e = initial_expiration_ms < 0 ? 0 : initial_expiration_ms;
  int shift = plan.iteration - 1;
  if (e != 0) e = shift >= 63 || e > (i64_max >> shift) ? i64_max : e << shift;
  plan.expiration_ms = e;
  return plan;
}

amqp::header_table rebound_headers(const amqp::header_table& incoming_headers,
                                    const rebound_plan& plan, std::string_view reason,
                                    std::int64_t end_ms) {
  amqp::header_table h = incoming_headers;
  h["end"] = end_ms;
  h["reboundReason"] = boost::json::string(reason);
  h["reboundIteration"] = plan.iteration;
  return h;
}

}  // namespace oauth2_rest::sail
