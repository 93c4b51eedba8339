// The loopback object storage of the lightweight message tests.
#include "object_storage.hpp"

#include "util/uuid.hpp"

namespace oauth2_rest::testing {

object_storage::object_storage(std::string token)
    : token_(std::move(token)),
      server_(std::make_unique<http_server>([this](const recorded_request& r) { return handle(r); })) {
  port_ = server_->port();
}

object_storage::~object_storage() { server_.reset(); }

std::string object_storage::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void object_storage::down() { server_.reset(); }

void object_storage::up() {
  if (!server_) server_ = std::make_unique<http_server>([this](const recorded_request& r) { return handle(r); }, std::nullopt, port_);
}

void object_storage::slow(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

void object_storage::fail_next(int n, unsigned status) {
  std::lock_guard lock(mutex_);
  failures_left_ = n;
  failure_status_ = status;
}

void object_storage::answer_not_found(bool on) {
  std::lock_guard lock(mutex_);
  not_found_ = on;
}

std::string object_storage::put(std::string stored) {
  std::lock_guard lock(mutex_);
  auto id = new_uuid_v4();
  objects_[id] = std::move(stored);
  order_.push_back(id);
  return id;
}

std::optional<std::string> object_storage::object(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(id);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::size_t object_storage::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

std::vector<std::string> object_storage::object_ids() const {
  std::lock_guard lock(mutex_);
  return order_;
}

std::vector<recorded_request> object_storage::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t object_storage::request_count(std::string_view method) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& r : requests_) n += r.method == method;
  return n;
}

reply object_storage::handle(const recorded_request& r) {
  std::unique_lock lock(mutex_);
  requests_.push_back(r);
  reply out;
  out.delay = delay_;
  if (r.header("Authorization") != "Bearer " + token_) {
    out.status = 401;
    out.headers.push_back({"Content-Type", "application/json"});
    out.body = R"({"error":"Unauthorized"})";
    return out;
  }
  if (failures_left_ > 0) {
    --failures_left_;
    out.status = failure_status_;
    out.headers.push_back({"Content-Type", "application/json"});
    out.body = R"({"error":"Service Unavailable"})";
    return out;
  }
  const std::string path = r.path();
  if (r.method == "POST" && path == "/objects") {
    auto id = new_uuid_v4();
    objects_[id] = r.body;
    order_.push_back(id);
    out.headers.push_back({"Content-Type", "application/json"});
    // Members beside objectId, as a real storage may send: the client reads objectId only.
    out.body = R"({"objectId":")" + id + R"(","contentLength":)" + std::to_string(r.body.size()) + "}";
    return out;
  }
  constexpr std::string_view prefix = "/objects/";
  if (r.method == "GET" && path.starts_with(prefix)) {
    auto it = objects_.find(path.substr(prefix.size()));
    if (not_found_ || it == objects_.end()) {
      out.status = 404;
      out.headers.push_back({"Content-Type", "application/json"});
      out.body = R"({"error":"Object not found"})";
      return out;
    }
    out.headers.push_back({"Content-Type", "application/octet-stream"});
    out.body = it->second;
    return out;
  }
  out.status = 404;
  out.headers.push_back({"Content-Type", "application/json"});
  out.body = R"({"error":"Not found"})";
  return out;
}

}  // namespace oauth2_rest::testing
