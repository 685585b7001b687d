// Test helpers for reprocess and audit: a small deterministic lake and a checksum of every
// lake-derived table.
#pragma once

#include <set>
#include <string>

#include "tests/test_support.h"

namespace coinlake::pipeline::testing {

// Listings responses every 5 minutes from `start` (by default 2026-03-31T22:30:00Z: two UTC
// days, two months), made from the real top-100 fixture with `copies` times its coins (new ids)
// and moving prices. Snapshot numbers in `skip` are left out (a gap in the schedule).
inline constexpr int kSnapshots = 24;
inline constexpr const char* kLakeStart = "2026-03-31T22:30:00Z";
void MakeLake(const std::string& root, int copies, const std::set<int>& skip = {},
              const char* start = kLakeStart);

// count:md5 of each of quotes, assets, asset_names, candles_hourly, candles_daily and the
// ledger (without its load time; with the coins each snapshot carried over), one per line.
std::string TablesChecksum(const coinlake::testing::TestDatabase& db);

}  // namespace coinlake::pipeline::testing
