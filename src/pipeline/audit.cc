#include "pipeline/audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/bytes.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/audit_store.h"
#include "pipeline/compact_sources.h"
#include "pipeline/curated_tables.h"
#include "pipeline/day_manifest.h"
#include "pipeline/load_object.h"
#include "pipeline/retention.h"
#include "warehouse/checksum.h"
#include "warehouse/db.h"
#include "warehouse/heartbeat.h"
#include "warehouse/migrations.h"
#include "warehouse/run_ledger.h"

namespace coinlake::pipeline {
namespace {

struct LakeObject {
  std::string key;
  TimePoint time;
};

// The listings schedule over time, as the ETL's cycles recorded it in `runs`: the points where
// the interval changed, and what holds before the first one.
class Schedule {
 public:
  explicit Schedule(std::chrono::seconds fixed) : before_first_(fixed) {}

  // `before_first` holds before the first cycle that recorded an interval (older cycles, or
  // none at all).
  static StatusOr<Schedule> Recorded(warehouse::Connection& db, std::chrono::seconds before_first) {
    Schedule schedule(before_first);
    ASSIGN_OR_RETURN(schedule.changes_, warehouse::ListingsScheduleChanges(db));
    return schedule;
  }

  // The interval that judges the time between snapshots at `previous` and `next`: the longest
  // in effect at any moment from one to the other. Around a change, the old schedule's last
  // cycle and the new one's first are a slot of the longer interval apart, so taking the
  // shorter would count slots nobody meant to fill. A gap that spans a change is counted in the
  // longer interval.
  std::chrono::seconds Between(TimePoint previous, TimePoint next) const {
    auto after = [](TimePoint t, const warehouse::ScheduleChange& c) { return t < c.from; };
    auto first = std::upper_bound(changes_.begin(), changes_.end(), previous, after);
    std::chrono::seconds longest =
        first == changes_.begin() ? before_first_ : (first - 1)->interval;
    for (auto it = first; it != changes_.end() && it->from <= next; ++it) {
      longest = std::max(longest, it->interval);
    }
    return longest;
  }

 private:
  std::chrono::seconds before_first_;
  std::vector<warehouse::ScheduleChange> changes_;  // by time
};

class Auditor {
 public:
  Auditor(const AuditOptions& options, Schedule schedule, lake::ObjectStore& lake,
          warehouse::Connection& db, StopSignal& stop)
      : options_(options), schedule_(std::move(schedule)), lake_(lake), db_(db), stop_(stop) {}

  StatusOr<AuditReport> Run() {
    RETURN_IF_ERROR(ReadFilledSlots());
    RETURN_IF_ERROR(ReadDroppedRanges());
    bool schedule = true;  // the first loadable endpoint (listings) sets the schedule
    for (std::string_view endpoint : LoadableEndpoints()) {
      RETURN_IF_ERROR(AuditEndpoint(endpoint, schedule));
      schedule = false;
    }
    RETURN_IF_ERROR(AuditCurated());
    return std::move(report_);
  }

 private:
  bool InRange(const std::string& date) const {
    return (options_.from_date.empty() || date >= options_.from_date) &&
           (options_.to_date.empty() || date <= options_.to_date);
  }

  Status AuditEndpoint(std::string_view endpoint, bool schedule) {
    std::string prefix = lake::RawPrefix(endpoint);
    // Days the ledger knows: a day whose objects all left the lake still gets audited.
    ASSIGN_OR_RETURN(warehouse::Rows ledger_days,
                     db_.Query("SELECT DISTINCT to_char(data_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') "
                               "FROM lake_objects WHERE endpoint = $1",
                               {std::string(endpoint)}));
    std::set<std::string> pending_days;
    for (size_t i = 0; i < ledger_days.size(); ++i) {
      if (InRange(ledger_days.text(i, 0))) pending_days.insert(ledger_days.text(i, 0));
    }
    std::string day;
    std::vector<LakeObject> objects;
    std::optional<TimePoint> previous;
    std::optional<std::string> token;
    // One day (`run` audits a closed day at a time): only its folder is listed, not the lake.
    const std::string listed = !options_.from_date.empty() && options_.from_date == options_.to_date
                                   ? prefix + "dt=" + options_.from_date + "/"
                                   : prefix;
    do {
      ASSIGN_OR_RETURN(lake::ListPage page, lake_.List(listed, token, 1000));
      for (const lake::ObjectInfo& info : page.objects) {
        if (stop_.stopped()) return UnavailableError("audit interrupted");
        auto parts = lake::ParseRawKey(info.key);
        if (!parts.ok() || parts->is_meta) continue;
        std::string date = FormatDate(parts->data_time);
        if (!InRange(date)) continue;
        if (date != day) {
          if (!day.empty()) RETURN_IF_ERROR(AuditDayObjects(prefix, day, objects, schedule));
          pending_days.erase(date);
          day = date;
          objects.clear();
        }
        objects.push_back({info.key, parts->data_time});
        if (schedule) {
          if (previous) RETURN_IF_ERROR(CheckGap(*previous, parts->data_time));
          previous = parts->data_time;
        }
      }
      token = std::move(page.next_token);
    } while (token);
    if (!day.empty()) RETURN_IF_ERROR(AuditDayObjects(prefix, day, objects, schedule));
    for (const std::string& d : pending_days)
      RETURN_IF_ERROR(AuditDayObjects(prefix, d, {}, schedule));
    return Status::Ok();
  }

