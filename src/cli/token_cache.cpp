// The token cache: one 0600 file per credential, replaced atomically, trusted only when it is ours.
#include "cli/token_cache.hpp"

#include "util/fd_write.hpp"

#include "action/url_join.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace oauth2_rest::cli {
namespace json = boost::json;

namespace {

// A cache file is a few hundred bytes; anything much larger is not one of ours.
constexpr std::size_t max_cache_file = 1 << 20;

std::string errno_text(int e) { return std::generic_category().message(e); }

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "0%03o", static_cast<unsigned>(mode & 0777));
  return text;
}

// Each field with its length in front, so no two different inputs give the same bytes.
void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is not available");  // only when OpenSSL itself is broken
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

// The directory exists, is a directory owned by us, and only we may use it; "" or why not.
std::string prepare_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir.parent_path(), ec);  // ~/.cache: the usual mode
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create the token cache directory " + dir.string() + ": " + errno_text(errno);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return "cannot use the token cache directory " + dir.string() + ": " + errno_text(errno);
  if (!S_ISDIR(st.st_mode)) return "the token cache directory " + dir.string() + " is not a directory";
  if (st.st_uid != ::geteuid()) {
    return "the token cache directory " + dir.string() + " is owned by uid " + std::to_string(st.st_uid) +
           ", not by you; not caching";
  }
  // Ours but opened up (by hand, or an older umask): close it again.
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return "cannot restrict the token cache directory " + dir.string() + " to mode 0700: " + errno_text(errno);
  }
  return {};
}

}  // namespace

cache_content parse_cache_content(std::string_view text, std::string_view token_url, std::string_view client_id) {
  auto untrusted = [](std::string why) { return cache_content{std::nullopt, std::move(why)}; };
  boost::system::error_code ec;
  auto value = read_json(text, ec);
  if (ec || !value.is_object()) return untrusted("it is not a JSON object");
  const auto& object = value.as_object();
  auto string_field = [&](const char* name) -> std::string_view {
    const auto* v = object.if_contains(name);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  };
  if (string_field("tokenUrl") != token_url || string_field("clientId") != client_id) {
    return untrusted("it belongs to another token URL or client id");
  }
  const auto* tokens = object.if_contains("tokens");
  if (tokens == nullptr || !tokens->is_object()) return untrusted("it holds no tokens object");
  auto parsed = oauth2::parse_stored_tokens(write_json(tokens->as_object()));
  if (!parsed) return untrusted("it holds no usable token");
  return cache_content{std::move(parsed), {}};
}

std::string format_cache_content(const oauth2::token& t, std::string_view token_url, std::string_view client_id) {
  boost::system::error_code ec;
  auto tokens = read_json(oauth2::stored_tokens_json(t), ec);  // our own JSON text: it parses
  json::object content;
  content["tokenUrl"] = token_url;
  content["clientId"] = client_id;
  content["tokens"] = std::move(tokens);
  return write_json(content) + '\n';
}

std::optional<std::filesystem::path> default_cache_directory() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    return std::filesystem::path(xdg) / "oauth2-rest";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".cache" / "oauth2-rest";
  }
  return std::nullopt;
}

std::string cache_file_name(const oauth2::client_credentials& c) {
  std::string key = "oauth2-rest token cache 1\n";
  append_field(key, c.token_url);
  append_field(key, c.client_id);
  std::string scopes;
  for (const auto& s : c.scopes) {
    if (!scopes.empty()) scopes += ' ';
    scopes += s;
  }
  append_field(key, scopes);
  key += std::to_string(c.additional_properties.size()) + ":";
  for (const auto& [name, value] : c.additional_properties) {
    append_field(key, name);
    append_field(key, value);
  }
  return sha256_hex(key) + ".json";
}

token_cache::token_cache(std::filesystem::path directory, const oauth2::client_credentials& c)
    : directory_(std::move(directory)),
      file_(directory_ / cache_file_name(c)),
      token_url_(action::strip_userinfo(c.token_url)),
      client_id_(c.client_id) {}

cache_load token_cache::load() const {
  auto untrusted = [&](const std::string& why) {
    return cache_load{std::nullopt, "ignoring the token cache file " + file_.string() + ": " + why +
                                        "; a new token will replace it"};
  };
  // O_NOFOLLOW: a symbolic link planted in place of the file is never followed.
  // O_NONBLOCK: a FIFO planted there cannot make us wait.
  const int fd = ::open(file_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    if (errno == ELOOP) return untrusted("it is a symbolic link");
    return untrusted("cannot open it (" + errno_text(errno) + ")");
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_it{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return untrusted("cannot stat it (" + errno_text(errno) + ")");
  if (!S_ISREG(st.st_mode)) return untrusted("it is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return untrusted("it is owned by uid " + std::to_string(st.st_uid) + ", not by you");
  }
  if ((st.st_mode & 077) != 0) {
    return untrusted("its mode " + octal_mode(st.st_mode) + " lets group or others use it (must be 0600)");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_cache_file) return untrusted("it is too large to be a cache file");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return untrusted("cannot read it (" + errno_text(errno) + ")");
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);

  auto parsed = parse_cache_content(text, token_url_, client_id_);
  if (!parsed.token) return untrusted(parsed.why);
  return cache_load{std::move(parsed.token), {}};
}

std::string token_cache::save(const oauth2::token& t) const {
  if (auto why = prepare_directory(directory_); !why.empty()) return why;

  const std::string text = format_cache_content(t, token_url_, client_id_);

  // A name no other process uses: our pid and random bits (two processes may share a pid
  // across containers that share the cache directory).
  unsigned char random[8] = {};
  RAND_bytes(random, sizeof random);
  std::string suffix = ".tmp." + std::to_string(::getpid()) + ".";
  for (unsigned char b : random) suffix += "0123456789abcdef"[b & 0xf];
  auto tmp = file_;
  tmp += suffix;

  auto failed = [&](const char* what) {
    return std::string("cannot ") + what + " the token cache file " + file_.string() + " (" + errno_text(errno) + ")";
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return failed("create");
  ::fchmod(fd, 0600);  // exactly 0600, whatever the umask
  if (!write_all(fd, text) || ::fsync(fd) != 0) {
    auto why = failed("write");
    ::close(fd);
    ::unlink(tmp.c_str());
    return why;
  }
  if (::close(fd) != 0) {
    auto why = failed("write");
    ::unlink(tmp.c_str());
    return why;
  }
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    auto why = failed("replace");
    ::unlink(tmp.c_str());
    return why;
  }
  // The rename is durable once the directory is on disk; failing that is no reason to warn
  // (the token is cached for this boot at least).
  if (const int dir_fd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace oauth2_rest::cli
