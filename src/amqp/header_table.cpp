// A message's AMQP headers as a flat list (see the header for why).
#include "amqp/header_table.hpp"

#include <stdexcept>

namespace oauth2_rest::amqp {

header_table::header_table(const boost::json::object& object) {
  entries_.reserve(object.size());
  for (const auto& kv : object) entries_.emplace_back(kv.key(), kv.value());
}

header_table::header_table(std::initializer_list<std::pair<boost::json::string_view, boost::json::value_ref>> init)
    : header_table(boost::json::object(init)) {}

boost::json::object header_table::to_object() const {
  boost::json::object out(entries_.size());
  for (const auto& e : entries_) out.emplace(e.key(), e.value());
  return out;
}

header_table::iterator header_table::find(std::string_view key) noexcept {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->key() == key) return it;
  return entries_.end();
}

header_table::const_iterator header_table::find(std::string_view key) const noexcept {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->key() == key) return it;
  return entries_.end();
}

boost::json::value* header_table::if_contains(std::string_view key) noexcept {
  auto it = find(key);
  return it == end() ? nullptr : &it->value();
}

const boost::json::value* header_table::if_contains(std::string_view key) const noexcept {
  auto it = find(key);
  return it == end() ? nullptr : &it->value();
}

const boost::json::value& header_table::at(std::string_view key) const {
  if (const auto* v = if_contains(key)) return *v;
  throw std::out_of_range("no header " + std::string(key));
}

boost::json::value& header_table::operator[](std::string_view key) {
  if (auto* v = if_contains(key)) return *v;
  return entries_.emplace_back(key, nullptr).value();
}

void header_table::insert_or_assign(std::string_view key, boost::json::value value) {
  if (auto* v = if_contains(key)) *v = std::move(value);
  else entries_.emplace_back(key, std::move(value));
}

bool header_table::emplace(std::string_view key, boost::json::value value) {
  if (contains(key)) return false;
  entries_.emplace_back(key, std::move(value));
  return true;
}

bool operator==(const header_table& a, const header_table& b) {
  if (a.size() != b.size()) return false;
  for (const auto& e : a) {
    const auto* other = b.if_contains(e.key());
    if (other == nullptr || *other != e.value()) return false;
  }
  return true;
}

}  // namespace oauth2_rest::amqp
