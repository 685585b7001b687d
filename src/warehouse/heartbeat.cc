#include "warehouse/heartbeat.h"

#include <fmt/format.h>

#include "warehouse/schema_version.h"

namespace coinlake::warehouse {
namespace {

constexpr int kHeartbeatListingsInterval = 8;  // pipeline_heartbeat.listings_interval_seconds

Param TimeParam(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return FormatIso8601(*t);
}

Param IntParam(int64_t value) { return std::to_string(value); }

}  // namespace

Status WriteHeartbeat(Connection& db, const Heartbeat& h) {
  return db.Execute(
      R"sql(
    INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at,
        last_cycle_started_at, last_cycle_finished_at, last_outcome, last_success_at, lag_seconds,
        next_cycle_at, cycles, failed_cycles, skipped_slots, credits_plan_month,
        credits_used_month, credits_reset_at, listings_interval_seconds)
    VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        $18)
    ON CONFLICT (host) DO UPDATE SET pid = EXCLUDED.pid, version = EXCLUDED.version,
        state = EXCLUDED.state, started_at = EXCLUDED.started_at, beat_at = EXCLUDED.beat_at,
        last_cycle_started_at = EXCLUDED.last_cycle_started_at,
        last_cycle_finished_at = EXCLUDED.last_cycle_finished_at,
        last_outcome = EXCLUDED.last_outcome,
        -- a restarted process has no success yet: keep the host's last one
        last_success_at = coalesce(EXCLUDED.last_success_at, pipeline_heartbeat.last_success_at),
        lag_seconds = EXCLUDED.lag_seconds, next_cycle_at = EXCLUDED.next_cycle_at,
        cycles = EXCLUDED.cycles, failed_cycles = EXCLUDED.failed_cycles,
        skipped_slots = EXCLUDED.skipped_slots,
        credits_plan_month = EXCLUDED.credits_plan_month,
        credits_used_month = EXCLUDED.credits_used_month,
        credits_reset_at = EXCLUDED.credits_reset_at,
        listings_interval_seconds = EXCLUDED.listings_interval_seconds)sql",
      {h.host, IntParam(h.pid), h.version, h.state, FormatIso8601(h.started),
       TimeParam(h.last_cycle_started), TimeParam(h.last_cycle_finished), h.last_outcome,
       TimeParam(h.last_success),
       h.lag_seconds ? Param(fmt::format("{:.3f}", *h.lag_seconds)) : std::nullopt,
       TimeParam(h.next_cycle), IntParam(h.cycles), IntParam(h.failed_cycles),
       IntParam(h.skipped_slots), h.credits ? IntParam(h.credits->plan_month) : std::nullopt,
       h.credits ? IntParam(h.credits->used_month) : std::nullopt,
       h.credits ? TimeParam(h.credits->reset_at) : std::nullopt,
       h.listings_interval_seconds > 0 ? IntParam(h.listings_interval_seconds) : std::nullopt});
}

StatusOr<std::vector<HeartbeatRecord>> ReadHeartbeats(Connection& db) {
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT host, pid, version, state, beat_at, extract(epoch FROM now() - beat_at),
           last_outcome, last_success_at, lag_seconds, next_cycle_at, cycles, failed_cycles,
           skipped_slots,
           state = 'running' AND now() > coalesce(next_cycle_at, beat_at) + interval '10 minutes'
    FROM pipeline_heartbeat ORDER BY beat_at DESC)sql"));
  std::vector<HeartbeatRecord> beats;
  for (size_t r = 0; r < rows.size(); ++r) {
    HeartbeatRecord record;
    Heartbeat& b = record.beat;
    b.host = rows.text(r, 0);
    b.pid = rows.integer(r, 1).value_or(0);
    b.version = rows.text(r, 2);
    b.state = rows.text(r, 3);
    record.beat_at = rows.time(r, 4);
    record.beat_age_seconds = rows.number(r, 5);
    b.last_outcome = rows.at(r, 6);
    b.last_success = rows.time(r, 7);
    b.lag_seconds = rows.number(r, 8);
    b.next_cycle = rows.time(r, 9);
    b.cycles = rows.integer(r, 10).value_or(0);
    b.failed_cycles = rows.integer(r, 11).value_or(0);
    b.skipped_slots = rows.integer(r, 12).value_or(0);
    record.stale = rows.text(r, 13) == "t";
    beats.push_back(std::move(record));
  }
  return beats;
}

StatusOr<std::optional<CreditPlanBeat>> LatestCreditPlan(Connection& db) {
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT credits_plan_month, credits_used_month, credits_reset_at, beat_at
    FROM pipeline_heartbeat WHERE credits_plan_month IS NOT NULL
    ORDER BY beat_at DESC LIMIT 1)sql"));
  if (rows.empty()) return std::optional<CreditPlanBeat>();
  return std::optional<CreditPlanBeat>(
      CreditPlanBeat{.plan = {.plan_month = rows.integer(0, 0).value_or(0),
                              .used_month = rows.integer(0, 1).value_or(0),
                              .reset_at = rows.time(0, 2)},
                     .as_of = rows.time(0, 3)});
}

StatusOr<int64_t> EtlListingsIntervalSeconds(Connection& db) {
  constexpr int64_t kDefault = 300;
  ASSIGN_OR_RETURN(bool reported, SchemaHasMigration(db, kHeartbeatListingsInterval));
  if (!reported) return kDefault;
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT listings_interval_seconds FROM pipeline_heartbeat
    WHERE listings_interval_seconds > 0 ORDER BY beat_at DESC LIMIT 1)sql"));
  if (rows.empty()) return kDefault;
  return rows.integer(0, 0).value_or(kDefault);
}

std::optional<std::string> RunningHostName(Connection& db) {
  auto beat = db.Query(
      "SELECT host, pid FROM pipeline_heartbeat WHERE state = 'running' "
      "ORDER BY beat_at DESC LIMIT 1");
  if (!beat.ok() || beat->empty()) return std::nullopt;
  return fmt::format("host {} pid {}", beat->text(0, 0), beat->text(0, 1));
}

}  // namespace coinlake::warehouse
