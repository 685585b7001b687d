// The outbox's writing side: market rules evaluated on a live snapshot inside the snapshot's
// load transaction (warehouse::Loader::SetInTransaction; for dominance rules, the global metrics
// snapshot's, Loader::SetGlobalMetricsInTransaction), so the notifications it causes commit
// with its rows and ledger row or not at all. A snapshot loaded once notifies once; a replayed
// object is skipped by the ledger before this runs, and notifies nothing (docs/alerts.md,
// "Exactly once").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/evaluate.h"
#include "alerts/rules.h"
#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/db.h"
#include "warehouse/loader.h"

namespace coinlake::alerts {

// What RecordMarketAlerts did, for logs and tests.
struct Recorded {
  bool stale = false;  // a newer live snapshot was loaded already: not evaluated
  int transitions = 0;
  int notifications = 0;  // outbox rows inserted: transitions x their channels
};

// Evaluates `config`'s market rules on `payload` and records the result in the caller's open
// transaction on `db`: alert_state updated and one alert_outbox row per transition and
// channel. Takes a transaction-level advisory lock first, so concurrent loaders evaluate one
// after the other on each other's committed state. A snapshot older than a live snapshot the
// ledger holds already (`live_endpoints`: loaded late, after a database outage) is not
// evaluated: its state would go backwards in time.
StatusOr<Recorded> RecordMarketAlerts(warehouse::Connection& db, const AlertConfig& config,
                                      const warehouse::LakeObjectRef& object,
                                      const cmc::QuotesPayload& payload,
                                      const std::vector<std::string>& live_endpoints);

// The loader hook that calls RecordMarketAlerts for objects of `live_endpoints` (listings and
// quotes latest) and ignores the rest (history, backfills). Null when `config` has no rule on
// quote rows (price, change, top): then the loader runs no statement for alerts.
warehouse::Loader::InTransaction MarketAlertsHook(std::shared_ptr<const AlertConfig> config,
                                                  std::vector<std::string> live_endpoints);

// RecordMarketAlerts for a global metrics snapshot: `config`'s dominance rules
// (dominance_rules.h), with the same lock, staleness check against the live global metrics the
// ledger holds (`live_endpoints`), states and outbox rows.
StatusOr<Recorded> RecordDominanceAlerts(warehouse::Connection& db, const AlertConfig& config,
                                         const warehouse::LakeObjectRef& object,
                                         const cmc::GlobalMetricsPayload& payload,
                                         const std::vector<std::string>& live_endpoints);

// The global metrics load's hook (warehouse::LoadGlobalMetrics) that calls
// RecordDominanceAlerts for objects of `live_endpoint` (global_metrics_latest) and ignores the
// rest (global_metrics_historical: backfills). Null when `config` has no dominance rule.
warehouse::Loader::GlobalMetricsInTransaction DominanceAlertsHook(
    std::shared_ptr<const AlertConfig> config, std::string live_endpoint);

// The JSON body of one notification (stored in alert_outbox.payload and sent as stored).
std::string NotificationBody(const Transition& transition, const std::string& channel,
                             const std::string& idempotency_key, const std::string& lake_key);

// rule/subject/event/snapshot epoch seconds/channel: the same transition of the same snapshot
// always has the same key.
std::string IdempotencyKey(const Transition& transition, const std::string& channel);

}  // namespace coinlake::alerts