  // The times of the listings snapshots fetched from history: the slots they fill.
  Status ReadFilledSlots() {
    ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects,
                     lake_.ListAll(lake::RawPrefix(lake::kListingsHistorical)));
    for (const lake::ObjectInfo& info : objects) {
      auto parts = lake::ParseRawKey(info.key);
      if (parts.ok() && !parts->is_meta) filled_.insert(parts->data_time);
    }
    return Status::Ok();
  }

  // The partitions' ranges retention dropped from the database (retention.h): their quotes are
  // expected in the lake only.
  Status ReadDroppedRanges() {
    ASSIGN_OR_RETURN(dropped_, LakeOnlyQuoteRanges(db_));
    return Status::Ok();
  }
  static bool IsPointEndpoint(const std::string& key) {
    const std::vector<std::string_view>& points = FindCuratedTable(kQuotesTable)->point_endpoints;
    auto parts = lake::ParseRawKey(key);
    return parts.ok() && std::find(points.begin(), points.end(), parts->endpoint) != points.end();
  }
  bool Dropped(const cmc::QuoteRow& row) const {
    return !dropped_.empty() && dropped_.Contains(row.ts);
  }

  AuditDay& Day(const std::string& date) {
    for (auto it = report_.days.rbegin(); it != report_.days.rend(); ++it) {
      if (it->date == date) return *it;
    }
    report_.days.push_back(AuditDay{date});
    return report_.days.back();
  }

  void Find(std::string kind, std::string date, std::string key, std::string detail) {
    report_.findings.push_back(
        {std::move(kind), std::move(date), std::move(key), std::move(detail)});
  }

  Status AuditDayObjects(const std::string& prefix, const std::string& date,
                         const std::vector<LakeObject>& objects, bool schedule) {
    AuditDay& day = Day(date);
    std::string day_prefix = prefix + "dt=" + date + "/";
    ASSIGN_OR_RETURN(warehouse::Rows ledger,
                     db_.Query("SELECT key, sha256 FROM lake_objects WHERE key >= $1 AND key < $2",
                               {day_prefix, day_prefix + "\x7f"}));
    std::map<std::string, std::string> ledger_sha;
    for (size_t i = 0; i < ledger.size(); ++i) ledger_sha[ledger.text(i, 0)] = ledger.text(i, 1);
    day.lake_objects += static_cast<int64_t>(objects.size());
    day.ledger_objects += static_cast<int64_t>(ledger_sha.size());
    if (schedule) day.snapshots += static_cast<int64_t>(objects.size());
    for (const LakeObject& object : objects) {
      auto sha = ledger_sha.find(object.key);
      ASSIGN_OR_RETURN(std::string stored, lake_.Get(object.key));
      auto parsed = ParseRawObject(object.key, stored);
      if (!parsed.ok()) {
        Find("unreadable", date, object.key, parsed.status().message());
        continue;
      }
      const std::vector<cmc::QuoteRow> no_rows;
      const std::vector<cmc::QuoteRow>* rows = parsed->quotes ? &parsed->quotes->rows : &no_rows;
      warehouse::RowsChecksum lake_sum = warehouse::ChecksumQuotes(*rows);
      audited_[object.key] = {parsed->ref.sha256, lake_sum};
      day.lake_rows += lake_sum.rows;
      // Rows of a partition retention dropped are the lake's alone (its Parquet day, checked in
      // AuditCurated): the database is compared on the others.
      std::vector<cmc::QuoteRow> kept;
      if (!dropped_.empty() &&
          std::any_of(rows->begin(), rows->end(), [&](const auto& r) { return Dropped(r); })) {
        std::copy_if(rows->begin(), rows->end(), std::back_inserter(kept),
                     [&](const cmc::QuoteRow& r) { return !Dropped(r); });
        day.lake_only_rows += lake_sum.rows - static_cast<int64_t>(kept.size());
        // The curated days that hold those rows: the snapshot's own, or each point's.
        const bool by_point = IsPointEndpoint(object.key);
        for (const cmc::QuoteRow& r : *rows) {
          if (Dropped(r)) lake_only_days_.insert(by_point ? FormatDate(r.ts) : date);
        }
        lake_sum = warehouse::ChecksumQuotes(kept);
        rows = &kept;
      }
      ASSIGN_OR_RETURN(warehouse::RowsChecksum db_sum, warehouse::DatabaseChecksumOf(db_, *rows));
      day.db_rows += db_sum.rows;
      if (sha == ledger_sha.end()) {
        if (db_sum.rows > 0) {
          Find("ledger_missing", date, object.key,
               fmt::format("{} of its {} rows in the database, but no ledger row", db_sum.rows,
                           lake_sum.rows));
        } else {
          Find("not_loaded", date, object.key,
               fmt::format("{} rows in the lake, none in the database, no ledger row",
                           lake_sum.rows));
        }
        continue;
      }
      if (sha->second != Sha256Hex(stored)) {
        Find(
            "changed", date, object.key,
            fmt::format("sha256 {} in the ledger, {} in the lake", sha->second, Sha256Hex(stored)));
      }
      ledger_sha.erase(sha);
      if (!(db_sum == lake_sum)) {
        Find("rows_differ", date, object.key,
             fmt::format("lake {} rows (md5 {}), database {} rows (md5 {})", lake_sum.rows,
                         lake_sum.md5, db_sum.rows, db_sum.md5));
      }
    }
    for (const auto& [key, sha] : ledger_sha) {
      Find("not_in_lake", date, key, "in the ledger (loaded) but no longer in the lake");
    }
    return Status::Ok();
  }

