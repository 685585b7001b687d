// Pipeline rules over observations of `run`, without a database: when each check fires and
// resolves, cooldowns, subjects per endpoint, and the database outage notified on recovery.
#include "alerts/pipeline_evaluate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);

PipelineRule Rule(const std::string& text, const std::string& name = "r") {
  auto rule = ParsePipelineRule(name, text);
  EXPECT_OK(rule);
  return *rule;
}

// Evaluates and folds the transitions into `states`, as the database would keep them.
std::vector<PipelineTransition> Step(const std::vector<PipelineRule>& rules, AlertStates& states,
                                     const PipelineObservation& o) {
  std::vector<PipelineTransition> out = EvaluatePipelineRules(rules, states, o);
  for (const PipelineTransition& t : out) states[{t.rule->name, t.subject}] = t.next;
  return out;
}

std::string Events(const std::vector<PipelineTransition>& out) {
  std::string text;
  for (const PipelineTransition& t : out) {
    if (!text.empty()) text += ",";
    text += t.rule->name + "/" + t.subject + "/" + std::string(EventName(t.event));
  }
  return text;
}

PipelineObservation At(TimePoint now) {
  PipelineObservation o;
  o.now = now;
  o.live_interval = seconds(300);
  o.last_live_load = kT0;
  return o;
}

TEST(PipelineEvaluateTest, StaleFiresAfterNIntervalsWithoutALoadAndResolvesOnTheNextLoad) {
  std::vector<PipelineRule> rules = {Rule("pipeline stale 3")};
  AlertStates states;
  EXPECT_EQ(Events(Step(rules, states, At(kT0 + minutes(14)))), "") << "under 3 x 5 min";
  auto fired = Step(rules, states, At(kT0 + minutes(15)));
  EXPECT_EQ(Events(fired), "r/pipeline/firing");
  EXPECT_EQ(fired[0].at, kT0 + minutes(15));
  EXPECT_EQ(fired[0].values[0].first, "seconds_since_last_load");
  EXPECT_DOUBLE_EQ(fired[0].values[0].second, 900);
  EXPECT_EQ(Events(Step(rules, states, At(kT0 + minutes(40)))), "") << "still firing: once";

  PipelineObservation loaded = At(kT0 + minutes(41));
  loaded.last_live_load = kT0 + minutes(41);
  EXPECT_EQ(Events(Step(rules, states, loaded)), "r/pipeline/resolved");
  EXPECT_EQ(Events(Step(rules, states, loaded)), "");
}

TEST(PipelineEvaluateTest, StaleSaysNothingWithoutALiveSchedule) {
  std::vector<PipelineRule> rules = {Rule("pipeline stale 1")};
  AlertStates states;
  PipelineObservation o = At(kT0 + hours(10));
  o.live_interval = seconds(0);
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o = At(kT0 + hours(10));
  o.last_live_load.reset();
  EXPECT_EQ(Events(Step(rules, states, o)), "");
}

TEST(PipelineEvaluateTest, CooldownKeepsASecondFiringBackUntilItIsOver) {
  std::vector<PipelineRule> rules = {Rule("pipeline stale 1 cooldown=1h")};
  AlertStates states;
  EXPECT_EQ(Events(Step(rules, states, At(kT0 + minutes(5)))), "r/pipeline/firing");
  PipelineObservation loaded = At(kT0 + minutes(6));
  loaded.last_live_load = kT0 + minutes(6);
  EXPECT_EQ(Events(Step(rules, states, loaded)), "r/pipeline/resolved")
      << "resolving is never held";
  PipelineObservation again = At(kT0 + minutes(30));
  again.last_live_load = kT0 + minutes(6);
  EXPECT_EQ(Events(Step(rules, states, again)), "") << "holds, but cooling down";
  again.now = kT0 + minutes(65);
  EXPECT_EQ(Events(Step(rules, states, again)), "r/pipeline/firing") << "an hour after the first";
}

TEST(PipelineEvaluateTest, FailedCyclesFiresAtNInARowAndResolvesOnlyOnASuccess) {
  std::vector<PipelineRule> rules = {Rule("pipeline failed-cycles 3")};
  AlertStates states;
  PipelineObservation o = At(kT0);
  o.failed_cycles_in_row = 2;
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.failed_cycles_in_row = 3;
  EXPECT_EQ(Events(Step(rules, states, o)), "r/pipeline/firing");
  o.failed_cycles_in_row = 4;
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.failed_cycles_in_row = 0;
  o.now += minutes(20);
  EXPECT_EQ(Events(Step(rules, states, o)), "r/pipeline/resolved");
}

