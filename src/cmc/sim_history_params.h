// The historical endpoints' time parameters, as CMC reads them: timestamps, intervals, and
// which sample times or bars a (time_start, time_end, count, interval) request asks for.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::cmc::sim {

// An ISO 8601 date ("2019-01-01") or UTC date-time, or unix seconds.
StatusOr<TimePoint> ParseSimTime(std::string_view text);

// Minutes of a CMC interval ("5m" .. "365d", "hourly", "daily", "weekly", "monthly" = 30d,
// "yearly" = 365d); nullopt for anything else.
std::optional<int64_t> IntervalMinutes(std::string_view text);

// A request for points in time. Unset bounds and count follow CMC: no time_end means now; no
// time_start means `count` points back from time_end; with time_start, count limits only if
// given.
struct SampleRequest {
  std::optional<TimePoint> time_start;
  std::optional<TimePoint> time_end;
  std::optional<int64_t> count;
  int64_t interval_minutes = 5;
};

// For quotes and global metrics: the multiples of the interval (from the epoch) in
// [time_start, min(time_end, now)], ascending, at most count (default 10, limit 10000).
std::vector<TimePoint> SampleTimes(const SampleRequest& request, TimePoint now);

// For OHLCV: the opening times of the complete bars of `period_minutes` starting on multiples
// of the interval (at least the period) after time_start's period (exclusive) up to the period
// containing time_end (inclusive), ascending. Without time_start, count (default 10) periods
// back from time_end, the one in progress counted but not returned.
std::vector<TimePoint> BarOpenings(const SampleRequest& request, int64_t period_minutes,
                                   TimePoint now);

constexpr int64_t kMaxHistoricalCount = 10000;

}  // namespace coinlake::cmc::sim
