// Dominance rules over global metrics snapshots, without a database: the price rules' crossing,
// hysteresis and cooldown on btc_dominance and eth_dominance, on the snapshot's own time.
#include "alerts/dominance_rules.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

using std::chrono::minutes;

const TimePoint kT0 = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);

// A global metrics snapshot at `at`: one row per currency, each with the same shares (as CMC
// sends them); a missing share is null in every row.
cmc::GlobalMetricsPayload Global(TimePoint at, std::optional<double> btc,
                                 std::optional<double> eth = 12.0,
                                 std::vector<std::string> currencies = {"USD"}) {
  cmc::GlobalMetricsPayload payload;
  payload.status.timestamp = at;
  for (std::string& currency : currencies) {
    cmc::GlobalMetricsRow& row = payload.rows.emplace_back();
    row.ts = at - minutes(1);  // CMC's last_updated: before the answer
    row.quote_currency = std::move(currency);
    row.btc_dominance = btc;
    row.eth_dominance = eth;
    row.total_market_cap = 3e12;
  }
  return payload;
}

// Feeds snapshots one after the other as the loader does, keeping the state between them, and
// returns the events each one caused ("firing", "resolved" or "" for none).
class Rules {
 public:
  explicit Rules(std::vector<std::string> lines) {
    for (const std::string& line : lines) {
      auto rule = ParseMarketRule(line);
      EXPECT_OK(rule);
      if (rule.ok()) rules_.push_back(*rule);
    }
  }
  std::string Feed(const cmc::GlobalMetricsPayload& snapshot) {
    std::string events;
    for (const Transition& t : EvaluateDominanceRules(rules_, states_, snapshot)) {
      states_[{t.rule->name, t.subject}] = t.next;
      events += (events.empty() ? "" : ",") + t.rule->name + ":" + std::string(EventName(t.event));
      last_ = t;
    }
    return events;
  }
  std::string Btc(TimePoint at, double btc) { return Feed(Global(at, btc)); }
  const std::vector<MarketRule>& rules() const { return rules_; }
  const AlertStates& states() const { return states_; }
  const Transition& last() const { return last_; }

 private:
  std::vector<MarketRule> rules_;
  AlertStates states_;
  Transition last_;
};

TEST(DominanceRulesTest, FiresOnCrossingAndResolvesOnTheSnapshotsOwnTime) {
  Rules run({"btc-dom: dominance BTC above 52 cooldown=0"});
  EXPECT_EQ(run.Btc(kT0, 51.9), "");
  EXPECT_EQ(run.Btc(kT0 + minutes(15), 52), "") << "at the level is not above it";
  EXPECT_EQ(run.Btc(kT0 + minutes(30), 52.3), "btc-dom:firing");
  EXPECT_EQ(run.last().value, 52.3);
  EXPECT_EQ(run.last().subject, "1") << "Bitcoin's CMC id";
  EXPECT_EQ(run.last().cmc_id, 1);
  EXPECT_EQ(run.last().symbol, "BTC");
  EXPECT_EQ(run.last().name, "Bitcoin");
  EXPECT_EQ(run.last().at, kT0 + minutes(30)) << "status.timestamp, not the rows' last_updated";
  EXPECT_TRUE(run.last().notify);
  EXPECT_EQ(run.Btc(kT0 + minutes(45), 55), "") << "still firing: no repeat";
  EXPECT_EQ(run.Btc(kT0 + minutes(60), 51), "btc-dom:resolved");
  const AlertState& state = run.states().at({"btc-dom", "1"});
  EXPECT_FALSE(state.firing);
  EXPECT_EQ(state.since, kT0 + minutes(60));
  EXPECT_EQ(state.last_notified, kT0 + minutes(30));
}

TEST(DominanceRulesTest, HysteresisAndCooldownAsForPriceRules) {
  Rules run({"btc-dom: dominance BTC above 52 hysteresis=0.5 cooldown=1h"});
  EXPECT_EQ(run.Btc(kT0, 52.1), "btc-dom:firing") << "a rule added while it holds fires";
  EXPECT_EQ(run.Btc(kT0 + minutes(15), 51.6), "") << "inside the band: still firing";
  EXPECT_EQ(run.Btc(kT0 + minutes(30), 51.5), "btc-dom:resolved") << "level - hysteresis";
  EXPECT_EQ(run.Btc(kT0 + minutes(45), 52.2), "") << "45 min after the firing: cooling down";
  EXPECT_FALSE(run.states().at({"btc-dom", "1"}).firing);
  EXPECT_EQ(run.Btc(kT0 + minutes(60), 52.2), "btc-dom:firing") << "cooldown over, still above";
  EXPECT_EQ(run.states().at({"btc-dom", "1"}).last_notified, kT0 + minutes(60));
}

