#include "alerts/top_rules.h"

#include <algorithm>
#include <utility>

namespace coinlake::alerts {
namespace {

// One (top rule, coin): the move the snapshot shows, if any. `row` is null for a coin missing
// from the snapshot; `seen` says whether the rule has state for the coin (else: a baseline).
void EvaluateTop(const MarketRule& rule, const AlertStates& states, const Ranking& ranking,
                 int64_t cmc_id, const cmc::QuoteRow* row, TimePoint at, bool baseline_rule,
                 std::vector<Transition>& out) {
  const auto h = static_cast<int64_t>(rule.hysteresis);
  std::optional<bool> in;  // in the top N, out of it, or unknown
  if (row != nullptr && *row->cmc_rank <= rule.top) {
    in = true;
  } else if (row != nullptr ? *row->cmc_rank > rule.top + h : ranking.deepest() > rule.top + h) {
    in = false;
  }
  if (!in) return;
  const bool holds = rule.move == TopMove::kEnter ? *in : !*in;
  std::string subject = std::to_string(cmc_id);
  auto found = states.find({rule.name, subject});
  Transition t{&rule,
               subject,
               cmc_id,
               row ? row->symbol : "",
               row ? row->name : "",
               Event::kFiring,
               row ? static_cast<double>(*row->cmc_rank) : 0,
               at,
               {}};
  if (found == states.end()) {
    if (!baseline_rule && rule.move == TopMove::kEnter && holds && !rule.cmc_id &&
        rule.symbol.empty()) {
      // top N any: a coin never seen in the top N entering it is a move.
    } else {
      // The rule's first sight of its coin (or, for any, of the top N): where it is, not a move.
      t.next = {holds, at, std::nullopt};
      t.notify = false;
      out.push_back(std::move(t));
      return;
    }
  }
  AlertState state = found == states.end() ? AlertState{} : found->second;
  if (!state.firing && holds) {
    if (state.last_notified && at - *state.last_notified < rule.cooldown) return;
    t.event = Event::kFiring;
    state = {true, at, at};
  } else if (state.firing && !holds) {
    t.event = Event::kResolved;
    state.firing = false;
    state.since = at;
  } else {
    return;
  }
  t.next = state;
  out.push_back(std::move(t));
}

}  // namespace

void EvaluateTopRule(const MarketRule& rule, const AlertStates& states, const Ranking& ranking,
                     TimePoint at, std::vector<Transition>& out) {
  if (rule.cmc_id || !rule.symbol.empty()) {
    const cmc::QuoteRow* row = rule.cmc_id ? ranking.Id(*rule.cmc_id) : ranking.Symbol(rule.symbol);
    if (row != nullptr) {
      EvaluateTop(rule, states, ranking, row->cmc_id, row, at, false, out);
    } else if (rule.cmc_id) {
      EvaluateTop(rule, states, ranking, *rule.cmc_id, nullptr, at, false, out);
    } else {
      // A symbol missing from the snapshot: the coin it meant last time, if any, may have left.
      for (auto it = states.lower_bound({rule.name, ""});
           it != states.end() && it->first.first == rule.name; ++it) {
        EvaluateTop(rule, states, ranking, std::stoll(it->first.second), nullptr, at, false, out);
      }
    }
    return;
  }
  // top N any: the coins in the top N now, then those the state has in it that are not.
  auto first = states.lower_bound({rule.name, ""});
  const bool baseline = first == states.end() || first->first.first != rule.name;
  std::vector<std::pair<int64_t, const cmc::QuoteRow*>> coins;
  for (const auto& [id, row] : ranking.rows()) {
    if (*row->cmc_rank <= rule.top) coins.emplace_back(*row->cmc_rank, row);
  }
  std::sort(coins.begin(), coins.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->cmc_id < b.second->cmc_id;
  });
  for (const auto& [rank, row] : coins) {
    EvaluateTop(rule, states, ranking, row->cmc_id, row, at, baseline, out);
  }
  for (auto it = first; it != states.end() && it->first.first == rule.name; ++it) {
    if (!it->second.firing) continue;
    int64_t id = std::stoll(it->first.second);
    const cmc::QuoteRow* row = ranking.Id(id);
    if (row != nullptr && *row->cmc_rank <= rule.top) continue;  // done above
    EvaluateTop(rule, states, ranking, id, row, at, baseline, out);
  }
}

}  // namespace coinlake::alerts
