// SimMarket's history: a pure function of (seed, coin, minute), consistent between quotes,
// percent changes, bars and totals.
#include <gtest/gtest.h>

#include <chrono>

#include "cmc/market.h"
#include "tests/status_matchers.h"

namespace coinlake::cmc::sim {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

TEST(SimMarketTest, SameSeedSameHistory) {
  SimMarket a(7, 400), b(7, 400), other(8, 400);
  const TimePoint times[] = {At("2014-02-03T04:05:00Z"), At("2021-07-08T09:10:11Z"),
                             At("2026-11-27T21:50:10Z")};
  int differing = 0;
  for (size_t i = 0; i < a.coins().size(); i += 37) {
    EXPECT_EQ(a.coins()[i].id, other.coins()[i].id) << "ids are stable across seeds";
    for (TimePoint t : times) {
      auto qa = a.QuoteAt(a.coins()[i], t);
      auto qb = b.QuoteAt(b.coins()[i], t);
      ASSERT_EQ(qa.has_value(), qb.has_value());
      if (!qa) continue;
      EXPECT_EQ(qa->last_updated, qb->last_updated);
      EXPECT_EQ(qa->price, qb->price);
      EXPECT_EQ(qa->volume_24h, qb->volume_24h);
      EXPECT_EQ(qa->market_cap, qb->market_cap);
      EXPECT_EQ(qa->percent_change_90d, qb->percent_change_90d);
      auto qo = other.QuoteAt(other.coins()[i], t);
      if (qo && qo->price != qa->price) ++differing;
    }
  }
  EXPECT_GT(differing, 0) << "another seed, another market";
}

// Asked in any order, at any time, the market answers the same: no state, no stepping.
TEST(SimMarketTest, AnswerDoesNotDependOnWhatWasAskedBefore) {
  SimMarket fresh(42, 300), used(42, 300);
  const TimePoint t = At("2025-03-04T05:06:00Z");
  used.Snapshot(At("2026-11-27T00:00:00Z"));
  used.Snapshot(At("2016-01-01T00:00:00Z"));
  auto a = fresh.Snapshot(t);
  auto b = used.Snapshot(t);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].coin->id, b[i].coin->id);
    EXPECT_EQ(a[i].price, b[i].price);
  }
}

TEST(SimMarketTest, QuoteIsFixedUntilTheCoinsNextRefresh) {
  SimMarket market(42, 50);
  for (const SimCoin& coin : market.coins()) {
    TimePoint t = At("2026-11-27T21:50:10Z");
    auto q = market.QuoteAt(coin, t);
    ASSERT_TRUE(q);
    EXPECT_LE(q->last_updated, t);
    EXPECT_GT(q->last_updated, t - minutes(SimMarket::kRefreshMinutes));
    auto again = market.QuoteAt(coin, q->last_updated + std::chrono::seconds(59));
    EXPECT_EQ(again->price, q->price);
    EXPECT_EQ(again->last_updated, q->last_updated);
    auto next = market.QuoteAt(coin, q->last_updated + minutes(SimMarket::kRefreshMinutes));
    EXPECT_EQ(next->last_updated, q->last_updated + minutes(SimMarket::kRefreshMinutes));
  }
}

TEST(SimMarketTest, PercentChangesAreThoseOfThePricesAtTheirOffsets) {
  SimMarket market(42, 100);
  const SimCoin& btc = market.coins()[0];
  auto q = market.QuoteAt(btc, At("2026-11-27T21:50:10Z"));
  ASSERT_TRUE(q);
  auto change = [&](auto lag) {
    return (q->price / market.QuoteAt(btc, q->last_updated - lag)->price - 1.0) * 100.0;
  };
  EXPECT_DOUBLE_EQ(q->percent_change_1h, change(hours(1)));
  EXPECT_DOUBLE_EQ(q->percent_change_24h, change(hours(24)));
  EXPECT_DOUBLE_EQ(q->percent_change_7d, change(days(7)));
  EXPECT_DOUBLE_EQ(q->percent_change_30d, change(days(30)));
  EXPECT_DOUBLE_EQ(q->percent_change_60d, change(days(60)));
  EXPECT_DOUBLE_EQ(q->percent_change_90d, change(days(90)));
  EXPECT_DOUBLE_EQ(q->market_cap, q->price * q->circulating_supply);
}

