// `coinlake retention`, and the same step in `coinlake run`: drops the partitions of `quotes`
// (weekly, or monthly ones of a database older than migration 21) that are beyond the configured
// retention, once the lake is proved to hold them (docs/database.md, "Retention"). Candles, global
// metrics, assets and the ledger stay forever.
//
// A partition [start, end), as the catalog bounds it, is a candidate when end <= now -
// retention_days. It is dropped only when every raw object with rows in it
// (quotes.lake_object_id) is named by the current manifest of a
// compacted quotes day (day_manifest.h), and for every source of those manifests the database's
// checksum of its rows (warehouse::DatabaseChecksumOf, as `audit` computes it) equals the rows
// and checksum the manifest recorded, and the lake's object still gives them. The days looked at
// are those whose manifests must name the partition's objects: a snapshot's own day (the one
// just after midnight carries quotes of the day before), a point of history's day. Rows of
// partitions dropped before are left out of the database comparison. Anything else keeps the
// whole partition, and the reason (the day, the object, what differs) is logged, returned and
// recorded for the pipeline page. The partition is locked against writes while it is verified,
// and detached and dropped in the same transaction (migrations/0015_quotes_retention.sql, 0021).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"

namespace coinlake::warehouse {
class Connection;
}  // namespace coinlake::warehouse

namespace coinlake::pipeline {

// Upper bound of quotes_retention_days: a century.
inline constexpr int kMaxRetentionDays = 36500;

struct RetentionOptions {
  std::string database_url;
  std::string lake_url;
  int retention_days = 0;  // 0: keep quotes forever (nothing is looked at, nothing dropped)
  bool dry_run = false;    // verify and report, drop nothing, record nothing
  Clock clock = SystemNow;
};

struct RetentionPartition {
  std::string partition;  // its name: quotes_wYYYY_MM_DD, or quotes_YYYY_MM (before migration 21)
  std::string start;      // its range [start, end), ISO-8601
  std::string end;
  // dropped, would_drop (dry run), or blocked (a day not proved in the lake).
  std::string outcome;
  int64_t rows = 0;     // quote rows of the partition
  int64_t days = 0;     // days verified against their manifests
  int64_t objects = 0;  // lake objects verified
  std::string reason;   // why it stayed (blocked)
};

struct RetentionReport {
  int retention_days = 0;
  std::string boundary;                        // ISO-8601; empty when retention is off
  std::vector<RetentionPartition> partitions;  // the candidates, oldest first
  bool blocked() const;
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Time ranges [start, end) whose quotes only the lake holds. Kept merged, so a lookup is a
// binary search.
class LakeOnlyRanges {
 public:
  void Add(TimePoint start, TimePoint end);
  bool Contains(TimePoint ts) const;
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<std::pair<TimePoint, TimePoint>> ranges_;  // disjoint, sorted
};

// The ranges whose quotes only the lake holds: dropped by retention, less what a partition covers
// again since (a backfill or a forced reprocess loads such a range again, and then the database
// is compared with the lake as for any other).
StatusOr<LakeOnlyRanges> LakeOnlyQuoteRanges(warehouse::Connection& db);

// The end of the quotes partition that holds `ts`: the partition there is, else the one
// coinlake_ensure_quote_partitions would make (the ISO week, cut short by a partition that starts
// inside it). reprocess steps through the lake by it, as `run`'s retention drops partitions.
StatusOr<TimePoint> EndOfQuotePartitionAt(warehouse::Connection& db, TimePoint ts);

// OK with a report even when a partition is blocked (the report says why); an error only when
// the lake or the database fails. Unless a dry run, the outcome goes to quotes_retention_status
// (errors included) and each dropped partition to quotes_retention_dropped.
StatusOr<RetentionReport> RunRetention(const RetentionOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
