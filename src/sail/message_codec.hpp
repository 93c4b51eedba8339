// Message bodies on the wire (protocol doc sections 4.2, 4.3, 5.3 and 6):
// encrypted JSON messages in protocol 1 (base64 text of the ciphertext) or
// protocol 2 (raw ciphertext), and the plain-JSON error records whose two
// fields are always base64 of an encrypted JSON text.
//
// Failures name the stage that failed, never the content: a message body may
// hold secrets, and these messages end up in logs.
#pragma once

#include "amqp/header_table.hpp"
#include "sail/message_cipher.hpp"
#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::sail {

// Decodes an incoming message body. protocol_version < 2: base64 text of the
// ciphertext, read as leniently as Node reads it (util/base64.hpp); otherwise raw
// ciphertext (Node's rule, `protocolVersion < 2`). The JSON is read as Node's
// JSON.parse reads it (util/json_read.hpp: deep nesting, lone surrogates).
// The result is the message object; errors, by stage:
//   "message body is empty"
//   "message is not valid base64" (it does not decrypt, and is not canonical base64)
//   "could not decrypt message (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)"
//   "decrypted message is not valid JSON: <parser message>"
//   "decrypted message is not a JSON object"
result<boost::json::object> decode_message(std::string_view body, int protocol_version,
                                           const message_cipher& cipher);

// Node's finishing touches on a decoded message (amqp.js _decodeMessage):
// a missing or falsy "headers" becomes {}, and a truthy incoming AMQP header
// reply_to is copied into message.headers.reply_to (request-reply flows read it there).
void attach_reply_to(boost::json::object& message, const amqp::header_table& amqp_headers);

// The AMQP body for an outgoing message: JSON as Node's JSON.stringify writes it
// (util/json_write.hpp), encrypted, base64 for protocol_version < 2, raw otherwise.
std::string encode_message(const boost::json::object& payload, int protocol_version,
                           const message_cipher& cipher);

// What an error record says about the error (Node's formatError defaults).
struct error_description {
  std::string name = "Error";
  std::string message;
  std::string stack = "Not Available";
};

// The body of an `error` event: compact JSON
//   {"error": base64(enc(JSON {name, message, stack})), "errorInput": ...}
// errorInput is omitted when raw_input is nullopt (e.g. start-up errors).
// Otherwise it is the incoming body itself for a protocol 1 input (already
// base64 text), and base64 of the incoming body's bytes for protocol 2, so
// that both read as base64 of the encrypted input. (Node decrypts and
// re-encrypts a protocol 2 input; for any body Node itself produced the
// result is the same bytes, without a second AES pass here.)
std::string encode_error_record(const error_description& e,
                                std::optional<std::string_view> raw_input,
                                int input_protocol_version, const message_cipher& cipher);

// The base64 "error" string alone: what Node sends to a reply_to queue as the
// body of an error reply (section 5.3, "error reply").
std::string encode_error_payload(const error_description& e, const message_cipher& cipher);

// For ELASTICIO_INPUT_FORMAT=error (section 4.3): the record
// {"error": b64, "errorInput": b64, ...} with both fields decrypted and
// parsed: {"error": {name, message, stack}, "errorInput": {...}, ...}. Other
// fields are kept; an absent or empty field is left as it is (as Node does).
// Errors name the field and the stage ("error record field \"errorInput\" is
// not valid base64").
result<boost::json::object> decode_error_record(std::string_view body,
                                                const message_cipher& cipher);

}  // namespace oauth2_rest::sail
