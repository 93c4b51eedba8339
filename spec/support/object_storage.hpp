// A loopback object storage ("Maester") that speaks the API of the reference runtime's client
// (@elastic.io/maester-client 6.0.0): POST /objects stores the request body as sent (the
// client's encrypted bytes, Content-Length or chunked) and answers 200 {"objectId": "<uuid>"};
// GET /objects/{id} answers the stored bytes (application/octet-stream) or 404. Every request
// needs Authorization: Bearer <token>, else 401.
//
// Faults, to test the clients' retries and errors:
// - down(): the port is closed (connection refused), up() opens it again on the same port;
// - slow(d): every answer comes after d (longer than the client's timeout: it gives up);
// - fail_next(n, status): the next n requests are answered `status` (5xx), then all is normal;
// - answer_not_found(true): every GET is 404.
// Thread-safe; it serves on its own thread (http_server).
#pragma once

#include "http_server.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::testing {

class object_storage {
 public:
  explicit object_storage(std::string token);
  ~object_storage();
  object_storage(const object_storage&) = delete;
  object_storage& operator=(const object_storage&) = delete;

  std::string base_url() const;  // http://127.0.0.1:PORT, the same while down

  void down();
  void up();
  void slow(std::chrono::milliseconds delay);
  void fail_next(int n, unsigned status = 503);
  void answer_not_found(bool on);

  // Stores bytes directly (a test's lightweight input); returns the new id.
  std::string put(std::string stored);
  std::optional<std::string> object(const std::string& id) const;
  std::size_t object_count() const;
  std::vector<std::string> object_ids() const;  // in the order stored
  // Every request that reached the server, in arrival order, those failed on purpose included.
  std::vector<recorded_request> requests() const;
  std::size_t request_count(std::string_view method) const;

 private:
  reply handle(const recorded_request& r);

  const std::string token_;
  unsigned short port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::vector<std::string> order_;
  std::vector<recorded_request> requests_;
  std::chrono::milliseconds delay_{0};
  int failures_left_ = 0;
  unsigned failure_status_ = 503;
  bool not_found_ = false;
  std::unique_ptr<http_server> server_;  // last: it calls handle() until destroyed
};

}  // namespace oauth2_rest::testing
