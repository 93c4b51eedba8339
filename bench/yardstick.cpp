// oauth2-rest-yardstick: the least a worker can do per message, to measure ours against.
//
//   oauth2-rest-yardstick --token-url URL --api-url URL [--pipeline] [--platform-output[=PARTS]]
//                         [--publish-connection]
//   (run by bench/driver.cpp like a worker)
//
// One thread, blocking rabbitmq-c, no JSON, no crypto, no logging. It reads the same environment
// as `oauth2-rest sail` (ELASTICIO_AMQP_URI, ELASTICIO_LISTEN_MESSAGES_ON,
// ELASTICIO_PUBLISH_MESSAGES_TO, ELASTICIO_DATA_ROUTING_KEY, ELASTICIO_RABBITMQ_PREFETCH_SAILOR),
// gets one token at start (client credentials, the demo client), then loops:
//   1. takes the deliveries the broker has sent (up to the prefetch window; it waits for the
//      first one only),
//   2. for each, one GET of --api-url with the Bearer token over one kept-alive HTTP/1.1 socket
//      (one after the other; with --pipeline, the batch's requests in one write), and publishes
//      each response body (confirm mode, transient) with the data routing key,
//   3. waits for the broker's confirms of that batch, then acks the batch with one multiple ack.
// So it does what the platform asks of a step (a message is acked only after its output is
// confirmed), with the cheapest possible choice at every point; it is not a product (no error
// handling beyond exiting non-zero, no redelivery rules, no reconnect). SIGTERM ends it (exit 0).
// --platform-output publishes, instead of the API's answer with no headers, what the platform's
// protocol makes every output of the worker carry: its 14 headers (values about as long as the
// bench's worker sends), mandatory, and a body of its encrypted output's size. The broker's extra
// work on those is the protocol's, not the worker's code's. --platform-output=PARTS takes only
// some of the three, to tell their costs apart: PARTS is made of H (the headers and the content
// encoding), M (mandatory) and B (the body's size); --platform-output is --platform-output=HMB.
// --publish-connection publishes (and waits for the confirms) on a second connection, as the
// worker and the reference runtime do so that a broker blocking publishers under a resource alarm
// still gets the acks that drain its queues; without it, everything is on one channel.
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

volatile std::sig_atomic_t stopping = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "yardstick: %s\n", what.c_str());
  std::exit(1);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) die(std::string(name) + " is not set");
  return v;
}

// --- a minimal HTTP/1.1 client: one socket, Content-Length bodies only (the demo API's) ---
struct url_parts {
  std::string host, port, target;
};
url_parts split_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) die("only http:// URLs: " + url);
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  url_parts u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  u.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  u.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  return u;
}

class http_socket {
 public:
  explicit http_socket(const url_parts& u) : host_(u.host + ":" + u.port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res) != 0 || !res) die("cannot resolve " + u.host);
    fd_ = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd_ < 0 || connect(fd_, res->ai_addr, res->ai_addrlen) != 0) die("cannot connect to " + host_);
    freeaddrinfo(res);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~http_socket() { close(fd_); }

  // Sends the request `count` times in one write (HTTP/1.1 pipelining), then reads the answers
  // in order, calling on_body(status, body) for each.
  template <class OnBody>
  void exchange(const std::string& request, std::size_t count, OnBody on_body) {
    out_.clear();
    for (std::size_t i = 0; i < count; ++i) out_ += request;
    for (std::size_t sent = 0; sent < out_.size();) {
      ssize_t n = send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) die("send to " + host_ + " failed");
      sent += static_cast<std::size_t>(n);
    }
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t header_end;
      while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
      const int status = std::atoi(buffer_.c_str() + 9);
      std::size_t length = 0;
      for (std::size_t at = buffer_.find("\r\n") + 2; at < header_end;) {
        const std::size_t eol = buffer_.find("\r\n", at);
        if (strncasecmp(buffer_.c_str() + at, "content-length:", 15) == 0)
          length = std::strtoul(buffer_.c_str() + at + 15, nullptr, 10);
        at = eol + 2;
      }
      const std::size_t start = header_end + 4;
      while (buffer_.size() < start + length) fill();
      on_body(status, std::string_view(buffer_).substr(start, length));
      buffer_.erase(0, start + length);
    }
  }

 private:
  void fill() {
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) die("connection to " + host_ + " closed");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  std::string host_;
  int fd_ = -1;
  std::string buffer_, out_;
};

