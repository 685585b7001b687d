// A client-side deadline for one blocking libpq call.
//
// A database server that stops answering on a host that stays up (a frozen process, a storage
// stall) never trips the connection's own guards: the peer's kernel keeps ACKing, so TCP
// keepalives and tcp_user_timeout see a healthy link, and statement_timeout is enforced by the
// very server that is stuck. libpq would wait forever. While a CallDeadline is alive, a watchdog
// thread shuts the socket down once `limit` has passed, so the call returns at once with a
// connection error (which the callers already treat as an outage: reconnect and retry later).
#pragma once

#include <chrono>
#include <cstdint>

namespace coinlake::warehouse {

class CallDeadline {
 public:
  // Arms the deadline for socket `fd`. A zero `limit` or a negative fd arms nothing.
  CallDeadline(int fd, std::chrono::milliseconds limit);
  // Disarms it: after the destructor returns, the watchdog never touches `fd`.
  ~CallDeadline();
  CallDeadline(const CallDeadline&) = delete;
  CallDeadline& operator=(const CallDeadline&) = delete;

  // True once the watchdog has shut the socket down.
  bool expired() const;

 private:
  uint64_t id_ = 0;  // 0: nothing armed
};

}  // namespace coinlake::warehouse
