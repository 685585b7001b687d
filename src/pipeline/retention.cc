#include "pipeline/retention.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "common/bytes.h"
#include "common/log.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/curated_tables.h"
#include "pipeline/day_manifest.h"
#include "pipeline/load_object.h"
#include "warehouse/checksum.h"
#include "warehouse/db.h"
#include "warehouse/migrations.h"

namespace coinlake::pipeline {
namespace {

// A partition of quotes with its range, as the catalog bounds it (migration 21's
// coinlake_quote_partitions: weekly partitions, and monthly ones made before them).
struct Partition {
  std::string name;
  TimePoint start{};
  TimePoint end{};
};

TimePoint FromEpochMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// Bounded partitions only: one from MINVALUE or to MAXVALUE is none of ours, never touched.
StatusOr<std::vector<Partition>> ListPartitions(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(
      warehouse::Rows rows,
      db.Query("SELECT partition_name, (extract(epoch FROM range_start) * 1000)::int8, "
               "(extract(epoch FROM range_end) * 1000)::int8 "
               "FROM coinlake_quote_partitions() WHERE isfinite(range_start) AND "
               "isfinite(range_end) ORDER BY range_start"));
  std::vector<Partition> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({rows.text(i, 0), FromEpochMs(rows.integer(i, 1).value_or(0)),
                   FromEpochMs(rows.integer(i, 2).value_or(0))});
  }
  return out;
}

// Proves a partition's quotes are in the lake: see retention.h. Returns "" when proved, else why
// not.
class PartitionVerifier {
 public:
  // `dropped`: the ranges already dropped, whose rows only the lake holds.
  PartitionVerifier(lake::ObjectStore& lake, warehouse::Connection& db,
                    const LakeOnlyRanges& dropped, StopSignal& stop)
      : lake_(lake), db_(db), dropped_(dropped), stop_(stop) {}

  StatusOr<std::string> Verify(const Partition& p, RetentionPartition& out) {
    // Which objects brought the partition's rows, and on which days the rows fall.
    ASSIGN_OR_RETURN(warehouse::Rows rows,
                     db_.Query("SELECT coalesce(l.key, 'lake object ' || g.lake_object_id || "
                               "' (no ledger row)'), g.day, g.n FROM (SELECT lake_object_id, "
                               "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n "
                               "FROM quotes WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2) g "
                               "LEFT JOIN lake_objects l ON l.id = g.lake_object_id",
                               {FormatIso8601(p.start), FormatIso8601(p.end)}));
    // The manifests that must name those objects: a snapshot's is its own day's (which may be
    // the next partition's first: quotes stamped before midnight, listed after it; or a later day
    // altogether: a coin CMC had not updated for days); a point of history's, the day of the
    // point. A day with rows but no snapshot of its own needs no manifest.
    std::map<std::string, std::string> keys;  // object -> a day whose manifest should name it
    std::set<std::string> days;
    const CuratedTable& table = *FindCuratedTable(kQuotesTable);
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string key = rows.text(i, 0);
      std::string day = rows.text(i, 1);
      out.rows += rows.integer(i, 2).value_or(0);
      auto parts = lake::ParseRawKey(key);
      if (parts.ok() && std::find(table.point_endpoints.begin(), table.point_endpoints.end(),
                                  parts->endpoint) == table.point_endpoints.end()) {
        day = FormatDate(parts->data_time);
      }
      days.insert(day);
      keys.emplace(key, std::move(day));
    }
    std::set<std::string> proved;  // objects whose manifest entry equals the database
    for (const std::string& day : days) {
      if (stop_.stopped()) return UnavailableError("retention interrupted");
      ASSIGN_OR_RETURN(std::string reason, VerifyDay(day, proved));
      if (!reason.empty()) return reason;
      ++out.days;
    }
    for (const auto& [key, day] : keys) {
      if (!proved.contains(key)) {
        return fmt::format(
            "day {}: {} has rows in the database but no current manifest names it (compact "
            "again: coinlake compact --from {} --to {})",
            day, key, day, day);
      }
    }
    out.objects = static_cast<int64_t>(keys.size());
    return std::string();
  }

