// GET /api/v1/pipeline: is the pipeline healthy? Freshness, runs, credits, errors and gaps.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "dashboard/api.h"
#include "dashboard/api_util.h"
#include "warehouse/heartbeat.h"
#include "warehouse/run_ledger.h"
#include "warehouse/schema_version.h"

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

StatusOr<json> Freshness(warehouse::Connection& db, int64_t interval_seconds) {
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
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
  ASSIGN_OR_RETURN(std::vector<warehouse::RunRecord> records, warehouse::RecentRuns(db, limit));
  json runs = json::array();
  for (const warehouse::RunRecord& r : records) {
    runs.push_back({{"id", r.id},
                    {"command", r.command},
                    {"started_at", TimeOrNull(r.started)},
                    {"finished_at", TimeOrNull(r.finished)},
                    {"outcome", r.outcome},
                    {"credits", ValueOrNull(r.credits)},
                    {"objects", ValueOrNull(r.objects)},
                    {"rows", ValueOrNull(r.rows)},
                    {"quotes_carried", ValueOrNull(r.quotes_carried)},
                    {"error_class", ValueOrNull(r.error_class)},
                    {"error", ValueOrNull(r.error)},
                    {"duration_seconds", ValueOrNull(r.duration_seconds)}});
  }
  return runs;
}

StatusOr<json> Credits(warehouse::Connection& db) {
  // What coinlake spent comes from runs; the plan and CMC's own count (every use of the key)
  // from the freshest heartbeat whose ETL has read /v1/key/info.
  ASSIGN_OR_RETURN(warehouse::MonthSpend spent, warehouse::SpentThisMonth(db));
  ASSIGN_OR_RETURN(std::optional<warehouse::CreditPlanBeat> beat, warehouse::LatestCreditPlan(db));
  json plan = nullptr;
  if (beat) {
    plan = json{
        {"credits_per_month", beat->plan.plan_month},
        {"used_this_month", beat->plan.used_month},
        {"left_this_month", std::max<int64_t>(0, beat->plan.plan_month - beat->plan.used_month)},
        {"resets_at", TimeOrNull(beat->plan.reset_at)},
        {"as_of", TimeOrNull(beat->as_of)}};
  }
  return json{{"month_start", TimeOrNull(spent.month_start)},
              {"used_this_month", spent.credits},
              {"runs_this_month", spent.runs},
              {"plan", plan}};
}

StatusOr<json> Errors(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(std::vector<warehouse::ErrorClassCount> counts,
                   warehouse::ErrorsByClass(db, std::chrono::days(7)));
  json errors = json::array();
  for (const warehouse::ErrorClassCount& c : counts) {
    errors.push_back({{"error_class", c.error_class},
                      {"count", c.count},
                      {"last_at", TimeOrNull(c.last_at)},
                      {"last_error", ValueOrNull(c.last_error)}});
  }
  return json{{"window", "7d"}, {"by_class", std::move(errors)}};
}

// The listings slots of the last 24 hours that hold no snapshot (warehouse/run_ledger.h says
// which slots are expected), as ranges of consecutive missing slots.
StatusOr<json> Gaps(warehouse::Connection& db, int64_t interval_seconds) {
  ASSIGN_OR_RETURN(std::vector<warehouse::ListingsSlot> slots,
                   warehouse::RecentListingsSlots(db, interval_seconds));
  json ranges = json::array();
  size_t missing = 0;
  for (size_t r = 0; r < slots.size(); ++r) {
    if (slots[r].filled) continue;
    ++missing;
    bool extends = !ranges.empty() && r > 0 && !slots[r - 1].filled;
    if (extends) {
      ranges.back()["slots"] = ranges.back()["slots"].get<int>() + 1;
    } else {
      ranges.push_back({{"from", TimeOrNull(slots[r].start)}, {"slots", 1}});
    }
  }
  return json{{"window", "24h"},
              {"from", slots.empty() ? json(nullptr) : TimeOrNull(slots[0].start)},
              {"slot_seconds", interval_seconds},
              {"expected", slots.size()},
              {"missing", missing},
              {"ranges", std::move(ranges)}};
}

// The `coinlake run` processes' heartbeats, one per ETL host.
StatusOr<json> Heartbeats(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(std::vector<warehouse::HeartbeatRecord> records, warehouse::ReadHeartbeats(db));
  json hosts = json::array();
  for (const warehouse::HeartbeatRecord& r : records) {
    const warehouse::Heartbeat& b = r.beat;
    hosts.push_back({{"host", b.host},
                     {"pid", b.pid},
                     {"version", b.version},
                     {"state", b.state},
                     {"beat_at", TimeOrNull(r.beat_at)},
                     {"beat_age_seconds", ValueOrNull(r.beat_age_seconds)},
                     {"last_outcome", ValueOrNull(b.last_outcome)},
                     {"last_success_at", TimeOrNull(b.last_success)},
                     {"lag_seconds", ValueOrNull(b.lag_seconds)},
                     {"next_cycle_at", TimeOrNull(b.next_cycle)},
                     {"cycles", b.cycles},
                     {"failed_cycles", b.failed_cycles},
                     {"skipped_slots", b.skipped_slots},
                     {"stale", r.stale}});
  }
  return hosts;
}

