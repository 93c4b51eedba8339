// The platform worker's attachment store (SPEC 9), as the platform's attachment processor
// (@elastic.io/component-commons-library AttachmentProcessor with its maester-client) does it:
//
// - Reading: a URL with storage_type=maester is object {id} (the path after "/objects/"), read
//   with GET {ELASTICIO_OBJECT_STORAGE_URI}/objects/{id}, Authorization: Bearer
//   ELASTICIO_OBJECT_STORAGE_TOKEN, x-request-id f:<flow>;s:<step>;m:; 5xx and network errors
//   are retried twice, 100 ms and 200 ms apart. Any other http(s) URL (storage_type steward or
//   none) is read with a plain GET (no credentials; redirects followed), not retried. Another
//   storage_type is an error naming it. The body is spooled to an unlinked temporary file
//   (TMPDIR) in pieces, then streamed from there as the request body, so its size is known
//   (Content-Length) and memory stays bounded; at most max_attachment_bytes.
// - Writing: the response goes into a temporary file in pieces; commit POSTs it to
//   {ELASTICIO_OBJECT_STORAGE_URI}/objects (Bearer token, Content-Type of the response,
//   Content-Length, retried as above), whose answer {"objectId": "..."} gives the URL
//   {uri}/objects/{id}?storage_type=maester. The temporary file is removed in every case.
// - Without ELASTICIO_OBJECT_STORAGE_URI, maester reads and every upload fail naming it.
#pragma once

#include "action/attachment_store.hpp"
#include "http/http_client.hpp"
#include "sail/settings.hpp"

#include <cstdint>
#include <memory>

namespace oauth2_rest::sail {

// The most one attachment read may be (the platform's attachments are at most 100 MB).
inline constexpr std::uint64_t max_attachment_bytes = 1ull << 30;

std::shared_ptr<action::attachment_store> make_object_storage_attachments(http::client& http, const settings& s);

}  // namespace oauth2_rest::sail
