// The test node's TLS listener, asked of the node itself (see the header).
#include "support/broker_tls.hpp"

#include "support/broker.hpp"

#include <boost/json/parse.hpp>

#include <sstream>
#include <stdexcept>

namespace oauth2_rest::testing {

tls_listener broker_tls_listener() {
  // Prints "<port> <cacertfile>", or "0" without a TLS listener. A listener is configured as
  // {"127.0.0.1", Port} (listeners.ssl.1 = 127.0.0.1:Port) or as a bare port number.
  const std::string out = rabbitmqctl(
      {"eval",
       "case application:get_env(rabbit, ssl_listeners) of "
       "  {ok, [L | _]} -> "
       "    P = case L of {_, N} -> N; N when is_integer(N) -> N end, "
       "    {ok, O} = application:get_env(rabbit, ssl_options), "
       "    io:format(\"tls ~b ~s~n\", [P, proplists:get_value(cacertfile, O, \"\")]); "
       "  _ -> io:format(\"tls 0~n\") "
       "end."});
  const auto at = out.find("tls ");
  if (at == std::string::npos) throw std::runtime_error("cannot read the node's TLS listener: " + out);
  std::istringstream in(out.substr(at + 4, out.find('\n', at) - at - 4));
  tls_listener l;
  unsigned port = 0;
  in >> port >> l.ca_file;
  l.port = static_cast<std::uint16_t>(port);
  return l;
}

std::string amqps_uri(const std::string& host, std::uint16_t port, const std::string& query) {
  return "amqps://guest:guest@" + host + ":" + std::to_string(port) + "/" + query;
}

std::vector<tls_connection> tls_connections() {
  std::vector<tls_connection> result;
  boost::json::value v =
      boost::json::parse(rabbitmqctl({"list_connections", "client_properties", "ssl", "ssl_protocol", "--formatter",
                                      "json", "-q"}));
  for (const auto& row : v.as_array()) {
    const auto& obj = row.as_object();
    tls_connection c;
    if (const auto* s = obj.if_contains("ssl"); s && s->is_bool()) c.ssl = s->as_bool();
    if (const auto* p = obj.if_contains("ssl_protocol"); p && p->is_string()) c.protocol = std::string(p->as_string());
    // client_properties: [["connection_name","longstr","..."], ...]
    if (const auto* props = obj.if_contains("client_properties"); props && props->is_array()) {
      for (const auto& p : props->as_array()) {
        const auto& triple = p.as_array();
        if (triple.size() == 3 && triple[0] == "connection_name" && triple[2].is_string())
          c.connection_name = std::string(triple[2].as_string());
      }
    }
    result.push_back(std::move(c));
  }
  return result;
}

}  // namespace oauth2_rest::testing
