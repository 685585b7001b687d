// A "reload the configuration" request (SIGHUP): the signal thread sets it, the `run` loop takes
// it between cycles, so a reload never interrupts a cycle in flight.
#pragma once

#include <atomic>

namespace coinlake {

class ReloadSignal {
 public:
  void Request() { requested_.store(true); }
  // True once per Request() (several requests before a Take() count as one).
  bool Take() { return requested_.exchange(false); }

 private:
  std::atomic<bool> requested_{false};
};

}  // namespace coinlake
