// Helpers shared by the API handlers: libpq text to JSON, and common SQL.
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

// A number, or null for SQL NULL (and for text that is not a number).
nlohmann::json NumberOrNull(const std::optional<std::string>& text);

// An ISO-8601 UTC time ("2026-11-27T21:50:00.000Z") from PostgreSQL's timestamptz text in a
// UTC session, or null for SQL NULL.
nlohmann::json TimeOrNull(const std::optional<std::string>& text);

nlohmann::json TimeOrNull(const std::optional<TimePoint>& time);

// The value, or null when unset.
template <typename T>
nlohmann::json ValueOrNull(const std::optional<T>& value) {
  if (!value) return nullptr;
  return *value;
}

// Whether the ledger has migration 0011's carried_ids column (warehouse/schema_version.h: the
// ETL host migrates; the dashboard may run an older schema meanwhile). The statements name the
// column only when it is there, rather than reading it through to_jsonb, which slows the
// overview measurably (docs/benchmarks.md, "Measurements behind design rules").
StatusOr<bool> LedgerHasCarriedIds(warehouse::Connection& db);

// The latest snapshot: the newest complete listings snapshot, one whose every coin the database
// holds, as its own rows or carried over (stored with an earlier snapshot: CMC had not refreshed
// them). One whose coins were all carried over counts: it is the ETL's last poll, and the page's
// freshness must say so. A ledger row with neither lists nothing to show (an empty listing), so
// it is not the latest; nor, without carried_ids (before migration 0011), is one that added no
// row, since which coins it listed is unknown. A statement giving one timestamptz (NULL before
// any), read newest first off a ledger index.
const char* LatestSnapshotSql(bool ledger_has_carried_ids);

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
