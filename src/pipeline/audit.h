// `coinlake audit`: reconciles the lake with the database and the expected schedule.
//
// Per UTC day: raw objects in the lake, ledger rows, and quote rows, each object re-parsed and
// its rows' checksum (warehouse/checksum.h) compared with the database's; each closed day's
// Parquet manifests (compact.h) against those objects; then the listings
// snapshots against the schedule (one every `interval`, or the schedule the cycles recorded,
// changes included), each gap named with its cause from `runs` when one is recorded. A slot
// with a listings snapshot from history (raw/cmc/listings_historical/ at the slot's time, which
// `audit --fill` fetches) is filled, not missing. Streams the lake one day at a time: memory
// stays bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"

namespace coinlake::pipeline {

struct AuditOptions {
  std::string database_url;
  std::string lake_url;
  std::string from_date;  // YYYY-MM-DD, inclusive; empty: from the start
  std::string to_date;    // YYYY-MM-DD, inclusive; empty: to the end
  // The listings schedule, one snapshot every `interval`. 0: the interval each `run` cycle
  // recorded, and before the first that did, the newest ETL heartbeat's (else 300 s).
  std::chrono::seconds interval{300};
  // The configured quotes retention (retention.h); 0: none. A closed day of quotes before
  // now - retention without a Parquet file is then a finding, not a notice: retention cannot
  // drop its partition until it is compacted.
  int quotes_retention_days = 0;
  // Who stores the closed days' results in audit_results (audit_store.h): "audit" (the command),
  // "run" (its own audit, audit_schedule.h); empty: nothing is stored.
  std::string store_as;
  // What "today" is (the open day: neither judged closed nor stored) and the time stored.
  Clock clock = SystemNow;
  // The longest one database call may take (`run`: a hung database must not hold its loop
  // forever); 0: no limit.
  std::chrono::milliseconds call_timeout{0};
};

struct AuditDay {
  std::string date;
  int64_t lake_objects = 0;
  int64_t ledger_objects = 0;
  int64_t lake_rows = 0;  // quote rows the lake's objects yield
  int64_t db_rows = 0;    // of those, rows the database holds with the same values
  int64_t expected_snapshots = 0;
  int64_t snapshots = 0;         // listings snapshots present
  int64_t filled_snapshots = 0;  // missing slots filled from history (listings_historical)
  int64_t curated_rows = 0;      // quote rows of the day's Parquet file (its manifest); 0: none
  // Of lake_rows, those in partitions retention dropped from the database (retention.h): expected
  // in the lake (compacted), not in the database, so not compared with it.
  int64_t lake_only_rows = 0;
};

// One discrepancy. kind: not_loaded (in the lake, neither in the ledger nor in the database),
// ledger_missing (its rows are in the database, its ledger row is not), not_in_lake (in the
// ledger, not in the lake), changed (the object's sha256 differs from the ledger's),
// rows_differ (the database's rows of the object differ from a re-parse), unreadable (the
// object does not parse), gap (snapshots missing from the schedule). The analytics layer
// (compact.h): manifest_stale (the lake holds other objects for the day than the manifest names),
// manifest_differs (an object's sha256, rows or checksum differ from the manifest's),
// curated_missing / curated_differs (the manifest's file is absent or of another size),
// curated_extra (a file in the day's folder the manifest does not name). Retention
// (retention.h): dropped_not_compacted (a day with quotes of a partition dropped from the database,
// and no Parquet manifest for it), not_compacted_beyond_retention (a day of quotes older than
// the configured retention, still in the database, and no Parquet manifest: it keeps its
// partition).
struct AuditFinding {
  std::string kind;
  std::string date;
  std::string key;     // the object, if any
  std::string detail;  // what differs; for a gap: from, to, how many, and the cause
};

struct AuditReport {
  std::vector<AuditDay> days;
  std::vector<AuditFinding> findings;
  // Not discrepancies, so clean() ignores them: not_compacted (a closed day with raw objects and
  // no Parquet file yet; `run` compacts each day after it closes, `compact` on demand).
  std::vector<AuditFinding> notices;
  // The schedule slots no snapshot fills, live or from history: what `audit --fill` asks for.
  std::vector<TimePoint> missing_slots;
  // Why the results were not stored (AuditOptions::store_as); empty when stored or not asked.
  // Not part of clean(): storing is a record of the audit, not a discrepancy.
  std::string store_error;
  bool clean() const { return findings.empty(); }
  nlohmann::json ToJson() const;
  // One line per day, then one per finding, then one per notice.
  std::string ToText() const;
};

StatusOr<AuditReport> RunAudit(const AuditOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
