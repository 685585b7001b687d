#include "warehouse/call_deadline.h"

#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace coinlake::warehouse {
namespace {

using Clock = std::chrono::steady_clock;

// One thread for the whole process, started on first use and never joined (it sleeps on a
// condition variable, so it costs nothing while no call is running).
class Watchdog {
 public:
  static Watchdog& Get() {
    static auto* watchdog = new Watchdog();  // leaked on purpose: outlives every static
    return *watchdog;
  }

  uint64_t Arm(int fd, Clock::time_point deadline) {
    std::lock_guard lock(mu_);
    uint64_t id = ++last_id_;
    armed_.emplace(id, Entry{fd, deadline, false});
    // Wake the thread only if this deadline comes before the one it sleeps until. Deadlines of
    // one limit arrive in order, so under load it wakes once per limit, not once per call (a
    // wake-up per call was a context switch per dashboard request).
    if (deadline < wakes_at_) {
      wakes_at_ = deadline;
      cv_.notify_one();
    }
    return id;
  }

  void Disarm(uint64_t id) {
    std::lock_guard lock(mu_);
    armed_.erase(id);
  }

  bool Expired(uint64_t id) const {
    std::lock_guard lock(mu_);
    auto it = armed_.find(id);
    return it != armed_.end() && it->second.fired;
  }

 private:
  struct Entry {
    int fd;
    Clock::time_point deadline;
    bool fired;
  };

  Watchdog() {
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      auto next = Clock::time_point::max();
      for (auto& [id, entry] : armed_) {
        if (entry.fired) continue;
        if (entry.deadline <= Clock::now()) {
          // Under the lock, so the owner cannot disarm and close the fd in between.
          ::shutdown(entry.fd, SHUT_RDWR);
          entry.fired = true;
        } else {
          next = std::min(next, entry.deadline);
        }
      }
      wakes_at_ = next;
      if (next == Clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, next);
      }
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> armed_;
  uint64_t last_id_ = 0;
  // When the thread wakes next: the earliest deadline it saw, or max while it waits for one.
  Clock::time_point wakes_at_ = Clock::time_point::min();
};

}  // namespace

CallDeadline::CallDeadline(int fd, std::chrono::milliseconds limit) {
  if (limit.count() > 0 && fd >= 0) id_ = Watchdog::Get().Arm(fd, Clock::now() + limit);
}

CallDeadline::~CallDeadline() {
  if (id_ != 0) Watchdog::Get().Disarm(id_);
}

bool CallDeadline::expired() const { return id_ != 0 && Watchdog::Get().Expired(id_); }

}  // namespace coinlake::warehouse
