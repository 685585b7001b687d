// The time range of a chart request (/series, /candles, /global/series): from, to, range=all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "dashboard/params.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

// Bounds the rows one request scans.
constexpr int64_t kMaxRangeSeconds = 10LL * 366 * 86400;

// `to` defaults to the latest snapshot (so stale data still shows), `from` to `range` before
// `to` (range=all: `all` is set and `from` is left for the caller, who knows where the data
// starts).
struct TimeRange {
  int64_t from = 0;
  int64_t to = 0;
  bool all = false;
};

// Reads from, to and range (a duration such as 24h, 7d, or "all") from `params`. Without `to`,
// the window ends at `latest_sql` (a statement giving one timestamptz, NULL for none, with
// `latest_args` bound) or, by default, at the latest listings snapshot; at now() without data.
StatusOr<TimeRange> ParseTimeRange(warehouse::Connection& db, QueryParams& params,
                                   const std::string& latest_sql = "",
                                   const std::vector<warehouse::Param>& latest_args = {});

}  // namespace coinlake::dashboard
