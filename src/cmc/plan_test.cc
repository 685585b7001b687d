#include "cmc/plan.h"

#include <gtest/gtest.h>

namespace coinlake::cmc {
namespace {

using std::chrono::seconds;

PlanInput FreePlanDefault() {
  PlanInput in;
  in.calls = {{"listings_latest", seconds(300), ListingsCredits(100, 1), 20'450, "top 100"},
              {"global_metrics_latest", seconds(900), GlobalMetricsCredits(1), 1950, ""},
              {"key_info", seconds(3600), 0, 1050, ""},
              {"map", seconds(86400), 0, 500'450, ""}};
  return in;
}

TEST(PlanTest, DefaultFitsTheFreePlan) {
  PlanEstimate e = EstimatePlan(FreePlanDefault());
  ASSERT_EQ(e.lines.size(), 4u);
  EXPECT_NEAR(e.lines[0].calls_per_month, 8766, 1);  // every 5 minutes for an average month
  EXPECT_NEAR(e.lines[0].credits_per_month, 8766, 1);
  EXPECT_NEAR(e.lines[1].credits_per_month, 2922, 1);  // every 15 minutes
  EXPECT_EQ(e.lines[2].credits_per_month, 0);
  EXPECT_NEAR(e.credits_per_month, 8766 + 2922, 2);
  EXPECT_NEAR(e.calls_per_month, 8766 + 2922 + 730.5 + 30.4, 2);
  EXPECT_FALSE(e.exceeds_plan);
  EXPECT_NEAR(e.s3_put_requests_per_month, 2 * e.calls_per_month, 1e-6);
}

TEST(PlanTest, CreditsFollowCmcRules) {
  EXPECT_EQ(ListingsCredits(1, 1), 1);
  EXPECT_EQ(ListingsCredits(200, 1), 1);
  EXPECT_EQ(ListingsCredits(201, 1), 2);    // 1 per 200 coins, rounded up
  EXPECT_EQ(ListingsCredits(5000, 3), 27);  // +1 per extra currency
  EXPECT_EQ(QuotesCredits(1, 1), 1);
  EXPECT_EQ(QuotesCredits(101, 1), 2);  // 1 per 100 coins
  EXPECT_EQ(QuotesCredits(100, 2), 2);
  EXPECT_EQ(GlobalMetricsCredits(1), 1);
  EXPECT_EQ(GlobalMetricsCredits(2), 2);
}

TEST(PlanTest, EveryEndpointCounts) {
  PlanInput in = FreePlanDefault();
  double before = EstimatePlan(in).credits_per_month;
  in.calls.push_back({"quotes_latest", seconds(60), QuotesCredits(100, 1), 20'450, ""});
  PlanEstimate e = EstimatePlan(in);
  EXPECT_NEAR(e.credits_per_month - before, 43'830, 1);  // quotes every minute: 43.8k credits
  EXPECT_TRUE(e.exceeds_plan);
}

TEST(PlanTest, WarnsWhenTheConfigurationExceedsThePlan) {
  PlanInput in;
  in.calls = {{"listings_latest", seconds(60), ListingsCredits(5000, 1), 1e6, "top 5000"}};
  EXPECT_TRUE(EstimatePlan(in).exceeds_plan);
  in.credits_per_month = 2'000'000;
  EXPECT_FALSE(EstimatePlan(in).exceeds_plan);
  std::string text = FormatPlan(in, EstimatePlan(in));
  EXPECT_NE(text.find("listings_latest"), std::string::npos);
  EXPECT_NE(text.find("top 5000"), std::string::npos);
  EXPECT_NE(text.find("credits / month"), std::string::npos);
  EXPECT_NE(text.find("S3 storage"), std::string::npos);
}

TEST(PlanTest, StorageCostScalesWithTheLake) {
  PlanInput in = FreePlanDefault();
  PlanEstimate e = EstimatePlan(in);
  double gb = e.lake_bytes_per_month / 1e9;
  EXPECT_GT(gb, 0);
  EXPECT_NEAR(e.s3_storage_usd_first_month, gb * 0.023, 1e-9);
  EXPECT_NEAR(e.s3_storage_usd_after_year, 12 * gb * 0.023, 1e-9);
}

TEST(PlanTest, AnEndpointTurnedOffCostsNothing) {
  PlanInput in;
  in.calls = {{"listings_latest", seconds(0), 1, 1000, ""}};
  PlanEstimate e = EstimatePlan(in);
  EXPECT_EQ(e.calls_per_month, 0);
  EXPECT_EQ(e.credits_per_month, 0);
}

}  // namespace
}  // namespace coinlake::cmc