TEST(PipelineEvaluateTest, EndpointStoppedHasASubjectPerEndpoint) {
  std::vector<PipelineRule> rules = {Rule("pipeline endpoint-stopped cooldown=0")};
  AlertStates states;
  PipelineObservation o = At(kT0);
  o.stopped = {{"quotes_latest", "1006: plan does not include it", std::nullopt},
               {"map", "1008: rate limit", kT0 + minutes(1)}};
  auto fired = Step(rules, states, o);
  EXPECT_EQ(Events(fired), "r/map/firing,r/quotes_latest/firing");
  EXPECT_NE(fired[1].summary.find("until restart: 1006"), std::string::npos) << fired[1].summary;
  EXPECT_EQ(Events(Step(rules, states, o)), "");

  o.now += minutes(2);
  o.stopped = {{"quotes_latest", "1006: plan does not include it", std::nullopt}};
  EXPECT_EQ(Events(Step(rules, states, o)), "")
      << "map's stop is over but it was not called yet: no proof it works";
  o.answered = {"map"};
  EXPECT_EQ(Events(Step(rules, states, o)), "r/map/resolved") << "answered, not stopped";
  o.stopped.clear();
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "a restart forgot the stop: not a recovery";
  o.answered = {"map", "quotes_latest"};
  EXPECT_EQ(Events(Step(rules, states, o)), "r/quotes_latest/resolved");
  EXPECT_EQ(Events(Step(rules, states, o)), "");
}

TEST(PipelineEvaluateTest, EndpointStoppedOnOneEndpointIgnoresTheOthers) {
  std::vector<PipelineRule> rules = {Rule("pipeline endpoint-stopped listings_latest")};
  AlertStates states;
  PipelineObservation o = At(kT0);
  o.stopped = {{"map", "1008", std::nullopt}};
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.stopped.push_back({"listings_latest", "1002: bad key", std::nullopt});
  EXPECT_EQ(Events(Step(rules, states, o)), "r/listings_latest/firing");
}

PipelineObservation WithCredits(TimePoint now, int64_t plan, int64_t used) {
  PipelineObservation o = At(now);
  TimePoint month_start = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);
  TimePoint reset = std::chrono::sys_days(std::chrono::year(2027) / 1 / 1);
  o.credits = PipelineObservation::Credits{plan, used, month_start, reset};
  return o;
}

TEST(PipelineEvaluateTest, CreditsForecastExtrapolatesTheMonthsRate) {
  std::vector<PipelineRule> rules = {Rule("pipeline credits-forecast cooldown=0")};
  AlertStates states;
  const TimePoint day10 = std::chrono::sys_days(std::chrono::year(2026) / 12 / 11);
  // 10 days of 31 gone: 4,000 used -> 12,400 by the reset, inside 15,000.
  EXPECT_EQ(Events(Step(rules, states, WithCredits(day10, 15'000, 4'000))), "");
  // 6,000 used -> 18,600 by the reset: runs out about 6 days early.
  auto fired = Step(rules, states, WithCredits(day10, 15'000, 6'000));
  EXPECT_EQ(Events(fired), "r/pipeline/firing");
  EXPECT_NE(fired[0].summary.find("6.0 days before the reset"), std::string::npos)
      << fired[0].summary;
  // The plan was upgraded: 100,000 a month.
  EXPECT_EQ(Events(Step(rules, states, WithCredits(day10, 100'000, 6'000))), "r/pipeline/resolved");
  // Spent already.
  EXPECT_EQ(Events(Step(rules, states, WithCredits(day10, 5'000, 5'000))), "r/pipeline/firing");
}

