#include "alerts/evaluate.h"

#include <limits>
#include <unordered_map>
#include <utility>

#include "alerts/top_rules.h"

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
    case Metric::kRank:
      if (!row.cmc_rank) return std::nullopt;
      return static_cast<double>(*row.cmc_rank);
    case Metric::kBtcDominance:
    case Metric::kEthDominance:
      return std::nullopt;  // global metrics, not a quote row
  }
  return std::nullopt;
}

// The rows the rules watch, found in one pass over the snapshot instead of one scan per rule:
// only the ids and symbols some rule names are kept (per currency), so the pass costs a hash
// lookup or two per row whatever the number of rules. A symbol maps to the best-ranked coin
// carrying it (symbols repeat: the one a person means is the big one; ties go to the lower id).
class WatchedRows {
 public:
  WatchedRows(const std::vector<MarketRule>& rules, const cmc::QuotesPayload& snapshot) {
    for (const MarketRule& rule : rules) {
      // Top rules read the Ranking; dominance rules, global metrics.
      if (rule.metric == Metric::kRank || IsDominance(rule.metric)) continue;
      Watched& in = Currency(rule.currency);
      if (rule.cmc_id) {
        in.by_id.try_emplace(*rule.cmc_id, nullptr);
      } else {
        in.by_symbol.try_emplace(rule.symbol, nullptr);
      }
    }
    for (const cmc::QuoteRow& row : snapshot.rows) {
      Watched* in = Find(row.quote_currency);
      if (in == nullptr) continue;
      if (auto id = in->by_id.find(row.cmc_id); id != in->by_id.end() && id->second == nullptr) {
        id->second = &row;
      }
      auto symbol = in->by_symbol.find(row.symbol);
      if (symbol == in->by_symbol.end()) continue;
      const cmc::QuoteRow*& best = symbol->second;
      if (best == nullptr || Rank(row) < Rank(*best) ||
          (Rank(row) == Rank(*best) && row.cmc_id < best->cmc_id)) {
        best = &row;
      }
    }
  }

  // The row `rule` watches, or null when the snapshot does not carry it.
  const cmc::QuoteRow* Of(const MarketRule& rule) const {
    const Watched* in = Find(rule.currency);
    if (in == nullptr) return nullptr;
    if (rule.cmc_id) {
      auto id = in->by_id.find(*rule.cmc_id);
      return id == in->by_id.end() ? nullptr : id->second;
    }
    auto symbol = in->by_symbol.find(rule.symbol);
    return symbol == in->by_symbol.end() ? nullptr : symbol->second;
  }

 private:
  struct Watched {
    std::string currency;
    std::unordered_map<int64_t, const cmc::QuoteRow*> by_id;
    std::unordered_map<std::string, const cmc::QuoteRow*> by_symbol;
  };
  static int64_t Rank(const cmc::QuoteRow& row) {
    return row.cmc_rank.value_or(std::numeric_limits<int64_t>::max());
  }
  // A snapshot carries one to a few currencies: a short list beats a map.
  const Watched* Find(const std::string& currency) const {
    for (const Watched& in : currencies_) {
      if (in.currency == currency) return &in;
    }
    return nullptr;
  }
  Watched* Find(const std::string& currency) {
    return const_cast<Watched*>(std::as_const(*this).Find(currency));
  }
  Watched& Currency(const std::string& currency) {
    if (Watched* in = Find(currency)) return *in;
    currencies_.push_back({currency, {}, {}});
    return currencies_.back();
  }
  std::vector<Watched> currencies_;
};

}  // namespace

std::string_view EventName(Event event) { return event == Event::kFiring ? "firing" : "resolved"; }

std::optional<Event> CrossLevel(const MarketRule& rule, double value, TimePoint at,
                                AlertState& state) {
  const bool above = rule.direction == Direction::kAbove;
  const bool holds = above ? value > rule.level : value < rule.level;
  const bool resolved =
      above ? value <= rule.level - rule.hysteresis : value >= rule.level + rule.hysteresis;
  if (!state.firing && holds) {
    const bool cooled = !state.last_notified || at - *state.last_notified >= rule.cooldown;
    if (!cooled) return std::nullopt;
    state = {true, at, at};
    return Event::kFiring;
  }
  if (state.firing && resolved) {
    state.firing = false;
    state.since = at;
    return Event::kResolved;
  }
  return std::nullopt;
}

std::vector<Transition> EvaluateMarketRules(const std::vector<MarketRule>& rules,
                                            const AlertStates& states,
                                            const cmc::QuotesPayload& snapshot, SnapshotKind kind) {
  std::vector<Transition> out;
  const TimePoint at = snapshot.status.timestamp;
  const WatchedRows watched(rules, snapshot);
  std::optional<Ranking> ranking;  // built once, for the first top rule
  for (const MarketRule& rule : rules) {
    if (rule.metric == Metric::kRank) {
      if (kind != SnapshotKind::kListings) continue;
      if (!ranking) ranking.emplace(snapshot);
      EvaluateTopRule(rule, states, *ranking, at, out);
      continue;
    }
    if (IsDominance(rule.metric)) continue;
    const cmc::QuoteRow* row = watched.Of(rule);
    if (row == nullptr) continue;
    std::optional<double> value = ValueOf(*row, rule.metric);
    if (!value) continue;

    std::string subject = std::to_string(row->cmc_id);
    auto found = states.find({rule.name, subject});
    AlertState state = found == states.end() ? AlertState{} : found->second;
    std::optional<Event> event = CrossLevel(rule, *value, at, state);
    if (!event) continue;
    out.push_back({&rule, std::move(subject), row->cmc_id, row->symbol, row->name, *event, *value,
                   at, state});
  }
  return out;
}

}  // namespace coinlake::alerts