  // The analytics layer (compact.h): each closed day with sources has a current manifest that
  // names exactly the lake's objects, with the sha256 and, for quotes, the rows and checksum
  // this audit found for each (which it compared with the database above), and its file is
  // there with the size the manifest gives, alone in its folder.
  Status AuditCurated() {
    const std::string today = FormatDate(options_.clock());
    // The first day retention does not reach yet: a partition wholly before it may be dropped.
    if (options_.quotes_retention_days > 0) {
      retention_day_ =
          FormatDate(options_.clock() - std::chrono::days(options_.quotes_retention_days));
    }
    SourceIndex index(lake_);
    const bool one_day = !options_.from_date.empty() && options_.from_date == options_.to_date;
    for (const CuratedTable& table : CuratedTables()) {
      // One day: its sources only (AuditCuratedDay skips it without any), not every day's.
      std::set<std::string> days{options_.from_date};
      if (!one_day) {
        ASSIGN_OR_RETURN(days, index.Days(table));
      }
      for (const std::string& date : days) {
        if (!InRange(date)) continue;
        if (stop_.stopped()) return UnavailableError("audit interrupted");
        RETURN_IF_ERROR(AuditCuratedDay(index, table, date, date < today));
      }
    }
    return Status::Ok();
  }

  Status AuditCuratedDay(SourceIndex& index, const CuratedTable& table, const std::string& date,
                         bool closed) {
    ASSIGN_OR_RETURN(std::vector<SourceObject> sources, index.DaySources(table, date));
    if (sources.empty()) return Status::Ok();  // no day of this table (Days() has none such)
    ASSIGN_OR_RETURN(std::optional<DayManifest> manifest,
                     ReadCurrentManifest(lake_, table.name, date));
    const std::string manifest_key =
        manifest ? lake::ManifestKey(table.name, date, manifest->version) : "";
    if (!manifest) {
      if (table.name == kQuotesTable && lake_only_days_.contains(date)) {
        Find("dropped_not_compacted", date, "",
             fmt::format("{}: quotes of a partition retention dropped from the database, and no "
                         "Parquet file in the lake: the lake's raw objects are their only typed "
                         "source left (coinlake compact --from {} --to {})",
                         table.name, date, date));
      } else if (table.name == kQuotesTable && date < retention_day_) {
        Find("not_compacted_beyond_retention", date, "",
             fmt::format("{}: {} raw object(s) older than the {}-day retention and no Parquet "
                         "file: retention keeps the partition in the database until the day is "
                         "compacted (coinlake compact --from {} --to {})",
                         table.name, sources.size(), options_.quotes_retention_days, date, date));
      } else if (closed) {
        report_.notices.push_back(
            {"not_compacted", date, "",
             fmt::format("{}: {} raw object(s), no Parquet file yet (coinlake compact --from {} "
                         "--to {})",
                         table.name, sources.size(), date, date)});
      }
      return Status::Ok();
    }
    if (table.name == kQuotesTable) Day(date).curated_rows = manifest->rows;
    if (!manifest->SameSources(sources)) {
      Find("manifest_stale", date, manifest_key,
           fmt::format("{}: built from {} object(s), the lake holds {} for the day: compact again",
                       table.name, manifest->sources.size(), sources.size()));
    }
    for (const ManifestSource& source : manifest->sources) {
      auto seen = audited_.find(source.key);
      if (seen == audited_.end()) continue;  // not audited here (out of range)
      const bool rows_differ =
          table.name == kQuotesTable && !source.by_point &&
          (seen->second.rows.rows != source.rows || seen->second.rows.md5 != source.checksum);
      if (seen->second.sha256 != source.sha256 || rows_differ) {
        Find("manifest_differs", date, source.key,
             fmt::format("{} manifest v{}: sha256 {} rows {} md5 {}; the lake: sha256 {} rows {} "
                         "md5 {}",
                         table.name, manifest->version, source.sha256, source.rows, source.checksum,
                         seen->second.sha256, seen->second.rows.rows, seen->second.rows.md5));
      }
    }
    ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> files,
                     lake_.ListAll(lake::CuratedDayPrefix(table.name, date)));
    bool found = false;
    for (const lake::ObjectInfo& file : files) {
      if (file.key != manifest->file_key) {
        Find("curated_extra", date, file.key,
             fmt::format("not the file manifest v{} names: engines reading the folder count its "
                         "rows twice (coinlake compact --force --from {} --to {} removes it)",
                         manifest->version, date, date));
      } else if (file.size != manifest->file_bytes) {
        Find("curated_differs", date, file.key,
             fmt::format("{} bytes, the manifest says {}", file.size, manifest->file_bytes));
        found = true;
      } else {
        found = true;
      }
    }
    if (!found) {
      Find("curated_missing", date, manifest->file_key,
           fmt::format("named by {} but not in the lake", manifest_key));
    }
    return Status::Ok();
  }

