// Micro benchmarks of the worker's per-message path (Google Benchmark): what one message costs
// in the worker besides the broker and the API. Run: build/bench/oauth2-rest-micro-bench.
#include "action/http_request_action.hpp"
#include "action/response_body.hpp"
#include "action/url_join.hpp"
#include "oauth2/token_client.hpp"
#include "http/http_client.hpp"
#include "http/content_coding.hpp"
#include "sail/message_cipher.hpp"
#include "sail/message_codec.hpp"
#include "sail/outgoing_headers.hpp"
#include "sail/settings.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"
#include "util/log.hpp"

#include <benchmark/benchmark.h>
#include <zlib.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <map>

namespace {

namespace json = boost::json;
using namespace oauth2_rest;

// OAUTH2_REST_BENCH_ITERATIONS=N runs every benchmark exactly N iterations, once: for
// instruction counts. Under valgrind --tool=callgrind --toggle-collect='*bm_NAME(*', two runs
// with N=1000 and N=2000 give the cost of one iteration without the set-up and the warm-up:
// (Ir(2000) - Ir(1000)) / 1000.
void fixed_iterations(benchmark::internal::Benchmark* b) {
  if (const char* n = std::getenv("OAUTH2_REST_BENCH_ITERATIONS"); n != nullptr && *n != '\0') {
    b->Iterations(std::strtoll(n, nullptr, 10));
  }
}

const sail::message_cipher& cipher() {
  static const sail::message_cipher c("testCryptoPassword", "iv=any16_symbols");
  return c;
}

// The incoming message of the end-to-end bench: one GET with a few fields.
json::object incoming_message() {
  return json::object{{"id", "6d1a2f3e-1c5e-4e63-9d5c-0b1f7f0b9e11"},
                      {"attachments", json::object{}},
                      {"body", {{"url", "/items/1"}, {"method", "GET"}}},
                      {"headers", json::object{}},
                      {"metadata", json::object{}}};
}

// What the action emits for it (demo API item as the response body).
json::object outgoing_message() {
  return json::object{
      {"id", "0b6f1a4e-3c1d-4a55-8f0e-2d7c9b1e6a22"},
      {"attachments", json::object{}},
      {"body",
       {{"statusCode", 200},
        {"headers", {{"content-type", "application/json"}, {"content-length", "42"}, {"connection", "keep-alive"}}},
        {"body", {{"id", 1}, {"name", "Anvil"}, {"price", 99.5}}}}},
      {"headers", json::object{}},
      {"metadata", json::object{}}};
}

json::object incoming_headers() {
  return {{"execId", "exec-1"},  {"taskId", "flow-1"},   {"workspaceId", "workspace-1"}, {"userId", "user-1"},
          {"threadId", "T1"},    {"stepId", "step_1"},   {"messageId", "M1"},            {"parentMessageId", "P0"},
          {"x-eio-meta-trace-id", "trace-1"}};
}

sail::settings bench_settings() {
  std::map<std::string, std::string> env{
      {"ELASTICIO_FLOW_ID", "flow-1"},          {"ELASTICIO_STEP_ID", "step_2"},
      {"ELASTICIO_EXEC_ID", "exec-1"},          {"ELASTICIO_CONTAINER_ID", "container-1"},
      {"ELASTICIO_WORKSPACE_ID", "workspace-1"}, {"ELASTICIO_USER_ID", "user-1"},
      {"ELASTICIO_COMP_ID", "comp-1"},          {"ELASTICIO_FUNCTION", "httpRequest"},
      {"ELASTICIO_API_URI", "http://127.0.0.1:1"}, {"ELASTICIO_API_USERNAME", "u"},
      {"ELASTICIO_API_KEY", "k"},               {"ELASTICIO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5699/"},
      {"ELASTICIO_LISTEN_MESSAGES_ON", "in"},   {"ELASTICIO_PUBLISH_MESSAGES_TO", "ex"},
      {"ELASTICIO_DATA_ROUTING_KEY", "d"},      {"ELASTICIO_ERROR_ROUTING_KEY", "e"},
      {"ELASTICIO_REBOUND_ROUTING_KEY", "r"},   {"ELASTICIO_SNAPSHOT_ROUTING_KEY", "s"},
      {"ELASTICIO_MESSAGE_CRYPTO_PASSWORD", "testCryptoPassword"},
      {"ELASTICIO_MESSAGE_CRYPTO_IV", "iv=any16_symbols"}};
  return sail::load_settings([env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

void bm_decode_message(benchmark::State& state) {
  const auto body = sail::encode_message(incoming_message(), 1, cipher());
  for (auto _ : state) {
    auto m = sail::decode_message(body, 1, cipher());
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(bm_decode_message)->Apply(fixed_iterations);

void bm_encode_message(benchmark::State& state) {
  const auto out = outgoing_message();
  auto warm_up = sail::encode_message(out, 1, cipher());  // OpenSSL's first use, per-thread buffers
  benchmark::DoNotOptimize(warm_up);
  for (auto _ : state) {
    auto body = sail::encode_message(out, 1, cipher());
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(bm_encode_message)->Apply(fixed_iterations);

// An API response of the size the action handles every day: 50 items, strings with escapes,
// doubles that need shortest digits, nesting.
json::value api_document() {
  json::array items;
  for (int i = 0; i < 50; ++i) {
    items.push_back(json::object{{"id", i},
                                 {"name", "Item \"" + std::to_string(i) + "\" \xE2\x9C\x93"},
                                 {"price", 0.1 * i + 99.5},
                                 {"ratio", 1.0 / (i + 3)},
                                 {"tags", json::array{"a", "b\nc", i % 2 == 0}},
                                 {"description", std::string(80, 'x') + "\t/end"}});
  }
  return json::object{{"items", std::move(items)}, {"total", 50}, {"next", nullptr}};
}

// Writing JSON as Node spells it, and Boost.JSON's serializer on the same value for scale.
void bm_write_json(benchmark::State& state) {
  const json::value doc = api_document();
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_json(out, doc);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(bm_write_json)->Apply(fixed_iterations);

void bm_boost_serialize(benchmark::State& state) {
  const json::value doc = api_document();
  std::size_t size = 0;
  for (auto _ : state) {
    auto text = json::serialize(doc);
    size = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}
BENCHMARK(bm_boost_serialize)->Apply(fixed_iterations);

// Reading JSON as Node reads it (the lone-surrogate scan, exact doubles), and Boost.JSON's
// reused parser with default options on the same text for scale.
void bm_read_json(benchmark::State& state) {
  const std::string text = write_json(api_document());
  for (auto _ : state) {
    boost::system::error_code ec;
    auto v = read_json(text, ec);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(bm_read_json)->Apply(fixed_iterations);

void bm_boost_parse(benchmark::State& state) {
  const std::string text = write_json(api_document());
  json::parser parser;
  for (auto _ : state) {
    parser.reset();
    parser.write(text);
    auto v = parser.release();
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(bm_boost_parse)->Apply(fixed_iterations);

void bm_build_headers(benchmark::State& state) {
  const auto s = bench_settings();
  const auto incoming = incoming_headers();
  for (auto _ : state) {
    auto common = sail::build_common_headers(incoming, s, "0b6f1a4e-3c1d-4a55-8f0e-2d7c9b1e6a22", "T1", 1700000000000);
    auto data = sail::data_headers(common, "0b6f1a4e-3c1d-4a55-8f0e-2d7c9b1e6a22", 1, 1700000000001);
    benchmark::DoNotOptimize(data);
  }
}
BENCHMARK(bm_build_headers)->Apply(fixed_iterations);

void bm_new_uuid(benchmark::State& state) {
  auto warm_up = sail::new_uuid_v4();  // the per-thread generator's seeding
  benchmark::DoNotOptimize(warm_up);
  for (auto _ : state) {
    auto id = sail::new_uuid_v4();
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(bm_new_uuid)->Apply(fixed_iterations);

void bm_join_url(benchmark::State& state) {
  for (auto _ : state) {
    auto url = action::join_url("https://api.example.com/v1/", "/items/1?expand=owner");
    benchmark::DoNotOptimize(url);
  }
}
BENCHMARK(bm_join_url)->Apply(fixed_iterations);

// A fresh cached token: get() must return it without any I/O.
void bm_token_cache_hit(benchmark::State& state) {
  log::settings quiet;  // the plain-http warning would be printed once per client
  quiet.min_level = log::level::error;
  log::configure(std::move(quiet));
  boost::asio::io_context io{1};
  http::client http(io.get_executor());
  oauth2::client_credentials creds{.token_url = "http://127.0.0.1:1/oauth/token",
                                   .client_id = "demo-client",
                                   .client_secret = "demo-secret"};
  oauth2::token t;
  t.access_token = "cached-token";
  t.expires_at = oauth2::clock::now() + std::chrono::hours(1);
  t.lifetime = std::chrono::hours(1);
  oauth2::token_client tokens(http, creds, t);
  std::size_t hits = 0;
  for (auto _ : state) {
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          auto got = co_await tokens.get(std::chrono::seconds(60));
          if (got && got->value) ++hits;
        },
        boost::asio::detached);
    io.run();
    io.restart();
  }
  if (hits != static_cast<std::size_t>(state.iterations()) || tokens.requests_sent() != 0) state.SkipWithError("token was not served from the cache");
}
BENCHMARK(bm_token_cache_hit)->Apply(fixed_iterations);

void bm_decode_response_body(benchmark::State& state) {
  const std::string body = R"({"id":1,"name":"Anvil","price":99.5,"tags":["heavy","iron"],"owner":{"id":7,"name":"Wile E."}})";
  for (auto _ : state) {
    auto decoded = action::decode_response_body("application/json; charset=utf-8", body);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(bm_decode_response_body)->Apply(fixed_iterations);

void bm_response_headers(benchmark::State& state) {
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/json"}, {"Content-Length", "42"}, {"Connection", "keep-alive"},
      {"Cache-Control", "no-store"}};
  for (auto _ : state) {
    auto h = action::response_headers_json(headers);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(bm_response_headers)->Apply(fixed_iterations);

// The demo API's answer to GET /items/1, as the HTTP client hands it to the action.
http::response api_response() {
  http::response r;
  r.status = 200;
  r.reason = "OK";
  r.headers = {{"Content-Type", "application/json"},
               {"Cache-Control", "no-store"},
               {"Content-Length", "36"},
               {"Connection", "keep-alive"}};
  r.body = R"({"id":1,"name":"Anvil","price":99.5})";
  r.url = "http://127.0.0.1:8080/api/items/1";
  return r;
}

// The action's output message for a response: headers to JSON, body decoding, a UUID.
void bm_output_message(benchmark::State& state) {
  const auto r = api_response();
  auto warm_up = action::output_message(r);  // the UUID generator's seeding, per-thread parser
  benchmark::DoNotOptimize(warm_up);
  for (auto _ : state) {
    auto m = action::output_message(r);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(bm_output_message)->Apply(fixed_iterations);

// --- Content-Encoding (SPEC 3): what decoding a compressed answer costs per decoded MB ----------

// A JSON answer of about `size` bytes, as APIs send lists (it gzips about 8:1).
std::string json_list(std::size_t size) {
  std::string out = R"({"items":[)";
  for (int i = 0; out.size() < size; ++i) {
    if (i) out += ',';
    out += R"({"id":)" + std::to_string(i) + R"(,"name":"Item )" + std::to_string(i * 7919 % 10007) +
           R"(","price":)" + std::to_string(i % 500) + R"(.99,"tags":["a","b"],"active":)" +
           (i % 3 ? "true" : "false") + "}";
  }
  return out + "]}";
}

std::string gzip_bytes(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Decoded bytes per second (the "bytes_per_second" column); 1 / that is the cost per decoded MB.
// Arg: the decoded size. (zlib comes with the core library: nothing else to link.)
void decode_bench(benchmark::State& state, const char* coding, std::string (*compress)(std::string_view)) {
  const std::string plain = json_list(static_cast<std::size_t>(state.range(0)));
  const std::string encoded = compress(plain);
  for (auto _ : state) {
    auto decoded = http::decode_content(coding, encoded, 20 * 1024 * 1024);
    if (!decoded || decoded->size() != plain.size()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain.size()));
  state.counters["ratio"] = static_cast<double>(plain.size()) / static_cast<double>(encoded.size());
}
void bm_decode_gzip(benchmark::State& state) { decode_bench(state, "gzip", gzip_bytes); }
BENCHMARK(bm_decode_gzip)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->Apply(fixed_iterations);

// What every uncompressed answer now pays: looking for a Content-Encoding that is not there.
void bm_decode_response_content_none(benchmark::State& state) {
  auto r = api_response();
  for (auto _ : state) {
    auto done = http::decode_response_content(r, 20 * 1024 * 1024);
    benchmark::DoNotOptimize(done);
  }
}
BENCHMARK(bm_decode_response_content_none)->Apply(fixed_iterations);

// Everything the worker does per message besides I/O, in worker::process's order: decode,
// ids, common headers, the action's output, encode, data headers.
void bm_message_path(benchmark::State& state) {
  const auto s = bench_settings();
  const auto amqp_headers = incoming_headers();
  const auto body = sail::encode_message(incoming_message(), 1, cipher());
  const auto r = api_response();
  auto warm_up_in = sail::decode_message(body, 1, cipher());  // first uses: OpenSSL, UUIDs, parsers
  auto warm_up_out = action::output_message(r);
  benchmark::DoNotOptimize(warm_up_in);
  benchmark::DoNotOptimize(warm_up_out);
  for (auto _ : state) {
    auto incoming = sail::decode_message(body, sail::protocol_version_of(amqp_headers), cipher());
    if (!incoming) {
      state.SkipWithError("decode failed");
      break;
    }
    sail::attach_reply_to(*incoming, amqp_headers);
    const auto thread_id = sail::thread_id_of(amqp_headers, [] { return sail::new_uuid_v4(); });
    const auto new_id = sail::new_uuid_v4();
    const auto common = sail::build_common_headers(amqp_headers, s, new_id, thread_id, 1700000000000);
    auto out = action::output_message(r);
    auto encoded = sail::encode_message(out, s.protocol_version, cipher());
    auto data = sail::data_headers(common, out["id"].as_string(), s.protocol_version, 1700000000001);
    benchmark::DoNotOptimize(encoded);
    benchmark::DoNotOptimize(data);
  }
}
BENCHMARK(bm_message_path)->Apply(fixed_iterations);

}  // namespace

BENCHMARK_MAIN();
