#include "alerts/pipeline_outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "alerts/state_table.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

int64_t EpochSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A notification the journal holds: its payload as sent, and delivered if the journal
// delivered it (attempts and last error carried over). A key recorded already is left as it is.
StatusOr<int> InsertJournaled(warehouse::Connection& db, const PipelineTransition& t,
                              const std::string& channel, const JournalDelivery& journal) {
  ASSIGN_OR_RETURN(
      warehouse::Rows inserted,
      db.Query("INSERT INTO alert_outbox (rule, subject, event, channel, payload, "
               "idempotency_key, attempts, delivered_at, last_error) "
               "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) "
               "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
               {t.rule->name, t.subject, std::string(EventName(t.event)), channel, journal.payload,
                journal.idempotency_key, std::to_string(journal.attempts),
                journal.delivered_at ? warehouse::Param(FormatIso8601(*journal.delivered_at))
                                     : warehouse::Param(),
                journal.last_error.empty() ? warehouse::Param()
                                           : warehouse::Param(journal.last_error)}));
  return static_cast<int>(inserted.size());
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
                                                const PipelineObservation& observation,
                                                const std::vector<JournalDelivery>& journaled) {
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
  if (transitions.empty()) {
    recorded.states = std::move(states);
    return recorded;  // the transaction rolls back: it wrote nothing
  }
  for (const PipelineTransition& t : transitions) {
    ++recorded.transitions;
    RETURN_IF_ERROR(WriteAlertState(db, t.rule->name, t.subject, t.next));
    states[{t.rule->name, t.subject}] = t.next;
    for (const std::string& channel : ChannelsOf(t.rule->channels, config)) {
      std::string key = PipelineIdempotencyKey(t, channel);
      auto journal =
          std::find_if(journaled.begin(), journaled.end(),
                       [&](const JournalDelivery& d) { return d.idempotency_key == key; });
      if (journal == journaled.end()) {
        ASSIGN_OR_RETURN(int inserted,
                         InsertNotification(db, t.rule->name, t.subject, t.event, channel,
                                            PipelineNotificationBody(t, channel, key), key));
        recorded.notifications += inserted;
        continue;
      }
      ASSIGN_OR_RETURN(int inserted, InsertJournaled(db, t, channel, *journal));
      recorded.notifications += inserted;
      if (journal->delivered_at) recorded.journaled += inserted;
    }
  }
  RETURN_IF_ERROR(transaction.Commit());
  recorded.states = std::move(states);
  for (const PipelineTransition& t : transitions) {
    log::Info("alert " + std::string(EventName(t.event)),
              {{"rule", t.rule->name}, {"subject", t.subject}, {"summary", t.summary}});
  }
  return recorded;
}

}  // namespace coinlake::alerts
