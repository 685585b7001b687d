#include "alerts/outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "alerts/dominance_rules.h"
#include "alerts/state_table.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

std::string Epoch(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// The names of the rules of `config` that a snapshot read by `dominance` (or not) evaluates.
std::vector<std::string> RuleNames(const AlertConfig& config, bool dominance) {
  std::vector<std::string> names;
  for (const MarketRule& rule : config.rules) {
    if (IsDominance(rule.metric) == dominance) names.push_back(rule.name);
  }
  return names;
}

// What every live snapshot's rules share, in the caller's load transaction: the advisory lock,
// the staleness check, the states of `rules`, then `evaluate(states)`'s transitions recorded
// (alert_state, and one outbox row per channel).
template <typename Evaluate>
StatusOr<Recorded> Record(warehouse::Connection& db, const AlertConfig& config,
                          const warehouse::LakeObjectRef& object,
                          const std::vector<std::string>& live_endpoints,
                          const std::vector<std::string>& rules, Evaluate evaluate) {
  Recorded recorded;
  if (rules.empty()) return recorded;
  // One evaluator at a time (a `fetch` beside `run`): each reads the state the other committed.
  // The staleness check runs after the lock, so it sees a newer snapshot committed meanwhile.
  RETURN_IF_ERROR(db.Execute("SELECT pg_advisory_xact_lock(hashtext('coinlake_alerts'))"));
  ASSIGN_OR_RETURN(warehouse::Rows newer,
                   db.Query("SELECT EXISTS (SELECT 1 FROM lake_objects WHERE endpoint = "
                            "ANY($1::text[]) AND data_ts > $2)",
                            {TextArray(live_endpoints), FormatIso8601(object.data_ts)}));
  if (newer.text(0, 0) == "t") {
    recorded.stale = true;
    log::Warn("snapshot older than one loaded already: alert rules not evaluated on it",
              {{"key", object.key}});
    return recorded;
  }

  ASSIGN_OR_RETURN(AlertStates states, ReadAlertStates(db, rules));
  std::vector<Transition> transitions = evaluate(states);
  for (const Transition& t : transitions) {
    if (t.notify) ++recorded.transitions;
    RETURN_IF_ERROR(WriteAlertState(db, t.rule->name, t.subject, t.next));
    if (!t.notify) continue;  // a top rule's baseline: state only
    for (const std::string& channel : ChannelsOf(t.rule->channels, config)) {
      std::string key = IdempotencyKey(t, channel);
      ASSIGN_OR_RETURN(int inserted,
                       InsertNotification(db, t.rule->name, t.subject, t.event, channel,
                                          NotificationBody(t, channel, key, object.key), key));
      recorded.notifications += inserted;
    }
    // Before the commit: a load that then fails logs a transition it did not keep.
    log::Info("alert " + std::string(EventName(t.event)), {{"rule", t.rule->name},
                                                           {"subject", t.subject},
                                                           {"symbol", t.symbol},
                                                           {"value", t.value},
                                                           {"snapshot", object.key}});
  }
  return recorded;
}

}  // namespace

std::string IdempotencyKey(const Transition& t, const std::string& channel) {
  return fmt::format("{}/{}/{}/{}/{}", t.rule->name, t.subject, EventName(t.event), Epoch(t.at),
                     channel);
}

std::string NotificationBody(const Transition& t, const std::string& channel,
                             const std::string& idempotency_key, const std::string& lake_key) {
  const MarketRule& rule = *t.rule;
  nlohmann::json body = {
      {"idempotency_key", idempotency_key},
      {"rule", rule.name},
      {"event", EventName(t.event)},
      {"time", FormatIso8601(t.at)},
      {"subject", {{"cmc_id", t.cmc_id}, {"symbol", t.symbol}, {"name", t.name}}},
      {"condition", rule.text},
      {"values",
       {{"metric", MetricName(rule.metric)},
        {"value", t.value},
        {"direction", rule.direction == Direction::kAbove ? "above" : "below"},
        {"level", rule.level},
        {"hysteresis", rule.hysteresis},
        {"currency", rule.currency}}},
      {"snapshot", lake_key},
      {"channel", channel},
  };
  if (rule.metric == Metric::kRank) {
    // A top rule: level N, value the rank (0: missing from a snapshot ranking past N +
    // hysteresis), and the move the coin made.
    const bool entered = (t.event == Event::kFiring) == (rule.move == TopMove::kEnter);
    body["values"]["move"] = entered ? "enter" : "leave";
    body["values"].erase("direction");
    body["values"].erase("currency");
  }
  // A dominance rule: a share of the whole market in percent, which has no currency.
  if (IsDominance(rule.metric)) body["values"].erase("currency");
  return body.dump();
}

StatusOr<Recorded> RecordMarketAlerts(warehouse::Connection& db, const AlertConfig& config,
                                      const warehouse::LakeObjectRef& object,
                                      const cmc::QuotesPayload& payload,
                                      const std::vector<std::string>& live_endpoints) {
  // Only listings rank the market (top N rules); "listings_latest" is lake::kListingsLatest.
  const SnapshotKind kind =
      object.endpoint == "listings_latest" ? SnapshotKind::kListings : SnapshotKind::kQuotes;
  return Record(db, config, object, live_endpoints, RuleNames(config, false),
                [&](const AlertStates& states) {
                  return EvaluateMarketRules(config.rules, states, payload, kind);
                });
}

StatusOr<Recorded> RecordDominanceAlerts(warehouse::Connection& db, const AlertConfig& config,
                                         const warehouse::LakeObjectRef& object,
                                         const cmc::GlobalMetricsPayload& payload,
                                         const std::vector<std::string>& live_endpoints) {
  return Record(db, config, object, live_endpoints, RuleNames(config, true),
                [&](const AlertStates& states) {
                  return EvaluateDominanceRules(config.rules, states, payload);
                });
}

warehouse::Loader::InTransaction MarketAlertsHook(std::shared_ptr<const AlertConfig> config,
                                                  std::vector<std::string> live_endpoints) {
  if (!config || RuleNames(*config, false).empty()) return nullptr;
  return [config = std::move(config), live = std::move(live_endpoints)](
             warehouse::Connection& db, const warehouse::LakeObjectRef& object,
             const cmc::QuotesPayload& payload) -> Status {
    if (std::find(live.begin(), live.end(), object.endpoint) == live.end()) return Status::Ok();
    return RecordMarketAlerts(db, *config, object, payload, live).status();
  };
}

warehouse::Loader::GlobalMetricsInTransaction DominanceAlertsHook(
    std::shared_ptr<const AlertConfig> config, std::string live_endpoint) {
  if (!config || RuleNames(*config, true).empty()) return nullptr;
  return [config = std::move(config), live = std::move(live_endpoint)](
             warehouse::Connection& db, const warehouse::LakeObjectRef& object,
             const cmc::GlobalMetricsPayload& payload) -> Status {
    if (object.endpoint != live) return Status::Ok();
    return RecordDominanceAlerts(db, *config, object, payload, {live}).status();
  };
}

}  // namespace coinlake::alerts