  // Snapshots at `previous` and `next`: the schedule slots strictly between them are missing,
  // unless history filled them. Each run of missing slots is one gap, named with its cause.
  Status CheckGap(TimePoint previous, TimePoint next) {
    auto interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(schedule_.Between(previous, next));
    int64_t prev_slot = previous.time_since_epoch() / interval;
    int64_t next_slot = next.time_since_epoch() / interval;
    // The first slot of the current run of missing slots; none while next_slot (no slot is
    // before prev_slot + 1). Not an optional: GCC 12 warns it may be read uninitialized.
    int64_t run_start = next_slot;
    for (int64_t slot = prev_slot + 1; slot <= next_slot; ++slot) {
      const TimePoint at{interval * slot};
      const bool missing = slot < next_slot && !filled_.contains(at);
      if (slot < next_slot) {
        AuditDay& day = Day(FormatDate(at));
        ++day.expected_snapshots;
        if (!missing) ++day.filled_snapshots;
      }
      if (missing) {
        report_.missing_slots.push_back(at);
        if (run_start == next_slot) run_start = slot;
        continue;
      }
      if (run_start == next_slot) continue;
      TimePoint from{interval * run_start};
      TimePoint to{interval * slot};
      ASSIGN_OR_RETURN(std::string cause, GapCause(from, to));
      Find("gap", FormatDate(from), "",
           fmt::format("{} snapshot(s) missing from {} to {}: {}", slot - run_start,
                       FormatIso8601(from), FormatIso8601(to), cause));
      run_start = next_slot;
    }
    return Status::Ok();
  }

  StatusOr<std::string> GapCause(TimePoint from, TimePoint to) {
    ASSIGN_OR_RETURN(std::optional<warehouse::RunRecord> run,
                     warehouse::RunExplainingGap(db_, from, to));
    if (!run) return std::string("no run started in that time (was the ETL running?)");
    if (run->outcome == "ok") return std::string("runs succeeded but stored no snapshot");
    return fmt::format("{} run at {}: {} {}", run->outcome,
                       run->started ? FormatIso8601(*run->started) : "?",
                       run->error_class.value_or(""), run->error.value_or(""));
  }

