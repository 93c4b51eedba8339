// The AMQP client's I/O-free parts, driven frame by frame without a socket: the delivery and
// confirm ledgers, the frame codec and the URI reader.
#include "amqp/broker_uri.hpp"
#include "amqp/confirm_ledger.hpp"
#include "amqp/delivery_ledger.hpp"
#include "amqp/error.hpp"
#include "amqp/frame_codec.hpp"

#include <amqp_framing.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

using frames = std::vector<delivery_ledger::settle_frame>;

frames take(delivery_ledger& l) {
  frames out;
  l.take(out);
  return out;
}

TEST(delivery_ledger, acks_of_the_oldest_deliveries_coalesce_into_one_multiple_ack) {
  delivery_ledger l;
  for (std::uint64_t t = 1; t <= 5; ++t) l.delivered(t);
  EXPECT_TRUE(l.settle(2, true, false));
  EXPECT_TRUE(l.settle(1, true, false));
  EXPECT_TRUE(l.settle(3, true, false));
  auto out = take(l);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tag, 3u);
  EXPECT_TRUE(out[0].ack);
  EXPECT_TRUE(out[0].multiple);
  EXPECT_EQ(l.unsettled(), 2u);
}

TEST(delivery_ledger, an_ack_behind_an_open_delivery_goes_out_alone_and_at_once) {
  delivery_ledger l;
  for (std::uint64_t t = 1; t <= 3; ++t) l.delivered(t);
  EXPECT_TRUE(l.settle(2, true, false));
  auto out = take(l);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tag, 2u);
  EXPECT_FALSE(out[0].multiple);
  // When the head settles, the run covers 2 (already acked): only 1 is acked now, singly.
  EXPECT_TRUE(l.settle(1, true, false));
  out = take(l);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tag, 1u);
  EXPECT_FALSE(out[0].multiple);
}

TEST(delivery_ledger, rejects_go_out_before_the_acks_of_the_same_batch) {
  delivery_ledger l;
  for (std::uint64_t t = 1; t <= 3; ++t) l.delivered(t);
  EXPECT_TRUE(l.settle(1, true, false));
  EXPECT_TRUE(l.settle(2, false, true));
  EXPECT_TRUE(l.settle(3, true, false));
  auto out = take(l);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].ack);
  EXPECT_EQ(out[0].tag, 2u);
  EXPECT_TRUE(out[0].requeue);
  // The multiple ack up to 3 covers 1 and 3; 2 is settled by its reject already.
  EXPECT_TRUE(out[1].ack);
  EXPECT_EQ(out[1].tag, 3u);
  EXPECT_TRUE(out[1].multiple);
}

TEST(delivery_ledger, unknown_and_twice_settled_tags_are_refused) {
  delivery_ledger l;
  l.delivered(1);
  EXPECT_FALSE(l.settle(2, true, false));  // never delivered
  EXPECT_TRUE(l.settle(1, true, false));
  EXPECT_FALSE(l.settle(1, true, false));
  EXPECT_FALSE(l.settle(1, false, false));
  EXPECT_EQ(take(l).size(), 1u);
  EXPECT_FALSE(l.settle(1, true, false));  // below the head now
  l.reset();
  EXPECT_FALSE(l.settle(1, true, false));  // a new channel knows no tag yet
}

TEST(delivery_ledger, a_stuck_head_costs_one_frame_per_later_ack_and_every_tag_is_settled_once) {
  // One delivery open for the whole run while 100,000 later ones are acked in batches of 7: each
  // batch yields exactly its own acks (never a rescan of everything behind the head), and when
  // the head finally settles one multiple ack covers it.
  delivery_ledger l;
  constexpr std::uint64_t n = 100'000;
  l.delivered(1);
  std::uint64_t next = 2;
  std::size_t frames_sent = 0;
  while (next <= n) {
    std::uint64_t batch_end = std::min(n, next + 6);
    for (std::uint64_t t = next; t <= batch_end; ++t) l.delivered(t);
    for (std::uint64_t t = next; t <= batch_end; ++t) ASSERT_TRUE(l.settle(t, true, false));
    auto out = take(l);
    ASSERT_EQ(out.size(), batch_end - next + 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i].tag, next + i);
      ASSERT_FALSE(out[i].multiple);
    }
    frames_sent += out.size();
    next = batch_end + 1;
  }
  EXPECT_EQ(frames_sent, n - 1);
  EXPECT_EQ(l.unsettled(), 1u);
  ASSERT_TRUE(l.settle(1, true, false));
  auto out = take(l);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tag, 1u);
  EXPECT_FALSE(out[0].multiple);  // the only ack wanted in the run
  EXPECT_FALSE(l.has_pending());
}

