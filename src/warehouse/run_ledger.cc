#include "warehouse/run_ledger.h"

#include <fmt/format.h>

#include "warehouse/schema_version.h"

namespace coinlake::warehouse {
namespace {

// The migrations that added the columns read here: a dashboard may be upgraded before the ETL
// host migrates, so each is named only once its migration is applied.
constexpr int kRunsListingsInterval = 10;  // runs.listings_interval_seconds
constexpr int kRunsQuotesCarried = 12;     // runs.quotes_carried

Param IntParam(int64_t value) { return std::to_string(value); }

}  // namespace

StatusOr<int64_t> StartRun(Connection& db, const RunStart& run) {
  ASSIGN_OR_RETURN(Rows row, db.Query("INSERT INTO runs (command, started_at, "
                                      "listings_interval_seconds) VALUES ($1, $2, $3) RETURNING id",
                                      {run.command, FormatIso8601(run.started),
                                       run.listings_interval_seconds > 0
                                           ? IntParam(run.listings_interval_seconds)
                                           : Param()}));
  return row.integer(0, 0).value_or(0);
}

Status FinishRun(Connection& db, int64_t run_id, const RunEnd& run) {
  return db.Execute(
      "UPDATE runs SET finished_at = $2, outcome = $3, credits = $4, objects = $5, rows = $6, "
      "error_class = $7, error = $8, quotes_carried = $9 WHERE id = $1",
      {IntParam(run_id), FormatIso8601(run.finished), run.outcome, IntParam(run.credits),
       IntParam(run.objects), IntParam(run.rows), run.error_class, run.error,
       IntParam(run.quotes_carried)});
}

namespace {

// The columns RunRecord reads, in its order, for a statement over `runs r`.
StatusOr<std::string> RunColumns(Connection& db) {
  ASSIGN_OR_RETURN(bool carried, SchemaHasMigration(db, kRunsQuotesCarried));
  return fmt::format(
      "r.id, r.command, r.started_at, r.finished_at, r.outcome, r.credits, r.objects, r.rows, "
      "{}, r.error_class, r.error, extract(epoch FROM r.finished_at - r.started_at)",
      carried ? "r.quotes_carried" : "NULL::bigint");
}

RunRecord ReadRun(const Rows& rows, size_t r) {
  return RunRecord{.id = rows.integer(r, 0).value_or(0),
                   .command = rows.text(r, 1),
                   .started = rows.time(r, 2),
                   .finished = rows.time(r, 3),
                   .outcome = rows.text(r, 4),
                   .credits = rows.integer(r, 5),
                   .objects = rows.integer(r, 6),
                   .rows = rows.integer(r, 7),
                   .quotes_carried = rows.integer(r, 8),
                   .error_class = rows.at(r, 9),
                   .error = rows.at(r, 10),
                   .duration_seconds = rows.number(r, 11)};
}

}  // namespace

StatusOr<std::vector<RunRecord>> RecentRuns(Connection& db, int64_t limit) {
  ASSIGN_OR_RETURN(std::string columns, RunColumns(db));
  ASSIGN_OR_RETURN(
      Rows rows,
      db.Query(
          fmt::format("SELECT {} FROM runs r ORDER BY started_at DESC, id DESC LIMIT $1", columns),
          {IntParam(limit)}));
  std::vector<RunRecord> runs;
  for (size_t r = 0; r < rows.size(); ++r) runs.push_back(ReadRun(rows, r));
  return runs;
}

StatusOr<std::optional<RunRecord>> RunExplainingGap(Connection& db, TimePoint from, TimePoint to) {
  ASSIGN_OR_RETURN(std::string columns, RunColumns(db));
  ASSIGN_OR_RETURN(Rows rows, db.Query(fmt::format("SELECT {} FROM runs r WHERE started_at >= $1 "
                                                   "AND started_at < $2 ORDER BY (outcome = "
                                                   "'ok'), started_at LIMIT 1",
                                                   columns),
                                       {FormatIso8601(from), FormatIso8601(to)}));
  if (rows.empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(ReadRun(rows, 0));
}

StatusOr<MonthSpend> SpentThisMonth(Connection& db) {
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT date_trunc('month', now()), coalesce(sum(credits), 0), count(*)
    FROM runs WHERE started_at >= date_trunc('month', now()))sql"));
  return MonthSpend{.month_start = rows.time(0, 0),
                    .credits = rows.integer(0, 1).value_or(0),
                    .runs = rows.integer(0, 2).value_or(0)};
}

StatusOr<std::vector<ErrorClassCount>> ErrorsByClass(Connection& db, std::chrono::hours window) {
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT error_class, count(*), max(started_at),
           (array_agg(error ORDER BY started_at DESC))[1]
    FROM runs
    WHERE error_class IS NOT NULL AND started_at >= now() - $1::integer * interval '1 hour'
    GROUP BY error_class ORDER BY count(*) DESC, error_class)sql",
                                       {IntParam(window.count())}));
  std::vector<ErrorClassCount> errors;
  for (size_t r = 0; r < rows.size(); ++r) {
    errors.push_back({.error_class = rows.text(r, 0),
                      .count = rows.integer(r, 1).value_or(0),
                      .last_at = rows.time(r, 2),
                      .last_error = rows.at(r, 3)});
  }
  return errors;
}

