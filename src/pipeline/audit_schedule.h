// The audit `coinlake run` does between cycles (audit.h), storing each result in audit_results
// (audit_store.h) for the audit-discrepancy rule (docs/alerts.md, "Pipeline rules"). After a
// cycle whose compaction has caught up (compact_schedule.h: the closed days have their
// manifests, which the audit checks), it audits one closed UTC day at most, and only when the
// longest audit so far would end before the next cycle is due:
//   - each closed day of the last kAuditDaysBack without a stored result, newest first (days
//     before that are left to `coinlake audit --from --to`, so a first start stays cheap);
//   - then each stored day with findings whose result is older than kReauditFindingsEvery, so a
//     repaired day resolves the rule.
// A day that fails to audit (the lake or the database down) is set aside for a while, doubling
// from 15 minutes up to 6 hours, so the other days still get their turn.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::pipeline {

class AuditSchedule {
 public:
  // How far back a closed day without a stored result is audited.
  static constexpr int kAuditDaysBack = 7;
  // How often a day whose stored result has findings is audited again.
  static constexpr std::chrono::hours kReauditFindingsEvery{6};

  AuditSchedule(std::string database_url, std::string lake_url, Clock clock, StopSignal& stop)
      : database_url_(std::move(database_url)),
        lake_url_(std::move(lake_url)),
        clock_(std::move(clock)),
        stop_(stop) {}

  // `next_cycle`: when the loop's next cycle is due; `quotes_retention_days`: as the audit
  // judges days beyond it (audit.h); `compaction_caught_up`: CompactSchedule::caught_up().
  void AfterCycle(TimePoint next_cycle, int quotes_retention_days, bool compaction_caught_up);

  // The day to audit at `now`, from what audit_results holds (public for tests); nullopt: none.
  StatusOr<std::optional<std::string>> NextDay(warehouse::Connection& db, TimePoint now) const;

 private:
  struct Failure {
    int count = 0;
    TimePoint retry_at{};
  };
  bool SetAside(const std::string& day, TimePoint now) const;

  std::string database_url_;
  std::string lake_url_;
  Clock clock_;
  StopSignal& stop_;
  std::unique_ptr<warehouse::Connection> db_;  // reads audit_results; reopened when it drops
  std::chrono::milliseconds longest_{0};       // the longest audit of a day so far
  std::map<std::string, Failure> failures_;    // days that failed, until one audit succeeds
};

}  // namespace coinlake::pipeline
