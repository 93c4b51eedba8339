// Rebound: iterations, expirations (15 s, 30 s, ...), the limit, and headers.
#include "sail/rebound.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

rebound_plan plan_for(json::value iteration, int limit = 20) {
  json::object h{{"messageId", "M1"}};
  if (!iteration.is_null()) h["reboundIteration"] = iteration;
  return plan_rebound(h, limit, 15000);
}

TEST(rebound, first_rebound) {
  auto p = plan_for(nullptr);
  EXPECT_EQ(p.iteration, 1);
  EXPECT_EQ(p.expiration_ms, 15000);
  EXPECT_FALSE(p.limit_exceeded);
}

TEST(rebound, expiration_doubles_each_iteration) {
  std::vector<std::int64_t> expected{30000, 60000, 120000, 240000};
  for (int previous = 1; previous <= 4; ++previous) {
    auto p = plan_for(previous);
    EXPECT_EQ(p.iteration, previous + 1);
    EXPECT_EQ(p.expiration_ms, expected[previous - 1]);
    EXPECT_FALSE(p.limit_exceeded);
  }
}

TEST(rebound, limit) {
  auto last = plan_for(19);
  EXPECT_EQ(last.iteration, 20);
  EXPECT_FALSE(last.limit_exceeded);
  EXPECT_EQ(last.expiration_ms, std::int64_t{15000} << 19);  // 7,864,320,000 ms
  auto over = plan_for(20);
  EXPECT_EQ(over.iteration, 21);
  EXPECT_TRUE(over.limit_exceeded);
  EXPECT_TRUE(plan_for(2, 2).limit_exceeded);
  EXPECT_FALSE(plan_for(1, 2).limit_exceeded);
}

TEST(rebound, only_a_nonzero_number_counts) {
  EXPECT_EQ(plan_for("3").iteration, 1);  // Node: typeof !== 'number'
  EXPECT_EQ(plan_for(0).iteration, 1);
  EXPECT_EQ(plan_for(true).iteration, 1);
  EXPECT_EQ(plan_for(2.0).iteration, 3);
  EXPECT_EQ(plan_for(std::uint64_t{5}).iteration, 6);
  EXPECT_EQ(plan_for(-4).iteration, 1);
}

TEST(rebound, huge_values_saturate) {
  auto p = plan_for(std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(p.limit_exceeded);
  EXPECT_EQ(p.iteration, std::numeric_limits<int>::max());
  EXPECT_EQ(p.expiration_ms, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(plan_for(70, 1000).expiration_ms, std::numeric_limits<std::int64_t>::max());
}

TEST(rebound, headers_are_the_original_plus_three) {
  json::object incoming{{"messageId", "M1"}, {"reboundIteration", 2}, {"threadId", "T1"}};
  auto p = plan_rebound(incoming, 20, 15000);
  amqp::header_table h = rebound_headers(incoming, p, "try later", 1700000000000);
  json::object expected{{"messageId", "M1"},
                        {"reboundIteration", 3},
                        {"threadId", "T1"},
                        {"end", 1700000000000},
                        {"reboundReason", "try later"}};
  EXPECT_EQ(h, amqp::header_table(expected));
  std::vector<std::string> keys;
  for (const auto& kv : h) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"messageId", "reboundIteration", "threadId", "end",
                                            "reboundReason"}));
}

}  // namespace
}  // namespace oauth2_rest::sail