StatusOr<std::vector<ScheduleChange>> ListingsScheduleChanges(Connection& db) {
  ASSIGN_OR_RETURN(bool recorded, SchemaHasMigration(db, kRunsListingsInterval));
  if (!recorded) return std::vector<ScheduleChange>();
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT extract(epoch FROM started_at)::bigint, listings_interval_seconds
    FROM (SELECT started_at, listings_interval_seconds,
                 lag(listings_interval_seconds) OVER (ORDER BY started_at) AS previous
          FROM runs WHERE listings_interval_seconds > 0) cycles
    WHERE previous IS DISTINCT FROM listings_interval_seconds
    ORDER BY started_at)sql"));
  std::vector<ScheduleChange> changes;
  for (size_t i = 0; i < rows.size(); ++i) {
    changes.push_back({TimePoint{std::chrono::seconds(rows.integer(i, 0).value_or(0))},
                       std::chrono::seconds(rows.integer(i, 1).value_or(0))});
  }
  return changes;
}

StatusOr<std::vector<ListingsSlot>> RecentListingsSlots(Connection& db, int64_t interval_seconds) {
  ASSIGN_OR_RETURN(bool recorded, SchemaHasMigration(db, kRunsListingsInterval));
  // Before the column, no cycle recorded a schedule: none differs from the current one.
  const char* cycle_interval = recorded ? "r.listings_interval_seconds" : "NULL::integer";
  ASSIGN_OR_RETURN(Rows rows, db.Query(fmt::format(R"sql(
    WITH first AS (
      SELECT min(data_ts) AS ts FROM lake_objects WHERE endpoint = 'listings_latest'),
    other_schedule AS (  -- the last cycle run under another listings interval
      SELECT max(started_at) AS ts FROM runs r
      WHERE started_at > now() - interval '24 hours' AND {0} <> $1::integer),
    this_schedule AS (  -- its first cycle since then: the slots before it were the old one's
      SELECT min(started_at) AS ts FROM runs r, other_schedule
      WHERE started_at > other_schedule.ts AND {0} = $1::integer),
    bounds AS (
      SELECT greatest(now() - interval '24 hours', first.ts,
                      coalesce(this_schedule.ts, other_schedule.ts)) AS lo,
             $1::integer * interval '1 second' AS step, $1::integer AS seconds
      FROM first, other_schedule, this_schedule WHERE first.ts IS NOT NULL),
    slots AS (
      SELECT generate_series(to_timestamp(floor(extract(epoch FROM lo) / seconds) * seconds),
                             now() - step, step) AS slot, step
      FROM bounds)
    SELECT s.slot, EXISTS (
      SELECT 1 FROM lake_objects o
      WHERE o.endpoint = 'listings_latest' AND o.data_ts >= s.slot AND o.data_ts < s.slot + s.step)
    FROM slots s ORDER BY s.slot)sql",
                                                   cycle_interval),
                                       {IntParam(interval_seconds)}));
  std::vector<ListingsSlot> slots;
  for (size_t r = 0; r < rows.size(); ++r) {
    slots.push_back({.start = rows.time(r, 0), .filled = rows.text(r, 1) == "t"});
  }
  return slots;
}

}  // namespace coinlake::warehouse
