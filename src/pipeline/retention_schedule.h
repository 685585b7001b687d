// The retention step of `coinlake run` (retention.h): once per UTC day, after a cycle whose
// compaction has caught up (no stale day left, so the days it verifies have their manifests),
// and again at once when a reload changes the retention. Cheap when nothing is due: a catalog
// query. A failure (the lake or the database down) is logged and tried again the next day.
#pragma once

#include <string>

#include "common/stop_signal.h"
#include "common/time_util.h"

namespace coinlake::pipeline {

class RetentionSchedule {
 public:
  RetentionSchedule(std::string database_url, std::string lake_url, Clock clock, StopSignal& stop)
      : database_url_(std::move(database_url)),
        lake_url_(std::move(lake_url)),
        clock_(std::move(clock)),
        stop_(stop) {}

  // `compaction_caught_up`: the compaction step has no stale day pending.
  void AfterCycle(int retention_days, bool compaction_caught_up);

 private:
  std::string database_url_;
  std::string lake_url_;
  Clock clock_;
  StopSignal& stop_;
  std::string ran_day_;  // the UTC day of the last run
  int ran_days_ = -1;    // the retention it applied
};

}  // namespace coinlake::pipeline
