// Local mode's attachment store (SPEC 9, `process --attachments DIR`): a directory.
//
// - Reading: a bare name is the file of that name in DIR (a name with '/' or '\', ".", ".." or
//   an empty one is refused: names never leave DIR); a file:// URL is the local file it names
//   (anywhere: the user gave it). http(s) URLs are the platform's: refused with a clear error.
//   Local files carry no content type; the message's attachment entry may give one.
// - Writing: the response goes into a hidden temporary file in DIR (".oauth2-rest-<uuid>.part",
//   mode 0600), which on commit is linked under its name; an existing file is never replaced:
//   "name", then "name-1.ext", "name-2.ext", ... The event's url is file://<absolute path>
//   (percent-encoded). An upload not committed (error, maxResponseSize) is removed.
#pragma once

#include "action/attachment_store.hpp"

#include <filesystem>
#include <memory>

namespace oauth2_rest::local {

// Throws std::runtime_error when dir is not an existing directory (a start-up error).
std::shared_ptr<action::attachment_store> make_directory_attachments(const std::filesystem::path& dir);

// file://<path>, the path percent-encoded except for unreserved characters and '/'.
std::string file_url(const std::filesystem::path& absolute);

}  // namespace oauth2_rest::local
