// Market rules over snapshots, without a database: crossing, resolving, cooldown, hysteresis,
// and which coin a rule watches.
#include "alerts/evaluate.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

using std::chrono::minutes;

const TimePoint kT0 = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);

cmc::QuoteRow Row(int64_t id, std::string symbol, double price, int64_t rank,
                  std::string currency = "USD") {
  cmc::QuoteRow row;
  row.cmc_id = id;
  row.symbol = std::move(symbol);
  row.name = row.symbol + " coin";
  row.quote_currency = std::move(currency);
  row.price = price;
  row.cmc_rank = rank;
  return row;
}

cmc::QuotesPayload Snapshot(TimePoint at, std::vector<cmc::QuoteRow> rows) {
  cmc::QuotesPayload payload;
  payload.status.timestamp = at;
  payload.rows = std::move(rows);
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
  std::string Price(TimePoint at, double btc) {
    return Feed(Snapshot(at, {Row(1, "BTC", btc, 1)}));
  }
  std::string Feed(const cmc::QuotesPayload& snapshot, SnapshotKind kind = SnapshotKind::kQuotes) {
    std::string events;
    for (const Transition& t : EvaluateMarketRules(rules_, states_, snapshot, kind)) {
      states_[{t.rule->name, t.subject}] = t.next;
      if (!t.notify) continue;  // a baseline
      events += (events.empty() ? "" : ",") + std::string(EventName(t.event));
      if (t.rule->metric == Metric::kRank) events += ":" + t.subject;
      last_ = t;
    }
    return events;
  }
  const AlertStates& states() const { return states_; }
  const Transition& last() const { return last_; }

 private:
  std::vector<MarketRule> rules_;
  AlertStates states_;
  Transition last_;
};

TEST(EvaluateTest, FiresWhenThePriceCrossesAndResolvesWhenItComesBack) {
  Rules run({"btc: price BTC above 100000 cooldown=0"});
  EXPECT_EQ(run.Price(kT0, 99000), "");
  EXPECT_EQ(run.Price(kT0 + minutes(5), 100000), "") << "at the level is not above it";
  EXPECT_EQ(run.Price(kT0 + minutes(10), 100001), "firing");
  EXPECT_EQ(run.last().value, 100001);
  EXPECT_EQ(run.last().cmc_id, 1);
  EXPECT_EQ(run.last().subject, "1");
  EXPECT_EQ(run.last().at, kT0 + minutes(10));
  EXPECT_EQ(run.Price(kT0 + minutes(15), 105000), "") << "still firing: no repeat";
  EXPECT_EQ(run.Price(kT0 + minutes(20), 99999), "resolved");
  const AlertState& state = run.states().at({"btc", "1"});
  EXPECT_FALSE(state.firing);
  EXPECT_EQ(state.since, kT0 + minutes(20));
  EXPECT_EQ(state.last_notified, kT0 + minutes(10));
  EXPECT_EQ(run.Price(kT0 + minutes(25), 98000), "");
}

TEST(EvaluateTest, BelowRulesAndTheFirstSnapshotCounts) {
  Rules run({"dip: price BTC below 50000 cooldown=0"});
  EXPECT_EQ(run.Price(kT0, 40000), "firing") << "a rule added while its condition holds fires";
  EXPECT_EQ(run.Price(kT0 + minutes(5), 50000), "resolved");
}

