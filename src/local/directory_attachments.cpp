// Attachments in a local directory (directory_attachments.hpp).
#include "local/directory_attachments.hpp"

#include "action/attachment_name.hpp"
#include "util/uuid.hpp"

#include <boost/system/errc.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace oauth2_rest::local {
namespace asio = boost::asio;

namespace {

failure refused(boost::system::errc::errc_t code, std::string message) {
  return failure{make_error_code(code), std::move(message)};
}

class directory_upload final : public action::attachment_upload {
 public:
  directory_upload(std::filesystem::path dir, std::unique_ptr<http::file_sink> sink)
      : dir_(std::move(dir)), sink_(std::move(sink)) {}
  status write(std::string_view piece) override { return sink_->write(piece); }
  status reset() override { return sink_->reset(); }
  const std::string& excerpt() const override { return sink_->excerpt(); }
  std::uint64_t size() const override { return sink_->size(); }

  asio::awaitable<result<action::stored_attachment>> commit(std::string name, std::string) override {
    if (auto closed = sink_->finish(); !closed) co_return std::move(closed).error();
    const std::filesystem::path plain(name);
    const std::string stem = plain.stem().string(), ext = plain.extension().string();
    for (int n = 0; n < 10000; ++n) {
      const std::filesystem::path target = dir_ / (n == 0 ? name : stem + "-" + std::to_string(n) + ext);
      if (::link(sink_->path().c_str(), target.c_str()) == 0) {
        // The temporary name goes with the sink; the file stays under its new name.
        co_return action::stored_attachment{file_url(target), sink_->size()};
      }
      if (errno != EEXIST)
        co_return failure{boost::system::error_code(errno, boost::system::generic_category()),
                          "cannot store the attachment as '" + target.string() + "': " + std::strerror(errno)};
    }
    co_return refused(boost::system::errc::file_exists, "cannot store the attachment '" + name +
                                                            "': too many files of that name in " + dir_.string());
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<http::file_sink> sink_;
};

class directory_attachments final : public action::attachment_store {
 public:
  explicit directory_attachments(std::filesystem::path dir) : dir_(std::move(dir)) {}

  asio::awaitable<result<action::opened_attachment>> open(std::string reference) override {
    const auto ref = action::classify_reference(reference);
    std::filesystem::path path;
    switch (ref.type) {
      case action::attachment_reference::kind::name:
        if (ref.value.empty() || ref.value == "." || ref.value == ".." ||
            ref.value.find_first_of("/\\") != std::string::npos)
          co_return refused(boost::system::errc::invalid_argument,
                            "bodyAttachment '" + ref.value.substr(0, 200) +
                                "' is not a file name in the attachments directory nor a file:// URL");
        path = dir_ / ref.value;
        break;
      case action::attachment_reference::kind::file: path = ref.value; break;
      default:
        co_return refused(boost::system::errc::not_supported,
                          "bodyAttachment: local mode reads attachments from --attachments DIR or file:// URLs, not " +
                              reference.substr(0, reference.find_first_of("?#")).substr(0, 200));
    }
    auto source = http::open_file_source(path);
    if (!source) co_return failure{source.error().code, "bodyAttachment: " + source.error().message};
    co_return action::opened_attachment{std::move(source).value(), {}};
  }

  result<std::unique_ptr<action::attachment_upload>> begin_upload() override {
    auto sink = http::file_sink::create(dir_ / (".oauth2-rest-" + new_uuid_v4() + ".part"));
    if (!sink) return std::move(sink).error();
    return std::unique_ptr<action::attachment_upload>(new directory_upload(dir_, std::move(sink).value()));
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::string file_url(const std::filesystem::path& absolute) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : absolute.string()) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::shared_ptr<action::attachment_store> make_directory_attachments(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("--attachments '" + dir.string() + "' is not a directory");
  return std::make_shared<directory_attachments>(std::filesystem::absolute(dir));
}

}  // namespace oauth2_rest::local
