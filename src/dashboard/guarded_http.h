// An httplib::Server whose connections must deliver each request within a deadline and a byte
// budget. cpp-httplib 0.11 (Debian 12) bounds each header line (8 KiB) but neither the number of
// header lines nor the time a request may take: a client sending headers forever grew the
// request without bound, and one sending a byte every few seconds (under the per-read timeout)
// held its connection and thread forever. Here a request whose bytes do not arrive within
// `request_deadline` of its first byte, or that sends more than `max_request_bytes`, is cut:
// httplib sees the end of the stream, answers it (408 or 431 through the error handler, see
// CutStatus) and the connection is closed.
//
// It also serves at most a set number of connections per client address at once, so one client
// cannot hold every server thread: a connection beyond its address's share gets one request
// answered (503 through the pre-routing handler, see OverClientLimit) and is closed.
//
// Everything else (routing, keep-alive, timeouts, the task queue) is httplib's own; only the
// socket stream of each connection is ours. Internal to the dashboard (server.cc): it exposes
// httplib, which no public header does.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace coinlake::dashboard {

struct RequestLimits {
  std::chrono::milliseconds request_deadline{10'000};  // from a request's first byte to its last
  size_t max_request_bytes = 128 << 10;                // request line, headers and body
};

class GuardedHttpServer : public httplib::Server {
 public:
  // Like httplib's own setters: before listening.
  void set_request_limits(RequestLimits limits) { limits_ = limits; }
  // At most `max` connections from one remote address served at once; 0: no limit.
  void set_max_connections_per_client(int max) { max_per_client_ = max; }

  // Inside httplib's error handler: 408 if the request being answered was cut at its deadline,
  // 431 if at its byte budget, nothing otherwise (httplib's own 400/413/414 stand).
  static std::optional<int> CutStatus();

  // Inside a handler: true if the request came on a connection beyond its address's limit,
  // which must be answered (503) and closed.
  static bool OverClientLimit();

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Counts a connection from `address`; false (and not counted) if that address already has
  // max_per_client_ connections.
  bool AdmitClient(const std::string& address);
  void ReleaseClient(const std::string& address);

  RequestLimits limits_;
  int max_per_client_ = 0;
  std::mutex clients_mu_;
  std::unordered_map<std::string, int> clients_;  // connections served per remote address
};

}  // namespace coinlake::dashboard
