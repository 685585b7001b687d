// Exponential backoff with full jitter, and a retry loop built on it.
//
// The delay schedule is a pure function of the attempt number and a seeded RNG, so tests check it
// exactly; the loop sleeps through a StopSignal, so shutdown interrupts a wait at once.
#pragma once

#include <chrono>
#include <functional>
#include <random>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake {

struct BackoffPolicy {
  std::chrono::milliseconds initial{200};  // cap of the first delay
  std::chrono::milliseconds max{20'000};   // no single delay is longer
  int max_attempts = 5;                    // attempts in all, the first included; <= 0: unlimited
};

// The delay before retry number `retry` (0 for the first retry): uniform in
// [0, min(max, initial * 2^retry)] ("full jitter", as the AWS SDKs do it).
std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int retry,
                                       std::mt19937_64& rng);

// Calls `op` until it succeeds, returns a status `is_retryable` rejects, attempts run out, or
// `stop` fires. Returns the last status. `describe` names the operation in the warning logged
// before each retry.
Status RetryWithBackoff(const BackoffPolicy& policy, StopSignal& stop, std::string_view describe,
                        const std::function<Status()>& op,
                        const std::function<bool(const Status&)>& is_retryable);

// The usual rule: only UNAVAILABLE (timeouts, refused connections, 5xx) is worth retrying.
bool IsTransient(const Status& status);

}  // namespace coinlake