 private:
  // The day's manifest, its file, and each of its sources against the lake and the database.
  StatusOr<std::string> VerifyDay(const std::string& day, std::set<std::string>& proved) {
    ASSIGN_OR_RETURN(std::optional<DayManifest> manifest,
                     ReadCurrentManifest(lake_, kQuotesTable, day));
    if (!manifest) {
      return fmt::format("day {}: not compacted, no manifest (coinlake compact --from {} --to {})",
                         day, day, day);
    }
    auto file = lake_.Head(manifest->file_key);
    if (!file.ok() && file.status().code() != StatusCode::kNotFound) return file.status();
    if (!file.ok() || file->size != manifest->file_bytes) {
      return fmt::format("day {}: the Parquet file {} that manifest v{} names is {}", day,
                         manifest->file_key, manifest->version,
                         file.ok()
                             ? fmt::format("{} bytes, not {}", file->size, manifest->file_bytes)
                             : std::string("missing"));
    }
    for (const ManifestSource& source : manifest->sources) {
      if (stop_.stopped()) return UnavailableError("retention interrupted");
      auto stored = lake_.Get(source.key);
      if (!stored.ok() && stored.status().code() != StatusCode::kNotFound) return stored.status();
      if (!stored.ok()) return fmt::format("day {}: {} is no longer in the lake", day, source.key);
      auto parsed = ParseRawObject(source.key, *stored);
      // The parse hashes the stored bytes for its reference; hashed here only when it fails.
      const std::string sha256 = parsed.ok() ? parsed->ref.sha256 : Sha256Hex(*stored);
      if (sha256 != source.sha256) {
        return fmt::format("day {}: {} has sha256 {} in the lake, {} in manifest v{}", day,
                           source.key, sha256, source.sha256, manifest->version);
      }
      if (!parsed.ok()) {
        return fmt::format("day {}: {} does not parse: {}", day, source.key,
                           parsed.status().message());
      }
      std::vector<cmc::QuoteRow> rows;
      if (parsed->quotes) rows = std::move(parsed->quotes->rows);
      if (source.by_point) {
        std::erase_if(rows, [&](const cmc::QuoteRow& r) { return FormatDate(r.ts) != day; });
      }
      const warehouse::RowsChecksum recorded{source.rows, source.checksum};
      const warehouse::RowsChecksum lake_sum = warehouse::ChecksumQuotes(rows);
      if (!(lake_sum == recorded)) {
        return fmt::format(
            "day {}: {}: manifest v{} says {} rows md5 {}, the lake gives {} rows "
            "md5 {}",
            day, source.key, manifest->version, recorded.rows, recorded.md5, lake_sum.rows,
            lake_sum.md5);
      }
      // Rows of a partition dropped before are the lake's alone (proved when it was dropped): the
      // database is compared on the others, the lake's object having been proved equal to the
      // manifest as a whole.
      std::erase_if(rows, [&](const cmc::QuoteRow& r) { return dropped_.Contains(r.ts); });
      const warehouse::RowsChecksum kept = rows.size() == static_cast<size_t>(lake_sum.rows)
                                               ? lake_sum
                                               : warehouse::ChecksumQuotes(rows);
      ASSIGN_OR_RETURN(warehouse::RowsChecksum db_sum, warehouse::DatabaseChecksumOf(db_, rows));
      if (!(db_sum == kept)) {
        return fmt::format(
            "day {}: {}: manifest v{} says {} rows md5 {}, the database holds {} "
            "rows md5 {}",
            day, source.key, manifest->version, kept.rows, kept.md5, db_sum.rows, db_sum.md5);
      }
      proved.insert(source.key);
    }
    return std::string();
  }

  lake::ObjectStore& lake_;
  warehouse::Connection& db_;
  const LakeOnlyRanges& dropped_;
  StopSignal& stop_;
};

class Retention {
 public:
  Retention(const RetentionOptions& options, warehouse::Connection& db, StopSignal& stop)
      : options_(options), db_(db), stop_(stop) {}

  Status Run(RetentionReport& report) {
    const TimePoint boundary = options_.clock() - std::chrono::days(options_.retention_days);
    report.boundary = FormatIso8601(boundary);
    ASSIGN_OR_RETURN(std::vector<Partition> partitions, ListPartitions(db_));
    std::erase_if(partitions, [&](const Partition& p) { return p.end > boundary; });
    if (partitions.empty()) return Status::Ok();  // the common case: one catalog query
    ASSIGN_OR_RETURN(lake_, lake::OpenObjectStore(options_.lake_url, &stop_));
    ASSIGN_OR_RETURN(dropped_, LakeOnlyQuoteRanges(db_));
    for (const Partition& p : partitions) {
      if (stop_.stopped()) return UnavailableError("retention interrupted");
      RetentionPartition candidate{p.name, FormatIso8601(p.start), FormatIso8601(p.end)};
      RETURN_IF_ERROR(Apply(p, candidate));
      report.partitions.push_back(std::move(candidate));
    }
    return Status::Ok();
  }