TEST(SimMarketTest, CoinsDoNotExistBeforeTheirDateAdded) {
  SimMarket market(42, 2000);
  const SimCoin& btc = market.coins()[0];
  EXPECT_EQ(btc.date_added, At("2013-04-28T00:00:00Z"));
  EXPECT_FALSE(market.QuoteAt(btc, At("2013-04-27T23:59:59Z")));
  EXPECT_TRUE(market.QuoteAt(btc, At("2013-04-28T00:03:00Z")));
  auto early = market.Snapshot(At("2014-01-01T00:00:00Z"));
  auto late = market.Snapshot(At("2026-11-27T00:00:00Z"));
  EXPECT_EQ(late.size(), 2000u);
  EXPECT_GT(early.size(), 0u);
  EXPECT_LT(early.size(), late.size() / 5);
  for (const SimQuote& q : early) EXPECT_LE(q.coin->date_added, At("2014-01-01T00:00:00Z"));
  // Prices have a past that differs from the present: Bitcoin was far cheaper in 2013.
  EXPECT_LT(market.QuoteAt(btc, At("2013-06-01T00:00:00Z"))->price,
            market.QuoteAt(btc, At("2026-01-01T00:00:00Z"))->price / 50);
}

TEST(SimMarketTest, BarHoldsEveryQuoteListedInsideIt) {
  SimMarket market(42, 100);
  for (size_t i : {0u, 1u, 40u}) {
    const SimCoin& coin = market.coins()[i];
    const TimePoint open = At("2026-11-20T00:00:00Z"), close = open + days(1);
    SimBar bar = market.Bar(coin, open, close);
    EXPECT_EQ(bar.open, market.QuoteAt(coin, open)->price);
    EXPECT_EQ(bar.close, market.QuoteAt(coin, close - minutes(1))->price);
    bool high_seen = false, low_seen = false;
    for (TimePoint t = open; t < close; t += minutes(1)) {
      double price = market.QuoteAt(coin, t)->price;
      EXPECT_LE(price, bar.high);
      EXPECT_GE(price, bar.low);
      high_seen |= price == bar.high;
      low_seen |= price == bar.low;
    }
    EXPECT_TRUE(high_seen && low_seen) << "high and low are exact";
    EXPECT_EQ(market.QuoteAt(coin, bar.high_time)->price, bar.high);
    EXPECT_GT(bar.volume, 0);
  }
}

TEST(SimMarketTest, TotalsEqualTheSnapshotsSums) {
  SimMarket market(42, 500);
  const TimePoint t = At("2019-05-06T07:08:09Z");
  double cap = 0, volume = 0;
  auto quotes = market.Snapshot(t);
  for (const SimQuote& q : quotes) {
    cap += q.market_cap;
    volume += q.volume_24h;
  }
  SimMarket::Totals totals = market.TotalsAt(t);
  EXPECT_EQ(totals.market_cap, cap);
  EXPECT_EQ(totals.volume_24h, volume);
  EXPECT_EQ(totals.coins, static_cast<int64_t>(quotes.size()));
}

// A year of daily bars costs a year of minutes, not a walk from 2013.
TEST(SimMarketTest, YearOfDailyBarsIsQuick) {
  SimMarket market(42, 5000);
  const SimCoin& btc = market.coins()[0];
  auto started = std::chrono::steady_clock::now();
  TimePoint open = At("2025-11-27T00:00:00Z");
  double sum = 0;
  for (int d = 0; d < 365; ++d, open += days(1)) sum += market.Bar(btc, open, open + days(1)).close;
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GT(sum, 0);
  EXPECT_LT(took, std::chrono::seconds(3));
}

}  // namespace
}  // namespace coinlake::cmc::sim
