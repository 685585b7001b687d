// Pipeline rules over one observation of `coinlake run`: a pure function of the rules, what
// each rule last notified (alert_state) and what the loop saw (its cycles, the endpoints CMC's
// error codes stopped, the credit plan, the lake and the database), giving the notifications to
// record. No database, no clock: time is the observation's, so the same observation on the same
// state always gives the same answer (docs/alerts.md, "Pipeline rules").
//
// Each rule, per subject ("pipeline", or an endpoint's name for endpoint-stopped):
//   not firing, its condition holds, cooled down  -> firing
//   firing, its resolve condition holds           -> resolved (always notified)
// and says nothing when the observation does not tell (no credit plan read yet, say).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/evaluate.h"
#include "alerts/pipeline_rules.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// What `run` saw of itself when it asks the pipeline rules.
struct PipelineObservation {
  TimePoint now{};
  // The end of the last cycle that loaded a live snapshot (listings or quotes rows), or when
  // `run` started if none has yet; unset: nothing to measure staleness from.
  std::optional<TimePoint> last_live_load;
  // The schedule's interval of the live snapshots (the shortest of listings and quotes);
  // 0: neither is scheduled, and `stale` says nothing.
  std::chrono::seconds live_interval{0};
  // Cycles in a row whose outcome was "failed" (0 after an ok or partial one).
  int failed_cycles_in_row = 0;
  // Endpoints CMC's error codes stopped (bad key, plan, credits), still stopped at `now`.
  struct StoppedEndpoint {
    std::string endpoint;
    std::string reason;
    std::optional<TimePoint> until;  // unset: until restart
  };
  std::vector<StoppedEndpoint> stopped;
  // Endpoints CMC answered (with data) since they were last stopped: an endpoint-stopped alert
  // resolves only on such proof, not because a restart forgot why the endpoint stopped.
  std::vector<std::string> answered;
  // The month's credits as the credit governor sees them; unset before key info was read.
  struct Credits {
    int64_t plan_month = 0;
    int64_t used_month = 0;
    TimePoint month_start{};
    TimePoint reset_at{};
  };
  std::optional<Credits> credits;
  // Since when the lake (the database) has been failing; unset while it works.
  std::optional<TimePoint> lake_failing_since;
  std::optional<TimePoint> database_failing_since;
  // A database outage that ended since the rules were last recorded: while the database was
  // down nothing could be recorded in it, so an outage long enough is notified on recovery
  // (firing at since + the rule's duration, resolved at `until`).
  struct Outage {
    TimePoint since{};
    TimePoint until{};
  };
  std::optional<Outage> database_outage_ended;
  // The closed days whose newest stored audit result (audit_results) has findings, by day;
  // unset: not read (the database was not asked, or did not answer), and audit-discrepancy
  // says nothing.
  struct AuditDay {
    std::string day;  // YYYY-MM-DD
    int64_t findings = 0;
    std::vector<std::string> kinds;
  };
  std::optional<std::vector<AuditDay>> audit_findings;
};

// How long the month must have run before credits-forecast extrapolates its rate: the first
// calls of a month (key info, the map) would otherwise look like a month's pace.
inline constexpr std::chrono::hours kCreditsForecastMinElapsed{6};

struct PipelineTransition {
  const PipelineRule* rule = nullptr;
  std::string subject;  // "pipeline", or the endpoint's name
  Event event = Event::kFiring;
  TimePoint at{};
  std::string summary;  // one sentence for a person: what was seen
  // The figures that decided it, for the notification's "values" (name, number).
  std::vector<std::pair<std::string, double>> values;
  AlertState next;  // the state to store
};

// The subject of the rules that watch the pipeline as a whole.
inline constexpr char kPipelineSubject[] = "pipeline";

// The transitions `observation` causes, in rule order. `states` is not changed.
std::vector<PipelineTransition> EvaluatePipelineRules(const std::vector<PipelineRule>& rules,
                                                      const AlertStates& states,
                                                      const PipelineObservation& observation);

}  // namespace coinlake::alerts
