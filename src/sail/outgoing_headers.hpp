// AMQP headers of everything the worker publishes for one incoming message
// (protocol doc sections 4.1 and 5.2), with the Node reference runtime's
// semantics: which incoming headers are carried over, which are overwritten
// from the environment, and in which order the keys appear.
//
// Headers are amqp::header_table here (keys and JSON values, in table order);
// converting them to and from AMQP field tables belongs to the AMQP layer. A key whose value Node would leave
// `undefined` (e.g. parentMessageId of a message without messageId) is left
// out, as amqplib leaves it out of the table.
#pragma once

#include "amqp/header_table.hpp"
#include "sail/settings.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace oauth2_rest::sail {

// Number(headers.protocolVersion || 1): numbers (truncated), numeric strings
// ("2", " 2 "), true -> 1; anything else, including a missing, zero, empty or
// non-numeric value -> 1. (Node turns a non-numeric string into NaN, which
// then selects raw decoding; we read it as 1, the platform's default.)
int protocol_version_of(const amqp::header_table& incoming_headers);

// headers.threadId || headers['x-eio-meta-trace-id'] (any case) || new_uuid().
std::string thread_id_of(const amqp::header_table& incoming_headers,
                         const std::function<std::string()>& new_uuid);

// The headers shared by every output of one incoming message:
//   {stepId, ...x-eio-meta-* (keys lower-cased), threadId, messageId,
//    parentMessageId, reply_to?, ...additional headers,
//    parentMessageId: <incoming messageId>, threadId, messageId: new_message_id,
//    execId, taskId, workspaceId, containerId, userId, stepId, compId,
//    function, start: start_ms}
// thread_id comes from thread_id_of; start_ms is epoch ms when processing began. The object has
// room for the two keys data_headers adds (end, protocolVersion) without growing.
amqp::header_table build_common_headers(const amqp::header_table& incoming_headers,
                                         const settings& s, std::string_view new_message_id,
                                         std::string_view thread_id, std::int64_t start_ms);

// Headers of a `data` publish: common + messageId (the emitted message's id,
// or the common one when message_id is empty), end, protocolVersion.
amqp::header_table data_headers(const amqp::header_table& common, std::string_view message_id,
                                 int protocol_version, std::int64_t end_ms);
// The same, reusing `common` (for the last output of a message: no copy).
amqp::header_table data_headers(amqp::header_table&& common, std::string_view message_id,
                                 int protocol_version, std::int64_t end_ms);

// Headers of an `error` publish: common + end.
amqp::header_table error_headers(const amqp::header_table& common, std::int64_t end_ms);

// Headers of an error reply to reply_to: error headers + "x-eio-error-response": true.
amqp::header_table error_reply_headers(const amqp::header_table& error_hdrs);

// Headers of a start-up error report (section 5.4): additional headers, the
// env ids, messageId. No threadId, start or end.
amqp::header_table startup_error_headers(const settings& s, std::string_view message_id);

// A random RFC 4122 version 4 UUID, lower-case (OpenSSL's CSPRNG).
std::string new_uuid_v4();

}  // namespace oauth2_rest::sail
