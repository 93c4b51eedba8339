// Test helper for the amqps tests: the test node's TLS listener and what the broker says about
// its TLS connections.
//
// scripts/broker.sh adds the listener when OAUTH2_REST_BROKER_TLS=1 (on the AMQP port + 1) or
// OAUTH2_REST_AMQPS_PORT is set; the broker fixture (spec/amqp) sets the first. Its CA and the
// server certificate (DNS:localhost only, no IP address) are made afresh by each start. Rather
// than repeat the script's defaults, the helpers ask the running node (rabbitmqctl eval), so what
// they report is what the node really uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

struct tls_listener {
  std::uint16_t port = 0;  // 0: the node has no TLS listener
  std::string ca_file;     // the CA certificate (PEM) that signed the node's certificate
};
// Asks the node (one rabbitmqctl call: seconds on a loaded machine). Throws if the node is down.
tls_listener broker_tls_listener();

// amqps://guest:guest@<host>:<port>/<query> ("?frame_max=4096" for example)
std::string amqps_uri(const std::string& host, std::uint16_t port, const std::string& query = "");

struct tls_connection {
  std::string connection_name;  // the client property, empty when not set
  bool ssl = false;
  std::string protocol;  // "tlsv1.3", ... (empty when not TLS)
};
// rabbitmqctl list_connections client_properties ssl ssl_protocol
std::vector<tls_connection> tls_connections();

}  // namespace oauth2_rest::testing
