// Unit tests: Error Tolerance modes, httpCodesToThrow ranges, httpCodesToRebound codes.
#include "action/error_tolerance.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;

std::vector<code_range> ranges_of(const json::value& v) {
  auto r = parse_code_ranges(&v);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::vector<code_range>{};
}

std::string ranges_error(const json::value& v) {
  auto r = parse_code_ranges(&v);
  EXPECT_FALSE(r.has_value());
  return r ? std::string("<parsed>") : r.error().message;
}

rebound_codes rebound_of(const json::value& v) {
  auto r = parse_rebound_codes(&v);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : rebound_codes{};
}

std::string rebound_error(const json::value* v) {
  auto r = parse_rebound_codes(v);
  EXPECT_FALSE(r.has_value());
  return r ? std::string("<parsed>") : r.error().message;
}

TEST(parse_tolerance, accepts_the_component_json_keys) {
  EXPECT_EQ(*parse_tolerance("noErrors"), tolerance::no_errors);
  EXPECT_EQ(*parse_tolerance("notFoundOnly"), tolerance::not_found_only);
  EXPECT_EQ(*parse_tolerance("none"), tolerance::none);
  EXPECT_EQ(*parse_tolerance("manual"), tolerance::manual);
  EXPECT_EQ(*parse_tolerance("reboundCodes"), tolerance::rebound_codes);
  EXPECT_EQ(*parse_tolerance(""), tolerance::no_errors);
  EXPECT_EQ(*parse_tolerance(" manual "), tolerance::manual);
}

TEST(parse_tolerance, unknown_key_names_the_value_and_the_valid_keys) {
  auto r = parse_tolerance("NoErrors");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "errorTolerance 'NoErrors' is not one of noErrors, notFoundOnly, none, manual, reboundCodes");
  EXPECT_EQ(r.error().code, boost::system::errc::invalid_argument);
}

TEST(tolerance_key, round_trips) {
  for (auto m : {tolerance::no_errors, tolerance::not_found_only, tolerance::none,
                 tolerance::manual, tolerance::rebound_codes})
    EXPECT_EQ(*parse_tolerance(tolerance_key(m)), m);
}

struct decide_case {
  tolerance mode;
  unsigned status;
  outcome expected;
};

class decide_table : public ::testing::TestWithParam<decide_case> {};

TEST_P(decide_table, gives_the_specified_outcome) {
  const auto& c = GetParam();
  // Manual with 404 excluded; rebound with 404 and 401 listed.
  std::vector<code_range> ranges{{400, 403}, {405, 599}};
  rebound_codes rebound{false, {404, 401}};
  EXPECT_EQ(decide(c.mode, c.status, ranges, rebound), c.expected)
      << tolerance_key(c.mode) << " " << c.status;
}

constexpr auto E = outcome::emit;
constexpr auto X = outcome::error;
constexpr auto R = outcome::rebound;

INSTANTIATE_TEST_SUITE_P(
    every_mode_on_200_404_410_500, decide_table,
    ::testing::Values(
        decide_case{tolerance::no_errors, 200, E}, decide_case{tolerance::no_errors, 404, X},
        decide_case{tolerance::no_errors, 410, X}, decide_case{tolerance::no_errors, 500, X},
        decide_case{tolerance::no_errors, 302, E}, decide_case{tolerance::no_errors, 400, X},
        decide_case{tolerance::not_found_only, 200, E}, decide_case{tolerance::not_found_only, 404, E},
        decide_case{tolerance::not_found_only, 410, E}, decide_case{tolerance::not_found_only, 500, X},
        decide_case{tolerance::not_found_only, 400, X}, decide_case{tolerance::not_found_only, 405, X},
        decide_case{tolerance::none, 200, E}, decide_case{tolerance::none, 404, E},
        decide_case{tolerance::none, 410, E}, decide_case{tolerance::none, 500, E},
        decide_case{tolerance::manual, 200, E}, decide_case{tolerance::manual, 404, E},
        decide_case{tolerance::manual, 410, X}, decide_case{tolerance::manual, 500, X},
        decide_case{tolerance::manual, 403, X}, decide_case{tolerance::manual, 405, X},
        decide_case{tolerance::manual, 399, E},
        decide_case{tolerance::rebound_codes, 200, E}, decide_case{tolerance::rebound_codes, 404, R},
        decide_case{tolerance::rebound_codes, 410, X}, decide_case{tolerance::rebound_codes, 500, X},
        decide_case{tolerance::rebound_codes, 401, R}, decide_case{tolerance::rebound_codes, 302, E}));

