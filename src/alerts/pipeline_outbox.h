// The outbox's writing side for pipeline rules: `run` asks them after each cycle and on a timer
// between cycles, and what they decide is recorded in one transaction of its own (alert_state
// and one alert_outbox row per transition and channel), so a transition is recorded once or not
// at all, and the sender delivers it like a market rule's (docs/alerts.md, "Pipeline rules").
#pragma once

#include <string>
#include <vector>

#include "alerts/outage_journal.h"
#include "alerts/pipeline_evaluate.h"
#include "alerts/rules.h"
#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::alerts {

// What RecordPipelineAlerts did, for logs and tests.
struct PipelineRecorded {
  int transitions = 0;
  int notifications = 0;  // outbox rows inserted
  int journaled = 0;      // of them, firings the journal had delivered: inserted as delivered
  // The pipeline rules' alert_state after this recording: what `run` knows of their cooldowns
  // while the database is down.
  AlertStates states;
};

// Reads the pipeline rules' alert_state, evaluates `observation` on it and records the result,
// all in one transaction on `db` under the same advisory lock as the market rules' loads.
// Nothing (not even a statement) when `config` has no pipeline rule or no channel.
// `journaled`: the database-outage journal's deliveries (outage_journal.h). A notification
// whose idempotency key is among them is recorded with the journal's payload (the bytes already
// sent), and as delivered when the journal delivered it, so it is not sent twice.
StatusOr<PipelineRecorded> RecordPipelineAlerts(warehouse::Connection& db,
                                                const AlertConfig& config,
                                                const PipelineObservation& observation,
                                                const std::vector<JournalDelivery>& journaled = {});

// The JSON body of one pipeline notification (stored in alert_outbox.payload, sent as stored).
std::string PipelineNotificationBody(const PipelineTransition& transition,
                                     const std::string& channel,
                                     const std::string& idempotency_key);

// rule/subject/event/epoch seconds of the transition/channel.
std::string PipelineIdempotencyKey(const PipelineTransition& transition,
                                   const std::string& channel);

}  // namespace coinlake::alerts
