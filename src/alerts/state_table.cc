#include "alerts/state_table.h"

#include "common/time_util.h"

namespace coinlake::alerts {

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"' + item + '"';
  }
  return out + "}";
}

StatusOr<AlertStates> ReadAlertStates(warehouse::Connection& db,
                                      const std::vector<std::string>& rules) {
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query("SELECT rule, subject, firing, since, last_notified_at "
                            "FROM alert_state WHERE rule = ANY($1::text[])",
                            {TextArray(rules)}));
  AlertStates states;
  for (size_t r = 0; r < rows.size(); ++r) {
    AlertState& state = states[{rows.text(r, 0), rows.text(r, 1)}];
    state.firing = rows.text(r, 2) == "t";
    state.since = rows.time(r, 3).value_or(TimePoint{});
    state.last_notified = rows.time(r, 4);
  }
  return states;
}

Status WriteAlertState(warehouse::Connection& db, const std::string& rule,
                       const std::string& subject, const AlertState& state) {
  return db.Execute(
      "INSERT INTO alert_state (rule, subject, firing, since, last_notified_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rule, subject) DO UPDATE SET "
      "firing = excluded.firing, since = excluded.since, "
      "last_notified_at = excluded.last_notified_at",
      {rule, subject, state.firing ? "true" : "false", FormatIso8601(state.since),
       state.last_notified ? warehouse::Param(FormatIso8601(*state.last_notified))
                           : warehouse::Param()});
}

std::vector<std::string> ChannelsOf(const std::vector<std::string>& named,
                                    const AlertConfig& config) {
  if (!named.empty()) return named;
  std::vector<std::string> every;
  for (const ChannelConfig& channel : config.channels) every.push_back(channel.name);
  return every;
}

StatusOr<int> InsertNotification(warehouse::Connection& db, const std::string& rule,
                                 const std::string& subject, Event event,
                                 const std::string& channel, const std::string& payload,
                                 const std::string& idempotency_key) {
  ASSIGN_OR_RETURN(
      warehouse::Rows inserted,
      db.Query("INSERT INTO alert_outbox (rule, subject, event, channel, payload, "
               "idempotency_key) VALUES ($1, $2, $3, $4, $5::jsonb, $6) "
               "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
               {rule, subject, std::string(EventName(event)), channel, payload, idempotency_key}));
  return static_cast<int>(inserted.size());
}

}  // namespace coinlake::alerts
