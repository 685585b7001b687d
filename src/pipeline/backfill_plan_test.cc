#include "pipeline/backfill_plan.h"

#include <gtest/gtest.h>

#include <set>

#include "lake/keys.h"
#include "tests/status_matchers.h"

namespace coinlake::pipeline {
namespace {

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

std::vector<int64_t> Ids(int n) {
  std::vector<int64_t> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(i * 7);
  return ids;
}

int64_t Credits(const std::vector<BackfillCall>& calls) {
  int64_t sum = 0;
  for (const BackfillCall& c : calls) sum += c.credits;
  return sum;
}

// The goal: 100 coins x 30 days hourly costs CMC's documented minimum, 1 credit per 100
// points, because every call's points are whole hundreds.
TEST(BackfillPlanTest, HundredCoinsThirtyDaysHourlyCostTheMinimum) {
  BackfillSpec spec{At("2026-11-05T00:00:00Z"), At("2026-12-05T00:00:00Z"), Ids(100), 60};
  ASSERT_OK_AND_ASSIGN(std::vector<BackfillCall> calls, PlanBackfill(spec));
  ASSERT_EQ(calls.size(), 4u);  // 25 coins a call: 18,000 points, under kMaxPointsPerCall
  int64_t points = 0;
  for (const BackfillCall& c : calls) {
    EXPECT_EQ(c.endpoint->name, lake::kQuotesHistorical);
    EXPECT_EQ(c.ids.size(), 25u);
    EXPECT_EQ(c.points % 100, 0);
    EXPECT_EQ(c.request.params.at("count"), "720");
    EXPECT_EQ(c.request.params.at("interval"), "1h");
    EXPECT_EQ(c.request.params.at("time_start"), "2026-11-05T00:00:00.000Z");
    EXPECT_EQ(c.request.params.at("time_end"), "2026-12-04T23:59:59.000Z");
    points += c.points;
  }
  EXPECT_EQ(points, 100 * 720);
  EXPECT_EQ(Credits(calls), 720);
  EXPECT_TRUE(calls[0].request.params.at("id").starts_with("7,14,21,28,35,"));
  EXPECT_TRUE(calls[3].request.params.at("id").ends_with(",686,693,700"));
}

TEST(BackfillPlanTest, KeysAreMadeFromTheRequest) {
  BackfillSpec spec{At("2026-11-05T00:10:00Z"), At("2026-11-06T00:00:00Z"), Ids(30), 60};
  ASSERT_OK_AND_ASSIGN(auto first, PlanBackfill(spec));
  ASSERT_OK_AND_ASSIGN(auto again, PlanBackfill(spec));
  std::set<std::string> keys;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].key(), again[i].key());
    keys.insert(first[i].key());
    ASSERT_OK_AND_ASSIGN(lake::RawKey parsed, lake::ParseRawKey(first[i].key()));
    EXPECT_EQ(parsed.data_time, At("2026-11-05T00:00:00Z"));  // aligned down to the hour
    EXPECT_EQ(parsed.request, first[i].digest);
  }
  EXPECT_EQ(keys.size(), first.size());
  EXPECT_TRUE(first[0].digest.starts_with("1h-"));
  spec.convert = "USD,EUR";  // another request, another key
  ASSERT_OK_AND_ASSIGN(auto eur, PlanBackfill(spec));
  EXPECT_NE(eur[0].key(), first[0].key());
  EXPECT_EQ(eur[0].credits, first[0].credits + 1);  // +1 per extra convert
}

TEST(BackfillPlanTest, LongWindowsSplitAtCmcsCountLimit) {
  // 60 days at 5 minutes: 17,280 points a coin, over the 10,000 a call may ask for.
  BackfillSpec spec{At("2026-10-01T00:00:00Z"), At("2026-11-30T00:00:00Z"), Ids(3), 5};
  ASSERT_OK_AND_ASSIGN(auto calls, PlanBackfill(spec));
  std::set<std::string> windows;
  int64_t points = 0;
  for (const BackfillCall& c : calls) {
    EXPECT_LE(std::stoll(c.request.params.at("count")), kMaxPointsPerCoin);
    EXPECT_LE(c.points, kMaxPointsPerCall);
    windows.insert(c.request.params.at("time_start"));
    points += c.points;
  }
  EXPECT_EQ(windows.size(), 2u);
  EXPECT_EQ(points, 3 * 17280);
}

