#include "pipeline/audit_schedule.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "pipeline/audit.h"
#include "pipeline/audit_store.h"

namespace coinlake::pipeline {
namespace {

// How long a day that failed `failures` times in a row is set aside: 15 minutes, doubling, at
// most 6 hours (as compaction's).
std::chrono::minutes SetAsideFor(int failures) {
  return std::min(std::chrono::minutes(15 << std::min(failures - 1, 5)), std::chrono::minutes(360));
}

}  // namespace

bool AuditSchedule::SetAside(const std::string& day, TimePoint now) const {
  auto failed = failures_.find(day);
  return failed != failures_.end() && failed->second.retry_at > now;
}

StatusOr<std::optional<std::string>> AuditSchedule::NextDay(warehouse::Connection& db,
                                                            TimePoint now) const {
  ASSIGN_OR_RETURN(std::vector<StoredAuditDay> stored,
                   ReadStoredAudits(db, FormatDate(now - std::chrono::days(kAuditDaysBack))));
  std::set<std::string> audited;
  for (const StoredAuditDay& d : stored) audited.insert(d.day);
  // The closed days of the window never audited, newest first.
  for (int back = 1; back <= kAuditDaysBack; ++back) {
    std::string day = FormatDate(now - std::chrono::days(back));
    if (!audited.contains(day) && !SetAside(day, now)) return std::optional<std::string>(day);
  }
  // Then the days with findings, newest first, once their result is old enough: a repair shows.
  for (auto it = stored.rbegin(); it != stored.rend(); ++it) {
    if (it->findings > 0 && now - it->audited_at >= kReauditFindingsEvery &&
        !SetAside(it->day, now)) {
      return std::optional<std::string>(it->day);
    }
  }
  return std::optional<std::string>();
}

void AuditSchedule::AfterCycle(TimePoint next_cycle, int quotes_retention_days,
                               bool compaction_caught_up) {
  // Until compaction catches up, a closed day may lack its manifest: the audit would only
  // report what the next hours repair.
  if (!compaction_caught_up || stop_.stopped()) return;
  const TimePoint now = clock_();
  // Twice the longest audit so far, and a second: a poll is not held up by an audit.
  if (now + 2 * longest_ + std::chrono::seconds(1) >= next_cycle) return;
  if (!db_ || !db_->healthy()) {
    auto opened = warehouse::Connection::Open(database_url_);
    if (!opened.ok()) {
      log::Warn("audit waits for the database", {{"error", opened.status().ToString()}});
      db_.reset();
      return;
    }
    db_ = std::move(opened).value();
    db_->SetCallTimeout(std::chrono::seconds(30));
  }
  auto next = NextDay(*db_, now);
  if (!next.ok()) {
    log::Warn("looking for a day to audit failed; tried again after the next cycle",
              {{"error", next.status().ToString()}});
    return;
  }
  if (!next->has_value()) return;
  const std::string day = **next;
  AuditOptions options;
  options.database_url = database_url_;
  options.lake_url = lake_url_;
  options.from_date = day;
  options.to_date = day;
  // The schedule each cycle recorded, as `coinlake audit` judges by default: both write the
  // same rows, so they must agree on what a gap is.
  options.interval = std::chrono::seconds(0);
  options.quotes_retention_days = quotes_retention_days;
  options.store_as = "run";
  options.clock = clock_;
  options.call_timeout = std::chrono::minutes(10);  // as retention's, between two cycles
  auto report = RunAudit(options, stop_);
  Status failed = Status::Ok();
  if (!report.ok()) {
    failed = report.status();
  } else if (!report->store_error.empty()) {
    failed = UnavailableError("audit result not stored: " + report->store_error);
  }
  if (!failed.ok()) {
    if (stop_.stopped()) return;
    Failure& failure = failures_[day];
    failure.retry_at = clock_() + SetAsideFor(++failure.count);
    log::Warn("audit of a closed day failed; the day is set aside and the others go on",
              {{"date", day},
               {"failures", failure.count},
               {"retry_at", FormatIso8601(failure.retry_at)},
               {"error", failed.ToString()}});
    return;
  }
  failures_.erase(day);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - now);
  longest_ = std::max(longest_, took);
  std::set<std::string> kinds;
  for (const AuditFinding& f : report->findings) kinds.insert(f.kind);
  nlohmann::json kind_list = nlohmann::json::array();
  for (const std::string& kind : kinds) kind_list.push_back(kind);
  log::Write(report->clean() ? log::Level::kInfo : log::Level::kWarn, "audit: closed day audited",
             {{"date", day},
              {"findings", report->findings.size()},
              {"kinds", kind_list},
              {"ms", took.count()}});
}

}  // namespace coinlake::pipeline
