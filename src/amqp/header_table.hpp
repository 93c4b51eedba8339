// The headers of one AMQP message: the entries of its field table, in table order, each a key
// and a JSON value (the mapping of AMQP field kinds to JSON is in field_table.hpp; nested tables
// and arrays are JSON objects and arrays).
//
// A flat list rather than a boost::json::object because of what the worker does with headers: it
// reads a handful of them from every delivery, and builds the tables of its outputs in an order it
// already knows has no repeated key. A JSON object allocates every key on its own and searches for
// a duplicate on every insertion; here the entries are one array, a key up to 15 bytes (all the
// platform's own) sits inside its entry, and append() does no search. Lookups are linear, which
// for the dozen or two entries of a real message is as fast as hashing.
//
// The interface follows boost::json::object where the two overlap (if_contains, at, operator[],
// find, iteration with key() and value()), so code and tests read the same either way.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_ref.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::amqp {

class header_table {
 public:
  class entry {
   public:
    entry(std::string_view key, boost::json::value value) : key_(key), value_(std::move(value)) {}
    std::string_view key() const noexcept { return key_; }
    const boost::json::value& value() const noexcept { return value_; }
    boost::json::value& value() noexcept { return value_; }

   private:
    std::string key_;
    boost::json::value value_;
  };
  using iterator = std::vector<entry>::iterator;
  using const_iterator = std::vector<entry>::const_iterator;

  header_table() = default;
  // From JSON (tests, and callers that build headers as JSON): the object's order is kept.
  header_table(const boost::json::object& object);  // NOLINT(google-explicit-constructor)
  // As boost::json::object's: a key given twice keeps its first value.
  header_table(std::initializer_list<std::pair<boost::json::string_view, boost::json::value_ref>> init);

  // The same entries as a JSON object (a key repeated in the table keeps its first value there).
  boost::json::object to_object() const;

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t capacity() const noexcept { return entries_.capacity(); }
  void reserve(std::size_t n) { entries_.reserve(n); }
  void clear() noexcept { entries_.clear(); }
  iterator begin() noexcept { return entries_.begin(); }
  iterator end() noexcept { return entries_.end(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }

  // The first entry with this key, or end() / nullptr.
  iterator find(std::string_view key) noexcept;
  const_iterator find(std::string_view key) const noexcept;
  boost::json::value* if_contains(std::string_view key) noexcept;
  const boost::json::value* if_contains(std::string_view key) const noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != end(); }
  // Throws std::out_of_range naming the key when it is absent.
  const boost::json::value& at(std::string_view key) const;

  // The value of `key`, appended as null when absent.
  boost::json::value& operator[](std::string_view key);
  // Replaces the value of `key` where it stands, or appends it.
  void insert_or_assign(std::string_view key, boost::json::value value);
  // Appends the entry unless the key is present (then the table is unchanged, as
  // boost::json::object::emplace); true when appended.
  bool emplace(std::string_view key, boost::json::value value);
  // Appends without looking for the key: for a caller that knows it is absent.
  void append(std::string_view key, boost::json::value value) { entries_.emplace_back(key, std::move(value)); }

  // Equal when both have the same keys with equal values, in any order (as boost::json::object).
  friend bool operator==(const header_table& a, const header_table& b);

 private:
  std::vector<entry> entries_;
};

}  // namespace oauth2_rest::amqp
