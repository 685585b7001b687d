#include "alerts/pipeline_outbox.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "alerts/state_table.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

int64_t EpochSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string PipelineIdempotencyKey(const PipelineTransition& t, const std::string& channel) {
  return fmt::format("{}/{}/{}/{}/{}", t.rule->name, t.subject, EventName(t.event),
                     EpochSeconds(t.at), channel);
}

std::string PipelineNotificationBody(const PipelineTransition& t, const std::string& channel,
                                     const std::string& idempotency_key) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, value] : t.values) values[name] = value;
  nlohmann::json subject = t.subject == kPipelineSubject ? nlohmann::json{{"pipeline", true}}
                                                         : nlohmann::json{{"endpoint", t.subject}};
  nlohmann::json body = {
      {"idempotency_key", idempotency_key},
      {"rule", t.rule->name},
      {"kind", "pipeline"},
      {"check", PipelineCheckName(t.rule->check)},
      {"event", EventName(t.event)},
      {"time", FormatIso8601(t.at)},
      {"subject", subject},
      {"summary", t.summary},
      {"condition", t.rule->text},
      {"values", values},
      {"channel", channel},
  };
  return body.dump();
}

StatusOr<PipelineRecorded> RecordPipelineAlerts(warehouse::Connection& db,
                                                const AlertConfig& config,
                                                const PipelineObservation& observation) {
  PipelineRecorded recorded;
  if (config.pipeline_rules.empty() || config.channels.empty()) return recorded;
  // The market rules' lock: one evaluator of alert_state at a time (a `fetch` beside `run`).
  ASSIGN_OR_RETURN(warehouse::Transaction transaction,
                   warehouse::Transaction::Begin(
                       db, "SELECT pg_advisory_xact_lock(hashtext('coinlake_alerts'))"));
  std::vector<std::string> names;
  for (const PipelineRule& rule : config.pipeline_rules) names.push_back(rule.name);
  ASSIGN_OR_RETURN(AlertStates states, ReadAlertStates(db, names));
  std::vector<PipelineTransition> transitions =
      EvaluatePipelineRules(config.pipeline_rules, states, observation);
  if (transitions.empty()) return recorded;  // the transaction rolls back: it wrote nothing
  for (const PipelineTransition& t : transitions) {
    ++recorded.transitions;
    RETURN_IF_ERROR(WriteAlertState(db, t.rule->name, t.subject, t.next));
    for (const std::string& channel : ChannelsOf(t.rule->channels, config)) {
      std::string key = PipelineIdempotencyKey(t, channel);
      ASSIGN_OR_RETURN(int inserted,
                       InsertNotification(db, t.rule->name, t.subject, t.event, channel,
                                          PipelineNotificationBody(t, channel, key), key));
      recorded.notifications += inserted;
    }
  }
  RETURN_IF_ERROR(transaction.Commit());
  for (const PipelineTransition& t : transitions) {
    log::Info("alert " + std::string(EventName(t.event)),
              {{"rule", t.rule->name}, {"subject", t.subject}, {"summary", t.summary}});
  }
  return recorded;
}

}  // namespace coinlake::alerts