TEST(EvaluateTest, HysteresisKeepsAHoveringPriceFromFlapping) {
  Rules run({"btc: price BTC above 100000 hysteresis=1000 cooldown=0"});
  EXPECT_EQ(run.Price(kT0, 100500), "firing");
  EXPECT_EQ(run.Price(kT0 + minutes(5), 99500), "") << "inside the band: still firing";
  EXPECT_EQ(run.Price(kT0 + minutes(10), 100200), "");
  EXPECT_EQ(run.Price(kT0 + minutes(15), 99001), "");
  EXPECT_EQ(run.Price(kT0 + minutes(20), 99000), "resolved") << "level - hysteresis";
  EXPECT_EQ(run.Price(kT0 + minutes(25), 99500), "") << "not above the level: quiet";
  EXPECT_EQ(run.Price(kT0 + minutes(30), 100001), "firing");

  Rules below({"dip: price BTC below 50000 hysteresis=500 cooldown=0"});
  EXPECT_EQ(below.Price(kT0, 49000), "firing");
  EXPECT_EQ(below.Price(kT0 + minutes(5), 50499), "");
  EXPECT_EQ(below.Price(kT0 + minutes(10), 50500), "resolved");
}

TEST(EvaluateTest, CooldownDelaysTheNextFiringNotTheResolve) {
  Rules run({"btc: price BTC above 100000 cooldown=30m"});
  EXPECT_EQ(run.Price(kT0, 101000), "firing");
  EXPECT_EQ(run.Price(kT0 + minutes(5), 99000), "resolved") << "resolving is always said";
  EXPECT_EQ(run.Price(kT0 + minutes(10), 101000), "") << "10 min after firing: cooling down";
  EXPECT_FALSE(run.states().at({"btc", "1"}).firing) << "quiet means not firing";
  EXPECT_EQ(run.Price(kT0 + minutes(29), 101000), "");
  EXPECT_EQ(run.Price(kT0 + minutes(30), 101000), "firing") << "cooldown over, still above";
  EXPECT_EQ(run.states().at({"btc", "1"}).last_notified, kT0 + minutes(30));
  // A crossing that ends inside the cooldown is never notified at all.
  EXPECT_EQ(run.Price(kT0 + minutes(35), 99000), "resolved");
  EXPECT_EQ(run.Price(kT0 + minutes(40), 101000), "");
  EXPECT_EQ(run.Price(kT0 + minutes(45), 99000), "");
}

TEST(EvaluateTest, PercentChangeRulesReadTheirWindow) {
  Rules run({"fall: change 1h BTC below -10 hysteresis=2 cooldown=0",
             "rally: change 24h BTC above 20 cooldown=0"});
  auto snapshot = [](TimePoint at, std::optional<double> h1, std::optional<double> h24) {
    cmc::QuoteRow row = Row(1, "BTC", 90000, 1);
    row.percent_change_1h = h1;
    row.percent_change_24h = h24;
    return Snapshot(at, {row});
  };
  EXPECT_EQ(run.Feed(snapshot(kT0, -9.5, 25)), "firing");
  EXPECT_EQ(run.last().rule->name, "rally");
  EXPECT_EQ(run.Feed(snapshot(kT0 + minutes(5), -10.5, 25)), "firing");
  EXPECT_EQ(run.last().rule->name, "fall");
  EXPECT_EQ(run.last().value, -10.5);
  EXPECT_EQ(run.Feed(snapshot(kT0 + minutes(10), -8.5, 19)), "resolved") << "only rally";
  EXPECT_EQ(run.last().rule->name, "rally");
  EXPECT_EQ(run.Feed(snapshot(kT0 + minutes(15), std::nullopt, std::nullopt)), "")
      << "a missing value says nothing";
  EXPECT_EQ(run.Feed(snapshot(kT0 + minutes(20), -8, 19)), "resolved");
  EXPECT_EQ(run.last().rule->name, "fall");
}

