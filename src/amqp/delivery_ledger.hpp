// delivery_ledger: the deliveries of one consume channel and what is still to be settled on it.
//
// No I/O: the broker client feeds it delivery tags as they arrive and settles as the caller asks
// for them, and takes from it the basic.ack / basic.reject frames to send. Tags are numbered from
// 1 on each channel (AMQP 0-9-1, section 1.8.3.x), so a new channel starts a new ledger (reset()).
//
// Acks that settle the oldest unsettled deliveries together go out as one basic.ack with
// multiple=true; an ack behind a delivery still in progress goes out on its own at once (never
// held back: the broker counts it against the prefetch until it has it). Rejects go out on their
// own, before the acks of the same batch. Every delivery is looked at a bounded number of times
// whatever the order of settles, so one delivery stuck for minutes at the head costs nothing per
// later ack (only one byte of memory per delivery until it settles).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace oauth2_rest::amqp {

class delivery_ledger {
 public:
  struct settle_frame {
    std::uint64_t tag;
    bool ack;       // basic.ack, else basic.reject
    bool multiple;  // acks only: every unsettled tag up to `tag`
    bool requeue;   // rejects only
  };

  // A new channel: everything earlier is gone with the old one.
  void reset();
  // A basic.deliver with this tag arrived.
  void delivered(std::uint64_t tag);
  // Asks for the delivery to be settled. false (and nothing to send) for a tag never delivered,
  // or settled already: sending it would make the broker close the channel.
  bool settle(std::uint64_t tag, bool ack, bool requeue);
  // Appends the frames that carry every settle asked for since the last call, in sending order.
  void take(std::vector<settle_frame>& out);

  bool has_pending() const { return !rejects_.empty() || !acks_.empty(); }
  std::size_t unsettled() const { return unsettled_; }

 private:
  enum state : std::uint8_t { open, ack_wanted, done };
  std::deque<std::uint8_t> state_;  // from tag base_ on
  std::uint64_t base_ = 1;
  std::vector<settle_frame> rejects_;
  std::vector<std::uint64_t> acks_;  // tags whose ack was asked for since the last take()
  std::size_t unsettled_ = 0;
};

}  // namespace oauth2_rest::amqp
