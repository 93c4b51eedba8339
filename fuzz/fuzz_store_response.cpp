// libFuzzer target: sail::parse_stored_object_id, object storage's answer to POST /objects, and
// the lightweight decisions on the same bytes read as an outgoing message (sail/lightweight.hpp).
// Invariants: a parsed id is the non-empty string under objectId; a failure has a message and
// is one of two fixed texts (the answer is never quoted). For a message, a huge threshold stores nothing; a zero threshold
// plans the message's own body first, and after apply_lightweight every planned entry has the
// body {} and its id under x-ipaas-object-storage-id.
#include "fuzz_support.hpp"
#include "sail/lightweight.hpp"
#include "util/json_read.hpp"

#include <boost/json/value.hpp>

#include <limits>

using namespace oauth2_rest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);
  // The project's reader (as Node reads text: invalid UTF-8 is not an error there).
  boost::system::error_code ec;
  auto doc = read_json(text, ec);
  auto id = sail::parse_stored_object_id(text);
  if (id) {
    fuzz::fuzz_check(!id->empty(), "an empty object id");
    fuzz::fuzz_check(!ec && doc.is_object(), "an id from no JSON object");
    auto* member = doc.get_object().if_contains("objectId");
    fuzz::fuzz_check(member && member->is_string() && *id == member->get_string(), "not the objectId");
  } else {
    fuzz::fuzz_check(!id.error().message.empty(), "failure without a message");
    fuzz::fuzz_check(id.error().message == "object storage answered with no JSON object" ||
                         id.error().message == "object storage answered without an objectId string",
                     "a failure message quoting the answer");
  }

  if (ec || !doc.is_object()) return 0;
  auto message = doc.get_object();
  fuzz::fuzz_check(sail::plan_lightweight(message, std::numeric_limits<std::size_t>::max(), "own").empty(),
                   "stored under an unreachable threshold");
  auto parts = sail::plan_lightweight(message, 0, "own");
  if (parts.empty()) {
    fuzz::fuzz_check(!message.contains("body"), "a message with a body not stored at threshold 0");
    return 0;
  }
  fuzz::fuzz_check(parts.front().entry == &message, "the message's own body is not first");
  std::size_t n = 0;
  for (auto& part : parts)
    if (part.stored_id.empty()) part.stored_id = "id-" + std::to_string(n++);
  sail::apply_lightweight(message, parts, "own");
  for (const auto& part : parts) {
    const auto& entry = *part.entry;
    fuzz::fuzz_check(entry.at("body").is_object() && entry.at("body").get_object().empty(), "body not replaced");
    fuzz::fuzz_check(entry.at("headers").at(sail::object_id_header) == boost::json::value(part.stored_id),
                     "reference missing");
  }
  return 0;
}
