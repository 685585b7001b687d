#include "pipeline/compact_schedule.h"

#include <algorithm>

#include "common/log.h"

namespace coinlake::pipeline {
namespace {

// How long a day that failed `failures` times in a row is set aside: 15 minutes, doubling, at
// most 6 hours (a lake outage ends; an object the lake will not give may not).
std::chrono::minutes SetAsideFor(int failures) {
  return std::min(std::chrono::minutes(15 << std::min(failures - 1, 5)), std::chrono::minutes(360));
}

}  // namespace

CompactSchedule::CompactSchedule(std::string lake_url, Clock clock, StopSignal& stop)
    : lake_url_(std::move(lake_url)), clock_(std::move(clock)), stop_(stop) {}

Status CompactSchedule::Scan(const std::string& from) {
  for (const CuratedTable& table : CuratedTables()) {
    ASSIGN_OR_RETURN(std::vector<std::string> days, compactor_->StaleDays(table, from, ""));
    for (std::string& date : days) pending_.emplace(std::move(date), std::string(table.name));
  }
  return Status::Ok();
}

bool CompactSchedule::caught_up() const {
  if (!compactor_ || scanned_day_.empty()) return false;
  return std::all_of(pending_.begin(), pending_.end(),
                     [&](const TableDay& day) { return failures_.contains(day); });
}

std::set<CompactSchedule::TableDay>::iterator CompactSchedule::NextDay(TimePoint now) {
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    auto failed = failures_.find(*it);
    if (failed == failures_.end() || failed->second.retry_at <= now) return std::prev(it.base());
  }
  return pending_.end();
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
    if (stop_.stopped()) return;
    const TimePoint started = clock_();
    auto newest = NextDay(started);
    if (newest == pending_.end()) return;
    const auto [date, table] = *newest;
    auto day = compactor_->CompactDay(*FindCuratedTable(table), date);
    if (!day.ok()) {
      Failure& failure = failures_[*newest];
      failure.retry_at = clock_() + SetAsideFor(++failure.count);
      log::Warn("compaction failed; the day is set aside and older days go on",
                {{"table", table},
                 {"date", date},
                 {"failures", failure.count},
                 {"retry_at", FormatIso8601(failure.retry_at)},
                 {"error", day.status().ToString()}});
      return;
    }
    failures_.erase(*newest);
    pending_.erase(newest);
    longest = std::max(longest,
                       std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - started));
  } while (clock_() + 2 * longest + std::chrono::seconds(1) < next_cycle);
}

}  // namespace coinlake::pipeline
