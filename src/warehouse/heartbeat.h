// Health of each ETL host without a listening port: one `pipeline_heartbeat` row per host
// (migrations 0002, 0006, 0008), written by `coinlake run` after every cycle and read by the
// dashboard, `audit` and the run lock. Its SQL lives only here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// The CMC plan as an ETL's credit governor read it from /v1/key/info.
struct CreditPlanSeen {
  int64_t plan_month = 0;
  int64_t used_month = 0;
  std::optional<TimePoint> reset_at;
};

// One host's beat. Unset times and figures are written as NULL (nothing yet).
struct Heartbeat {
  std::string host;
  int64_t pid = 0;
  std::string version;
  std::string state;  // running or stopped
  TimePoint started;
  std::optional<TimePoint> last_cycle_started;
  std::optional<TimePoint> last_cycle_finished;
  std::optional<std::string> last_outcome;  // ok, partial, failed
  std::optional<TimePoint> last_success;    // unset: the host's earlier success is kept
  std::optional<double> lag_seconds;
  std::optional<TimePoint> next_cycle;
  int64_t cycles = 0;
  int64_t failed_cycles = 0;
  int64_t skipped_slots = 0;
  std::optional<CreditPlanSeen> credits;
  int64_t listings_interval_seconds = 0;  // 0: listings not scheduled
};

// Inserts or replaces the host's row; beat_at is the server's now().
Status WriteHeartbeat(Connection& db, const Heartbeat& beat);

// A host's row as read back, with what the reader derives from the server's clock.
struct HeartbeatRecord {
  Heartbeat beat;
  std::optional<TimePoint> beat_at;
  std::optional<double> beat_age_seconds;
  // Running, and its next planned cycle is more than 10 minutes overdue (a cycle with retries
  // takes a few minutes at most): stuck, or the host is gone.
  bool stale = false;
};

// Every host's row, the freshest beat first.
StatusOr<std::vector<HeartbeatRecord>> ReadHeartbeats(Connection& db);

// The plan from the freshest beat whose ETL has read it, and when that beat was.
struct CreditPlanBeat {
  CreditPlanSeen plan;
  std::optional<TimePoint> as_of;
};
StatusOr<std::optional<CreditPlanBeat>> LatestCreditPlan(Connection& db);

// Seconds between listings snapshots per the newest heartbeat that reports them; 300 (the
// default schedule) before any has, or before migration 0008.
StatusOr<int64_t> EtlListingsIntervalSeconds(Connection& db);

// "host etl-1 pid 4242": the freshest running host, to name who holds the run lock; unset when
// none (or the table does not exist yet).
std::optional<std::string> RunningHostName(Connection& db);

}  // namespace coinlake::warehouse
