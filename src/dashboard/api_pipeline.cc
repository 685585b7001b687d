// GET /api/v1/pipeline: is the pipeline healthy? Freshness, runs, credits, errors and gaps.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "dashboard/api.h"
#include "dashboard/api_util.h"
#include "warehouse/etl_schedule.h"

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

StatusOr<json> Freshness(warehouse::Connection& db, int64_t interval_seconds) {
  ASSIGN_OR_RETURN(bool has_carried, RecentLedgerHasCarriedIds(db));
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(fmt::format(R"sql(
    SELECT ({0}), extract(epoch FROM now() - ({0})), max(loaded_at), count(*)
    FROM lake_objects)sql",
                                                              LatestSnapshotSql(has_carried))));
  json age = NumberOrNull(rows.at(0, 1));
  return json{
      {"latest_snapshot", TimeOrNull(rows.at(0, 0))},
      {"snapshot_age_seconds", age},
      {"last_loaded_at", TimeOrNull(rows.at(0, 2))},
      {"objects_loaded", NumberOrNull(rows.at(0, 3))},
      {"stale_after_seconds", MissedCyclesSeconds(interval_seconds)},
      {"stale", age.is_number() && age.get<double>() > MissedCyclesSeconds(interval_seconds)}};
}

StatusOr<json> Runs(warehouse::Connection& db, int64_t limit) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT id, command, started_at, finished_at, outcome, credits, objects, rows, error_class,
           error, extract(epoch FROM finished_at - started_at),
           -- Through to_jsonb: a dashboard may meet a ledger from before migration 0012.
           to_jsonb(r) ->> 'quotes_carried'
    FROM runs r ORDER BY started_at DESC, id DESC LIMIT $1)sql",
                                                  {std::to_string(limit)}));
  json runs = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    runs.push_back({{"id", NumberOrNull(rows.at(r, 0))},
                    {"command", rows.text(r, 1)},
                    {"started_at", TimeOrNull(rows.at(r, 2))},
                    {"finished_at", TimeOrNull(rows.at(r, 3))},
                    {"outcome", rows.text(r, 4)},
                    {"credits", NumberOrNull(rows.at(r, 5))},
                    {"objects", NumberOrNull(rows.at(r, 6))},
                    {"rows", NumberOrNull(rows.at(r, 7))},
                    {"quotes_carried", NumberOrNull(rows.at(r, 11))},
                    {"error_class", rows.at(r, 8) ? json(*rows.at(r, 8)) : json(nullptr)},
                    {"error", rows.at(r, 9) ? json(*rows.at(r, 9)) : json(nullptr)},
                    {"duration_seconds", NumberOrNull(rows.at(r, 10))}});
  }
  return runs;
}

StatusOr<json> Credits(warehouse::Connection& db) {
  // The CMC plan's month is the calendar month in UTC (the session's time zone is UTC).
  // What coinlake spent comes from runs; the plan and CMC's own count (every use of the key)
  // from the freshest heartbeat whose ETL has read /v1/key/info.
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT date_trunc('month', now()), spent.credits, spent.runs, plan.*
    FROM (SELECT coalesce(sum(credits), 0) AS credits, count(*) AS runs
          FROM runs WHERE started_at >= date_trunc('month', now())) spent
    LEFT JOIN LATERAL (
      SELECT credits_plan_month, credits_used_month, credits_reset_at, beat_at
      FROM pipeline_heartbeat WHERE credits_plan_month IS NOT NULL
      ORDER BY beat_at DESC LIMIT 1) plan ON true)sql"));
  json plan = nullptr;
  if (rows.at(0, 3)) {
    int64_t limit = std::stoll(*rows.at(0, 3));
    int64_t used = std::stoll(rows.text(0, 4));
    plan = json{{"credits_per_month", limit},
                {"used_this_month", used},
                {"left_this_month", std::max<int64_t>(0, limit - used)},
                {"resets_at", TimeOrNull(rows.at(0, 5))},
                {"as_of", TimeOrNull(rows.at(0, 6))}};
  }
  return json{{"month_start", TimeOrNull(rows.at(0, 0))},
              {"used_this_month", NumberOrNull(rows.at(0, 1))},
              {"runs_this_month", NumberOrNull(rows.at(0, 2))},
              {"plan", plan}};
}

StatusOr<json> Errors(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT error_class, count(*), max(started_at),
           (array_agg(error ORDER BY started_at DESC))[1]
    FROM runs
    WHERE error_class IS NOT NULL AND started_at >= now() - interval '7 days'
    GROUP BY error_class ORDER BY count(*) DESC, error_class)sql"));
  json errors = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    errors.push_back({{"error_class", rows.text(r, 0)},
                      {"count", NumberOrNull(rows.at(r, 1))},
                      {"last_at", TimeOrNull(rows.at(r, 2))},
                      {"last_error", rows.at(r, 3) ? json(*rows.at(r, 3)) : json(nullptr)}});
  }
  return json{{"window", "7d"}, {"by_class", std::move(errors)}};
}

