#include "pipeline/compact_schedule.h"

#include "common/log.h"

namespace coinlake::pipeline {

CompactSchedule::CompactSchedule(std::string lake_url, Clock clock, StopSignal& stop)
    : lake_url_(std::move(lake_url)), clock_(std::move(clock)), stop_(stop) {}

Status CompactSchedule::Scan(const std::string& from) {
  for (const CuratedTable& table : CuratedTables()) {
    ASSIGN_OR_RETURN(std::vector<std::string> days, compactor_->StaleDays(table, from, ""));
    for (std::string& date : days) pending_.emplace(std::move(date), std::string(table.name));
  }
  return Status::Ok();
}

void CompactSchedule::AfterCycle(TimePoint next_cycle) {
  const TimePoint now = clock_();
  const std::string today = FormatDate(now);
  Status s = Status::Ok();
  if (!compactor_) {
    auto opened = lake::OpenObjectStore(lake_url_, &stop_);
    if (!opened.ok()) {
      log::Warn("compaction waits for the lake", {{"error", opened.status().ToString()}});
      return;
    }
    lake_ = std::move(opened).value();
    compactor_ = std::make_unique<Compactor>(*lake_, "", clock_);
  }
  if (scanned_day_ != today) {
    s = Scan("");
    if (s.ok()) scanned_day_ = today, recent_scan_ = now;
  } else if (now - recent_scan_ >= std::chrono::hours(1)) {
    s = Scan(FormatDate(now - std::chrono::days(7)));
    if (s.ok()) recent_scan_ = now;
  }
  if (!s.ok()) {
    log::Warn("looking for days to compact failed; tried again after the next cycle",
              {{"error", s.ToString()}});
    return;
  }
  // One day at least; more while the longest day so far would still end before the next cycle.
  std::chrono::milliseconds longest{0};
  do {
    if (pending_.empty() || stop_.stopped()) return;
    auto newest = std::prev(pending_.end());
    const auto [date, table] = *newest;
    const TimePoint started = clock_();
    auto day = compactor_->CompactDay(*FindCuratedTable(table), date);
    if (!day.ok()) {
      log::Warn("compaction failed; tried again after the next cycle",
                {{"table", table}, {"date", date}, {"error", day.status().ToString()}});
      return;
    }
    pending_.erase(newest);
    longest = std::max(longest,
                       std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - started));
  } while (clock_() + 2 * longest + std::chrono::seconds(1) < next_cycle);
}

}  // namespace coinlake::pipeline