 private:
  Status Apply(const Partition& p, RetentionPartition& out) {
    // A dashboard query holding quotes must not stall the drop (and every load behind it) long.
    ASSIGN_OR_RETURN(warehouse::Transaction tx,
                     warehouse::Transaction::Begin(db_, "SET LOCAL lock_timeout = '30s'"));
    if (!options_.dry_run) {
      ASSIGN_OR_RETURN(
          warehouse::Rows locked,
          db_.Query("SELECT coinlake_quotes_lock_partition($1::timestamptz)", {out.start}));
      if (!locked.at(0, 0)) return Status::Ok();  // dropped meanwhile
    }
    PartitionVerifier verifier(*lake_, db_, dropped_, stop_);
    ASSIGN_OR_RETURN(out.reason, verifier.Verify(p, out));
    if (!out.reason.empty()) {
      out.outcome = "blocked";
      log::Warn("retention: partition kept in the database",
                {{"partition", p.name}, {"reason", out.reason}});
      return Status::Ok();  // the transaction rolls back: nothing dropped, the lock released
    }
    if (options_.dry_run) {
      out.outcome = "would_drop";
      dropped_.Add(p.start, p.end);  // the later partitions are judged as after its drop
      return Status::Ok();
    }
    RETURN_IF_ERROR(
        db_.Execute("SELECT coinlake_quotes_drop_partition($1::timestamptz)", {out.start}));
    // A range dropped before, made again and dropped again: one row, the last drop's.
    RETURN_IF_ERROR(db_.Execute(
        "INSERT INTO quotes_retention_dropped (range_start, range_end, partition_name, "
        "dropped_at, rows, days, objects) VALUES ($1::timestamptz, $2::timestamptz, $3, now(), "
        "$4, $5, $6) ON CONFLICT (range_start, range_end) DO UPDATE SET "
        "partition_name = EXCLUDED.partition_name, dropped_at = EXCLUDED.dropped_at, rows = "
        "EXCLUDED.rows, days = EXCLUDED.days, objects = EXCLUDED.objects",
        {out.start, out.end, p.name, std::to_string(out.rows), std::to_string(out.days),
         std::to_string(out.objects)}));
    RETURN_IF_ERROR(tx.Commit());
    dropped_.Add(p.start, p.end);
    out.outcome = "dropped";
    log::Info("retention: partition dropped from the database (its quotes stay in the lake)",
              {{"partition", p.name},
               {"start", out.start},
               {"end", out.end},
               {"rows", out.rows},
               {"days", out.days},
               {"objects", out.objects}});
    return Status::Ok();
  }

  const RetentionOptions& options_;
  warehouse::Connection& db_;
  StopSignal& stop_;
  std::unique_ptr<lake::ObjectStore> lake_;
  LakeOnlyRanges dropped_;  // the ranges dropped, before and by this run
};

Status RecordStatus(warehouse::Connection& db, const RetentionReport& report, const Status& error) {
  std::vector<std::string> dropped;
  const RetentionPartition* blocked = nullptr;
  for (const RetentionPartition& m : report.partitions) {
    if (m.outcome == "dropped") dropped.push_back(m.partition);
    if (m.outcome == "blocked" && !blocked) blocked = &m;
  }
  const warehouse::Param none;
  return db.Execute(
      "INSERT INTO quotes_retention_status (id, run_at, retention_days, boundary, dropped, "
      "blocked_start, blocked_end, blocked_reason, error) VALUES (true, now(), $1, $2, "
      "$3::text[], $4::timestamptz, $5::timestamptz, $6, $7) ON CONFLICT (id) DO UPDATE SET "
      "run_at = EXCLUDED.run_at, retention_days = EXCLUDED.retention_days, boundary = "
      "EXCLUDED.boundary, dropped = EXCLUDED.dropped, blocked_start = EXCLUDED.blocked_start, "
      "blocked_end = EXCLUDED.blocked_end, blocked_reason = EXCLUDED.blocked_reason, "
      "error = EXCLUDED.error",
      {std::to_string(report.retention_days),
       report.boundary.empty() ? none : warehouse::Param(report.boundary),
       warehouse::TextArrayLiteral(dropped), blocked ? warehouse::Param(blocked->start) : none,
       blocked ? warehouse::Param(blocked->end) : none,
       blocked ? warehouse::Param(blocked->reason) : none,
       error.ok() ? none : warehouse::Param(log::Redact(error.ToString()))});
}

}  // namespace

void LakeOnlyRanges::Add(TimePoint start, TimePoint end) {
  if (!(start < end)) return;
  ranges_.emplace_back(start, end);
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<TimePoint, TimePoint>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

bool LakeOnlyRanges::Contains(TimePoint ts) const {
  // The last range starting at or before ts.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), ts,
                             [](TimePoint t, const auto& r) { return t < r.first; });
  return it != ranges_.begin() && ts < std::prev(it)->second;
}

