// libFuzzer target: the platform message codec (sail::decode_message for protocol 1 and 2, and
// sail::decode_error_record) with a fixed cipher. The first byte picks the mode; modes 2 and 4
// encrypt the fuzz bytes first so that the JSON stage behind the decryption is reached too.
// Invariant: a decoded message encodes and decodes back to itself once normalised as Node would
// hold it (integers beyond 2^53 become doubles).
#include "fuzz_support.hpp"
#include "sail/message_cipher.hpp"
#include "sail/message_codec.hpp"
#include "util/base64.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

const sail::message_cipher& cipher() {
  static const sail::message_cipher c("testCryptoPassword", "iv=any16_symbols");
  return c;
}

void check_round_trip(const boost::json::object& message, int protocol) {
  const std::string wire = sail::encode_message(message, protocol, cipher());
  if (fuzz::has_non_finite(message)) return;  // platform input (Node) never holds them
  auto again = sail::decode_message(wire, protocol, cipher());
  fuzz_check(again.has_value(), "encode_message output does not decode");
  // Numbers are written as Node writes them, so an integer beyond 2^53 comes back as the double
  // Node would hold (99999999999999999 -> 100000000000000000): one round trip normalises, and
  // from then on the message is stable.
  auto twice = sail::decode_message(sail::encode_message(*again, protocol, cipher()), protocol, cipher());
  fuzz_check(twice.has_value(), "encode_message output does not decode");
  fuzz_check(fuzz::json_close(*twice, *again), "decode(encode(m)) is not stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 5;
  const std::string_view rest = fuzz::as_view(data + 1, size - 1);
  switch (mode) {
    case 0:
    case 1: {  // the wire bytes as they come: base64 text (protocol 1) or raw ciphertext (2)
      const int protocol = mode == 0 ? 1 : 2;
      auto m = sail::decode_message(rest, protocol, cipher());
      if (m) check_round_trip(*m, protocol);
      break;
    }
    case 2: {  // a plaintext, encrypted as a sender would: exercises the JSON stage
      const std::string ct = cipher().encrypt(rest);
      auto m1 = sail::decode_message(base64_encode(ct), 1, cipher());
      auto m2 = sail::decode_message(ct, 2, cipher());
      fuzz_check(m1.has_value() == m2.has_value(), "protocols 1 and 2 disagree");
      // Non-finite numbers (Boost.JSON 1.81 reads 0e688 as NaN) never come from the platform.
      if (m1 && !fuzz::has_non_finite(*m1)) {
        fuzz_check(*m1 == *m2, "protocols 1 and 2 decode differently");
        check_round_trip(*m1, 1);
        boost::json::object amqp_headers{{"reply_to", "q"}};
        sail::attach_reply_to(*m1, amqp_headers);
      }
      break;
    }
    case 3: {  // an error record as it comes
      auto r = sail::decode_error_record(rest, cipher());
      // Records come from the platform (Node never writes 1e999; see fuzz_support.hpp).
      if (r && !fuzz::has_non_finite(*r)) fuzz::check_json_round_trip(*r, "decoded error record");
      break;
    }
    case 4: {  // an error record whose two fields are encryptions of the two lines of the input
      auto [first, second] = fuzz::split_line(rest);
      boost::json::object record{{"error", base64_encode(cipher().encrypt(first))},
                                 {"errorInput", base64_encode(cipher().encrypt(second))}};
      auto r = sail::decode_error_record(boost::json::serialize(record), cipher());
      if (r && !fuzz::has_non_finite(*r)) fuzz::check_json_round_trip(*r, "decoded error record");
      break;
    }
  }
  return 0;
}
