// oauth2-rest-image-session: the outside of one real `sail` session, for scripts/image.sh, which
// runs the worker in the container image (with --network host) between the steps below.
//
//   oauth2-rest-image-session ENV_FILE [TIMEOUT_SECONDS]
//
// 1. Serves the platform API stub (step info for flow-1/step_2) and the demo token server and
//    API on one loopback port, declares an exchange and the input, data and error queues on the
//    test broker (scripts/broker.sh; OAUTH2_REST_AMQP_PORT), and publishes one message there,
//    encrypted as the platform does (protocol 1, the reference runtime's wire format).
// 2. Writes ENV_FILE (KEY=VALUE lines, as `podman run --env-file` reads them) with the ELASTICIO_*
//    environment of that worker; the file appears complete (written aside, then renamed), so
//    the script can wait for it. The URIs name the host `localhost`, so the image's name lookup
//    (/etc/hosts through nsswitch.conf) is part of the check.
// 3. Waits for the worker's output, decrypts it and compares it with what the demo API answers;
//    prints one line and exits 0 when it matches, 1 otherwise (an error event, a timeout, a wrong
//    body). The queues are left to the broker, which image.sh stops.
#include "sail/message_cipher.hpp"
#include "support/broker.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/worker_env.hpp"
#include "util/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <thread>

namespace {

namespace json = boost::json;
using namespace oauth2_rest;
using namespace std::chrono_literals;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

int fail(const std::string& why) {
  std::fprintf(stderr, "image-session: FAILED: %s\n", why.c_str());
  return 1;
}

std::string with_localhost(std::string uri) {
  auto at = uri.find("127.0.0.1");
  if (at != std::string::npos) uri.replace(at, 9, "localhost");
  return uri;
}

std::string decrypt(const sail::message_cipher& cipher, const std::string& base64_body) {
  auto bytes = base64_decode(base64_body);
  if (!bytes) return "";
  auto plain = cipher.decrypt(*bytes);
  return plain ? *plain : "";
}

int run(const std::string& env_file, std::chrono::seconds timeout) {
  testing::demo_api api;
  json::object step{{"id", "step_2"}, {"comp_id", "comp-1"}, {"function", "httpRequest"}};
  testing::http_server server{[&](const testing::recorded_request& r) {
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2") {
      return testing::reply::json(200, json::serialize(step));
    }
    return api.handle(r);
  }};
  const std::string base = with_localhost(server.base_url());
  step["config"] = json::object{{"tokenUrl", base + "/oauth/token"},
                                {"username", "demo-client"},
                                {"password", "demo-secret"},
                                {"baseUrl", base + "/api"},
                                {"errorTolerance", "noErrors"}};
  step["is_passthrough"] = false;

  testing::broker_admin admin;
  const std::string in_queue = testing::unique_name("image-in");
  const std::string exchange = testing::unique_name("image-exchange");
  const std::string data_queue = testing::unique_name("image-data");
  const std::string error_queue = testing::unique_name("image-errors");
  admin.declare_exchange(exchange);
  for (const auto& q : {in_queue, data_queue, error_queue}) admin.declare_queue(q);
  admin.bind(data_queue, exchange, "data-key");
  admin.bind(error_queue, exchange, "error-key");

  sail::message_cipher cipher{password, iv};
  json::object payload{{"id", "image-1"}, {"body", {{"url", "/items/1"}, {"method", "GET"}}}, {"headers", json::object{}}};
  amqp::message_properties props;
  props.headers = {{"execId", "exec-1"}, {"taskId", "flow-1"},  {"workspaceId", "workspace-1"},
                   {"userId", "user-1"}, {"threadId", "T1"},    {"stepId", "step_1"},
                   {"messageId", "M1"},  {"parentMessageId", "P0"}};
  props.content_type = "application/json";
  admin.publish("", in_queue, base64_encode(cipher.encrypt(json::serialize(payload))), props);

  auto env = testing::worker_env({.api_uri = base, .listen_queue = in_queue, .exchange = exchange,
                                  .crypto_password = password, .crypto_iv = iv, .log_level = "info"});
  env["ELASTICIO_AMQP_URI"] = with_localhost(env["ELASTICIO_AMQP_URI"]);
  {
    std::ofstream out(env_file + ".tmp");
    for (const auto& [k, v] : env) out << k << '=' << v << '\n';
    if (!out.flush()) return fail("could not write " + env_file + ".tmp");
  }
  if (std::rename((env_file + ".tmp").c_str(), env_file.c_str()) != 0) return fail("could not rename to " + env_file);
  std::fprintf(stderr, "image-session: message published to %s; worker environment in %s\n", in_queue.c_str(),
               env_file.c_str());

  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto error = admin.get(error_queue)) {
      auto record = json::parse(error->body).as_object();
      return fail("the worker published an error event: " + decrypt(cipher, std::string(record["error"].as_string())));
    }
    if (auto got = admin.get(data_queue)) {
      auto plain = decrypt(cipher, got->body);
      if (plain.empty()) return fail("the data message does not decrypt with the flow's key");
      auto out = json::parse(plain).as_object();
      const auto& body = out.at("body").as_object();
      if (body.at("statusCode").as_int64() != 200) return fail("statusCode is not 200: " + plain);
      if (body.at("body").at("name").as_string() != "Anvil") return fail("not the demo API's item 1: " + plain);
      const auto& parent = got->properties.headers.at("parentMessageId");
      if (!parent.is_string() || parent.as_string() != "M1") return fail("parentMessageId is not M1");
      if (api.token_requests() != 1) return fail(std::to_string(api.token_requests()) + " token requests, not 1");
      std::fprintf(stderr, "image-session: ok: data message decrypted, statusCode 200, item \"Anvil\", one token request\n");
      return 0;
    }
    std::this_thread::sleep_for(50ms);
  }
  return fail("no output from the worker within " + std::to_string(timeout.count()) + " s");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: oauth2-rest-image-session ENV_FILE [TIMEOUT_SECONDS]\n");
    return 2;
  }
  try {
    return run(argv[1], std::chrono::seconds(argc == 3 ? std::atoi(argv[2]) : 60));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
