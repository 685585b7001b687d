// What `coinlake run` keeps between cycles for the pipeline alert rules (alerts/pipeline_rules.h):
// failed cycles in a row, when a live snapshot was last loaded, since when the lake and the
// database have been failing; turned into an observation (alerts/pipeline_evaluate.h) and
// recorded in the outbox after each cycle and on a timer between cycles (docs/alerts.md,
// "Pipeline rules"). While the database is down, a database-outage rule's firing goes to a
// journal under the spool directory and out from there (alerts/outage_journal.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/journal_sender.h"
#include "alerts/outage_journal.h"
#include "alerts/pipeline_evaluate.h"
#include "alerts/rules.h"
#include "common/time_util.h"
#include "pipeline/fetch.h"
#include "warehouse/db.h"

namespace coinlake::pipeline {

// The start of the credit month that ends at `reset`: the same day and time a calendar month
// earlier (the last day of that month when it is shorter).
TimePoint MonthStartBefore(TimePoint reset);

// The shortest interval of the live snapshots (listings_latest, quotes_latest) in `schedule`;
// 0 when neither is on.
std::chrono::seconds LiveInterval(const std::vector<EndpointSchedule>& schedule);

class PipelineWatch {
 public:
  // How often the rules are asked between cycles: a loop waiting for its next slot still
  // notices it has gone stale.
  static constexpr std::chrono::seconds kEvaluateEvery{30};

  explicit PipelineWatch(TimePoint started) : last_live_load_(started) {}

  // Folds a finished cycle in.
  void AfterCycle(const CycleReport& report, std::string_view outcome, TimePoint finished,
                  const Pipeline& pipeline);
  // Whether the database answered at `now` (the run lock's check, or a recording).
  void DatabaseSeen(bool reachable, TimePoint now);

  // The observation at `now` (pure: tests read it).
  alerts::PipelineObservation Observe(TimePoint now, const FetchOptions& options,
                                      const Pipeline& pipeline) const;

  // Evaluates and records on `db` (the run lock's connection; null while disconnected). A
  // failure is logged and the transitions are decided again next time on the state the database
  // holds, so none is lost or recorded twice.
  void Evaluate(TimePoint now, const FetchOptions& options, const Pipeline& pipeline,
                warehouse::Connection* db);
  bool Due(TimePoint now) const { return now - last_evaluated_ >= kEvaluateEvery; }

  // The database-outage journal of a spool directory.
  static std::string JournalPath(const std::string& spool_dir);

 private:
  // Reads the journal a previous `run` left (once): its outage goes on from its start.
  void ReadJournalOnce(const FetchOptions& options, TimePoint now, bool database_up);
  // While the database is down: journals the firing of each database-outage rule whose duration
  // has passed (and is cooled down as far as `run` knows) and has it delivered.
  void JournalOutage(TimePoint now, const FetchOptions& options, const Pipeline& pipeline);
  // The journal as it stands, its sender stopped (nothing in flight).
  alerts::OutageJournal StopJournalSender();
  void StartJournalSender(const FetchOptions& options);
  // After a recording with the journal's deliveries: forgets what the outbox holds now.
  void SettleJournal(const alerts::PipelineObservation& observation);

  TimePoint last_live_load_;
  std::vector<std::string> answered_;  // endpoints answered since they were last stopped
  int failed_in_row_ = 0;
  std::optional<TimePoint> lake_failing_since_;
  std::optional<TimePoint> database_failing_since_;
  std::optional<alerts::PipelineObservation::Outage> database_outage_ended_;
  // The days with audit findings as audit_results said at the last evaluation (audit_store.h);
  // unset when no rule asks or the read failed.
  std::optional<std::vector<alerts::PipelineObservation::AuditDay>> audit_findings_;
  TimePoint last_evaluated_{};
  // The pipeline rules' alert_state at the last recording: their cooldowns while the database
  // is down.
  alerts::AlertStates known_states_;
  bool journal_read_ = false;
  std::string journal_path_;                               // empty: no spool directory, no journal
  alerts::OutageJournal journal_;                          // while no sender runs
  std::unique_ptr<alerts::JournalSender> journal_sender_;  // delivering, while the database is down
};

}  // namespace coinlake::pipeline
