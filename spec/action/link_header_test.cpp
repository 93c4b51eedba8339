// Unit tests: RFC 8288 Link field values.
#include "action/link_header.hpp"

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

std::string next_of(std::vector<std::string_view> values) { return find_link(values, "next").value_or("<none>"); }

TEST(link_header, next_link_table) {
  struct row {
    const char* field;
    const char* next;
  };
  const row rows[] = {
      {R"(<https://api.example.com/items?page=2>; rel="next")", "https://api.example.com/items?page=2"},
      {R"(<https://api.example.com/items?page=2>; rel=next)", "https://api.example.com/items?page=2"},
      {R"(</items?page=2>;rel=next)", "/items?page=2"},
      {R"(<?page=2>  ;  rel = "next" )", "?page=2"},
      // Several links, next not first (GitHub's shape).
      {R"(<https://api.github.com/r?page=1>; rel="prev", <https://api.github.com/r?page=3>; rel="next", )"
       R"(<https://api.github.com/r?page=9>; rel="last")",
       "https://api.github.com/r?page=3"},
      // Several relation types in one rel, in any case.
      {R"(</last>; rel="last NEXT")", "/last"},
      {R"(</p2>; REL="Next")", "/p2"},
      // Commas and semicolons inside <...> belong to the URI.
      {R"(</a?x=1,2;3>; rel="prev", </b?ids=4,5>; rel="next")", "/b?ids=4,5"},
      // Commas and escapes inside quoted strings belong to them.
      {R"(</t>; title="a, b; rel=next", </n>; rel="next")", "/n"},
      {R"(</t>; title="say \"hi\", rel=next"; rel=prev, </n>; rel=next)", "/n"},
      // Only the first rel of a link counts (RFC 8288 3.3).
      {R"(</first>; rel="prev"; rel="next", </second>; rel="next")", "/second"},
      // Other parameters around rel.
      {R"(</p>; type="application/json"; rel="next"; title*=UTF-8'de'n%c3%a4chste)", "/p"},
      // "next" must be a whole relation type.
      {R"(</nope>; rel="nextpage", </yes>; rel="next")", "/yes"},
      // Malformed link-values are skipped, not fatal.
      {R"(garbage, </ok>; rel=next)", "/ok"},
      {R"(</bad> junk; rel=next, </ok>; rel=next)", "/ok"},
      {R"(</x>; rel="next)", "/x"},  // unterminated quote: the rest is the value
      {R"(<>; rel=next)", ""},       // an empty target (the caller stops)
      // Nothing usable.
      {R"(</p1>; rel="prev")", "<none>"},
      {R"(</p1>)", "<none>"},
      {R"(</p1; rel=next)", "<none>"},  // unterminated <
      {"", "<none>"},
      {",,, ,", "<none>"},
  };
  for (const auto& r : rows) EXPECT_EQ(next_of({r.field}), r.next) << r.field;
}

TEST(link_header, several_fields_are_read_in_order) {
  EXPECT_EQ(next_of({R"(</p1>; rel="prev")", R"(</p3>; rel="next")"}), "/p3");
  EXPECT_EQ(next_of({R"(</a>; rel="next")", R"(</b>; rel="next")"}), "/a");
  EXPECT_EQ(next_of({R"(</broken; rel=next)", R"(</b>; rel="next")"}), "/b") << "a broken field does not swallow the next";
  EXPECT_EQ(next_of({}), "<none>");
}

TEST(link_header, parse_gives_targets_and_lower_cased_rels) {
  auto links = parse_link_header(R"(</a>; rel="Prev First", <https://x.example/b,c>; rel=next; anchor="#x", </c>)");
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].target, "/a");
  EXPECT_EQ(links[0].rels, (std::vector<std::string>{"prev", "first"}));
  EXPECT_EQ(links[1].target, "https://x.example/b,c");
  EXPECT_EQ(links[1].rels, (std::vector<std::string>{"next"}));
  EXPECT_EQ(links[2].target, "/c");
  EXPECT_TRUE(links[2].rels.empty());
}

}  // namespace
}  // namespace oauth2_rest::action
