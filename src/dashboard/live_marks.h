// Where a chart's history meets live polling: the instant live polling began, and the stretches
// after it that still miss listings snapshots (shaded on the asset page). Backfilled history and
// live quotes share one table; these marks are what tell them apart on a chart.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

struct LiveMarks {
  // The first live poll (listings_latest or quotes_latest); unset before any.
  std::optional<int64_t> live_since;
  // Per asset, the [from, to] ranges (Unix seconds, within the window) with no listings
  // snapshot, live or backfilled, for more than two of the ETL's listings intervals and no
  // quote of that asset either (a backfill of its quotes filled them). Oldest first.
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> missing;
};

// One statement: a few ledger index probes, the ledger's listings rows in the window (index
// only), and per candidate range and asset one primary-key probe of quotes.
StatusOr<LiveMarks> ReadLiveMarks(warehouse::Connection& db, const std::vector<int64_t>& ids,
                                  const std::string& currency, int64_t from, int64_t to,
                                  int64_t interval_seconds);

}  // namespace coinlake::dashboard
