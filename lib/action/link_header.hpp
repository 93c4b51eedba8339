// The HTTP Link header (RFC 8288), read for the httpRequest action's `linkHeader` pagination
// (SPEC section 8). Pure: no I/O.
//
//   Link: <https://api.example.com/items?page=2>; rel="next", </items?page=9>; rel=last
//
// - A field value is a comma-separated list of `<URI-Reference>` followed by `; name=value`
//   parameters; a value is a token or a quoted-string (backslash escapes undone). Commas and
//   semicolons inside `<...>` and inside quoted strings belong to them, not to the list.
// - Parameter names are case-insensitive. `rel` is a space-separated list of relation types,
//   compared case-insensitively (`rel="next last"` is both); only the first `rel` of a link
//   counts (RFC 8288 3.3).
// - The parser is lenient, as RFC 8288 appendix B asks: a malformed link-value is skipped up
//   to the next top-level comma, never an error; an unterminated `<` ends the field.
// - The target is returned as written (not resolved): the caller resolves it against the URL
//   of the response (RFC 3986 section 5).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::action {

struct link_value {
  std::string target;             // the URI-Reference between < and >, as written
  std::vector<std::string> rels;  // the relation types, lower-cased, in order
};

// Every link-value of one Link field value, in order.
std::vector<link_value> parse_link_header(std::string_view field_value);

// The target of the first link whose relation types include `rel` (case-insensitive), across
// the field values in order (a response may send several Link fields); nullopt when none has.
std::optional<std::string> find_link(const std::vector<std::string_view>& field_values, std::string_view rel);

}  // namespace oauth2_rest::action