TEST(decide, manual_empty_ranges_never_error) {
  EXPECT_EQ(decide(tolerance::manual, 500, {}, {}), outcome::emit);
  EXPECT_EQ(decide(tolerance::manual, 404, {}, {}), outcome::emit);
}

TEST(decide, manual_ranges_are_inclusive_and_can_cover_success_codes) {
  std::vector<code_range> r{{200, 200}, {429, 429}};
  EXPECT_EQ(decide(tolerance::manual, 200, r, {}), outcome::error);
  EXPECT_EQ(decide(tolerance::manual, 201, r, {}), outcome::emit);
  EXPECT_EQ(decide(tolerance::manual, 429, r, {}), outcome::error);
  EXPECT_EQ(decide(tolerance::manual, 428, r, {}), outcome::emit);
}

TEST(decide, rebound_all_rebounds_every_failure_only) {
  rebound_codes all{true, {}};
  EXPECT_EQ(decide(tolerance::rebound_codes, 400, {}, all), outcome::rebound);
  EXPECT_EQ(decide(tolerance::rebound_codes, 503, {}, all), outcome::rebound);
  EXPECT_EQ(decide(tolerance::rebound_codes, 399, {}, all), outcome::emit);
}

TEST(decide, manual_with_parsed_spec_example) {
  auto ranges = ranges_of(json::parse("[[400,403],[405,599]]"));
  EXPECT_EQ(decide(tolerance::manual, 404, ranges, {}), outcome::emit);
  EXPECT_EQ(decide(tolerance::manual, 500, ranges, {}), outcome::error);
}

TEST(parse_code_ranges, absent_null_and_blank_are_empty) {
  EXPECT_TRUE(parse_code_ranges(nullptr)->empty());
  json::value null_value;
  EXPECT_TRUE(parse_code_ranges(&null_value)->empty());
  EXPECT_TRUE(ranges_of(json::value("  ")).empty());
  EXPECT_TRUE(ranges_of(json::array{}).empty());
  EXPECT_TRUE(ranges_of(json::value("[]")).empty());
}

TEST(parse_code_ranges, reads_pairs_in_order) {
  auto r = ranges_of(json::parse("[[400,403],[405,599]]"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].min, 400);
  EXPECT_EQ(r[0].max, 403);
  EXPECT_EQ(r[1].min, 405);
  EXPECT_EQ(r[1].max, 599);
}

TEST(parse_code_ranges, accepts_the_string_form_and_numeric_strings) {
  auto r = ranges_of(json::value("[[400,499]]"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].min, 400);
  EXPECT_EQ(r[0].max, 499);

  r = ranges_of(json::parse(R"([["500", " 503 "], [429.0, 429]])"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].min, 500);
  EXPECT_EQ(r[0].max, 503);
  EXPECT_EQ(r[1].min, 429);
  EXPECT_EQ(r[1].max, 429);
}

TEST(parse_code_ranges, invalid_ranges_name_the_value) {
  EXPECT_EQ(ranges_error(json::parse("[[600,700]]")),
            "httpCodesToThrow: [600,700] is not a valid range (codes must be 100-599 and min <= max)");
  EXPECT_EQ(ranges_error(json::parse("[[400,499],[500,400]]")),
            "httpCodesToThrow: [500,400] is not a valid range (codes must be 100-599 and min <= max)");
  EXPECT_EQ(ranges_error(json::parse("[[99,200]]")),
            "httpCodesToThrow: [99,200] is not a valid range (codes must be 100-599 and min <= max)");
  EXPECT_EQ(ranges_error(json::value("[[400,600]]")),
            "httpCodesToThrow: [400,600] is not a valid range (codes must be 100-599 and min <= max)");
  EXPECT_EQ(ranges_error(json::parse("[[400]]")),
            "httpCodesToThrow: [400] is not a [min,max] pair (write a single code as [404,404])");
  EXPECT_EQ(ranges_error(json::parse("[400,499]")),
            "httpCodesToThrow: 400 is not a [min,max] pair (write a single code as [404,404])");
  EXPECT_EQ(ranges_error(json::parse("[[400,\"x\"]]")),
            "httpCodesToThrow: [400,\"x\"] is not a [min,max] pair (write a single code as [404,404])");
  EXPECT_EQ(ranges_error(json::parse("[[400.5,499]]")),
            "httpCodesToThrow: [400.5,499] is not a [min,max] pair (write a single code as [404,404])");
  EXPECT_EQ(ranges_error(json::value(404)),
            "httpCodesToThrow must be an array of [min,max] pairs, got 404");
  EXPECT_EQ(ranges_error(json::value("400-499")),
            "httpCodesToThrow must be an array of [min,max] pairs, got '400-499'");
  EXPECT_EQ(ranges_error(json::value("404")),
            "httpCodesToThrow must be an array of [min,max] pairs, got '404'");
  EXPECT_EQ(ranges_error(json::parse(R"({"a":1})")),
            "httpCodesToThrow must be an array of [min,max] pairs, got {\"a\":1}");
  json::value yes(true);
  EXPECT_EQ(parse_code_ranges(&yes).error().code, boost::system::errc::invalid_argument);
}