TEST(EvaluateTest, WhichCoinARuleWatches) {
  Rules run({"by-symbol: price ABC above 10 cooldown=0", "by-id: price id:77 above 10 cooldown=0",
             "in-eur: price BTC above 10 EUR cooldown=0"});
  // Two coins share the symbol ABC: the better-ranked one (id 99, rank 3) is meant. BTC is
  // quoted in USD only: the EUR rule has nothing to say.
  EXPECT_EQ(run.Feed(Snapshot(
                kT0, {Row(77, "ABC", 5, 40), Row(99, "ABC", 20, 3), Row(1, "BTC", 90000, 1)})),
            "firing");
  EXPECT_EQ(run.last().rule->name, "by-symbol");
  EXPECT_EQ(run.last().subject, "99");
  EXPECT_EQ(run.Feed(Snapshot(kT0 + minutes(5), {Row(77, "ABC", 11, 40), Row(99, "ABC", 20, 3),
                                                 Row(1, "BTC", 90000, 1, "EUR")})),
            "firing,firing");
  EXPECT_TRUE(run.states().contains({"by-id", "77"}));
  EXPECT_TRUE(run.states().contains({"in-eur", "1"}));
  EXPECT_EQ(run.Feed(Snapshot(kT0 + minutes(10), {Row(5, "XYZ", 1, 1)})), "")
      << "coins missing from a snapshot keep their state";
  EXPECT_EQ(run.states().size(), 3u);
}

// A listings snapshot of coins ranked 1..n, the ids in `order` (rank 1 first).
cmc::QuotesPayload Ranked(TimePoint at, std::vector<int64_t> order) {
  std::vector<cmc::QuoteRow> rows;
  for (size_t i = 0; i < order.size(); ++i) {
    rows.push_back(Row(order[i], "C" + std::to_string(order[i]), 1, static_cast<int64_t>(i + 1)));
  }
  return Snapshot(at, rows);
}

TEST(EvaluateTest, TopAnyNotifiesEntersAndLeavesAfterABaseline) {
  Rules run({"top3: top 3 any cooldown=0"});
  const auto listings = SnapshotKind::kListings;
  EXPECT_EQ(run.Feed(Ranked(kT0, {1, 2, 3, 4, 5}), listings), "")
      << "the first snapshot is where the market is, not a move";
  EXPECT_EQ(run.states().size(), 3u);
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(5), {1, 2, 4, 3, 5}), listings), "firing:4,resolved:3");
  EXPECT_EQ(run.last().value, 4) << "the rank it left to";
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(10), {1, 2, 4, 3, 5}), listings), "") << "no move";
  // A quotes snapshot of two coins ranks nothing: nobody leaves.
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(15), {9, 8}), SnapshotKind::kQuotes), "");
  // A listings snapshot shorter than the top N: coins missing from it say nothing.
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(20), {1, 2}), listings), "");
  // Deep enough: a coin missing from it is below the top 3.
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(25), {1, 2, 7, 8}), listings), "firing:7,resolved:4");
}

TEST(EvaluateTest, TopEnterAndLeaveOneCoinWithHysteresis) {
  Rules run({"in: top 2 enter C5 hysteresis=1 cooldown=0", "out: top 2 leave id:1 cooldown=0"});
  const auto listings = SnapshotKind::kListings;
  EXPECT_EQ(run.Feed(Ranked(kT0, {1, 2, 3, 5}), listings), "") << "baselines";
  EXPECT_EQ(run.states().size(), 2u);
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(5), {5, 2, 1, 3}), listings), "firing:5,firing:1");
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(10), {2, 1, 5, 3}), listings), "resolved:1")
      << "C5 at rank 3 is inside the hysteresis: still in";
  EXPECT_EQ(run.Feed(Ranked(kT0 + minutes(15), {2, 1, 3, 5}), listings), "resolved:5");
}

TEST(EvaluateTest, SameSnapshotSameStateSameAnswer) {
  std::vector<MarketRule> rules = {*ParseMarketRule("btc: price BTC above 1 cooldown=1h")};
  cmc::QuotesPayload snapshot = Snapshot(kT0, {Row(1, "BTC", 2, 1)});
  AlertStates none;
  auto first = EvaluateMarketRules(rules, none, snapshot);
  auto second = EvaluateMarketRules(rules, none, snapshot);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].at, second[0].at);
  EXPECT_EQ(first[0].next.since, kT0) << "time is the snapshot's, not the clock's";
}

}  // namespace
}  // namespace coinlake::alerts
