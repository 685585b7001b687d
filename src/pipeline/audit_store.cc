#include "pipeline/audit_store.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"

namespace coinlake::pipeline {
namespace {

StatusOr<std::vector<StoredAuditDay>> ReadRows(warehouse::Connection& db, std::string_view sql,
                                               const std::vector<warehouse::Param>& params) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(sql, params));
  std::vector<StoredAuditDay> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    StoredAuditDay day;
    day.day = rows.text(i, 0);
    day.audited_at = rows.time(i, 1).value_or(TimePoint{});
    day.findings = rows.integer(i, 2).value_or(0);
    for (std::string_view kind : SplitCommaList(rows.text(i, 3))) day.kinds.emplace_back(kind);
    out.push_back(std::move(day));
  }
  return out;
}

constexpr std::string_view kColumns =
    "SELECT to_char(day, 'YYYY-MM-DD'), audited_at, findings_count, array_to_string(kinds, ',') "
    "FROM audit_results ";

}  // namespace

std::vector<std::string> AuditedClosedDays(const AuditOptions& options, const AuditReport& report) {
  const std::string today = FormatDate(options.clock());
  std::set<std::string> days;
  for (const AuditDay& d : report.days) days.insert(d.date);
  for (const AuditFinding& f : report.findings) days.insert(f.date);
  if (!options.from_date.empty() && options.from_date == options.to_date) {
    days.insert(options.from_date);
  }
  std::vector<std::string> out;
  for (const std::string& day : days) {
    // The open day is still filling: its result would be stale within minutes.
    if (!day.empty() && day < today) out.push_back(day);
  }
  return out;
}

Status StoreAuditResults(warehouse::Connection& db, const AuditReport& report,
                         const std::vector<std::string>& days, std::string_view audited_by,
                         TimePoint audited_at) {
  if (days.empty()) return Status::Ok();
  std::map<std::string, std::vector<const AuditFinding*>> by_day;
  for (const AuditFinding& f : report.findings) by_day[f.date].push_back(&f);
  ASSIGN_OR_RETURN(warehouse::Transaction transaction, warehouse::Transaction::Begin(db));
  for (const std::string& day : days) {
    const std::vector<const AuditFinding*>& findings = by_day[day];
    std::set<std::string> kinds;
    nlohmann::json kept = nlohmann::json::array();
    for (const AuditFinding* f : findings) {
      kinds.insert(f->kind);
      if (kept.size() < kStoredFindingsPerDay) {
        kept.push_back({{"kind", f->kind}, {"key", f->key}, {"detail", f->detail}});
      }
    }
    std::string kind_list;
    for (const std::string& kind : kinds) kind_list += (kind_list.empty() ? "" : ",") + kind;
    RETURN_IF_ERROR(db.Execute(
        "INSERT INTO audit_results (day, audited_at, audited_by, findings_count, kinds, findings) "
        "VALUES ($1::date, $2::timestamptz, $3, $4::integer, "
        "COALESCE(string_to_array(NULLIF($5, ''), ','), '{}'), $6::jsonb) "
        "ON CONFLICT (day) DO UPDATE SET audited_at = EXCLUDED.audited_at, "
        "audited_by = EXCLUDED.audited_by, findings_count = EXCLUDED.findings_count, "
        "kinds = EXCLUDED.kinds, findings = EXCLUDED.findings",
        {day, FormatIso8601(audited_at), std::string(audited_by), std::to_string(findings.size()),
         kind_list, kept.dump()}));
  }
  return transaction.Commit();
}

StatusOr<std::vector<StoredAuditDay>> ReadStoredAudits(warehouse::Connection& db,
                                                       const std::string& from_day) {
  return ReadRows(
      db, std::string(kColumns) + "WHERE day >= $1::date OR findings_count > 0 ORDER BY day",
      {from_day});
}

StatusOr<std::vector<StoredAuditDay>> ReadAuditDaysWithFindings(warehouse::Connection& db) {
  return ReadRows(db, std::string(kColumns) + "WHERE findings_count > 0 ORDER BY day", {});
}

}  // namespace coinlake::pipeline
