// `coinlake run`: the 24/7 loop (docs/operations.md).
//
// - Holds the database's run lock (run_lock.h) for its whole life: a second `run` against the
//   same database refuses to start; if another process takes the lock after a dropped
//   connection, the loop stops with ALREADY_EXISTS instead of polling twice.
// - Fires each endpoint on its own wall-clock schedule (scheduler.h); cycles never stack.
// - After each cycle: one stale curated day compacted (compact_schedule.h), once a day the quotes
//   retention (retention_schedule.h), the heartbeat row, the Prometheus textfile (if
//   configured), and memory handed back to the system (malloc_trim), so the steady state stays
//   small.
// - With alert channels configured, an outbox sender thread (alerts/sender.h) delivers the
//   notifications the loads record, beside the loop; it stops with the loop, and a reload
//   replaces it (the old one stopped first).
// - The pipeline alert rules (alerts/pipeline_rules.h) are asked after each cycle and every 30 s
//   between cycles (pipeline_watch.h); what they decide goes into the outbox.
// - A reload request (SIGHUP) is taken between cycles: `reload` re-reads the configuration; if it
//   fails, or the new configuration does not open, the running one is kept and the error logged.
// - Returns OK once `stop` fires (after the cycle in flight).
#pragma once

#include <functional>
#include <string>

#include "common/reload_signal.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "pipeline/fetch.h"

namespace coinlake::pipeline {

struct RunOptions {
  FetchOptions fetch;
  std::string metrics_textfile;   // Prometheus textfile path; empty: none
  int quotes_retention_days = 0;  // retention.h; 0: keep quotes forever
};

using ReloadFunction = std::function<StatusOr<RunOptions>()>;

Status RunLoop(const RunOptions& options, StopSignal& stop, ReloadSignal& reload_signal,
               const ReloadFunction& reload);

}  // namespace coinlake::pipeline
