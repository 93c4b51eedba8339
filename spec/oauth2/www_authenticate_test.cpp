// Unit tests: the Bearer error code of a WWW-Authenticate challenge and the
// refresh-and-retry decision.
#include "oauth2/www_authenticate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace oauth2 = oauth2_rest::oauth2;

TEST(bearer_error, quoted_error_code) {
  EXPECT_EQ(oauth2::bearer_error(R"(Bearer realm="example", error="invalid_token", error_description="The access token expired")"),
            "invalid_token");
}

TEST(bearer_error, unquoted_and_case_insensitive_names) {
  EXPECT_EQ(oauth2::bearer_error("bearer ERROR=insufficient_scope"), "insufficient_scope");
  EXPECT_EQ(oauth2::bearer_error("BEARER realm = \"api\" , error = invalid_request"), "invalid_request");
}

TEST(bearer_error, no_error_code) {
  EXPECT_EQ(oauth2::bearer_error(R"(Bearer realm="example")"), "");
  EXPECT_EQ(oauth2::bearer_error("Bearer"), "");
  EXPECT_EQ(oauth2::bearer_error(""), "");
}

TEST(bearer_error, only_the_bearer_challenge_counts) {
  EXPECT_EQ(oauth2::bearer_error(R"(Basic realm="x", error="invalid_token")"), "");
  EXPECT_EQ(oauth2::bearer_error(R"(Basic realm="a, error=\"nope\"", Bearer realm="b", error="invalid_token")"),
            "invalid_token");
  EXPECT_EQ(oauth2::bearer_error(R"(Bearer realm="b", Basic error="x")"), "");
  EXPECT_EQ(oauth2::bearer_error(R"(Negotiate YII/+v==, Bearer error="invalid_token")"), "invalid_token");
}

TEST(bearer_error, error_words_inside_quoted_values_are_not_parameters) {
  EXPECT_EQ(oauth2::bearer_error(R"(Bearer error_description="error=\"x\"", error="invalid_token")"),
            "invalid_token");
}

TEST(bearer_error, unterminated_quote_ends_the_value) {
  EXPECT_EQ(oauth2::bearer_error(R"(Bearer error="invalid_tok)"), "invalid_tok");
}

TEST(should_refresh, unauthorized_with_invalid_token_or_no_code) {
  EXPECT_TRUE(oauth2::should_refresh(401, R"(Bearer error="invalid_token")"));
  EXPECT_TRUE(oauth2::should_refresh(401, R"(Bearer realm="example")"));
  EXPECT_TRUE(oauth2::should_refresh(401, ""));
  EXPECT_TRUE(oauth2::should_refresh(401, R"(Basic realm="x")"));
}

TEST(should_refresh, unauthorized_with_another_code) {
  EXPECT_FALSE(oauth2::should_refresh(401, R"(Bearer error="invalid_request")"));
  EXPECT_FALSE(oauth2::should_refresh(401, R"(Bearer error="insufficient_scope")"));
}

TEST(should_refresh, never_on_other_statuses) {
  EXPECT_FALSE(oauth2::should_refresh(403, R"(Bearer error="insufficient_scope", scope="users")"));
  EXPECT_FALSE(oauth2::should_refresh(403, R"(Bearer error="invalid_token")"));
  EXPECT_FALSE(oauth2::should_refresh(403, ""));
  EXPECT_FALSE(oauth2::should_refresh(200, ""));
  EXPECT_FALSE(oauth2::should_refresh(400, R"(Bearer error="invalid_token")"));
}

// refreshOnStatus (SPEC 2): the listed statuses widen the 401 rule.
TEST(should_refresh_listed, a_listed_status_renews_unless_the_challenge_says_insufficient_scope) {
  const std::vector<unsigned> listed{401, 403, 419};
  EXPECT_TRUE(oauth2::should_refresh(419, "", listed));
  EXPECT_TRUE(oauth2::should_refresh(403, "", listed));
  EXPECT_TRUE(oauth2::should_refresh(403, R"(Bearer error="invalid_token")", listed));
  EXPECT_FALSE(oauth2::should_refresh(403, R"(Bearer realm="api", error="insufficient_scope", scope="a")", listed));
  EXPECT_FALSE(oauth2::should_refresh(403, R"(Bearer error="INSUFFICIENT_SCOPE")", listed));
  EXPECT_FALSE(oauth2::should_refresh(419, R"(Bearer error="insufficient_scope")", listed));
}

TEST(should_refresh_listed, a_status_not_listed_never_renews) {
  const std::vector<unsigned> listed{401, 419};
  EXPECT_FALSE(oauth2::should_refresh(403, "", listed));
  EXPECT_FALSE(oauth2::should_refresh(400, R"(Bearer error="invalid_token")", listed));
  EXPECT_FALSE(oauth2::should_refresh(500, "", listed));
}

TEST(should_refresh_listed, 401_keeps_its_own_rule_listed_or_not) {
  for (const std::vector<unsigned>& listed : {std::vector<unsigned>{401}, std::vector<unsigned>{419}}) {
    EXPECT_TRUE(oauth2::should_refresh(401, R"(Bearer error="invalid_token")", listed));
    EXPECT_TRUE(oauth2::should_refresh(401, "", listed));
    EXPECT_FALSE(oauth2::should_refresh(401, R"(Bearer error="invalid_request")", listed));
    EXPECT_FALSE(oauth2::should_refresh(401, R"(Bearer error="insufficient_scope")", listed));
  }
}
