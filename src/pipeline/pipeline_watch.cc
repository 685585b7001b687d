#include "pipeline/pipeline_watch.h"

#include <algorithm>

#include "alerts/pipeline_outbox.h"
#include "alerts/state_table.h"
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
  if (database_failing_since_ && database_outage_ended_) {
    // Failing again before the ended outage was recorded: one outage, from the first start.
    o.database_failing_since = database_outage_ended_->since;
  }
  o.database_outage_ended = database_outage_ended_;
  o.audit_findings = audit_findings_;
  return o;
}

std::string PipelineWatch::JournalPath(const std::string& spool_dir) {
  return spool_dir + "/" + std::string(kSpoolJournalFolder) + "database-outage.json";
}

void PipelineWatch::Evaluate(TimePoint now, const FetchOptions& options, const Pipeline& pipeline,
                             warehouse::Connection* db) {
  last_evaluated_ = now;
  if (!options.alerts || options.alerts->pipeline_rules.empty() ||
      options.alerts->channels.empty()) {
    return;
  }
  const bool database_up = db != nullptr && db->healthy();
  ReadJournalOnce(options, now, database_up);
  if (!database_up) {
    DatabaseSeen(false, now);
    // Nothing can be recorded; the journal tells the outage now, the outbox once it is back.
    JournalOutage(now, options, pipeline);
    return;
  }
  // The journal's outcomes are final before the outbox takes them: no send in flight.
  alerts::OutageJournal journal = StopJournalSender();
  std::vector<alerts::JournalDelivery> journaled;
  for (const alerts::JournalEntry& entry : journal.entries) {
    journaled.insert(journaled.end(), entry.deliveries.begin(), entry.deliveries.end());
  }
  audit_findings_ = ReadAuditFindings(*db, *options.alerts);
  alerts::PipelineObservation observation = Observe(now, options, pipeline);
  auto recorded = alerts::RecordPipelineAlerts(*db, *options.alerts, observation, journaled);
  if (!recorded.ok()) {
    log::Warn("pipeline alert rules not recorded: asked again later",
              {{"error", recorded.status().ToString()}});
    if (!db->healthy()) {
      DatabaseSeen(false, now);
      JournalOutage(now, options, pipeline);  // the journal's sender goes on, if it has work
    }
    return;
  }
  known_states_ = std::move(recorded->states);
  if (recorded->journaled > 0) {
    log::Info("database outage alert recorded: the channels the journal reached marked delivered",
              {{"delivered_by_journal", recorded->journaled}});
  }
  SettleJournal(observation);
  if (observation.database_failing_since) {
    // It answered after all: the outage ends here, and the next evaluation notifies it.
    DatabaseSeen(true, now);
  } else {
    // The ended outage is in the outbox now (or was too short): not again.
    database_outage_ended_.reset();
  }
}

void PipelineWatch::ReadJournalOnce(const FetchOptions& options, TimePoint now, bool database_up) {
  if (journal_read_) return;
  journal_read_ = true;
  if (options.spool_dir.empty()) return;
  journal_path_ = JournalPath(options.spool_dir);
  journal_ = alerts::ReadJournal(journal_path_);
  if (!journal_.since) return;
  const TimePoint since = *journal_.since;
  log::Info("alert journal of a database outage found: the outage goes on from its start",
            {{"journal", journal_path_},
             {"since", FormatIso8601(since)},
             {"firings", journal_.entries.size()}});
  if (database_failing_since_) {
    database_failing_since_ = std::min(*database_failing_since_, since);
  } else if (database_outage_ended_) {
    database_outage_ended_->since = std::min(database_outage_ended_->since, since);
  } else if (database_up) {
    // It ended while no `run` watched: when this one first saw the database.
    database_outage_ended_ = alerts::PipelineObservation::Outage{since, now};
  } else {
    database_failing_since_ = since;
  }
}

void PipelineWatch::JournalOutage(TimePoint now, const FetchOptions& options,
                                  const Pipeline& pipeline) {
  if (journal_path_.empty()) return;
  const alerts::PipelineObservation observation = Observe(now, options, pipeline);
  if (!observation.database_failing_since) return;
  const alerts::OutageJournal current = journal_sender_ ? journal_sender_->journal() : journal_;
  std::vector<alerts::JournalEntry> fresh;
  for (const alerts::PipelineRule& rule : options.alerts->pipeline_rules) {
    if (rule.check != alerts::PipelineCheck::kDatabaseOutage || current.Find(rule.name)) continue;
    const std::vector<alerts::PipelineRule> one = {rule};
    for (const alerts::PipelineTransition& t :
         alerts::EvaluatePipelineRules(one, known_states_, observation)) {
      if (t.event != alerts::Event::kFiring) continue;
      alerts::JournalEntry entry{rule.name, t.at, {}};
      for (const std::string& channel : alerts::ChannelsOf(rule.channels, *options.alerts)) {
        alerts::JournalDelivery delivery;
        delivery.channel = channel;
        delivery.idempotency_key = alerts::PipelineIdempotencyKey(t, channel);
        delivery.payload = alerts::PipelineNotificationBody(t, channel, delivery.idempotency_key);
        entry.deliveries.push_back(std::move(delivery));
      }
      fresh.push_back(std::move(entry));
    }
  }
  bool waiting = false;  // a restored journal with firings still to deliver
  for (const alerts::JournalEntry& entry : current.entries) {
    for (const alerts::JournalDelivery& d : entry.deliveries) waiting |= !d.delivered_at;
  }
  if (fresh.empty() && !waiting) return;
  if (!journal_.since) journal_.since = *observation.database_failing_since;
  StartJournalSender(options);
  for (alerts::JournalEntry& entry : fresh) {
    const std::string rule = entry.rule;
    Status added = journal_sender_->Add(std::move(entry));
    if (!added.ok()) {
      log::Warn("database outage alert not journaled: it goes out once the database is back",
                {{"rule", rule}, {"error", added.ToString()}});
      continue;
    }
    log::Info("alert firing journaled: the database is down, delivered from the journal",
              {{"rule", rule}, {"journal", journal_path_}});
  }
}

alerts::OutageJournal PipelineWatch::StopJournalSender() {
  if (journal_sender_) {
    journal_sender_->Stop();
    journal_ = journal_sender_->journal();
    journal_sender_.reset();
  }
  return journal_;
}

void PipelineWatch::StartJournalSender(const FetchOptions& options) {
  if (journal_sender_) return;
  journal_sender_ =
      std::make_unique<alerts::JournalSender>(journal_path_, journal_, options.alerts->channels);
  journal_sender_->Start();
}

void PipelineWatch::SettleJournal(const alerts::PipelineObservation& observation) {
  if (journal_.empty()) return;
  // An entry is settled once the outbox has the outage: recorded as the database answered
  // (the rule's state notified at the journal's time), or the ended outage decided.
  const bool ended = !observation.database_failing_since;
  std::erase_if(journal_.entries, [&](const alerts::JournalEntry& entry) {
    auto state = known_states_.find({entry.rule, alerts::kPipelineSubject});
    const bool recorded = state != known_states_.end() && state->second.last_notified &&
                          *state->second.last_notified >= entry.fired_at;
    return ended || recorded;
  });
  Status done;
  if (ended || journal_.entries.empty()) {
    journal_ = {};
    done = alerts::RemoveJournal(journal_path_);
  } else {
    done = alerts::WriteJournal(journal_path_, journal_);
  }
  if (!done.ok()) {
    log::Warn("alert journal not updated: a restart finds the outage recorded already",
              {{"journal", journal_path_}, {"error", done.ToString()}});
  }
}

}  // namespace coinlake::pipeline