StatusOr<LakeOnlyRanges> LakeOnlyQuoteRanges(warehouse::Connection& db) {
  // The dropped ranges less every range a partition covers now (a multirange difference).
  ASSIGN_OR_RETURN(
      warehouse::Rows rows,
      db.Query("SELECT (extract(epoch FROM lower(r)) * 1000)::int8, "
               "(extract(epoch FROM upper(r)) * 1000)::int8 FROM unnest("
               "(SELECT range_agg(tstzrange(range_start, range_end)) FROM quotes_retention_dropped)"
               " - coalesce((SELECT range_agg(tstzrange(range_start, range_end)) "
               "FROM coinlake_quote_partitions()), '{}'::tstzmultirange)) AS r"));
  LakeOnlyRanges ranges;
  for (size_t i = 0; i < rows.size(); ++i) {
    ranges.Add(FromEpochMs(rows.integer(i, 0).value_or(0)),
               FromEpochMs(rows.integer(i, 1).value_or(0)));
  }
  return ranges;
}

StatusOr<TimePoint> EndOfQuotePartitionAt(warehouse::Connection& db, TimePoint ts) {
  ASSIGN_OR_RETURN(
      warehouse::Rows rows,
      db.Query("WITH p AS (SELECT range_start, range_end FROM coinlake_quote_partitions()), "
               "t AS (SELECT to_timestamp($1::float8 / 1000) AS ts) "
               "SELECT (extract(epoch FROM coalesce("
               "(SELECT p.range_end FROM p, t WHERE p.range_start <= t.ts AND p.range_end > t.ts), "
               "(SELECT least(date_trunc('week', t.ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
               "+ interval '7 days', min(p.range_start)) FROM t LEFT JOIN p ON p.range_start > "
               "t.ts GROUP BY t.ts))) * 1000)::int8",
               {std::to_string(ts.time_since_epoch().count())}));
  auto end = rows.integer(0, 0);
  if (!end) return InternalError("no end for the quotes partition at " + FormatIso8601(ts));
  return FromEpochMs(*end);
}

bool RetentionReport::blocked() const {
  return std::any_of(partitions.begin(), partitions.end(),
                     [](const RetentionPartition& p) { return p.outcome == "blocked"; });
}

nlohmann::json RetentionReport::ToJson() const {
  nlohmann::json out{{"retention_days", retention_days},
                     {"boundary", boundary.empty() ? nlohmann::json() : nlohmann::json(boundary)},
                     {"partitions", nlohmann::json::array()}};
  for (const RetentionPartition& m : partitions) {
    out["partitions"].push_back({{"partition", m.partition},
                                 {"start", m.start},
                                 {"end", m.end},
                                 {"outcome", m.outcome},
                                 {"rows", m.rows},
                                 {"days", m.days},
                                 {"objects", m.objects},
                                 {"reason", m.reason}});
  }
  return out;
}

std::string RetentionReport::ToText() const {
  if (retention_days == 0)
    return "quotes retention is off (quotes-retention-days 0: quotes are kept forever)\n";
  std::string out = fmt::format("quotes retention {} days: quotes before {} are beyond it\n",
                                retention_days, boundary);
  if (partitions.empty()) out += "no partition of quotes is wholly beyond it: nothing to drop\n";
  for (const RetentionPartition& m : partitions) {
    out += fmt::format("{}  {} to {}  {:<10}  {:>10} rows  {:>3} days  {:>6} objects{}{}\n",
                       m.partition, m.start.substr(0, 10), m.end.substr(0, 10), m.outcome, m.rows,
                       m.days, m.objects, m.reason.empty() ? "" : "  ", m.reason);
  }
  return out;
}

StatusOr<RetentionReport> RunRetention(const RetentionOptions& options, StopSignal& stop) {
  if (options.retention_days < 0 || options.retention_days > kMaxRetentionDays) {
    return InvalidArgumentError(
        fmt::format("quotes-retention-days must be 0 (keep forever) or 1..{} days, not {}",
                    kMaxRetentionDays, options.retention_days));
  }
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(options.database_url));
  RETURN_IF_ERROR(warehouse::CheckSchemaCurrent(*db));
  // The partition's scan of its rows is the longest statement; none may wait forever.
  db->SetCallTimeout(std::chrono::minutes(10));
  RetentionReport report;
  report.retention_days = options.retention_days;
  Status run = Status::Ok();
  if (options.retention_days > 0) {
    Retention retention(options, *db, stop);
    run = retention.Run(report);
  }
  if (!options.dry_run) {
    Status recorded = RecordStatus(*db, report, run);
    if (!recorded.ok()) {
      log::Warn("retention outcome not recorded", {{"error", recorded.ToString()}});
    }
  }
  RETURN_IF_ERROR(run);
  return report;
}

}  // namespace coinlake::pipeline
