#include "alerts/pipeline_outbox.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace coinlake::alerts {
namespace {

// A text[] literal of rule names ([A-Za-z0-9_.-], checked by the grammar), as outbox.cc's.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"' + item + '"';
  }
  return out + "}";
}

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
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query("SELECT rule, subject, firing, since, last_notified_at "
                            "FROM alert_state WHERE rule = ANY($1::text[])",
                            {TextArray(names)}));
  AlertStates states;
  for (size_t r = 0; r < rows.size(); ++r) {
    AlertState& state = states[{rows.text(r, 0), rows.text(r, 1)}];
    state.firing = rows.text(r, 2) == "t";
    state.since = rows.time(r, 3).value_or(TimePoint{});
    state.last_notified = rows.time(r, 4);
  }
  std::vector<PipelineTransition> transitions =
      EvaluatePipelineRules(config.pipeline_rules, states, observation);
  if (transitions.empty()) return recorded;  // the transaction rolls back: it wrote nothing
  for (const PipelineTransition& t : transitions) {
    ++recorded.transitions;
    RETURN_IF_ERROR(db.Execute(
        "INSERT INTO alert_state (rule, subject, firing, since, last_notified_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rule, subject) DO UPDATE SET "
        "firing = excluded.firing, since = excluded.since, "
        "last_notified_at = excluded.last_notified_at",
        {t.rule->name, t.subject, t.next.firing ? "true" : "false", FormatIso8601(t.next.since),
         t.next.last_notified ? warehouse::Param(FormatIso8601(*t.next.last_notified))
                              : warehouse::Param()}));
    std::vector<std::string> channels = t.rule->channels;
    if (channels.empty()) {
      for (const ChannelConfig& channel : config.channels) channels.push_back(channel.name);
    }
    for (const std::string& channel : channels) {
      std::string key = PipelineIdempotencyKey(t, channel);
      ASSIGN_OR_RETURN(warehouse::Rows inserted,
                       db.Query("INSERT INTO alert_outbox (rule, subject, event, channel, payload, "
                                "idempotency_key) VALUES ($1, $2, $3, $4, $5::jsonb, $6) "
                                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                                {t.rule->name, t.subject, std::string(EventName(t.event)), channel,
                                 PipelineNotificationBody(t, channel, key), key}));
      recorded.notifications += static_cast<int>(inserted.size());
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
