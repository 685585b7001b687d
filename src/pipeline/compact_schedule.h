// The compaction `coinlake run` does between cycles (compact.h): it looks for stale curated
// days (closed, with sources, without an up-to-date manifest) over the whole lake when it
// starts and after each UTC midnight, and over the last week every hour (late objects from
// the spool, a backfill); then it rebuilds stale table-days, newest first, one after each
// cycle and more while the next cycle is not due, so a poll is held up by one day's
// compaction at most. Failures (a lake outage) are logged and the day is tried again after the
// next cycle.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "common/stop_signal.h"
#include "common/time_util.h"
#include "lake/object_store.h"
#include "pipeline/compact.h"

namespace coinlake::pipeline {

class CompactSchedule {
 public:
  CompactSchedule(std::string lake_url, Clock clock, StopSignal& stop);

  // `next_cycle`: when the loop's next cycle is due.
  void AfterCycle(TimePoint next_cycle);

  // Whether the lake has been looked at today and no stale day is left (retention_schedule.h).
  bool caught_up() const { return compactor_ && !scanned_day_.empty() && pending_.empty(); }

 private:
  Status Scan(const std::string& from);

  std::string lake_url_;
  Clock clock_;
  StopSignal& stop_;
  std::unique_ptr<lake::ObjectStore> lake_;
  std::unique_ptr<Compactor> compactor_;
  std::string scanned_day_;  // the UTC day of the last whole-lake scan
  TimePoint recent_scan_{};  // the last scan of the last week
  std::set<std::pair<std::string, std::string>> pending_;  // (date, table)
};

}  // namespace coinlake::pipeline
