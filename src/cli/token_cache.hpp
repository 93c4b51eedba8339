// The one-shot command line's token cache (SPEC 10): one file per credential under
// $XDG_CACHE_HOME/oauth2-rest/ (else ~/.cache/oauth2-rest/), so that `oauth2-rest token` and
// `oauth2-rest request` called again within a token's lifetime make no token request.
//
// - The file name is the SHA-256 (hex) of the token URL, client id, scopes (as sent, space
//   separated) and additional properties: two credentials that would get different tokens
//   never share a file. Additional properties are part of the key because an audience or a
//   resource indicator changes what the token grants (Camel's CAMEL-24456: a cache keyed
//   without them handed a narrow-scope route a broad-scope token). The secret is not: a new
//   secret for the same client still gets the same tokens, and a hash of a secret in a file
//   name would invite offline guessing.
// - The file holds the token only (the "tokens" value of token.hpp, plus the token URL
//   without userinfo and the client id to check it belongs here), never the secret.
// - Created 0600 in a directory created 0700, written to a temporary file in the same
//   directory, fsynced, then renamed over the old one (and the directory fsynced): a reader,
//   including a concurrent oauth2-rest, sees the old file or the new one, never half of one.
// - A file that is not a regular file, is owned by someone else, is readable or writable by
//   group or others, is not valid, or belongs to another credential is never trusted: load()
//   reports it as a one-line warning and the next save() replaces it. A cache directory owned
//   by someone else is not used at all (they could swap the files).
//
// Plain file I/O, no Asio; errors are values, never exceptions.
#pragma once

#include "oauth2/token.hpp"
#include "oauth2/token_request.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::cli {

// $XDG_CACHE_HOME/oauth2-rest when XDG_CACHE_HOME is an absolute path (the XDG base directory
// rule: a relative one is ignored), else $HOME/.cache/oauth2-rest; nullopt without either.
std::optional<std::filesystem::path> default_cache_directory();

// The cache file's name for these credentials: 64 hex digits + ".json".
std::string cache_file_name(const oauth2::client_credentials& c);

// The content of a cache file (pure, no I/O: fuzz/fuzz_token_cache.cpp): the token, or why it
// is not trusted ("it is not a JSON object", "it belongs to another token URL or client id", ...).
struct cache_content {
  std::optional<oauth2::token> token;
  std::string why;  // non-empty exactly when token is nullopt
};
cache_content parse_cache_content(std::string_view text, std::string_view token_url, std::string_view client_id);
// What save() writes: {"tokenUrl":...,"clientId":...,"tokens":{...}} and a newline.
// token_url without userinfo (strip_userinfo), as parse_cache_content expects it.
std::string format_cache_content(const oauth2::token& t, std::string_view token_url, std::string_view client_id);

struct cache_load {
  std::optional<oauth2::token> token;  // the cached token, expired or not; nullopt when none or not trusted
  std::string warning;                 // non-empty when a file was there but not trusted (why, one line)
};

class token_cache {
 public:
  token_cache(std::filesystem::path directory, const oauth2::client_credentials& c);

  const std::filesystem::path& file() const { return file_; }

  // Reads the cached token. No file: no token and no warning.
  cache_load load() const;
  // Writes `t` atomically. Returns an empty string, or a one-line warning (the token is still
  // usable; the next call will just request a new one).
  std::string save(const oauth2::token& t) const;

 private:
  std::filesystem::path directory_;
  std::filesystem::path file_;
  std::string token_url_;  // without userinfo
  std::string client_id_;
};

}  // namespace oauth2_rest::cli