std::string get_token(const std::string& token_url) {
  const auto u = split_url(token_url);
  http_socket s(u);
  const std::string form = "grant_type=client_credentials";
  // The demo server's client: demo-client / demo-secret, HTTP Basic.
  const std::string request = "POST " + u.target + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                              "\r\nAuthorization: Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=\r\n"
                              "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                              std::to_string(form.size()) + "\r\n\r\n" + form;
  std::string body;
  s.exchange(request, 1, [&](int status, std::string_view b) {
    if (status != 200) die("token request failed: " + std::string(b));
    body = b;
  });
  const std::string key = "\"access_token\":\"";
  const auto at = body.find(key);
  if (at == std::string::npos) die("no access_token in " + body);
  const auto start = at + key.size();
  return body.substr(start, body.find('"', start) - start);
}

// --- AMQP ---
void check(amqp_rpc_reply_t r, const char* what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL) die(std::string(what) + " failed");
}

struct delivery {
  std::uint64_t tag;
};

}  // namespace

int main(int argc, char** argv) {
  std::string token_url, api_url;
  bool pipeline = false, with_headers = false, with_mandatory = false, with_body = false;
  bool publish_connection = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--pipeline") pipeline = true;
    else if (flag == "--publish-connection") publish_connection = true;
    else if (flag == "--platform-output") with_headers = with_mandatory = with_body = true;
    else if (flag.starts_with("--platform-output=") && flag.size() > 18) {
      for (const char part : flag.substr(18)) {
        if (part == 'H') with_headers = true;
        else if (part == 'M') with_mandatory = true;
        else if (part == 'B') with_body = true;
        else die("--platform-output=PARTS takes the letters H, M and B, got " + flag);
      }
    }
    else if (flag == "--token-url" && i + 1 < argc) token_url = argv[++i];
    else if (flag == "--api-url" && i + 1 < argc) api_url = argv[++i];
    else die("unknown flag or missing value: " + flag);
  }
  if (token_url.empty() || api_url.empty()) die("usage: oauth2-rest-yardstick --token-url URL --api-url URL");
  std::signal(SIGTERM, [](int) { stopping = 1; });
  std::signal(SIGINT, [](int) { stopping = 1; });

  const std::string queue = env("ELASTICIO_LISTEN_MESSAGES_ON");
  const std::string exchange = env("ELASTICIO_PUBLISH_MESSAGES_TO");
  const std::string routing_key = env("ELASTICIO_DATA_ROUTING_KEY");
  const int prefetch = std::atoi(env("ELASTICIO_RABBITMQ_PREFETCH_SAILOR").c_str());
  std::string uri = env("ELASTICIO_AMQP_URI");
  amqp_connection_info info;
  if (amqp_parse_url(uri.data(), &info) != AMQP_STATUS_OK) die("bad ELASTICIO_AMQP_URI");
  // amqplib (and so the platform) reads "amqp://host/" as the default vhost; rabbitmq-c as "".
  if (!*info.vhost) info.vhost = const_cast<char*>("/");

  const std::string token = get_token(token_url);
  const auto api = split_url(api_url);
  http_socket http(api);
  const std::string request = "GET " + api.target + " HTTP/1.1\r\nHost: " + api.host + ":" + api.port +
                              "\r\nAuthorization: Bearer " + token + "\r\nAccept: application/json\r\n\r\n";

  auto open_connection = [&] {
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t* sock = amqp_tcp_socket_new(c);
    if (!sock || amqp_socket_open(sock, info.host, info.port) != AMQP_STATUS_OK) die("cannot connect to the broker");
    check(amqp_login(c, info.vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, info.user, info.password),
          "login");
    amqp_channel_open(c, 1);
    check(amqp_get_rpc_reply(c), "channel.open");
    return c;
  };
  amqp_connection_state_t conn = open_connection();
  const amqp_channel_t ch = 1;
  // Where publishes and their confirms go: the consuming connection, or a second one.
  amqp_connection_state_t pconn = publish_connection ? open_connection() : conn;
  amqp_confirm_select(pconn, ch);
  check(amqp_get_rpc_reply(pconn), "confirm.select");
  amqp_basic_qos(conn, ch, 0, static_cast<std::uint16_t>(prefetch), 0);
  check(amqp_get_rpc_reply(conn), "basic.qos");
  amqp_basic_consume(conn, ch, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "basic.consume");

  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.delivery_mode = 1;  // transient, as the worker publishes unless ELASTICIO_AMQP_PERSISTENT_MESSAGES is set
  // --platform-output (see the top of the file).
  std::vector<amqp_table_entry_t> platform_headers;
  auto add_header = [&](const char* key, const char* value) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = amqp_cstring_bytes(value);
    platform_headers.push_back(e);
  };
  auto add_number = [&](const char* key, std::int64_t value) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_I64;
    e.value.value.i64 = value;
    platform_headers.push_back(e);
  };
  const std::string padded_body(320, 'A');  // the worker's output for /api/items/1, as measured
  if (with_headers) {
    add_header("stepId", "step_1");
    add_header("threadId", "T-bench-1234");
    add_header("messageId", "6f1c3a52-4c1e-4f0e-9a43-0b8f3f7d2c11");
    add_header("parentMessageId", "bench-1234");
    add_header("execId", "exec-1");
    add_header("taskId", "flow-1");
    add_header("workspaceId", "workspace-1");
    add_header("containerId", "container-1");
    add_header("userId", "user-1");
    add_header("compId", "comp-1");
    add_header("function", "httpRequestAction");
    add_number("start", 1764763200000);
    add_number("end", 1764763200001);
    add_number("protocolVersion", 1);
    props._flags |= AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG;
    props.content_encoding = amqp_cstring_bytes("utf8");
    props.headers.num_entries = static_cast<int>(platform_headers.size());
    props.headers.entries = platform_headers.data();
  }

  std::vector<delivery> batch;
  std::uint64_t published = 0, confirmed = 0;
  // Deliveries that arrived while waiting for confirms, for the next batch.
  std::vector<delivery> early;

  while (!stopping) {
    batch.swap(early);
    early.clear();
    // 1. Deliveries: wait for the first (in 200 ms slices, to notice SIGTERM), then take what is buffered.
    while (!stopping && batch.size() < static_cast<std::size_t>(prefetch)) {
      timeval slice{0, batch.empty() ? 200'000 : 0};
      amqp_envelope_t envelope;
      amqp_maybe_release_buffers(conn);
      amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, &slice, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        batch.push_back({envelope.delivery_tag});
        amqp_destroy_envelope(&envelope);
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
        if (batch.empty()) continue;
        break;
      }
      die("consume failed");
    }
    if (batch.empty()) continue;

    // 2. One GET per delivery (one after the other, or all pipelined in one write), and one
    //    publish per answer.
    auto publish = [&](int status, std::string_view body) {
      if (status != 200) die("API answered " + std::string(body));
      amqp_bytes_t payload{body.size(), const_cast<char*>(body.data())};
      if (with_body) payload = {padded_body.size(), const_cast<char*>(padded_body.data())};
      if (amqp_basic_publish(pconn, ch, amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes(routing_key.c_str()),
                             with_mandatory ? 1 : 0,
                             0, &props, payload) != AMQP_STATUS_OK)
        die("publish failed");
      ++published;
    };
    if (pipeline) {
      http.exchange(request, batch.size(), publish);
    } else {
      for (std::size_t i = 0; i < batch.size(); ++i) http.exchange(request, 1, publish);
    }

    // 3. Confirms of the batch, then one ack for all of it.
    if (pconn != conn) amqp_maybe_release_buffers(pconn);
    while (confirmed < published) {
      amqp_frame_t frame;
      if (amqp_simple_wait_frame(pconn, &frame) != AMQP_STATUS_OK) die("waiting for confirms failed");
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        confirmed = ack->delivery_tag;  // multiple or not, tags confirm in order here
      } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        die("the broker nacked a publish");
      } else if (frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
        auto* d = static_cast<amqp_basic_deliver_t*>(frame.payload.method.decoded);
        early.push_back({d->delivery_tag});
        amqp_message_t message;
        check(amqp_read_message(conn, ch, &message, 0), "reading a delivery");
        amqp_destroy_message(&message);
      } else {
        die("unexpected method from the broker");
      }
    }
    if (amqp_basic_ack(conn, ch, batch.back().tag, 1) != AMQP_STATUS_OK) die("ack failed");
  }
  // Deliveries taken but not acked go back to the queue with the connection.
  if (pconn != conn) {
    amqp_connection_close(pconn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(pconn);
  }
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return 0;
}
