#include "pipeline/retention_schedule.h"

#include "common/log.h"
#include "pipeline/retention.h"

namespace coinlake::pipeline {

void RetentionSchedule::AfterCycle(int retention_days, bool compaction_caught_up) {
  const std::string today = FormatDate(clock_());
  if (ran_day_ == today && ran_days_ == retention_days) return;
  // Until compaction catches up, the newest days beyond retention may lack their manifests:
  // verifying then would only log a partition kept for a reason the next hours remove. Off (0), it
  // only records that it is off.
  if (retention_days > 0 && !compaction_caught_up) return;
  RetentionOptions options;
  options.database_url = database_url_;
  options.lake_url = lake_url_;
  options.retention_days = retention_days;
  options.clock = clock_;
  auto report = RunRetention(options, stop_);
  ran_day_ = today;
  ran_days_ = retention_days;
  if (!report.ok()) {
    log::Warn("retention failed; tried again tomorrow", {{"error", report.status().ToString()}});
  }
}

}  // namespace coinlake::pipeline
