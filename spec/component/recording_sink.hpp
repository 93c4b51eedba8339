// An event_sink that keeps every event, for assertions.
#pragma once

#include "action/http_request_action.hpp"

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace oauth2_rest::testing {

struct recorded_event {
  std::string kind;            // data, error, rebound, updateKeys
  boost::json::object payload; // data: the message; updateKeys: the keys
  std::string name;            // error name
  std::string text;            // error message or rebound reason
};

class recording_sink final : public action::event_sink {
 public:
  void data(boost::json::object message) override { events.push_back({"data", std::move(message), {}, {}}); }
  void error(std::string name, std::string message) override {
    events.push_back({"error", {}, std::move(name), std::move(message)});
  }
  void rebound(std::string reason) override { events.push_back({"rebound", {}, {}, std::move(reason)}); }
  void update_keys(boost::json::object keys) override { events.push_back({"updateKeys", std::move(keys), {}, {}}); }

  std::vector<recorded_event> of(const std::string& kind) const {
    std::vector<recorded_event> out;
    for (const auto& e : events)
      if (e.kind == kind) out.push_back(e);
    return out;
  }
  // Everything the sink received, as text (for leak checks).
  std::string all_text() const {
    std::string text;
    for (const auto& e : events) text += e.kind + " " + boost::json::serialize(e.payload) + " " + e.name + " " + e.text + "\n";
    return text;
  }

  std::vector<recorded_event> events;
};

}  // namespace oauth2_rest::testing
