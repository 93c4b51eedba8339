// RFC 8288 Link field values: link-values, their targets and rel parameters.
#include "action/link_header.hpp"

#include "action/detail/text.hpp"

namespace oauth2_rest::action {
namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

class link_parser {
 public:
  explicit link_parser(std::string_view text) : s_(text) {}

  std::vector<link_value> run() {
    std::vector<link_value> out;
    for (;;) {
      skip_while([](char c) { return is_ows(c) || c == ','; });
      if (at_end()) break;
      if (s_[i_] != '<') {  // not a link-value: skip it whole
        skip_to_top_level_comma();
        continue;
      }
      const auto close = s_.find('>', i_ + 1);
      if (close == std::string_view::npos) break;  // unterminated: nothing more to trust
      link_value link;
      link.target = std::string(s_.substr(i_ + 1, close - i_ - 1));
      i_ = close + 1;
      bool rel_seen = false;
      bool well_formed = read_params(link, rel_seen);
      if (well_formed) out.push_back(std::move(link));
      else skip_to_top_level_comma();
    }
    return out;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }

  template <class Pred>
  void skip_while(Pred p) {
    while (!at_end() && p(s_[i_])) ++i_;
  }

  // Past the next comma outside quoted strings and <...>, or to the end.
  void skip_to_top_level_comma() {
    while (!at_end()) {
      const char c = s_[i_];
      if (c == ',') {
        ++i_;
        return;
      }
      if (c == '"') {
        std::string ignored;
        read_quoted(ignored);
        continue;
      }
      if (c == '<') {
        const auto close = s_.find('>', i_ + 1);
        i_ = close == std::string_view::npos ? s_.size() : close + 1;
        continue;
      }
      ++i_;
    }
  }

  // At '"': the quoted-string's content with backslash escapes undone; an unterminated one
  // runs to the end.
  void read_quoted(std::string& out) {
    ++i_;
    while (!at_end()) {
      const char c = s_[i_++];
      if (c == '"') return;
      if (c == '\\' && !at_end()) {
        out.push_back(s_[i_++]);
        continue;
      }
      out.push_back(c);
    }
  }

  std::string_view read_token() {
    const auto start = i_;
    skip_while([](char c) { return !is_ows(c) && c != ';' && c != ',' && c != '=' && c != '"' && c != '<'; });
    return s_.substr(start, i_ - start);
  }

  // The `; name[=value]` list after a target, up to the comma that ends the link-value.
  // False when something other than a parameter follows (the link-value is dropped).
  bool read_params(link_value& link, bool& rel_seen) {
    for (;;) {
      skip_while(is_ows);
      if (at_end()) return true;
      if (s_[i_] == ',') {
        ++i_;
        return true;
      }
      if (s_[i_] != ';') return false;
      ++i_;
      skip_while(is_ows);
      const std::string name = detail::to_lower(read_token());
      skip_while(is_ows);
      std::string value;
      if (!at_end() && s_[i_] == '=') {
        ++i_;
        skip_while(is_ows);
        if (!at_end() && s_[i_] == '"') read_quoted(value);
        else value = std::string(read_token());
      }
      if (name == "rel" && !rel_seen) {
        rel_seen = true;
        add_rels(link, value);
      }
    }
  }

  static void add_rels(link_value& link, std::string_view value) {
    std::size_t i = 0;
    while (i < value.size()) {
      while (i < value.size() && detail::is_space(value[i])) ++i;
      const auto start = i;
      while (i < value.size() && !detail::is_space(value[i])) ++i;
      if (i > start) link.rels.push_back(detail::to_lower(value.substr(start, i - start)));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<link_value> parse_link_header(std::string_view field_value) { return link_parser(field_value).run(); }

std::optional<std::string> find_link(const std::vector<std::string_view>& field_values, std::string_view rel) {
  for (const auto value : field_values) {
    for (auto& link : parse_link_header(value)) {
      for (const auto& r : link.rels)
        if (detail::iequals(r, rel)) return std::move(link.target);
    }
  }
  return std::nullopt;
}

}  // namespace oauth2_rest::action
