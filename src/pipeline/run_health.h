// Health of `coinlake run` without a listening port: the numbers the loop keeps, written as a
// heartbeat row in the database (pipeline_heartbeat, migrations/0002) and, behind
// --metrics-textfile, as a Prometheus textfile for node_exporter's textfile collector.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time_util.h"
#include "pipeline/fetch.h"
#include "warehouse/heartbeat.h"

namespace coinlake::pipeline {

struct RunHealth {
  std::string host;  // gethostname
  int pid = 0;
  TimePoint started{};
  int64_t cycles = 0;
  int64_t failed_cycles = 0;
  int64_t partial_cycles = 0;  // some endpoints failed (one stopped, say) while others loaded
  int64_t skipped_slots = 0;
  int64_t rows_total = 0;
  int64_t credits_total = 0;
  int64_t objects_total = 0;
  // The last cycle; unset (epoch) before the first one ends.
  TimePoint last_cycle_started{};
  TimePoint last_cycle_finished{};
  TimePoint last_success{};
  std::string last_outcome;  // ok, partial, failed
  CycleReport last;          // its stage timings, rows, credits
  double lag_seconds = 0;    // how late the last cycle started after its slot
  TimePoint next_cycle{};
  int64_t listings_interval_seconds = 0;  // 0: listings not scheduled
  bool lock_held = false;
  int64_t rss_bytes = 0;  // VmRSS after the last cycle
  // The CMC plan as the credit governor sees it; unset until it has read /v1/key/info.
  struct Credits {
    int64_t plan_month = 0;
    int64_t used_month = 0;
    std::optional<TimePoint> reset_at;
  };
  std::optional<Credits> credits;

  // Folds a finished cycle in.
  void Record(const CycleReport& report, std::string_view outcome, TimePoint started,
              TimePoint finished);
};

// This host's heartbeat row (warehouse/heartbeat.h); `state` is running or stopped.
warehouse::Heartbeat HeartbeatOf(const RunHealth& health, std::string_view state);

// The Prometheus text exposition of `health` (metric names prefixed coinlake_).
std::string PrometheusText(const RunHealth& health);

// The process's resident set size from /proc/self/status (0 if unknown).
int64_t ResidentSetBytes();

}  // namespace coinlake::pipeline