TEST(DominanceRulesTest, EthBelowReadsEthDominance) {
  Rules run({"eth-dom: dominance ETH below 10 hysteresis=1 cooldown=0"});
  EXPECT_EQ(run.Feed(Global(kT0, 70, 12)), "");
  EXPECT_EQ(run.Feed(Global(kT0 + minutes(15), 70, 9.5)), "eth-dom:firing");
  EXPECT_EQ(run.last().subject, "1027");
  EXPECT_EQ(run.last().symbol, "ETH");
  EXPECT_EQ(run.last().name, "Ethereum");
  EXPECT_EQ(run.last().value, 9.5);
  EXPECT_EQ(run.Feed(Global(kT0 + minutes(30), 5, 10.9)), "") << "inside the band";
  EXPECT_EQ(run.Feed(Global(kT0 + minutes(45), 5, 11)), "eth-dom:resolved");
}

TEST(DominanceRulesTest, AMissingShareSaysNothingAndKeepsTheState) {
  Rules run({"btc-dom: dominance BTC above 52 cooldown=0", "eth-dom: dominance ETH above 5"});
  EXPECT_EQ(run.Btc(kT0, 53), "btc-dom:firing,eth-dom:firing") << "in rule order";
  EXPECT_EQ(run.Feed(Global(kT0 + minutes(15), std::nullopt, std::nullopt)), "");
  EXPECT_EQ(run.Feed(cmc::GlobalMetricsPayload{}), "") << "no row at all";
  EXPECT_TRUE(run.states().at({"btc-dom", "1"}).firing);
  EXPECT_EQ(run.Btc(kT0 + minutes(30), 50), "btc-dom:resolved") << "eth-dom still holds";
}

TEST(DominanceRulesTest, EveryCurrencyRowCarriesTheSameShare) {
  Rules run({"btc-dom: dominance BTC above 52"});
  EXPECT_EQ(run.Feed(Global(kT0, 53, 12, {"USD", "EUR", "BTC"})), "btc-dom:firing")
      << "one transition for the snapshot, not one per currency";
  // A first row without the share (a currency CMC answered partly) leaves it to the next.
  cmc::GlobalMetricsPayload partial = Global(kT0 + minutes(15), 50, 12, {"USD", "EUR"});
  partial.rows[0].btc_dominance.reset();
  EXPECT_EQ(run.Feed(partial), "btc-dom:resolved");
}

// Dominance rules and quote rules each read their own snapshots: a quotes snapshot says nothing
// about a dominance rule, a global metrics snapshot nothing about a price rule.
TEST(DominanceRulesTest, EachKindOfSnapshotAnswersItsOwnRules) {
  Rules run({"btc-dom: dominance BTC above 1 cooldown=0", "btc: price BTC above 1 cooldown=0"});
  EXPECT_EQ(run.Btc(kT0, 60), "btc-dom:firing");

  cmc::QuotesPayload quotes;
  quotes.status.timestamp = kT0 + minutes(5);
  cmc::QuoteRow& row = quotes.rows.emplace_back();
  row.cmc_id = 1;
  row.symbol = "BTC";
  row.quote_currency = "USD";
  row.price = 100000;
  row.cmc_rank = 1;
  std::vector<Transition> from_quotes =
      EvaluateMarketRules(run.rules(), run.states(), quotes, SnapshotKind::kListings);
  ASSERT_EQ(from_quotes.size(), 1u);
  EXPECT_EQ(from_quotes[0].rule->name, "btc");
}

TEST(DominanceRulesTest, SameSnapshotSameStateSameAnswer) {
  Rules run({"btc-dom: dominance BTC above 52 cooldown=0"});
  ASSERT_EQ(run.Btc(kT0, 53), "btc-dom:firing");
  cmc::GlobalMetricsPayload fall = Global(kT0 + minutes(15), 51);
  auto first = EvaluateDominanceRules(run.rules(), run.states(), fall);
  auto again = EvaluateDominanceRules(run.rules(), run.states(), fall);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(first[0].event, again[0].event);
  EXPECT_EQ(first[0].at, again[0].at);
  EXPECT_EQ(first[0].next.since, again[0].next.since);
}

}  // namespace
}  // namespace coinlake::alerts