std::shared_ptr<const outgoing> msg(std::string rk, std::string id, std::string body = "b") {
  auto m = std::make_shared<outgoing>();
  m->exchange = "x";
  m->routing_key = std::move(rk);
  m->body = std::move(body);
  m->properties.headers["messageId"] = id;
  return m;
}

struct recorded {
  std::vector<int> order;
  std::vector<status> results;
};

TEST(confirm_ledger, multiple_acks_complete_in_order_and_nacks_fail_as_nacked) {
  confirm_ledger c;
  recorded r;
  for (int i = 0; i < 4; ++i)
    c.sent(msg("rk", "m" + std::to_string(i)), [&r, i](status s) {
      r.order.push_back(i);
      r.results.push_back(std::move(s));
    });
  std::vector<confirm_ledger::completion> out;
  c.confirmed(3, true, true, out);
  c.confirmed(4, false, false, out);
  for (auto& [done, s] : out) done(std::move(s));
  EXPECT_EQ(r.order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(r.results[0] && r.results[1] && r.results[2]);
  ASSERT_FALSE(r.results[3]);
  EXPECT_EQ(r.results[3].error().code, make_error_code(error::nacked));
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(confirm_ledger, a_returned_publish_fails_as_unroutable_when_its_ack_comes) {
  confirm_ledger c;
  std::vector<status> results(3, status(ok));
  c.sent(msg("good", "a"), [&](status s) { results[0] = std::move(s); });
  c.sent(msg("nowhere", "b"), [&](status s) { results[1] = std::move(s); });
  c.sent(msg("nowhere", "c"), [&](status s) { results[2] = std::move(s); });
  c.returned("x", "nowhere", 1, "c", "312 NO_ROUTE");
  std::vector<confirm_ledger::completion> out;
  c.confirmed(3, true, true, out);
  for (auto& [done, s] : out) done(std::move(s));
  EXPECT_TRUE(results[0]);
  EXPECT_TRUE(results[1]);  // same routing key, another message: not the returned one
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code, make_error_code(error::unroutable));
  EXPECT_NE(results[2].error().message.find("nowhere"), std::string::npos);
}

TEST(confirm_ledger, a_closed_channel_refuses_the_oldest_and_loses_the_rest) {
  confirm_ledger c;
  std::vector<status> results(3, status(ok));
  for (int i = 0; i < 3; ++i) c.sent(msg("rk", "m"), [&, i](status s) { results[i] = std::move(s); });
  std::vector<confirm_ledger::completion> out;
  c.confirmed(1, false, true, out);
  c.fail_all({make_error_code(error::refused), "406"}, {make_error_code(error::channel_closed), "406"}, out);
  for (auto& [done, s] : out) done(std::move(s));
  EXPECT_TRUE(results[0]);
  EXPECT_EQ(results[1].error().code, make_error_code(error::refused));
  EXPECT_EQ(results[2].error().code, make_error_code(error::channel_closed));
  // Sequence numbers restart.
  EXPECT_EQ(c.sent(msg("rk", "n"), [](status) {}), 1u);
}

TEST(confirm_ledger, confirms_for_numbers_never_sent_or_settled_twice_are_ignored) {
  confirm_ledger c;
  int calls = 0;
  c.sent(msg("rk", "a"), [&](status) { ++calls; });
  std::vector<confirm_ledger::completion> out;
  c.confirmed(7, false, true, out);
  EXPECT_TRUE(out.empty());
  c.confirmed(1, false, true, out);
  c.confirmed(1, false, true, out);
  c.confirmed(0, true, true, out);
  for (auto& [done, s] : out) done(std::move(s));
  EXPECT_EQ(calls, 1);
}

TEST(frame_codec, a_publish_written_is_read_back_frame_by_frame_even_one_byte_at_a_time) {
  frame_writer w(4096);
  std::string wire;
  amqp_basic_publish_t p{};
  p.exchange = amqp_cstring_bytes("ex");
  p.routing_key = amqp_cstring_bytes("rk");
  p.mandatory = 1;
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_EXPIRATION_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.expiration = amqp_cstring_bytes("1000");
  std::string body(10'000, 'b');
  body[0] = 'a';
  body.back() = 'z';
  ASSERT_TRUE(w.publish(wire, 2, p, props, body));
  frame_writer::heartbeat(wire);

  frame_reader r(4096);
  std::vector<std::uint8_t> types;
  std::string got_body;
  bool saw_method = false, saw_header = false;
  for (char c : wire) {
    r.feed(std::string_view(&c, 1));
    frame f;
    for (;;) {
      auto next = r.next(f);
      ASSERT_TRUE(next) << next.error().message;
      if (!*next) break;
      types.push_back(f.type);
      if (f.type == AMQP_FRAME_METHOD) {
        EXPECT_EQ(f.channel, 2);
        ASSERT_EQ(f.method_id, AMQP_BASIC_PUBLISH_METHOD);
        auto& m = *static_cast<amqp_basic_publish_t*>(f.method);
        EXPECT_EQ(std::string(static_cast<char*>(m.routing_key.bytes), m.routing_key.len), "rk");
        EXPECT_EQ(m.mandatory, 1);
        saw_method = true;
      } else if (f.type == AMQP_FRAME_HEADER) {
        EXPECT_EQ(f.body_size, body.size());
        ASSERT_NE(f.properties, nullptr);
        EXPECT_EQ(std::string(static_cast<char*>(f.properties->expiration.bytes), f.properties->expiration.len), "1000");
        saw_header = true;
      } else if (f.type == AMQP_FRAME_BODY) {
        EXPECT_LE(f.body.size(), 4096u - frame_overhead);
        got_body.append(f.body);
      }
    }
  }
  EXPECT_TRUE(saw_method && saw_header);
  EXPECT_EQ(got_body, body);
  EXPECT_EQ(types.back(), AMQP_FRAME_HEARTBEAT);
  EXPECT_EQ(types.size(), 1u + 1u + 3u + 1u);  // method, header, 3 body frames, heartbeat
}

TEST(frame_codec, properties_larger_than_the_first_guess_still_fit_in_one_frame) {
  // The writer encodes into a small room first and a whole frame's room only when that is too
  // small: a 20 KB header value must come out whole, after whatever was already in the buffer.
  frame_writer w;
  std::string wire = "x";
  amqp_basic_publish_t p{};
  p.exchange = amqp_cstring_bytes("");
  p.routing_key = amqp_cstring_bytes("rk");
  std::string big(20'000, 'v');
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes("big");
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_bytes_t{big.size(), big.data()};
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_HEADERS_FLAG;
  props.headers = amqp_table_t{1, &entry};
  ASSERT_TRUE(w.publish(wire, 1, p, props, "body"));
  frame_reader r;
  r.feed(std::string_view(wire).substr(1));
  frame f;
  bool saw_header = false;
  while (true) {
    auto n = r.next(f);
    ASSERT_TRUE(n) << n.error().message;
    if (!*n) break;
    if (f.type == AMQP_FRAME_HEADER) {
      ASSERT_NE(f.properties, nullptr);
      ASSERT_EQ(f.properties->headers.num_entries, 1);
      EXPECT_EQ(f.properties->headers.entries[0].value.value.bytes.len, big.size());
      saw_header = true;
    }
  }
  EXPECT_TRUE(saw_header);
  EXPECT_EQ(wire[0], 'x');
}

TEST(frame_codec, a_field_too_long_to_encode_adds_nothing_and_says_so) {
  frame_writer w;
  std::string wire = "keep";
  amqp_basic_publish_t p{};
  std::string long_key(300, 'k');  // a short string holds at most 255 bytes
  p.exchange = amqp_cstring_bytes("");
  p.routing_key = amqp_bytes_t{long_key.size(), long_key.data()};
  amqp_basic_properties_t props{};
  auto s = w.publish(wire, 1, p, props, "body");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(error::refused));
  EXPECT_EQ(wire, "keep");
}

TEST(frame_codec, streams_that_are_not_amqp_are_errors_naming_what_was_wrong) {
  {
    frame_reader r;
    r.feed(std::string_view("AMQP\x00\x00\x09\x00", 8));
    frame f;
    auto n = r.next(f);
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("0-9-0"), std::string::npos) << n.error().message;
  }
  {
    frame_reader r;
    std::string wire;
    frame_writer::heartbeat(wire);
    wire.back() = 'X';
    r.feed(wire);
    frame f;
    auto n = r.next(f);
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("frame-end"), std::string::npos);
  }
  {
    // A method rabbitmq-c does not know (class 160): found by fuzz_amqp_frames, it crashed
    // building the message from a null name.
    frame_reader r;
    r.feed(std::string_view("\x01\x00\x01\x00\x00\x00\x0d\x00\xa0\x00\x50\x00\x00\x00\x00\x00\x00\x00\x01\x00\xce", 21));
    frame f;
    auto n = r.next(f);
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("method 0x00a00050"), std::string::npos) << n.error().message;
  }
  {
    frame_reader r(4096);
    r.feed(std::string_view("\x03\x00\x01\x00\x01\x00\x00", 7));  // a body frame of 65536 bytes
    frame f;
    auto n = r.next(f);
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("frame-max"), std::string::npos);
  }
}