TEST(parse_rebound_codes, star_means_all) {
  auto r = rebound_of(json::value("*"));
  EXPECT_TRUE(r.all);
  EXPECT_TRUE(r.codes.empty());
  EXPECT_TRUE(rebound_of(json::value(" * ")).all);
  EXPECT_TRUE(rebound_of(json::value("404, *")).all);
}

TEST(parse_rebound_codes, comma_separated_codes_in_order) {
  auto r = rebound_of(json::value("404, 401"));
  EXPECT_FALSE(r.all);
  EXPECT_EQ(r.codes, (std::vector<int>{404, 401}));
  r = rebound_of(json::value(" 429 ,503,,\t500 , "));
  EXPECT_EQ(r.codes, (std::vector<int>{429, 503, 500}));
}

TEST(parse_rebound_codes, accepts_a_number_or_an_array) {
  EXPECT_EQ(rebound_of(json::value(429)).codes, (std::vector<int>{429}));
  EXPECT_EQ(rebound_of(json::parse(R"([429, "503"])")).codes, (std::vector<int>{429, 503}));
  EXPECT_TRUE(rebound_of(json::parse(R"(["*"])")).all);
}

// Without httpCodesToRebound nothing is rebounded (as the reference component does): the message
// is not failed for it; a status >= 400 is then an error ("if the rebound code doesn't match the
// response code, an error will be thrown") and any other status a message.
TEST(parse_rebound_codes, absent_or_empty_rebounds_nothing) {
  json::value null_value;
  json::value blank("  ");
  json::value commas(" , ");
  json::value empty_array = json::array{};
  const std::vector<const json::value*> inputs{nullptr, &null_value, &blank, &commas, &empty_array};
  for (const json::value* v : inputs) {
    auto r = parse_rebound_codes(v);
    ASSERT_TRUE(r.has_value()) << (v ? json::serialize(*v) : "absent") << ": " << r.error().message;
    EXPECT_FALSE(r->all);
    EXPECT_TRUE(r->codes.empty());
    EXPECT_EQ(decide(tolerance::rebound_codes, 404, {}, *r), outcome::error);
    EXPECT_EQ(decide(tolerance::rebound_codes, 503, {}, *r), outcome::error);
    EXPECT_EQ(decide(tolerance::rebound_codes, 200, {}, *r), outcome::emit);
    EXPECT_EQ(decide(tolerance::rebound_codes, 302, {}, *r), outcome::emit);
  }
}

TEST(parse_rebound_codes, invalid_tokens) {
  json::value abc("404, abc");
  EXPECT_EQ(rebound_error(&abc), "httpCodesToRebound: 'abc' is not an HTTP status code");
  json::value range("500-599");
  EXPECT_EQ(rebound_error(&range), "httpCodesToRebound: '500-599' is not an HTTP status code");
  json::value big("4040");
  EXPECT_EQ(rebound_error(&big), "httpCodesToRebound: '4040' is not an HTTP status code");
  json::value big_number(700);
  EXPECT_EQ(rebound_error(&big_number), "httpCodesToRebound: '700' is not an HTTP status code");
  json::value object = json::object{{"a", 1}};
  EXPECT_EQ(rebound_error(&object),
            "httpCodesToRebound must be a comma-separated list of status codes or '*', got {\"a\":1}");
}

}  // namespace
}  // namespace oauth2_rest::action
