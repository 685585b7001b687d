// A stop flag that sleeping threads can wait on, so SIGTERM interrupts a backoff at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace coinlake {

class StopSignal {
 public:
  // Sets the flag and wakes every sleeper. Safe to call from any thread, more than once.
  // (Not async-signal-safe: signal handlers should set an atomic that a thread forwards here.)
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

  // Sleeps for `duration` or until Stop(). Returns false if stopped.
  template <typename Rep, typename Period>
  bool SleepFor(std::chrono::duration<Rep, Period> duration) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, duration, [this] { return stopped_; });
  }

  // Sleeps until the wall-clock time `deadline` or until Stop(). Returns false if stopped.
  // Waits on the system clock itself (not a duration on the monotonic one), so a process whose
  // clock runs fast (libfaketime in the soak test) wakes on its own clock's schedule.
  template <typename Duration>
  bool SleepUntil(std::chrono::time_point<std::chrono::system_clock, Duration> deadline) {
    std::unique_lock lock(mu_);
    return !cv_.wait_until(lock, deadline, [this] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace coinlake
