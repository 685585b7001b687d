#include "cmc/classify.h"

#include <fmt/format.h>

namespace coinlake::cmc {
namespace {

using std::chrono::milliseconds;

// Spreads clients that all hit the minute limit so they do not return in the same instant.
constexpr milliseconds kMinuteJitterMax{2'000};

Decision Retry(milliseconds delay, std::string reason) {
  return {Action::kRetry, delay, TimePoint{}, std::move(reason)};
}

Decision RateLimited(const Answer& a, TimePoint now, std::mt19937_64& rng, std::string reason) {
  if (a.retry_after_seconds && *a.retry_after_seconds >= 0) {
    return Retry(std::chrono::seconds(*a.retry_after_seconds),
                 fmt::format("{} (Retry-After {} s)", reason, *a.retry_after_seconds));
  }
  // CMC's minute limit resets on the minute; wait for the boundary, plus jitter.
  auto next_minute = std::chrono::ceil<std::chrono::minutes>(now + milliseconds(1));
  std::uniform_int_distribution<int64_t> jitter(0, kMinuteJitterMax.count());
  return Retry(next_minute - now + milliseconds(jitter(rng)), std::move(reason));
}

std::string Described(const Answer& a) {
  std::string text = fmt::format("HTTP {}", a.http_status);
  if (a.error_code && *a.error_code != 0) text += fmt::format(", CMC error {}", *a.error_code);
  if (!a.error_message.empty()) text += fmt::format(": {}", a.error_message);
  return text;
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kOk:
      return "ok";
    case Action::kRetry:
      return "retry";
    case Action::kStopEndpoint:
      return "stop_endpoint";
    case Action::kStopUntil:
      return "stop_until";
  }
  return "unknown";
}

Decision Classify(const Answer& a, int retry, TimePoint now, const BackoffPolicy& policy,
                  std::mt19937_64& rng) {
  auto backoff = [&](std::string reason) {
    return Retry(BackoffDelay(policy, retry, rng), std::move(reason));
  };
  if (!a.transport.ok()) {
    if (a.transport.code() == StatusCode::kUnavailable) return backoff(a.transport.message());
    return {Action::kStopEndpoint, milliseconds(0), TimePoint{}, a.transport.message()};
  }
  const int64_t code = a.error_code.value_or(0);
  // The error code is more specific than the HTTP status, and it also arrives on HTTP 200.
  switch (code) {
    case 1008:
    case 1011:
      return RateLimited(a, now, rng, Described(a));
    case 1009:
      return {Action::kStopUntil, milliseconds(0), NextUtcMidnight(now),
              Described(a) + " (daily limit; resets at 00:00 UTC)"};
    case 1010:
      return {Action::kStopUntil, milliseconds(0), NextUtcMonthStart(now),
              Described(a) + " (monthly credits used up; reset on the 1st, 00:00 UTC)"};
    default:
      break;
  }
  if (code >= 1001 && code <= 1007) {
    return {Action::kStopEndpoint, milliseconds(0), TimePoint{}, Described(a)};
  }
  if (a.http_status == 429) return RateLimited(a, now, rng, Described(a));
  if (a.http_status >= 500) return backoff(Described(a));
  if (a.http_status >= 400 || (a.http_status != 200 && a.http_status != 0 && code != 0)) {
    return {Action::kStopEndpoint, milliseconds(0), TimePoint{}, Described(a)};
  }
  if (a.http_status != 200) {
    // 1xx/3xx: not an answer CMC gives; treat as a transient proxy problem.
    return backoff(Described(a));
  }
  if (!a.error_code) {
    // HTTP 200 without a readable envelope: a truncated or corrupted transfer.
    return backoff("HTTP 200 with an unreadable body");
  }
  if (code != 0) {
    // An unknown code on HTTP 200 carries no data; it may be temporary.
    return backoff(Described(a));
  }
  return {Action::kOk, milliseconds(0), TimePoint{}, "ok"};
}

}  // namespace coinlake::cmc
