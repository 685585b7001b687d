#include "alerts/dominance_rules.h"

#include <optional>
#include <string>
#include <utility>

namespace coinlake::alerts {
namespace {

// The snapshot's figure for `metric`. Global metrics carry one row per quote currency, each with
// the same shares (a share has no currency): the first row that has it.
std::optional<double> DominanceOf(const cmc::GlobalMetricsPayload& snapshot, Metric metric) {
  for (const cmc::GlobalMetricsRow& row : snapshot.rows) {
    const std::optional<double>& value =
        metric == Metric::kBtcDominance ? row.btc_dominance : row.eth_dominance;
    if (value) return value;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Transition> EvaluateDominanceRules(const std::vector<MarketRule>& rules,
                                               const AlertStates& states,
                                               const cmc::GlobalMetricsPayload& snapshot) {
  std::vector<Transition> out;
  const TimePoint at = snapshot.status.timestamp;
  for (const MarketRule& rule : rules) {
    if (!IsDominance(rule.metric) || !rule.cmc_id) continue;
    std::optional<double> value = DominanceOf(snapshot, rule.metric);
    if (!value) continue;
    std::string subject = std::to_string(*rule.cmc_id);
    auto found = states.find({rule.name, subject});
    AlertState state = found == states.end() ? AlertState{} : found->second;
    std::optional<Event> event = CrossLevel(rule, *value, at, state);
    if (!event) continue;
    // Global metrics name no coin: the two they measure are CMC's ids 1 and 1027.
    std::string name = rule.metric == Metric::kBtcDominance ? "Bitcoin" : "Ethereum";
    out.push_back({&rule, std::move(subject), *rule.cmc_id, rule.symbol, std::move(name), *event,
                   *value, at, state});
  }
  return out;
}

}  // namespace coinlake::alerts
