// alert_state and alert_outbox as every kind of rule writes them (migration 0016): the market
// rules in a snapshot's load transaction (outbox.h), the pipeline rules in one of their own
// (pipeline_outbox.h). The caller holds the transaction and the alerts' advisory lock.
#pragma once

#include <string>
#include <vector>

#include "alerts/evaluate.h"
#include "alerts/rules.h"
#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::alerts {

// A text[] literal of names made of [A-Za-z0-9_.-] (rules.h checks them), passed as a
// parameter: the quotes keep PostgreSQL from reading a name as NULL.
std::string TextArray(const std::vector<std::string>& items);

// The alert_state rows of `rules`.
StatusOr<AlertStates> ReadAlertStates(warehouse::Connection& db,
                                      const std::vector<std::string>& rules);

// Inserts or replaces the (rule, subject) row.
Status WriteAlertState(warehouse::Connection& db, const std::string& rule,
                       const std::string& subject, const AlertState& state);

// Where a rule's notifications go: the channels it names, else every configured channel.
std::vector<std::string> ChannelsOf(const std::vector<std::string>& named,
                                    const AlertConfig& config);

// One alert_outbox row; a key recorded already is left as it is. Returns the rows inserted
// (0 or 1).
StatusOr<int> InsertNotification(warehouse::Connection& db, const std::string& rule,
                                 const std::string& subject, Event event,
                                 const std::string& channel, const std::string& payload,
                                 const std::string& idempotency_key);

}  // namespace coinlake::alerts
