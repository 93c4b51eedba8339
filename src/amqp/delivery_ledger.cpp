// The consume channel's settle bookkeeping (rules in the header).
#include "amqp/delivery_ledger.hpp"

namespace oauth2_rest::amqp {

void delivery_ledger::reset() {
  state_.clear();
  base_ = 1;
  rejects_.clear();
  acks_.clear();
  unsettled_ = 0;
}

void delivery_ledger::delivered(std::uint64_t tag) {
  if (tag < base_ + state_.size()) return;  // a tag seen already: the broker never does this
  // The broker numbers deliveries without gaps; a gap would be tags we never get, settled here.
  while (base_ + state_.size() < tag) state_.push_back(done);
  state_.push_back(open);
  ++unsettled_;
}

bool delivery_ledger::settle(std::uint64_t tag, bool ack, bool requeue) {
  if (tag < base_ || tag >= base_ + state_.size()) return false;
  auto& s = state_[tag - base_];
  if (s != open) return false;
  --unsettled_;
  if (ack) {
    s = ack_wanted;
    acks_.push_back(tag);
  } else {
    s = done;
    rejects_.push_back({tag, false, false, requeue});
  }
  return true;
}

void delivery_ledger::take(std::vector<settle_frame>& out) {
  out.insert(out.end(), rejects_.begin(), rejects_.end());
  rejects_.clear();
  // The run of settled deliveries at the head: one multiple ack covers the acks wanted in it.
  std::uint64_t last = 0;
  std::size_t count = 0;
  while (!state_.empty() && state_.front() != open) {
    if (state_.front() == ack_wanted) {
      last = base_;
      ++count;
    }
    state_.pop_front();
    ++base_;
  }
  if (count > 0) out.push_back({last, true, count > 1, false});
  // Acks asked for behind a delivery still open: one each.
  for (auto tag : acks_) {
    if (tag < base_) continue;  // covered by the multiple ack
    auto& s = state_[tag - base_];
    if (s != ack_wanted) continue;
    s = done;
    out.push_back({tag, true, false, false});
  }
  acks_.clear();
}

}  // namespace oauth2_rest::amqp