TEST(broker_uri, reads_what_amqplib_reads) {
  auto u = parse_broker_uri("amqps://us%3Aer:p%40ss%C3%A9@rabbit.example:5999/my%2Fvhost?heartbeat=15&frame_max=8192&locale=en_US");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->user, "us:er");
  EXPECT_EQ(u->password, "p@ss\xC3\xA9");
  EXPECT_EQ(u->host, "rabbit.example");
  EXPECT_EQ(u->port, 5999);
  EXPECT_EQ(u->vhost, "my/vhost");
  EXPECT_EQ(u->heartbeat_seconds, std::optional<std::uint16_t>(15));
  EXPECT_EQ(u->frame_max, std::optional<std::uint32_t>(8192));

  auto d = parse_broker_uri("amqp://host");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->tls);
  EXPECT_EQ(d->port, 5672);
  EXPECT_EQ(d->vhost, "/");
  EXPECT_EQ(d->user, "guest");
  EXPECT_EQ(parse_broker_uri("amqps://host/")->port, 5671);
  EXPECT_EQ(parse_broker_uri("amqp://host/%2f")->vhost, "/");
  EXPECT_EQ(parse_broker_uri("amqp://[::1]:5673/")->host, "::1");
  // An empty query before a fragment (found by fuzz_amqp_frames: Boost.URL 1.81's params
  // iterator read out of bounds on it).
  auto q = parse_broker_uri("amqp://l0:4/5?#0");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->vhost, "5");
  EXPECT_FALSE(q->heartbeat_seconds);
}

TEST(broker_uri, errors_never_repeat_the_uri) {
  for (const char* bad : {"http://user:s3cret@host/", "amqp://user:s3cret@host:99999/", "amqp://user:s3cret@/",
                          "amqp://user:s3cret@host/?heartbeat=soon", "not a uri s3cret"}) {
    auto u = parse_broker_uri(bad);
    ASSERT_FALSE(u) << bad;
    EXPECT_EQ(u.error().message.find("s3cret"), std::string::npos) << u.error().message;
  }
}

}  // namespace
}  // namespace oauth2_rest::amqp