  const AuditOptions& options_;
  const Schedule schedule_;
  lake::ObjectStore& lake_;
  warehouse::Connection& db_;
  StopSignal& stop_;
  AuditReport report_;
  std::set<TimePoint> filled_;            // times of listings snapshots from history
  LakeOnlyRanges dropped_;                // the quotes partitions' ranges retention dropped
  std::set<std::string> lake_only_days_;  // days with quote rows in those ranges
  std::string retention_day_;  // days before it are beyond the quotes retention; "": none
  struct Audited {
    std::string sha256;  // of the stored bytes
    warehouse::RowsChecksum rows;
  };
  std::map<std::string, Audited> audited_;  // every raw object re-parsed above, by key
};

}  // namespace

nlohmann::json AuditReport::ToJson() const {
  nlohmann::json out{
      {"clean", clean()}, {"days", nlohmann::json::array()}, {"findings", nlohmann::json::array()}};
  for (const AuditDay& d : days) {
    out["days"].push_back({{"date", d.date},
                           {"lake_objects", d.lake_objects},
                           {"ledger_objects", d.ledger_objects},
                           {"lake_rows", d.lake_rows},
                           {"db_rows", d.db_rows},
                           {"expected_snapshots", d.expected_snapshots},
                           {"snapshots", d.snapshots},
                           {"filled_snapshots", d.filled_snapshots},
                           {"curated_rows", d.curated_rows},
                           {"lake_only_rows", d.lake_only_rows}});
  }
  for (const auto& [list, name] : {std::pair{&findings, "findings"}, {&notices, "notices"}}) {
    out[name] = nlohmann::json::array();
    for (const AuditFinding& f : *list) {
      out[name].push_back(
          {{"kind", f.kind}, {"date", f.date}, {"key", f.key}, {"detail", f.detail}});
    }
  }
  return out;
}

std::string AuditReport::ToText() const {
  // Rows are counted per object, as each object's rows are compared with the database: a quote
  // that two snapshots share (its coin had not moved) counts in both.
  constexpr std::string_view kRow =
      "{:<10}  {:>7}  {:>7}  {:>13}  {:>13}  {:>9}  {:>7}  {:>7}  {:>11}  {:>11}\n";
  std::string out;
  if (!days.empty()) {
    out += fmt::format(kRow, "date", "objects", "ledger", "object rows", "rows in", "snapshots",
                       "filled", "missing", "quote rows", "lake only");
    out += fmt::format(kRow, "", "in lake", "rows", "in lake", "database", "", "history", "slots",
                       "in Parquet", "(retention)");
  }
  for (const AuditDay& d : days) {
    out += fmt::format(kRow, d.date, d.lake_objects, d.ledger_objects, d.lake_rows, d.db_rows,
                       d.snapshots, d.filled_snapshots,
                       d.expected_snapshots - d.snapshots - d.filled_snapshots, d.curated_rows,
                       d.lake_only_rows);
  }
  for (const AuditFinding& f : findings) {
    out +=
        fmt::format("{}  {}  {}{}{}\n", f.date, f.kind, f.key, f.key.empty() ? "" : "  ", f.detail);
  }
  for (const AuditFinding& f : notices) {
    out += fmt::format("{}  notice: {}  {}\n", f.date, f.kind, f.detail);
  }
  return out;
}

StatusOr<AuditReport> RunAudit(const AuditOptions& given, StopSignal& stop) {
  if (given.interval.count() < 0) return InvalidArgumentError("--interval must be positive");
  ASSIGN_OR_RETURN(auto lake, lake::OpenObjectStore(given.lake_url));
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(given.database_url));
  if (given.call_timeout.count() > 0) db->SetCallTimeout(given.call_timeout);
  RETURN_IF_ERROR(warehouse::CheckSchemaCurrent(*db));
  Schedule schedule(given.interval);
  if (given.interval.count() == 0) {
    // The schedule each cycle recorded; before the first that did, the one the ETL keeps now,
    // as its newest heartbeat says (the dashboard's gaps use it too).
    ASSIGN_OR_RETURN(int64_t now, warehouse::EtlListingsIntervalSeconds(*db));
    ASSIGN_OR_RETURN(schedule, Schedule::Recorded(*db, std::chrono::seconds(now)));
  }
  Auditor auditor(given, std::move(schedule), *lake, *db, stop);
  ASSIGN_OR_RETURN(AuditReport report, auditor.Run());
  // expected = present + missing (CheckGap counted the missing slots).
  for (AuditDay& d : report.days) d.expected_snapshots += d.snapshots;
  if (!given.store_as.empty()) {
    // On the audit's own connection; a failure leaves the report as it is (the command's output
    // and exit code do not depend on it) and says why.
    Status stored = StoreAuditResults(*db, report, AuditedClosedDays(given, report), given.store_as,
                                      given.clock());
    if (!stored.ok()) report.store_error = stored.ToString();
  }
  return report;
}

}  // namespace coinlake::pipeline
