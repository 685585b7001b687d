// Time points, ISO-8601 parsing and the formats used in lake keys.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace coinlake {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

TimePoint SystemNow();

// Where a component reads the time: SystemNow in production, a test's own clock in tests
// (leveldb's Env::NowMicros, injected rather than read from the system).
using Clock = std::function<TimePoint()>;

// Time since `start` on the monotonic clock, for stage timings.
std::chrono::milliseconds MillisecondsSince(std::chrono::steady_clock::time_point start);

// Parses "2026-09-29T03:55:03.728Z" (fraction optional, any number of digits, "Z" or "+00:00").
StatusOr<TimePoint> ParseIso8601(std::string_view text);

// "2026-09-29T03:55:03.728Z": always UTC, always milliseconds.
std::string FormatIso8601(TimePoint t);

// Next 00:00:00.000 UTC strictly after `now`, and the first of the next month at 00:00 UTC.
TimePoint NextUtcMidnight(TimePoint now);
TimePoint NextUtcMonthStart(TimePoint now);

// "2026-09-29": the partition value in lake keys.
std::string FormatDate(TimePoint t);

// "2026-09-29T03-55-03Z": the time in lake object names (no ':' so keys stay portable).
std::string FormatKeyTime(TimePoint t);

// Inverse of FormatKeyTime.
StatusOr<TimePoint> ParseKeyTime(std::string_view text);

// "90s", "15m", "6h", "7d": whole seconds (digits, then one unit). nullopt for anything else,
// or past `max_seconds`. Callers add their own bounds and words.
std::optional<int64_t> ParseDurationSeconds(std::string_view text, int64_t max_seconds);

}  // namespace coinlake
