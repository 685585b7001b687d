#include "common/backoff.h"

#include <algorithm>

#include "common/log.h"

namespace coinlake {

std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int retry,
                                       std::mt19937_64& rng) {
  int64_t cap = policy.initial.count();
  for (int i = 0; i < retry && cap < policy.max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, policy.max.count());
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 0));
  return std::chrono::milliseconds(dist(rng));
}

bool IsTransient(const Status& status) { return status.code() == StatusCode::kUnavailable; }

Status RetryWithBackoff(const BackoffPolicy& policy, StopSignal& stop, std::string_view describe,
                        const std::function<Status()>& op,
                        const std::function<bool(const Status&)>& is_retryable) {
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    Status status = op();
    if (status.ok() || !is_retryable(status)) return status;
    if (policy.max_attempts > 0 && attempt >= policy.max_attempts) return status;
    auto delay = BackoffDelay(policy, attempt - 1, rng);
    log::Warn("retrying", {{"operation", describe},
                           {"attempt", attempt},
                           {"delay_ms", delay.count()},
                           {"error", status.ToString()}});
    if (!stop.SleepFor(delay)) return status;
  }
}

}  // namespace coinlake
