// amqp:// and amqps:// URIs (rules in the header).
#include "amqp/broker_uri.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <limits>

namespace oauth2_rest::amqp {
namespace {

failure bad(std::string why) {
  return {make_error_code(boost::system::errc::invalid_argument),
          "the AMQP URI is not valid (expected amqp://user:password@host:port/vhost): " + std::move(why)};
}

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

result<broker_uri> parse_broker_uri(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad("it does not parse as a URI");
  const boost::urls::url_view& u = *parsed;
  broker_uri out;
  if (u.scheme() == "amqps") {
    out.tls = true;
    out.port = 5671;
  } else if (u.scheme() != "amqp") {
    return bad("the scheme must be amqp or amqps");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return bad("it names no host");
  out.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.host_address()) : std::string(u.host());
  if (u.has_port()) {
    auto port = number<std::uint16_t>(u.port());
    if (!port || *port == 0) return bad("the port is not a number from 1 to 65535");
    out.port = *port;
  }
  if (u.has_userinfo()) {
    out.user = u.user();
    out.password = u.has_password() ? std::string(u.password()) : std::string();
  }
  // The path is "/" + vhost, the vhost itself percent-encoded ("/%2f" is the vhost "/").
  std::string_view path = u.encoded_path();
  if (path.size() > 1) {
    auto vhost = boost::urls::make_pct_string_view(path.substr(1));
    if (!vhost) return bad("the vhost is not properly percent-encoded");
    out.vhost = vhost->decode();
  }
  // The query is split by hand: Boost.URL 1.81's params() iterator reads out of bounds on an
  // empty query followed by a fragment ("?#x", found by fuzz_amqp_frames).
  std::string_view query = u.has_query() ? std::string_view(u.encoded_query()) : std::string_view();
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    // Numbers only: no percent-decoding needed for what takes effect.
    if (key == "heartbeat") {
      auto v = number<std::uint16_t>(value);
      if (!v) return bad("heartbeat must be a number of seconds from 0 to 65535");
      out.heartbeat_seconds = *v;
    } else if (key == "frame_max" || key == "frameMax") {
      auto v = number<std::uint32_t>(value);
      // AMQP's minimum frame size; 0 means "as large as the broker allows".
      if (!v || (*v != 0 && *v < 4096)) return bad("frame_max must be 0 or at least 4096");
      out.frame_max = *v;
    }
  }
  return out;
}

}  // namespace oauth2_rest::amqp