TEST(BackfillPlanTest, OhlcvAsksForTheBarsOfTheWindow) {
  BackfillSpec spec{At("2026-11-01T00:00:00Z"), At("2026-11-08T00:00:00Z"), Ids(2), 1440};
  spec.quotes = false;
  spec.ohlcv = true;
  spec.global_metrics = true;
  ASSERT_OK_AND_ASSIGN(auto calls, PlanBackfill(spec));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].endpoint->name, lake::kOhlcvHistorical);
  EXPECT_EQ(calls[0].request.params.at("time_period"), "daily");
  // Bars open after time_start's period: the second before the window.
  EXPECT_EQ(calls[0].request.params.at("time_start"), "2026-10-31T23:59:59.000Z");
  EXPECT_EQ(calls[0].points, 2 * 7);
  EXPECT_EQ(calls[1].endpoint->name, lake::kGlobalMetricsHistorical);
  EXPECT_EQ(calls[1].request.params.count("id"), 0u);
  EXPECT_EQ(calls[1].points, 7);
  EXPECT_EQ(calls[1].credits, 1);
}

TEST(BackfillPlanTest, TheProbeCostsAtMostOneCredit) {
  BackfillSpec spec{At("2026-11-05T00:00:00Z"), At("2026-12-05T00:00:00Z"), Ids(100), 60};
  spec.convert = "USD,EUR,BRL";
  ASSERT_OK_AND_ASSIGN(auto calls, PlanBackfill(spec));
  BackfillCall probe = ProbeCall(calls[0], 60, spec.convert);
  EXPECT_EQ(probe.ids, std::vector<int64_t>{7});
  EXPECT_EQ(probe.points, 1);
  EXPECT_EQ(probe.credits, 1);
  EXPECT_EQ(probe.request.params.at("convert"), "USD");
  EXPECT_EQ(probe.request.params.at("time_start"), "2026-11-05T00:00:00.000Z");
  EXPECT_NE(probe.key(), calls[0].key());
}

TEST(BackfillPlanTest, RefusesWhatItCannotAskFor) {
  BackfillSpec empty{At("2026-11-05T00:10:00Z"), At("2026-11-05T00:50:00Z"), Ids(1), 60};
  EXPECT_EQ(PlanBackfill(empty).status().code(), StatusCode::kInvalidArgument);
  BackfillSpec no_coins{At("2026-11-01T00:00:00Z"), At("2026-11-02T00:00:00Z"), {}, 60};
  EXPECT_EQ(PlanBackfill(no_coins).status().code(), StatusCode::kInvalidArgument);
  no_coins.quotes = false;
  no_coins.global_metrics = true;  // needs no coins
  EXPECT_OK(PlanBackfill(no_coins));
  BackfillSpec bars{At("2026-11-01T00:00:00Z"), At("2026-11-02T00:00:00Z"), Ids(1), 5};
  bars.ohlcv = true;
  EXPECT_EQ(PlanBackfill(bars).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(BackfillIntervalMinutes("15m").ok());
  EXPECT_EQ(*BackfillIntervalMinutes("1d"), 1440);
}

TEST(BackfillPlanTest, ListingsSnapshotsAreKeyedByTheirTime) {
  BackfillCall call = ListingsHistoricalCall(At("2026-11-05T10:05:00Z"), 250, "USD");
  EXPECT_EQ(call.credits, 3);
  EXPECT_EQ(call.request.params.at("date"), "2026-11-05T10:05:00.000Z");
  ASSERT_OK_AND_ASSIGN(lake::RawKey parsed, lake::ParseRawKey(call.key()));
  EXPECT_EQ(parsed.endpoint, lake::kListingsHistorical);
  EXPECT_EQ(parsed.data_time, At("2026-11-05T10:05:00Z"));
}

}  // namespace
}  // namespace coinlake::pipeline