TEST(PipelineEvaluateTest, CreditsForecastWaitsForTheMonthToRunAndForThePlan) {
  std::vector<PipelineRule> rules = {Rule("pipeline credits-forecast")};
  AlertStates states;
  const TimePoint early = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + hours(2);
  EXPECT_EQ(Events(Step(rules, states, WithCredits(early, 15'000, 100))), "")
      << "two hours into the month say nothing of its pace";
  EXPECT_EQ(Events(Step(rules, states, At(kT0 + hours(48)))), "") << "no plan read yet";
  EXPECT_EQ(Events(Step(rules, states, WithCredits(kT0, 0, 10))), "") << "no plan figure";
}

TEST(PipelineEvaluateTest, LakeOutageFiresAfterItsDurationAndResolvesWhenTheLakeWorks) {
  std::vector<PipelineRule> rules = {Rule("pipeline lake-outage 15m")};
  AlertStates states;
  PipelineObservation o = At(kT0 + minutes(14));
  o.lake_failing_since = kT0;
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.now = kT0 + minutes(15);
  EXPECT_EQ(Events(Step(rules, states, o)), "r/pipeline/firing");
  o.now = kT0 + minutes(30);
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.lake_failing_since.reset();
  EXPECT_EQ(Events(Step(rules, states, o)), "r/pipeline/resolved");
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "resolved once";
}

TEST(PipelineEvaluateTest, ADatabaseOutageIsNotifiedOnRecoveryAsFiringThenResolved) {
  std::vector<PipelineRule> rules = {Rule("pipeline database-outage 15m", "db")};
  AlertStates states;
  PipelineObservation o = At(kT0 + hours(1));
  o.database_outage_ended = PipelineObservation::Outage{kT0, kT0 + minutes(40)};
  auto out = Step(rules, states, o);
  ASSERT_EQ(Events(out), "db/pipeline/firing,db/pipeline/resolved");
  EXPECT_EQ(out[0].at, kT0 + minutes(15)) << "when it would have fired";
  EXPECT_EQ(out[1].at, kT0 + minutes(40)) << "when the database came back";
  const AlertState& stored = states[std::pair<std::string, std::string>("db", "pipeline")];
  EXPECT_FALSE(stored.firing);
  EXPECT_EQ(stored.last_notified, kT0 + minutes(15));
  EXPECT_EQ(Events(Step(rules, states, o)), "")
      << "the same outage again: cooling down (the caller also forgets it once recorded)";
}

TEST(PipelineEvaluateTest, AShortDatabaseOutageIsNotNotified) {
  std::vector<PipelineRule> rules = {Rule("pipeline database-outage 15m", "db")};
  AlertStates states;
  PipelineObservation o = At(kT0 + hours(1));
  o.database_outage_ended = PipelineObservation::Outage{kT0, kT0 + minutes(14)};
  EXPECT_EQ(Events(Step(rules, states, o)), "");
}

TEST(PipelineEvaluateTest, ADatabaseOutageSeenWhileFailingFiresAndResolvesAsAnOutage) {
  std::vector<PipelineRule> rules = {Rule("pipeline database-outage 15m", "db")};
  AlertStates states;
  PipelineObservation o = At(kT0 + minutes(20));
  o.database_failing_since = kT0;
  EXPECT_EQ(Events(Step(rules, states, o)), "db/pipeline/firing");
  o.database_failing_since.reset();
  o.database_outage_ended = PipelineObservation::Outage{kT0, kT0 + minutes(25)};
  o.now = kT0 + minutes(25);
  EXPECT_EQ(Events(Step(rules, states, o)), "db/pipeline/resolved") << "not a second firing";
}

// While down (what the journal sends) and on recovery, one outage has one firing time, hence
// one idempotency key: since + the rule's duration, whenever it is seen.
TEST(PipelineEvaluateTest, ADatabaseOutageFiresAtItsStartPlusTheDurationWhenEverItIsSeen) {
  std::vector<PipelineRule> rules = {Rule("pipeline database-outage 15m", "db")};
  AlertStates states;
  PipelineObservation o = At(kT0 + minutes(14));
  o.database_failing_since = kT0;
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "not 15 minutes yet";
  o.now = kT0 + minutes(21);
  AlertStates before = states;
  auto fired = Step(rules, states, o);
  ASSERT_EQ(Events(fired), "db/pipeline/firing");
  EXPECT_EQ(fired[0].at, kT0 + minutes(15));
  o.now = kT0 + minutes(33);
  auto later = EvaluatePipelineRules(rules, before, o);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].at, kT0 + minutes(15)) << "seen later, same time";
}

// A `run` killed after recording an ended outage and before forgetting it (its journal) finds
// the same outage again at restart: already notified, even without a cooldown.
TEST(PipelineEvaluateTest, AnEndedOutageAlreadyNotifiedIsNotNotifiedAgain) {
  std::vector<PipelineRule> rules = {Rule("pipeline database-outage 15m cooldown=0", "db")};
  AlertStates states;
  PipelineObservation o = At(kT0 + hours(1));
  o.database_outage_ended = PipelineObservation::Outage{kT0, kT0 + minutes(40)};
  EXPECT_EQ(Events(Step(rules, states, o)), "db/pipeline/firing,db/pipeline/resolved");
  o.database_outage_ended = PipelineObservation::Outage{kT0, kT0 + minutes(50)};
  EXPECT_EQ(Events(Step(rules, states, o)), "");
}

// audit-discrepancy: fires while a day's newest stored audit has findings, says nothing while the
// results are not read, resolves once no day has any, and a second firing waits for the cooldown.
TEST(PipelineEvaluateTest, AuditDiscrepancyFiresOnFindingsAndResolvesOnCleanResults) {
  std::vector<PipelineRule> rules = {Rule("pipeline audit-discrepancy cooldown=1d")};
  AlertStates states;
  PipelineObservation o = At(kT0);
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "not read: nothing to say";
  o.audit_findings.emplace();
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "every day clean, nothing firing";
  o.audit_findings = {{"2026-12-04", 3, {"gap", "not_loaded"}}, {"2026-12-05", 1, {"rows_differ"}}};
  auto fired = Step(rules, states, o);
  ASSERT_EQ(Events(fired), "r/pipeline/firing");
  EXPECT_EQ(fired[0].summary,
            "the audit found 4 discrepancies on 2 day(s): 2026-12-04 (gap, not_loaded); "
            "2026-12-05 (rows_differ)");
  ASSERT_EQ(fired[0].values.size(), 2u);
  EXPECT_EQ(fired[0].values[0].first, "days_with_findings");
  EXPECT_DOUBLE_EQ(fired[0].values[0].second, 2);
  EXPECT_EQ(fired[0].values[1].first, "findings");
  EXPECT_DOUBLE_EQ(fired[0].values[1].second, 4);
  o.now += hours(1);
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "still firing: once";
  // One day repaired: the other still has findings.
  o.audit_findings = {{"2026-12-04", 3, {"gap", "not_loaded"}}};
  EXPECT_EQ(Events(Step(rules, states, o)), "");
  o.now += hours(1);
  o.audit_findings.emplace();
  auto resolved = Step(rules, states, o);
  ASSERT_EQ(Events(resolved), "r/pipeline/resolved");
  EXPECT_EQ(resolved[0].summary, "every audited day is clean again");
  o.now += hours(1);
  o.audit_findings = {{"2026-12-06", 1, {"gap"}}};
  EXPECT_EQ(Events(Step(rules, states, o)), "") << "a day's cooldown since the first firing";
  o.now = kT0 + hours(24);
  EXPECT_EQ(Events(Step(rules, states, o)), "r/pipeline/firing");
}

// Many days: the summary names the first five, and counts the rest.
TEST(PipelineEvaluateTest, AuditDiscrepancyNamesAtMostFiveDays) {
  std::vector<PipelineRule> rules = {Rule("pipeline audit-discrepancy")};
  AlertStates states;
  PipelineObservation o = At(kT0);
  o.audit_findings.emplace();
  for (int d = 1; d <= 7; ++d)
    o.audit_findings->push_back({fmt::format("2026-11-0{}", d), 1, {"gap"}});
  auto fired = Step(rules, states, o);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_NE(fired[0].summary.find("2026-11-05 (gap); and 2 more"), std::string::npos)
      << fired[0].summary;
  EXPECT_EQ(fired[0].summary.find("2026-11-06"), std::string::npos) << fired[0].summary;
}

TEST(PipelineEvaluateTest, RulesAreIndependentAndKeptInRuleOrder) {
  std::vector<PipelineRule> rules = {Rule("pipeline failed-cycles 1", "a"),
                                     Rule("pipeline stale 2", "b"),
                                     Rule("pipeline lake-outage 1m", "c")};
  AlertStates states;
  PipelineObservation o = At(kT0 + minutes(10));
  o.failed_cycles_in_row = 1;
  o.lake_failing_since = kT0;
  EXPECT_EQ(Events(Step(rules, states, o)),
            "a/pipeline/firing,b/pipeline/firing,c/pipeline/firing");
  // The state of one rule is not another's: a state row of "b" says nothing of "a".
  AlertStates only_b = {{{"b", "pipeline"}, AlertState{true, kT0, kT0}}};
  EXPECT_EQ(Events(EvaluatePipelineRules(rules, only_b, o)), "a/pipeline/firing,c/pipeline/firing");
}

TEST(PipelineEvaluateTest, TheSameObservationOnTheSameStateGivesTheSameAnswer) {
  std::vector<PipelineRule> rules = {Rule("pipeline stale 3")};
  AlertStates states;
  PipelineObservation o = At(kT0 + hours(1));
  auto first = EvaluatePipelineRules(rules, states, o);
  auto second = EvaluatePipelineRules(rules, states, o);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].at, second[0].at);
  EXPECT_EQ(first[0].summary, second[0].summary);
}

}  // namespace
}  // namespace coinlake::alerts