// What the API key's plan was found to allow per historical endpoint (`coinlake backfill`
// records it). Empty before any probe, and on a schema before migration 14 (no table yet).
StatusOr<json> HistoricalAccess(warehouse::Connection& db) {
  constexpr int kEndpointAccessMigration = 14;
  json out = json::array();
  ASSIGN_OR_RETURN(bool has_table, warehouse::SchemaHasMigration(db, kEndpointAccessMigration));
  if (!has_table) return out;
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT endpoint, allowed, checked_at, http_status, error_code, message, earliest
    FROM endpoint_access ORDER BY endpoint)sql"));
  for (size_t r = 0; r < rows.size(); ++r) {
    out.push_back({{"endpoint", rows.text(r, 0)},
                   {"allowed", rows.text(r, 1) == "t"},
                   {"checked_at", TimeOrNull(rows.at(r, 2))},
                   {"http_status", NumberOrNull(rows.at(r, 3))},
                   {"error_code", NumberOrNull(rows.at(r, 4))},
                   {"message", rows.text(r, 5)},
                   {"earliest", TimeOrNull(rows.at(r, 6))}});
  }
  return out;
}

// The last quotes retention run (`coinlake retention`, or its daily step in `run`) and the
// partitions it dropped. null before any run, and on a schema before migration 15 (no table yet).
// Before migration 21 a partition was a month: its range is the month's.
StatusOr<json> Retention(warehouse::Connection& db) {
  constexpr int kRetentionMigration = 15;
  constexpr int kPartitionRangesMigration = 21;
  ASSIGN_OR_RETURN(bool has_table, warehouse::SchemaHasMigration(db, kRetentionMigration));
  if (!has_table) return json(nullptr);
  ASSIGN_OR_RETURN(bool has_ranges, warehouse::SchemaHasMigration(db, kPartitionRangesMigration));
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(has_ranges ? R"sql(
    SELECT run_at, retention_days, boundary, array_to_json(dropped)::text,
           blocked_start, blocked_end, blocked_reason, error,
           (SELECT count(*) FROM quotes_retention_dropped),
           (SELECT max(range_end) FROM quotes_retention_dropped)
    FROM quotes_retention_status)sql"
                                                             : R"sql(
    SELECT run_at, retention_days, boundary, array_to_json(dropped)::text,
           blocked_month::timestamp AT TIME ZONE 'UTC',
           (blocked_month + interval '1 month') AT TIME ZONE 'UTC', blocked_reason, error,
           (SELECT count(*) FROM quotes_retention_dropped),
           (SELECT max(month + interval '1 month') AT TIME ZONE 'UTC'
            FROM quotes_retention_dropped)
    FROM quotes_retention_status)sql"));
  if (rows.empty()) return json(nullptr);
  return json{{"run_at", TimeOrNull(rows.at(0, 0))},
              {"retention_days", NumberOrNull(rows.at(0, 1))},
              {"boundary", TimeOrNull(rows.at(0, 2))},
              {"dropped", json::parse(rows.text(0, 3))},
              {"blocked_start", TimeOrNull(rows.at(0, 4))},
              {"blocked_end", TimeOrNull(rows.at(0, 5))},
              {"blocked_reason", ValueOrNull(rows.at(0, 6))},
              {"error", ValueOrNull(rows.at(0, 7))},
              {"partitions_dropped", NumberOrNull(rows.at(0, 8))},
              {"lake_only_before", TimeOrNull(rows.at(0, 9))}};
}

// The stored audit results (audit_results: `run`'s own audit of each closed day, and `coinlake
// audit`): how many days are audited, the newest audit, and the days whose result has findings,
// newest first (at most 10). null before any audit, and on a schema before migration 19.
StatusOr<json> Audit(warehouse::Connection& db) {
  constexpr int kAuditMigration = 19;
  ASSIGN_OR_RETURN(bool has_table, warehouse::SchemaHasMigration(db, kAuditMigration));
  if (!has_table) return json(nullptr);
  ASSIGN_OR_RETURN(warehouse::Rows summary, db.Query(R"sql(
    SELECT count(*), max(audited_at), to_char(max(day), 'YYYY-MM-DD'),
           count(*) FILTER (WHERE findings_count > 0),
           coalesce(sum(findings_count), 0)
    FROM audit_results)sql"));
  if (summary.integer(0, 0).value_or(0) == 0) return json(nullptr);
  ASSIGN_OR_RETURN(warehouse::Rows days, db.Query(R"sql(
    SELECT to_char(day, 'YYYY-MM-DD'), findings_count, array_to_json(kinds)::text, audited_at,
           audited_by
    FROM audit_results WHERE findings_count > 0 ORDER BY day DESC LIMIT 10)sql"));
  json with_findings = json::array();
  for (size_t r = 0; r < days.size(); ++r) {
    with_findings.push_back({{"day", days.text(r, 0)},
                             {"findings", NumberOrNull(days.at(r, 1))},
                             {"kinds", json::parse(days.text(r, 2))},
                             {"audited_at", TimeOrNull(days.at(r, 3))},
                             {"audited_by", days.text(r, 4)}});
  }
  return json{{"days_audited", NumberOrNull(summary.at(0, 0))},
              {"last_audited_at", TimeOrNull(summary.at(0, 1))},
              {"newest_day", ValueOrNull(summary.at(0, 2))},
              {"days_with_findings", NumberOrNull(summary.at(0, 3))},
              {"findings", NumberOrNull(summary.at(0, 4))},
              {"with_findings", with_findings}};
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
  ASSIGN_OR_RETURN(out["historical_access"], HistoricalAccess(db));
  ASSIGN_OR_RETURN(out["retention"], Retention(db));
  ASSIGN_OR_RETURN(out["audit"], Audit(db));
  return out;
}

}  // namespace coinlake::dashboard
