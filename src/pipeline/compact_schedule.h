// The compaction `coinlake run` does between cycles (compact.h): it looks for stale curated
// days (closed, with sources, without an up-to-date manifest) over the whole lake when it
// starts and after each UTC midnight, and over the last week every hour (late objects from
// the spool, a backfill); then it rebuilds stale table-days, newest first, one after each
// cycle and more while the next cycle is not due, so a poll is held up by one day's
// compaction at most. A day that fails (a lake outage, an object the lake will not give) is
// logged and set aside for a while, doubling from 15 minutes up to 6 hours, so the days older
// than it still get their turn after the next cycle.
#pragma once

#include <map>
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

  // Whether the lake has been looked at today and every stale day left has failed at least
  // once (retention_schedule.h): retention need not wait for a day that may never compact, as
  // it keeps a month whose days lack their manifests, and says why.
  bool caught_up() const;

 private:
  using TableDay = std::pair<std::string, std::string>;  // (date, table)
  struct Failure {
    int count = 0;
    TimePoint retry_at{};
  };

  Status Scan(const std::string& from);
  // The newest pending day not set aside, or pending_.end().
  std::set<TableDay>::iterator NextDay(TimePoint now);

  std::string lake_url_;
  Clock clock_;
  StopSignal& stop_;
  std::unique_ptr<lake::ObjectStore> lake_;
  std::unique_ptr<Compactor> compactor_;
  std::string scanned_day_;  // the UTC day of the last whole-lake scan
  TimePoint recent_scan_{};  // the last scan of the last week
  std::set<TableDay> pending_;
  std::map<TableDay, Failure> failures_;  // pending days that failed, until one succeeds
};

}  // namespace coinlake::pipeline
