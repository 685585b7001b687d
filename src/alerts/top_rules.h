// Top N rules (docs/alerts.md, "Top N rules"), a part of EvaluateMarketRules (evaluate.h): a
// coin's rank in a listings snapshot against the rule's N, with a baseline the first time a
// rule sees its coin. Pure, like the rest of the evaluation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerts/evaluate.h"
#include "alerts/rules.h"
#include "cmc/types.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// The listings snapshot's ranking: each coin once (a snapshot in several currencies repeats
// it), by id, with the deepest rank it reaches.
class Ranking {
 public:
  explicit Ranking(const cmc::QuotesPayload& snapshot) {
    for (const cmc::QuoteRow& row : snapshot.rows) {
      if (!row.cmc_rank) continue;
      by_id_.try_emplace(row.cmc_id, &row);
      deepest_ = std::max(deepest_, *row.cmc_rank);
      auto best = by_symbol_.find(row.symbol);
      if (best == by_symbol_.end()) {
        by_symbol_.emplace(row.symbol, &row);
      } else if (*row.cmc_rank < *best->second->cmc_rank ||
                 (*row.cmc_rank == *best->second->cmc_rank && row.cmc_id < best->second->cmc_id)) {
        best->second = &row;
      }
    }
  }
  const cmc::QuoteRow* Id(int64_t id) const {
    auto found = by_id_.find(id);
    return found == by_id_.end() ? nullptr : found->second;
  }
  const cmc::QuoteRow* Symbol(const std::string& symbol) const {
    auto found = by_symbol_.find(symbol);
    return found == by_symbol_.end() ? nullptr : found->second;
  }
  int64_t deepest() const { return deepest_; }
  const std::unordered_map<int64_t, const cmc::QuoteRow*>& rows() const { return by_id_; }

 private:
  std::unordered_map<int64_t, const cmc::QuoteRow*> by_id_;
  std::unordered_map<std::string, const cmc::QuoteRow*> by_symbol_;
  int64_t deepest_ = 0;
};

// Appends the transitions (baselines included: notify false) a top rule sees in `ranking`.
void EvaluateTopRule(const MarketRule& rule, const AlertStates& states, const Ranking& ranking,
                     TimePoint at, std::vector<Transition>& out);

}  // namespace coinlake::alerts