// The listings schedule's slots of the last 24 hours that hold no listings snapshot; a slot
// lasts the ETL's listings interval. The window starts later if the first snapshot ever is
// later, or after a schedule change: at the first cycle under the current interval (or, before
// there is one, the last cycle under another), since older slots were of another length. The
// slot in progress is not expected yet.
StatusOr<json> Gaps(warehouse::Connection& db, int64_t interval_seconds) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    WITH first AS (
      SELECT min(data_ts) AS ts FROM lake_objects WHERE endpoint = 'listings_latest'),
    other_schedule AS (
      -- The last cycle run under another listings interval. Read through to_jsonb, so a schema
      -- before migration 0010 (the dashboard upgraded before the ETL host migrates) works.
      SELECT max(started_at) AS ts FROM runs r
      WHERE started_at > now() - interval '24 hours'
        AND (to_jsonb(r) ->> 'listings_interval_seconds')::integer <> $1::integer),
    this_schedule AS (  -- its first cycle since then: the slots before it were the old one's
      SELECT min(started_at) AS ts FROM runs r, other_schedule
      WHERE started_at > other_schedule.ts
        AND (to_jsonb(r) ->> 'listings_interval_seconds')::integer = $1::integer),
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
                                                  {std::to_string(interval_seconds)}));
  json ranges = json::array();
  size_t missing = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows.text(r, 1) == "t") continue;
    ++missing;
    json start = TimeOrNull(rows.at(r, 0));
    bool extends = !ranges.empty() && r > 0 && rows.text(r - 1, 1) == "f";
    if (extends) {
      ranges.back()["slots"] = ranges.back()["slots"].get<int>() + 1;
    } else {
      ranges.push_back({{"from", start}, {"slots", 1}});
    }
  }
  return json{{"window", "24h"},
              {"from", rows.empty() ? json(nullptr) : TimeOrNull(rows.at(0, 0))},
              {"slot_seconds", interval_seconds},
              {"expected", rows.size()},
              {"missing", missing},
              {"ranges", std::move(ranges)}};
}

// The `coinlake run` processes' heartbeats (migrations/0002): one row per ETL host. A running
// host is stale when its next planned cycle is more than 10 minutes overdue (a cycle with
// retries takes a few minutes at most).
StatusOr<json> Heartbeats(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT host, pid, version, state, beat_at, extract(epoch FROM now() - beat_at),
           last_outcome, last_success_at, lag_seconds, next_cycle_at, cycles, failed_cycles,
           skipped_slots,
           state = 'running' AND now() > coalesce(next_cycle_at, beat_at) + interval '10 minutes'
    FROM pipeline_heartbeat ORDER BY beat_at DESC)sql"));
  json hosts = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    hosts.push_back({{"host", rows.text(r, 0)},
                     {"pid", NumberOrNull(rows.at(r, 1))},
                     {"version", rows.text(r, 2)},
                     {"state", rows.text(r, 3)},
                     {"beat_at", TimeOrNull(rows.at(r, 4))},
                     {"beat_age_seconds", NumberOrNull(rows.at(r, 5))},
                     {"last_outcome", rows.at(r, 6) ? json(*rows.at(r, 6)) : json(nullptr)},
                     {"last_success_at", TimeOrNull(rows.at(r, 7))},
                     {"lag_seconds", NumberOrNull(rows.at(r, 8))},
                     {"next_cycle_at", TimeOrNull(rows.at(r, 9))},
                     {"cycles", NumberOrNull(rows.at(r, 10))},
                     {"failed_cycles", NumberOrNull(rows.at(r, 11))},
                     {"skipped_slots", NumberOrNull(rows.at(r, 12))},
                     {"stale", rows.text(r, 13) == "t"}});
  }
  return hosts;
}

}  // namespace

StatusOr<json> Pipeline(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(int64_t runs, params.Int("runs", 1, 200, 20));
  RETURN_IF_ERROR(params.Finish());
  json out;
  ASSIGN_OR_RETURN(int64_t interval_seconds, warehouse::EtlListingsIntervalSeconds(db));
  ASSIGN_OR_RETURN(out["freshness"], Freshness(db, interval_seconds));
  ASSIGN_OR_RETURN(out["runs"], Runs(db, runs));
  ASSIGN_OR_RETURN(out["credits"], Credits(db));
  ASSIGN_OR_RETURN(out["errors"], Errors(db));
  ASSIGN_OR_RETURN(out["gaps"], Gaps(db, interval_seconds));
  ASSIGN_OR_RETURN(out["heartbeats"], Heartbeats(db));
  return out;
}

}  // namespace coinlake::dashboard
