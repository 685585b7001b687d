#include "alerts/evaluate.h"

#include <limits>

namespace coinlake::alerts {
namespace {

std::optional<double> ValueOf(const cmc::QuoteRow& row, Metric metric) {
  switch (metric) {
    case Metric::kPrice:
      return row.price;
    case Metric::kPercentChange1h:
      return row.percent_change_1h;
    case Metric::kPercentChange24h:
      return row.percent_change_24h;
    case Metric::kPercentChange7d:
      return row.percent_change_7d;
    case Metric::kPercentChange30d:
      return row.percent_change_30d;
  }
  return std::nullopt;
}

// The row a rule watches: by id, or the best-ranked coin carrying the symbol (symbols repeat:
// the one a person means is the big one), in the rule's currency.
const cmc::QuoteRow* RowOf(const MarketRule& rule, const cmc::QuotesPayload& snapshot) {
  const cmc::QuoteRow* best = nullptr;
  for (const cmc::QuoteRow& row : snapshot.rows) {
    if (row.quote_currency != rule.currency) continue;
    if (rule.cmc_id) {
      if (row.cmc_id == *rule.cmc_id) return &row;
      continue;
    }
    if (row.symbol != rule.symbol) continue;
    auto rank = [](const cmc::QuoteRow* r) {
      return r->cmc_rank.value_or(std::numeric_limits<int64_t>::max());
    };
    if (best == nullptr || rank(&row) < rank(best) ||
        (rank(&row) == rank(best) && row.cmc_id < best->cmc_id)) {
      best = &row;
    }
  }
  return best;
}

}  // namespace

std::string_view EventName(Event event) { return event == Event::kFiring ? "firing" : "resolved"; }

std::vector<Transition> EvaluateMarketRules(const std::vector<MarketRule>& rules,
                                            const AlertStates& states,
                                            const cmc::QuotesPayload& snapshot) {
  std::vector<Transition> out;
  const TimePoint at = snapshot.status.timestamp;
  for (const MarketRule& rule : rules) {
    const cmc::QuoteRow* row = RowOf(rule, snapshot);
    if (row == nullptr) continue;
    std::optional<double> value = ValueOf(*row, rule.metric);
    if (!value) continue;
    const double v = *value;
    const bool above = rule.direction == Direction::kAbove;
    const bool holds = above ? v > rule.level : v < rule.level;
    const bool resolved =
        above ? v <= rule.level - rule.hysteresis : v >= rule.level + rule.hysteresis;

    std::string subject = std::to_string(row->cmc_id);
    auto found = states.find({rule.name, subject});
    AlertState state = found == states.end() ? AlertState{} : found->second;

    std::optional<Event> event;
    if (!state.firing && holds) {
      bool cooled = !state.last_notified || at - *state.last_notified >= rule.cooldown;
      if (cooled) {
        event = Event::kFiring;
        state = {true, at, at};
      }
    } else if (state.firing && resolved) {
      event = Event::kResolved;
      state.firing = false;
      state.since = at;
    }
    if (!event) continue;
    out.push_back(
        {&rule, std::move(subject), row->cmc_id, row->symbol, row->name, *event, v, at, state});
  }
  return out;
}

}  // namespace coinlake::alerts
