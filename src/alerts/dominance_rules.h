// Dominance rules (docs/alerts.md, "Dominance rules"): Bitcoin's or Ether's share of the whole
// market's cap, as a live global metrics snapshot gives it (btc_dominance, eth_dominance), against
// a level in percent. Pure, like the rest of the evaluation (evaluate.h): the rules, their
// alert_state and the snapshot give the transitions, on the snapshot's own time
// (status.timestamp), with the price rules' state machine (CrossLevel: cooldown, hysteresis).
#pragma once

#include <vector>

#include "alerts/evaluate.h"
#include "alerts/rules.h"
#include "cmc/types.h"

namespace coinlake::alerts {

// The transitions `snapshot` causes for the dominance rules of `rules` (the others say nothing),
// in rule order. The subject is the coin's CMC id (1 for BTC, 1027 for ETH). A snapshot without
// the rule's figure says nothing and keeps its state. `states` is not changed.
std::vector<Transition> EvaluateDominanceRules(const std::vector<MarketRule>& rules,
                                               const AlertStates& states,
                                               const cmc::GlobalMetricsPayload& snapshot);

}  // namespace coinlake::alerts
