// Encoding and decoding of message bodies and error records (protocol doc sections 4-6).
#include "sail/message_codec.hpp"
#include "util/json_values.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"

#include <boost/json/value.hpp>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

failure fail(error code, std::string message) { return {make_error_code(code), std::move(message)}; }

// Parses decrypted text as Node's JSON.parse does (read_json keeps one parser per thread);
// `what` names the thing for the message.
result<json::value> parse_json(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = read_json(text, ec);
  if (ec) return fail(error::invalid_json, std::string(what) + " is not valid JSON: " + ec.message());
  return v;
}

// base64 text -> ciphertext -> plaintext -> JSON, for one error record field.
result<json::value> decode_field(const json::value& field, std::string_view name,
                                 const message_cipher& cipher) {
  std::string label = "error record field \"" + std::string(name) + "\"";
  if (!field.is_string()) return fail(error::invalid_base64, label + " is not a string");
  // Decoded as leniently as Node does; text that is not base64 at all fails to decrypt, and
  // is named for what it is.
  auto raw = base64_decode(field.get_string());
  auto plain = cipher.decrypt(raw.value_or(std::string()));
  if (!plain) {
    if (!is_canonical_base64(field.get_string())) return fail(error::invalid_base64, label + " is not valid base64");
    return fail(error::decrypt_failed,
                "could not decrypt " + label + " (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)");
  }
  return parse_json(*plain, "decrypted " + label);
}


// Per-thread buffers for the plaintext and ciphertext of an outgoing message:
// both are dropped once the message body is made, so their memory is kept for
// the next message (unless a huge message made them huge).
struct encode_buffers {
  std::string plain;
  std::string cipher;
};

constexpr std::size_t kept_buffer_capacity = 1 << 20;

void release_if_huge(std::string& buffer) {
  if (buffer.capacity() > kept_buffer_capacity) std::string().swap(buffer);
}

}  // namespace

result<json::object> decode_message(std::string_view body, int protocol_version,
                                    const message_cipher& cipher) {
  if (body.empty()) return fail(error::empty_message, "message body is empty");
  // One per-thread buffer: the ciphertext (base64-decoded, or copied),
  // decrypted in place, parsed from there.
  thread_local std::string buffer;
  struct release_at_exit {
    ~release_at_exit() { release_if_huge(buffer); }
  } release;
  if (protocol_version < 2) {
    // As leniently as Node's Buffer.from(text, "base64"): unpadded, line-wrapped, URL-safe.
    base64_decode_into(body, buffer);
  } else {
    buffer.assign(body);
  }
  if (!cipher.decrypt_in_place(buffer)) {
    // Node fails here too; a text that is not base64 at all is named for what it is.
    if (protocol_version < 2 && !is_canonical_base64(body))
      return fail(error::invalid_base64, "message is not valid base64");
    return fail(error::decrypt_failed,
                "could not decrypt message (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)");
  }
  auto v = parse_json(buffer, "decrypted message");
  if (!v) return std::move(v).error();
  if (!v->is_object()) return fail(error::not_an_object, "decrypted message is not a JSON object");
  return std::move(v->get_object());
}

void attach_reply_to(json::object& message, const amqp::header_table& amqp_headers) {
  if (auto* h = message.if_contains("headers"); h == nullptr || !js_truthy(*h)) {
    message["headers"] = json::object();
  }
  auto* reply_to = amqp_headers.if_contains("reply_to");
  if (reply_to == nullptr || !js_truthy(*reply_to)) return;
  // Node's assignment onto a non-object "headers" is silently lost; so is ours.
  if (auto& h = message["headers"]; h.is_object()) h.get_object()["reply_to"] = *reply_to;
}

std::string encode_message(const json::object& payload, int protocol_version,
                           const message_cipher& cipher) {
  // The JSON text, as Node's JSON.stringify writes it, goes into the thread's buffer, whose
  // capacity is kept for the next message.
  thread_local encode_buffers buffers;
  std::string& storage = buffers.plain;
  storage.clear();
  append_json(storage, payload);
  const std::string_view plain(storage);
  std::string body;
  if (protocol_version < 2) {
    cipher.encrypt_into(plain, buffers.cipher);
    body = base64_encode(buffers.cipher);
  } else {
    cipher.encrypt_into(plain, body);
  }
  release_if_huge(buffers.plain);
  release_if_huge(buffers.cipher);
  return body;
}

std::string encode_error_payload(const error_description& e, const message_cipher& cipher) {
  // Key order as Node's JSON.stringify({name, message, stack}).
  json::object err;
  err["name"] = e.name;
  err["message"] = e.message;
  err["stack"] = e.stack;
  return base64_encode(cipher.encrypt(write_json(err)));
}

std::string encode_error_record(const error_description& e,
                                std::optional<std::string_view> raw_input,
                                int input_protocol_version, const message_cipher& cipher) {
  json::object record;
  record["error"] = encode_error_payload(e, cipher);
  if (raw_input) {
    // Both fields are base64 whatever the protocol (Node's NOTICE in amqp.js).
    record["errorInput"] =
        input_protocol_version < 2 ? std::string(*raw_input) : base64_encode(*raw_input);
  }
  return write_json(record);
}

result<json::object> decode_error_record(std::string_view body, const message_cipher& cipher) {
  if (body.empty()) return fail(error::empty_message, "message body is empty");
  auto v = parse_json(body, "error record");
  if (!v) return std::move(v).error();
  if (!v->is_object()) return fail(error::not_an_object, "error record is not a JSON object");
  json::object record = std::move(v->get_object());
  for (std::string_view name : {"error", "errorInput"}) {
    auto it = record.find(name);
    if (it == record.end() || !js_truthy(it->value())) continue;
    auto decoded = decode_field(it->value(), name, cipher);
    if (!decoded) return std::move(decoded).error();
    it->value() = std::move(*decoded);
  }
  return record;
}

}  // namespace oauth2_rest::sail
