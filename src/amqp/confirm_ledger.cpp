// The publish channel's confirm bookkeeping (rules in the header).
#include "amqp/confirm_ledger.hpp"

#include "amqp/error.hpp"

namespace oauth2_rest::amqp {
namespace {

std::string_view message_id_of(const outgoing& m) {
  if (auto* v = m.properties.headers.if_contains("messageId"); v && v->is_string()) return v->get_string();
  return {};
}

}  // namespace

void confirm_ledger::reset() {
  unconfirmed_.clear();
  first_ = next_ = 1;
  in_flight_ = 0;
}

std::uint64_t confirm_ledger::sent(std::shared_ptr<const outgoing> msg, std::function<void(status)> done) {
  unconfirmed_.push_back({std::move(msg), std::move(done), {}});
  ++in_flight_;
  return next_++;
}

void confirm_ledger::returned(std::string_view exchange, std::string_view routing_key, std::uint64_t body_size,
                              std::string_view message_id, std::string reason) {
  for (auto& e : unconfirmed_) {
    if (!e.done || !e.returned.empty() || !e.msg) continue;
    const auto& m = *e.msg;
    if (m.exchange == exchange && m.routing_key == routing_key && m.body.size() == body_size &&
        message_id_of(m) == message_id) {
      e.returned = reason.empty() ? std::string("unroutable") : std::move(reason);
      return;
    }
  }
}

void confirm_ledger::complete(entry& e, bool acked, std::vector<completion>& out) {
  if (!e.done) return;
  --in_flight_;
  if (!e.returned.empty()) {
    out.emplace_back(std::move(e.done),
                     failure{make_error_code(error::unroutable),
                             "the broker returned the message: no queue is bound to exchange '" + e.msg->exchange +
                                 "' for routing key '" + e.msg->routing_key + "' (" + e.returned + ")"});
  } else if (acked) {
    out.emplace_back(std::move(e.done), status(ok));
  } else {
    out.emplace_back(std::move(e.done),
                     failure{make_error_code(error::nacked),
                             "the broker rejected the message (basic.nack); a queue may be full (overflow=reject-publish)"});
  }
  e.done = nullptr;
  e.msg.reset();
}

void confirm_ledger::confirmed(std::uint64_t tag, bool multiple, bool acked, std::vector<completion>& out) {
  if (multiple && tag == 0) tag = next_ - 1;  // "everything outstanding"
  if (tag >= next_) {
    if (!multiple) return;  // a number never sent
    tag = next_ - 1;
  }
  if (tag < first_) return;  // settled already
  if (multiple) {
    for (std::uint64_t seq = first_; seq <= tag; ++seq) complete(unconfirmed_[seq - first_], acked, out);
  } else {
    complete(unconfirmed_[tag - first_], acked, out);
  }
  while (!unconfirmed_.empty() && !unconfirmed_.front().done) {
    unconfirmed_.pop_front();
    ++first_;
  }
}

void confirm_ledger::fail_all(const failure& first, const failure& rest, std::vector<completion>& out) {
  bool oldest = true;
  for (auto& e : unconfirmed_) {
    if (!e.done) continue;
    out.emplace_back(std::move(e.done), oldest ? first : rest);
    oldest = false;
  }
  reset();
}

}  // namespace oauth2_rest::amqp
