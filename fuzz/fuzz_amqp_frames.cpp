// libFuzzer target: the AMQP frame reader (bytes from the broker) and the broker URI reader.
// Invariants: the reader never reads past what it was fed, reports each frame's body within
// frame-max, and either yields frames, asks for more, or fails (after which the caller closes);
// the same bytes fed in two pieces give the same frames. A URI error never repeats the URI.
#include "amqp/broker_uri.hpp"
#include "amqp/frame_codec.hpp"
#include "fuzz_support.hpp"

#include <string>
#include <vector>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

struct seen {
  std::uint8_t type;
  std::uint16_t channel;
  std::uint32_t method;
  std::string body;
  bool operator==(const seen&) const = default;
};

// Frames until the reader wants more or fails; `failed` says which.
std::vector<seen> read_all(amqp::frame_reader& r, bool& failed) {
  std::vector<seen> out;
  amqp::frame f;
  for (;;) {
    auto next = r.next(f);
    if (!next) {
      failed = true;
      return out;
    }
    if (!*next) return out;
    fuzz_check(f.body.size() <= 4096 - amqp::frame_overhead, "body frame over frame-max");
    out.push_back({f.type, f.channel, f.method_id, std::string(f.body)});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_view(data, size);

  bool failed_whole = false;
  amqp::frame_reader whole(4096);
  whole.feed(bytes);
  auto frames_whole = read_all(whole, failed_whole);

  bool failed_split = false;
  amqp::frame_reader split(4096);
  const std::size_t half = size / 2;
  split.feed(bytes.substr(0, half));
  auto frames_split = read_all(split, failed_split);
  if (!failed_split) {
    split.feed(bytes.substr(half));
    auto rest = read_all(split, failed_split);
    frames_split.insert(frames_split.end(), rest.begin(), rest.end());
  }
  fuzz_check(failed_whole == failed_split, "split input changed the outcome");
  fuzz_check(frames_whole == frames_split, "split input changed the frames");

  const std::string secret = "s3cr3t-pw";
  std::string uri = "amqp://user:" + secret + "@" + std::string(bytes);
  auto parsed = amqp::parse_broker_uri(uri);
  if (!parsed) fuzz_check(parsed.error().message.find(secret) == std::string::npos, "URI error repeats the password");
  return 0;
}
