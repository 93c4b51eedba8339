// The names and references of attachments (SPEC 9), pure: no I/O.
//
// - attachment_name(): the name a stored response gets: the Content-Disposition file name
//   (RFC 6266: filename* with its RFC 8187 charset'lang'percent-encoding, UTF-8 or ISO-8859-1,
//   wins over filename, quoted or token), else the last non-empty segment of the URL's path
//   (percent-decoded), else "response". Whatever the source, only the part after the last '/'
//   or '\' is kept, control characters are dropped, and ".", ".." or an empty result fall
//   through to the next source: a name is always a plain file name.
// - content_disposition_filename(): just the file name of a Content-Disposition value, or
//   empty.
// - classify_reference(): what a bodyAttachment (or an attachment's url) points at: a
//   file:// URL (local path, percent-decoded), an object-storage URL
//   (.../objects/{id}?storage_type=maester: the id is the path after the first "/objects/", one
//   segment), an http(s) URL with storage_type steward or none (read with a plain GET: the
//   platform's steward), an http(s) URL the platform would refuse (another storage_type, or a
//   maester URL without an id: `unsupported`, value the storage type), or a bare name.
#pragma once

#include <string>
#include <string_view>

namespace oauth2_rest::action {

std::string content_disposition_filename(std::string_view value);

std::string attachment_name(std::string_view content_disposition, std::string_view url);

struct attachment_reference {
  enum class kind { name, file, maester, http, unsupported } type = kind::name;
  // name: the name; file: the local path; maester: the object id; http: the URL;
  // unsupported: the storage type
  std::string value;
};

attachment_reference classify_reference(std::string_view reference);

}  // namespace oauth2_rest::action
