// The cost of market rules on a snapshot (issue #26's goal: 100 rules over 5000 coins add under
// 5 % to a cycle). EvaluateMarketRules alone, on synthetic rows shaped like a 5000-coin listings
// snapshot: half the rules name a coin by symbol, half by id; a quarter read percent changes.
// BM_ScanPerRule is the evaluation before the snapshot was indexed (each rule scanning every row
// for its coin), kept here as the baseline that the same run measures side by side.
// Usage: alerts_bench [--benchmark_* flags]
#include <benchmark/benchmark.h>

#include <limits>
#include <string>
#include <vector>

#include "alerts/evaluate.h"

namespace {

using coinlake::alerts::AlertStates;
using coinlake::alerts::MarketRule;

coinlake::cmc::QuotesPayload Snapshot(int coins) {
  coinlake::cmc::QuotesPayload payload;
  payload.status.timestamp = coinlake::SystemNow();
  for (int i = 1; i <= coins; ++i) {
    coinlake::cmc::QuoteRow row;
    row.cmc_id = i;
    row.symbol = "C" + std::to_string(i);
    row.name = "Coin " + std::to_string(i);
    row.quote_currency = "USD";
    row.cmc_rank = i;
    row.price = 1000.0 / i;
    row.percent_change_1h = (i % 21) - 10.0;
    row.percent_change_24h = (i % 41) - 20.0;
    payload.rows.push_back(std::move(row));
  }
  return payload;
}

std::vector<MarketRule> Rules(int count, int coins) {
  std::vector<MarketRule> rules;
  for (int r = 0; r < count; ++r) {
    int coin = 1 + (r * 4999) % coins;
    std::string who = r % 2 == 0 ? "C" + std::to_string(coin) : "id:" + std::to_string(coin);
    std::string what = r % 4 == 3 ? "change 1h " + who + " below -5" : "price " + who + " above 1";
    rules.push_back(*coinlake::alerts::ParseMarketRule("r" + std::to_string(r) + ": " + what));
  }
  return rules;
}

void BM_EvaluateMarketRules(benchmark::State& state) {
  const int coins = static_cast<int>(state.range(1));
  coinlake::cmc::QuotesPayload snapshot = Snapshot(coins);
  std::vector<MarketRule> rules = Rules(static_cast<int>(state.range(0)), coins);
  AlertStates states;
  size_t transitions = 0;
  for (auto _ : state) {
    auto out = coinlake::alerts::EvaluateMarketRules(rules, states, snapshot);
    transitions = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["transitions"] = static_cast<double>(transitions);
}
BENCHMARK(BM_EvaluateMarketRules)
    ->Args({100, 5000})
    ->Args({10, 5000})
    ->Args({100, 100})
    ->Unit(benchmark::kMicrosecond);

// The old lookup: one scan of the snapshot per rule (by id, or the best-ranked row of the
// symbol). Only the lookup: the rest of the evaluation is the same in both.
const coinlake::cmc::QuoteRow* ScanFor(const MarketRule& rule,
                                       const coinlake::cmc::QuotesPayload& snapshot) {
  const coinlake::cmc::QuoteRow* best = nullptr;
  auto rank = [](const coinlake::cmc::QuoteRow* r) {
    return r->cmc_rank.value_or(std::numeric_limits<int64_t>::max());
  };
  for (const coinlake::cmc::QuoteRow& row : snapshot.rows) {
    if (row.quote_currency != rule.currency) continue;
    if (rule.cmc_id) {
      if (row.cmc_id == *rule.cmc_id) return &row;
      continue;
    }
    if (row.symbol != rule.symbol) continue;
    if (best == nullptr || rank(&row) < rank(best) ||
        (rank(&row) == rank(best) && row.cmc_id < best->cmc_id)) {
      best = &row;
    }
  }
  return best;
}

void BM_ScanPerRule(benchmark::State& state) {
  const int coins = static_cast<int>(state.range(1));
  coinlake::cmc::QuotesPayload snapshot = Snapshot(coins);
  std::vector<MarketRule> rules = Rules(static_cast<int>(state.range(0)), coins);
  for (auto _ : state) {
    for (const MarketRule& rule : rules) benchmark::DoNotOptimize(ScanFor(rule, snapshot));
  }
}
BENCHMARK(BM_ScanPerRule)
    ->Args({100, 5000})
    ->Args({10, 5000})
    ->Args({100, 100})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
