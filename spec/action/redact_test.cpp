// Unit tests: secrets replaced in quoted server text before the excerpt is cut (detail/redact.hpp).
#include "action/detail/redact.hpp"

#include <gtest/gtest.h>

#include <string>

namespace oauth2_rest::action::detail {
namespace {

TEST(redactor, without_secrets_the_excerpt_is_the_utf8_prefix) {
  const redactor none({});
  const std::string text = "caf\xC3\xA9 " + std::string(2000, 'x');
  EXPECT_EQ(none.excerpt(text, 1000), std::string(utf8_prefix(text, 1000)));
  EXPECT_EQ(none.excerpt("caf\xC3\xA9", 4), "caf") << "never cuts inside a character";
  EXPECT_EQ(none.redact(text), text);
  const redactor empty({"", ""});
  EXPECT_EQ(empty.redact("abc"), "abc") << "an empty secret matches nothing";
}

TEST(redactor, replaces_every_occurrence_of_every_secret) {
  const redactor r({"tok-123", "s3cret", "tok-123"});
  EXPECT_EQ(r.redact("Authorization: Bearer tok-123; X-Secret: s3cret; again tok-123"),
            "Authorization: Bearer [REDACTED]; X-Secret: [REDACTED]; again [REDACTED]");
  EXPECT_EQ(r.excerpt("tok-123tok-123", 1000), "[REDACTED][REDACTED]");
}

TEST(redactor, a_secret_shorter_than_the_marker_is_still_replaced_in_the_whole_text) {
  const redactor r({"a"});
  EXPECT_EQ(r.redact("abca"), "[REDACTED]bc[REDACTED]");
}

TEST(redactor, redacts_before_cutting_a_secret_across_the_limit_is_replaced_whole) {
  const std::string token(40, 'Q');  // not a letter of the marker
  const redactor r({token});
  const std::string body = std::string(980, '.') + token + " tail";
  const auto out = r.excerpt(body, 1000);
  EXPECT_EQ(out, std::string(980, '.') + "[REDACTED]" + " tail");
  EXPECT_EQ(out.find('Q'), std::string::npos);
  // The marker is kept whole even when it straddles the limit.
  const auto tight = r.excerpt(std::string(995, '.') + token + "after", 1000);
  EXPECT_EQ(tight, std::string(995, '.') + "[REDACTED]");
  // A secret that starts at the limit is simply not quoted.
  EXPECT_EQ(r.excerpt(std::string(1000, '.') + token, 1000), std::string(1000, '.'));
}

TEST(redactor, the_excerpt_is_the_first_bytes_of_the_redacted_text) {
  const std::string token(800, 'Q');
  const redactor r({token});
  std::string body;
  for (int i = 0; i < 200; ++i) body += token + "x";
  const auto out = r.excerpt(body, 1000);
  EXPECT_EQ(out.find('Q'), std::string::npos);
  EXPECT_GE(out.size(), 1000u) << "filled from far into the body, past the removed bytes";
  EXPECT_LE(out.size(), 1000u + redaction_marker.size());
  EXPECT_TRUE(out.starts_with("[REDACTED]x[REDACTED]x"));
}

TEST(redactor, overlapping_secrets_leave_no_fragment) {
  const redactor r({"abcdef", "defghi"});
  EXPECT_EQ(r.redact("<abcdefghi>"), "<[REDACTED]>");
  const redactor nested({"secret", "xsecretx"});
  EXPECT_EQ(nested.redact("1xsecretx2secret3"), "1[REDACTED]2[REDACTED]3");
}

}  // namespace
}  // namespace oauth2_rest::action::detail
