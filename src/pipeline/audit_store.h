// The stored audit results (migration 0019, audit_results): one row per closed UTC day with the
// newest audit's findings, written by `coinlake audit` and by `run`'s own audit
// (audit_schedule.h), and read by `run` to choose the next day to audit and for the
// audit-discrepancy pipeline rule (docs/alerts.md, "Pipeline rules").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"
#include "pipeline/audit.h"
#include "warehouse/db.h"

namespace coinlake::pipeline {

// How many findings of a day are kept in its row; findings_count has them all.
inline constexpr size_t kStoredFindingsPerDay = 50;

// The closed days (before the options' today) an audit covered: each day of its report or of a
// finding, and the one day asked for (--from D --to D) even when it held nothing, so that day
// is known to be audited.
std::vector<std::string> AuditedClosedDays(const AuditOptions& options, const AuditReport& report);

// Replaces the rows of `days` (YYYY-MM-DD) with the report's findings of each, in one
// transaction. `audited_by`: "run" or "audit".
Status StoreAuditResults(warehouse::Connection& db, const AuditReport& report,
                         const std::vector<std::string>& days, std::string_view audited_by,
                         TimePoint audited_at);

struct StoredAuditDay {
  std::string day;  // YYYY-MM-DD
  TimePoint audited_at{};
  int64_t findings = 0;
  std::vector<std::string> kinds;  // sorted
};

// The stored days from `from_day` on, and every older day whose result has findings; by day.
StatusOr<std::vector<StoredAuditDay>> ReadStoredAudits(warehouse::Connection& db,
                                                       const std::string& from_day);

// The stored days whose result has findings, by day.
StatusOr<std::vector<StoredAuditDay>> ReadAuditDaysWithFindings(warehouse::Connection& db);

}  // namespace coinlake::pipeline
