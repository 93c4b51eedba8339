// Lightweight output messages (platform-protocol section 8): the decisions, without I/O.
//
// With ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE on, the reference runtime (sailor-nodejs 2.7.8,
// lib/sailor.js onData) measures an outgoing data message as the UTF-8 length of
// JSON.stringify(body) plus that of every passthrough entry's body; over
// ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD it stores each of those bodies in object storage
// (encrypted, POST /objects), except a passthrough entry whose headers already name a stored
// object (that id is reused), and replaces each body by {} with the object's id in the entry's
// headers under x-ipaas-object-storage-id. This step's own passthrough entry (is_passthrough
// without NO_SELF_PASSTRHOUGH) is added after that in Node, as a copy of the message: so it is
// not measured or stored here, and it ends up referring to the message body's object.
//
// What differs, where Node would fail or send nonsense: an entry that is not an object or has no
// body is neither measured nor stored (Node throws on Buffer.from(undefined)); a store answer
// without a usable objectId is an error (Node would send the message with no reference at all).
#pragma once

#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::sail {

inline constexpr std::string_view object_id_header = "x-ipaas-object-storage-id";

// One body to go to object storage: the message itself or one passthrough entry.
struct lightweight_part {
  boost::json::object* entry;  // points into the message given to plan_lightweight
  std::string body_json;       // JSON.stringify(entry.body) as Node writes it: what is stored (encrypted)
  std::string stored_id;       // set: already in object storage (reused, nothing uploaded)
};

// The parts to store, the message's own body first, then the passthrough entries in their
// order; empty when the message stays as it is (not over `threshold` bytes). `own_entry` is the
// passthrough key of this step's own copy of the message, empty when there is none.
std::vector<lightweight_part> plan_lightweight(boost::json::object& message, std::size_t threshold,
                                               std::string_view own_entry);

// The entry's body becomes {} and its headers (made an object if they were not one) name `id`.
void refer_to_stored(boost::json::object& entry, std::string_view id);

// Once every part has its id: each entry refers to its object, and this step's own passthrough
// entry (if any) to the message body's.
void apply_lightweight(boost::json::object& message, std::vector<lightweight_part>& parts,
                       std::string_view own_entry);

// The id in object storage's answer to POST /objects, {"objectId": "..."} (other members are
// ignored). Fails, without quoting the answer, unless it is a JSON object with a non-empty
// string objectId.
result<std::string> parse_stored_object_id(std::string_view answer);

}  // namespace oauth2_rest::sail
