// What one CoinMarketCap answer means for the caller: use it, retry it, or stop asking.
//
// A pure function of what the server said (HTTP status or transport error, the parsed
// status.error_code, Retry-After), the retry count, the clock and an RNG, so every branch is
// tested without a network. The policy follows CMC's error guide (docs/cmc.md has the table):
//   ok            HTTP 200 and error_code 0
//   retry         429/1008/1011 (Retry-After, else the next minute boundary + jitter);
//                 5xx, timeouts, resets, unreadable 200 bodies (exponential backoff + jitter)
//   stop endpoint 1001-1007, 400 and other 4xx: retrying cannot help until someone acts
//   stop until    1009 -> next UTC midnight; 1010 -> first of next month, 00:00 UTC
// A non-zero error_code on HTTP 200 is an error like any other.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "common/backoff.h"
#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::cmc {

struct Answer {
  // The client's transport result: OK when an HTTP answer arrived (any status), else the
  // error (UNAVAILABLE for refused, reset, timeout).
  Status transport;
  int http_status = 0;
  // status.error_code as parsed (ParseStatus turns "1006" and 1006 alike into 1006); nullopt
  // when the body had no readable status envelope.
  std::optional<int64_t> error_code;
  std::string error_message;
  std::optional<int> retry_after_seconds;  // Retry-After header, seconds
};

enum class Action {
  kOk,            // use the body
  kRetry,         // ask again after `delay`
  kStopEndpoint,  // never ask this endpoint again in this process
  kStopUntil,     // do not ask this endpoint before `until`
};

struct Decision {
  Action action = Action::kOk;
  std::chrono::milliseconds delay{0};  // kRetry
  TimePoint until{};                   // kStopUntil
  std::string reason;                  // for logs and runs.error; never holds the key
};

// `retry` counts the retries already made (0 before the first), for the backoff schedule.
Decision Classify(const Answer& answer, int retry, TimePoint now, const BackoffPolicy& policy,
                  std::mt19937_64& rng);

std::string_view ActionName(Action action);

}  // namespace coinlake::cmc
