#include "pipeline/pipeline_watch.h"

#include <algorithm>

#include "alerts/pipeline_outbox.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/audit_store.h"

namespace coinlake::pipeline {
namespace {

// The days audit_results has findings for, when a rule watches them (the audit-discrepancy
// rule); unset when none does or the database did not answer.
std::optional<std::vector<alerts::PipelineObservation::AuditDay>> ReadAuditFindings(
    warehouse::Connection& db, const alerts::AlertConfig& config) {
  const bool watched = std::any_of(
      config.pipeline_rules.begin(), config.pipeline_rules.end(),
      [](const auto& r) { return r.check == alerts::PipelineCheck::kAuditDiscrepancy; });
  if (!watched) return std::nullopt;
  auto stored = ReadAuditDaysWithFindings(db);
  if (!stored.ok()) {
    log::Warn("audit results not read: audit-discrepancy waits",
              {{"error", stored.status().ToString()}});
    return std::nullopt;
  }
  std::vector<alerts::PipelineObservation::AuditDay> days;
  for (StoredAuditDay& d : *stored) days.push_back({d.day, d.findings, std::move(d.kinds)});
  return days;
}

}  // namespace

TimePoint MonthStartBefore(TimePoint reset) {
  using namespace std::chrono;
  const sys_days day = floor<days>(reset);
  const auto time_of_day = reset - day;
  year_month_day ymd{day};
  const year_month month = year_month{ymd.year(), ymd.month()} - months{1};
  year_month_day start{month.year(), month.month(), ymd.day()};
  if (!start.ok())
    start = year_month_day{year_month_day_last{month.year(), month_day_last{month.month()}}};
  return time_point_cast<TimePoint::duration>(sys_days{start} + time_of_day);
}

std::chrono::seconds LiveInterval(const std::vector<EndpointSchedule>& schedule) {
  std::chrono::seconds shortest{0};
  for (const EndpointSchedule& e : schedule) {
    if (e.interval <= std::chrono::seconds(0)) continue;
    if (e.endpoint != lake::kListingsLatest && e.endpoint != lake::kQuotesLatest) continue;
    if (shortest == std::chrono::seconds(0) || e.interval < shortest) shortest = e.interval;
  }
  return shortest;
}

void PipelineWatch::AfterCycle(const CycleReport& report, std::string_view outcome,
                               TimePoint finished, const Pipeline& pipeline) {
  for (const Pipeline::StoppedEndpoint& s : pipeline.StoppedEndpoints()) {
    std::erase(answered_, s.endpoint);
  }
  failed_in_row_ = outcome == "failed" ? failed_in_row_ + 1 : 0;
  if (report.rows + report.carried > 0) last_live_load_ = finished;
  for (const std::string& endpoint : report.answered) {
    if (std::find(answered_.begin(), answered_.end(), endpoint) == answered_.end()) {
      answered_.push_back(endpoint);
    }
  }
  if (report.lake_failed) {
    if (!lake_failing_since_) lake_failing_since_ = finished;
  } else if (report.lake_puts > 0) {
    lake_failing_since_.reset();  // a cycle that put nothing says nothing about the lake
  }
}

void PipelineWatch::DatabaseSeen(bool reachable, TimePoint now) {
  if (!reachable) {
    if (!database_failing_since_) database_failing_since_ = now;
    return;
  }
  if (database_failing_since_) {
    // Two outages before the rules could record the first count as one, from the first start.
    TimePoint since =
        database_outage_ended_ ? database_outage_ended_->since : *database_failing_since_;
    database_outage_ended_ = alerts::PipelineObservation::Outage{since, now};
    database_failing_since_.reset();
  }
}

alerts::PipelineObservation PipelineWatch::Observe(TimePoint now, const FetchOptions& options,
                                                   const Pipeline& pipeline) const {
  alerts::PipelineObservation o;
  o.now = now;
  o.last_live_load = last_live_load_;
  o.live_interval = LiveInterval(options.schedule);
  o.failed_cycles_in_row = failed_in_row_;
  std::vector<std::string_view> enabled = EnabledEndpoints(options);
  o.answered = answered_;
  for (const Pipeline::StoppedEndpoint& s : pipeline.StoppedEndpoints()) {
    // An endpoint a reload turned off is not stopped by CMC any more: it is off.
    if (std::find(enabled.begin(), enabled.end(), s.endpoint) == enabled.end()) continue;
    o.stopped.push_back(
        {s.endpoint, s.reason,
         s.until == TimePoint::max() ? std::nullopt : std::optional<TimePoint>(s.until)});
  }
  if (const cmc::CreditGovernor* governor = pipeline.governor()) {
    const cmc::CreditPlan& plan = governor->plan();
    TimePoint reset = plan.month_reset.value_or(NextUtcMonthStart(now));
    o.credits = alerts::PipelineObservation::Credits{plan.credits_per_month, governor->month_used(),
                                                     MonthStartBefore(reset), reset};
  }
  o.lake_failing_since = lake_failing_since_;
  o.database_failing_since = database_failing_since_;
  o.database_outage_ended = database_outage_ended_;
  o.audit_findings = audit_findings_;
  return o;
}

void PipelineWatch::Evaluate(TimePoint now, const FetchOptions& options, const Pipeline& pipeline,
                             warehouse::Connection* db) {
  last_evaluated_ = now;
  if (!options.alerts || options.alerts->pipeline_rules.empty() ||
      options.alerts->channels.empty()) {
    return;
  }
  if (db == nullptr || !db->healthy()) {
    DatabaseSeen(false, now);
    return;  // nothing can be recorded; the database-outage rule notifies once it is back
  }
  audit_findings_ = ReadAuditFindings(*db, *options.alerts);
  alerts::PipelineObservation observation = Observe(now, options, pipeline);
  auto recorded = alerts::RecordPipelineAlerts(*db, *options.alerts, observation);
  if (!recorded.ok()) {
    if (!db->healthy()) DatabaseSeen(false, now);
    log::Warn("pipeline alert rules not recorded: asked again later",
              {{"error", recorded.status().ToString()}});
    return;
  }
  if (observation.database_failing_since) {
    // It answered after all: the outage ends here, and the next evaluation notifies it.
    DatabaseSeen(true, now);
  } else {
    // The ended outage is in the outbox now (or was too short): not again.
    database_outage_ended_.reset();
  }
}

}  // namespace coinlake::pipeline
