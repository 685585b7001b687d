// Helpers shared by the API handlers: libpq text to JSON, and common SQL.
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

// A number, or null for SQL NULL (and for text that is not a number).
nlohmann::json NumberOrNull(const std::optional<std::string>& text);

// An ISO-8601 UTC time ("2026-11-27T21:50:00.000Z") from PostgreSQL's timestamptz text in a
// UTC session, or null for SQL NULL.
nlohmann::json TimeOrNull(const std::optional<std::string>& text);

// The newest listings snapshot that added quotes, from the ledger's index rather than a scan of
// quotes. A snapshot that added none (the market had not moved since the previous one, as when
// polling faster than CMC updates) has no quote of its own: showing it would show nothing.
inline constexpr const char* kLatestSnapshot =
    "SELECT max(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest' AND rows > 0";

// Whether the ledger has migration 0011's carried_ids column (the ETL host migrates; the
// dashboard may run an older schema meanwhile), read at most once a minute per process. The
// statements name the column only when it is there (reading it through to_jsonb instead cost
// 5-11% of the overview's throughput).
StatusOr<bool> RecentLedgerHasCarriedIds(warehouse::Connection& db);

// The latest snapshot's quotes in the currency given as parameter `$N`: its own rows and, for
// each coin it carried over (its quote, same coin, currency and time, is stored with the
// snapshot loaded first), that coin's newest quote up to the snapshot. A subquery (in
// parentheses) with the columns of `quotes`. Without the ledger column (before migration 0011)
// there are no carried coins: the snapshot's own rows only.
std::string LatestSnapshotQuotesSql(int currency_param, bool ledger_has_carried_ids);

// Three cycles of the ETL's listings interval, and never less than 15 minutes: data older than
// this is stale, and a stretch of a series without data longer than this is a gap.
inline int64_t MissedCyclesSeconds(int64_t interval_seconds) {
  return std::max<int64_t>(15 * 60, 3 * interval_seconds);
}

// warehouse::EtlListingsIntervalSeconds, read at most once a minute per process: the series
// endpoint is the busiest, and a schedule rarely changes.
StatusOr<int64_t> RecentEtlListingsIntervalSeconds(warehouse::Connection& db);

}  // namespace coinlake::dashboard
