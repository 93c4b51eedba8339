// confirm_ledger: the publishes of one confirm-mode channel that the broker has not confirmed yet.
//
// No I/O. Each publish sent gets the channel's next sequence number (from 1, AMQP's publisher
// confirms); basic.ack / basic.nack settle one or, with multiple, every number up to theirs. A
// mandatory publish that no queue takes comes back as basic.return before its ack: the ledger
// marks it and its ack then completes it as error::unroutable, not as a success. The return does
// not carry the sequence number, so it is matched to the oldest unconfirmed publish with the same
// exchange, routing key, body size and messageId header (outputs carry distinct ids).
#pragma once

#include "amqp/message.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::amqp {

class confirm_ledger {
 public:
  using completion = std::pair<std::function<void(status)>, status>;

  // A new channel: sequence numbers restart. Call only when nothing is unconfirmed (fail_all).
  void reset();
  // The publish just sent; returns its sequence number.
  std::uint64_t sent(std::shared_ptr<const outgoing> msg, std::function<void(status)> done);
  // basic.return: the publish it matches will fail as unroutable when its confirm comes.
  void returned(std::string_view exchange, std::string_view routing_key, std::uint64_t body_size,
                std::string_view message_id, std::string reason);
  // basic.ack (acked) or basic.nack; completions are appended in sequence order.
  void confirmed(std::uint64_t tag, bool multiple, bool acked, std::vector<completion>& out);
  // Every publish still unconfirmed fails with `first` for the oldest and `rest` for the others
  // (a channel the broker closed over one message: that one is refused, the others only lost).
  void fail_all(const failure& first, const failure& rest, std::vector<completion>& out);

  std::size_t in_flight() const { return in_flight_; }

 private:
  struct entry {
    std::shared_ptr<const outgoing> msg;
    std::function<void(status)> done;  // empty once completed
    std::string returned;              // the broker's reason, when basic.return named it
  };
  void complete(entry& e, bool acked, std::vector<completion>& out);

  std::deque<entry> unconfirmed_;  // index = sequence number - first_
  std::uint64_t first_ = 1, next_ = 1;
  std::size_t in_flight_ = 0;
};

}  // namespace oauth2_rest::amqp
