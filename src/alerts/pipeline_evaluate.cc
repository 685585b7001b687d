#include "alerts/pipeline_evaluate.h"

#include <fmt/format.h>

#include <algorithm>

namespace coinlake::alerts {
namespace {

using Values = std::vector<std::pair<std::string, double>>;

// What one rule sees of one subject: whether its condition holds, and whether its resolve
// condition does (both false: in between, nothing changes).
struct Verdict {
  bool holds = false;
  bool resolved = false;
  std::string summary;
  Values values;
};

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

std::string Minutes(std::chrono::nanoseconds d) {
  return fmt::format("{:.0f} min", std::chrono::duration<double>(d).count() / 60);
}

AlertState StateOf(const AlertStates& states, const PipelineRule& rule,
                   const std::string& subject) {
  auto found = states.find({rule.name, subject});
  return found == states.end() ? AlertState{} : found->second;
}

bool CooledDown(const AlertState& state, const PipelineRule& rule, TimePoint at) {
  return !state.last_notified || at - *state.last_notified >= rule.cooldown;
}

// Applies a verdict to the subject's state, appending the transition it causes, if any.
void Decide(const PipelineRule& rule, const std::string& subject, const Verdict& verdict,
            AlertState& state, TimePoint at, std::vector<PipelineTransition>& out) {
  if (!state.firing && verdict.holds && CooledDown(state, rule, at)) {
    state = {true, at, at};
    out.push_back({&rule, subject, Event::kFiring, at, verdict.summary, verdict.values, state});
  } else if (state.firing && verdict.resolved) {
    state.firing = false;
    state.since = at;
    out.push_back({&rule, subject, Event::kResolved, at, verdict.summary, verdict.values, state});
  }
}

std::optional<Verdict> Stale(const PipelineRule& rule, const PipelineObservation& o) {
  if (o.live_interval <= std::chrono::seconds(0) || !o.last_live_load) return std::nullopt;
  auto quiet = o.now - *o.last_live_load;
  auto limit = rule.count * o.live_interval;
  Verdict v;
  v.holds = quiet >= limit;
  v.resolved = !v.holds;
  v.summary = v.holds ? fmt::format("no live snapshot loaded for {} ({} intervals of {} s)",
                                    Minutes(quiet), rule.count, o.live_interval.count())
                      : fmt::format("a live snapshot was loaded {} ago", Minutes(quiet));
  v.values = {{"seconds_since_last_load", Seconds(quiet)},
              {"interval_seconds", static_cast<double>(o.live_interval.count())},
              {"intervals", rule.count}};
  return v;
}

std::optional<Verdict> FailedCycles(const PipelineRule& rule, const PipelineObservation& o) {
  Verdict v;
  v.holds = o.failed_cycles_in_row >= rule.count;
  v.resolved = o.failed_cycles_in_row == 0;
  v.summary = v.resolved ? "a cycle succeeded again"
                         : fmt::format("{} failed cycles in a row", o.failed_cycles_in_row);
  v.values = {{"failed_cycles_in_row", o.failed_cycles_in_row}, {"threshold", rule.count}};
  return v;
}

std::optional<Verdict> CreditsForecast(const PipelineObservation& o) {
  if (!o.credits || o.credits->plan_month <= 0) return std::nullopt;
  const PipelineObservation::Credits& c = *o.credits;
  auto elapsed = o.now - c.month_start;
  if (elapsed < kCreditsForecastMinElapsed || o.now >= c.reset_at) return std::nullopt;
  // The month-to-date rate, extrapolated: credits per second since the month began.
  const double rate = static_cast<double>(c.used_month) / Seconds(elapsed);
  const double left = static_cast<double>(c.plan_month - c.used_month);
  const double to_reset = Seconds(c.reset_at - o.now);
  const double needed = rate * to_reset;
  Verdict v;
  v.holds = left <= 0 || needed > left;
  v.resolved = !v.holds;
  if (left <= 0) {
    v.summary =
        fmt::format("the month's {} credits are spent ({} used)", c.plan_month, c.used_month);
  } else if (v.holds) {
    v.summary =
        fmt::format("at this month's rate the {} credits left run out {:.1f} days before the reset",
                    c.plan_month - c.used_month, (to_reset - left / rate) / 86400);
  } else {
    v.summary = fmt::format("at this month's rate the credits last until the reset");
  }
  v.values = {{"plan_month", static_cast<double>(c.plan_month)},
              {"used_month", static_cast<double>(c.used_month)},
              {"forecast_month_end", static_cast<double>(c.used_month) + needed}};
  return v;
}

std::optional<Verdict> Outage(const PipelineRule& rule, std::optional<TimePoint> failing_since,
                              std::string_view what, TimePoint now) {
  Verdict v;
  if (!failing_since) {
    v.resolved = true;
    v.summary = fmt::format("the {} works again", what);
    return v;
  }
  auto down = now - *failing_since;
  v.holds = down >= rule.duration;
  v.summary = fmt::format("the {} has been failing for {}", what, Minutes(down));
  v.values = {{"seconds_failing", Seconds(down)},
              {"threshold_seconds", static_cast<double>(rule.duration.count())}};
  return v;
}

// Fires while any day's newest audit has findings; resolves once every such day has a newer
// clean result (the days with findings are then none).
std::optional<Verdict> AuditDiscrepancy(const PipelineObservation& o) {
  if (!o.audit_findings) return std::nullopt;
  const std::vector<PipelineObservation::AuditDay>& days = *o.audit_findings;
  Verdict v;
  v.holds = !days.empty();
  v.resolved = days.empty();
  int64_t findings = 0;
  std::string named;
  constexpr size_t kDaysNamed = 5;  // a summary is one sentence, not the table
  for (size_t i = 0; i < days.size(); ++i) {
    findings += days[i].findings;
    if (i >= kDaysNamed) continue;
    std::string kinds;
    for (const std::string& kind : days[i].kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
    named += fmt::format("{}{} ({})", named.empty() ? "" : "; ", days[i].day, kinds);
  }
  if (days.size() > kDaysNamed) named += fmt::format("; and {} more", days.size() - kDaysNamed);
  v.summary = v.holds ? fmt::format("the audit found {} discrepancies on {} day(s): {}", findings,
                                    days.size(), named)
                      : "every audited day is clean again";
  v.values = {{"days_with_findings", static_cast<double>(days.size())},
              {"findings", static_cast<double>(findings)}};
  return v;
}

void EndpointStopped(const PipelineRule& rule, const AlertStates& states,
                     const PipelineObservation& o, std::vector<PipelineTransition>& out) {
  // The subjects: the rule's endpoint, or every endpoint stopped now or firing still.
  std::vector<std::string> subjects;
  if (!rule.endpoint.empty()) {
    subjects.push_back(rule.endpoint);
  } else {
    for (const auto& s : o.stopped) subjects.push_back(s.endpoint);
    for (auto it = states.lower_bound({rule.name, ""});
         it != states.end() && it->first.first == rule.name; ++it) {
      if (it->second.firing) subjects.push_back(it->first.second);
    }
    std::sort(subjects.begin(), subjects.end());
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
  }
  for (const std::string& endpoint : subjects) {
    auto stopped = std::find_if(o.stopped.begin(), o.stopped.end(),
                                [&](const auto& s) { return s.endpoint == endpoint; });
    Verdict v;
    v.holds = stopped != o.stopped.end();
    v.resolved =
        !v.holds && std::find(o.answered.begin(), o.answered.end(), endpoint) != o.answered.end();
    if (v.holds) {
      v.summary = fmt::format(
          "{} stopped {}: {}", endpoint,
          stopped->until ? "until " + FormatIso8601(*stopped->until) : std::string("until restart"),
          stopped->reason);
    } else {
      v.summary = fmt::format("{} is called again", endpoint);
    }
    AlertState state = StateOf(states, rule, endpoint);
    Decide(rule, endpoint, v, state, o.now, out);
  }
}

// The database rule: as Outage while it is down (nothing can be recorded then, but the verdict
// stays true), and on recovery the ended outage, if long enough, as a firing at since + duration
// and a resolved at its end.
void DatabaseOutage(const PipelineRule& rule, const AlertStates& states,
                    const PipelineObservation& o, std::vector<PipelineTransition>& out) {
  AlertState state = StateOf(states, rule, kPipelineSubject);
  if (const auto& ended = o.database_outage_ended; ended && !o.database_failing_since) {
    auto lasted = ended->until - ended->since;
    if (!state.firing && lasted >= rule.duration) {
      TimePoint fired_at = ended->since + rule.duration;
      // Not notified already: a `run` killed after recording it, before forgetting it (its
      // journal), finds the outage again at restart.
      const bool notified = state.last_notified && *state.last_notified >= fired_at;
      if (!notified && CooledDown(state, rule, fired_at)) {
        Values values = {{"seconds_failing", Seconds(lasted)},
                         {"threshold_seconds", static_cast<double>(rule.duration.count())}};
        Verdict firing{
            true, false,
            fmt::format("the database was unreachable from {} to {} ({}); notified "
                        "once it was back",
                        FormatIso8601(ended->since), FormatIso8601(ended->until), Minutes(lasted)),
            values};
        Decide(rule, kPipelineSubject, firing, state, fired_at, out);
        Verdict resolved = firing;
        resolved.holds = false;
        resolved.resolved = true;
        Decide(rule, kPipelineSubject, resolved, state, ended->until, out);
      }
      return;
    }
  }
  if (auto v = Outage(rule, o.database_failing_since, "database", o.now)) {
    // Fired while down (the journal), or as the database answers: stamped since + duration, not
    // when it was seen, so one outage has one idempotency key wherever it is recorded.
    TimePoint at = o.now;
    if (v->holds) at = *o.database_failing_since + rule.duration;
    Decide(rule, kPipelineSubject, *v, state, at, out);
  }
}

}  // namespace

std::vector<PipelineTransition> EvaluatePipelineRules(const std::vector<PipelineRule>& rules,
                                                      const AlertStates& states,
                                                      const PipelineObservation& o) {
  std::vector<PipelineTransition> out;
  for (const PipelineRule& rule : rules) {
    std::optional<Verdict> verdict;
    switch (rule.check) {
      case PipelineCheck::kEndpointStopped:
        EndpointStopped(rule, states, o, out);
        continue;
      case PipelineCheck::kDatabaseOutage:
        DatabaseOutage(rule, states, o, out);
        continue;
      case PipelineCheck::kStale:
        verdict = Stale(rule, o);
        break;
      case PipelineCheck::kFailedCycles:
        verdict = FailedCycles(rule, o);
        break;
      case PipelineCheck::kCreditsForecast:
        verdict = CreditsForecast(o);
        break;
      case PipelineCheck::kLakeOutage:
        verdict = Outage(rule, o.lake_failing_since, "lake", o.now);
        break;
      case PipelineCheck::kAuditDiscrepancy:
        verdict = AuditDiscrepancy(o);
        break;
    }
    if (!verdict) continue;
    AlertState state = StateOf(states, rule, kPipelineSubject);
    Decide(rule, kPipelineSubject, *verdict, state, o.now, out);
  }
  return out;
}

}  // namespace coinlake::alerts
