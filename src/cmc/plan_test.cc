#include "cmc/plan.h"

#include <gtest/gtest.h>

namespace coinlake::cmc {
namespace {

TEST(PlanTest, DefaultFitsTheFreePlan) {
  PlanEstimate e = EstimatePlan(PlanInput{});
  EXPECT_EQ(e.credits_per_call, 1);
  EXPECT_NEAR(e.calls_per_month, 8766, 1);  // every 5 minutes for an average month
  EXPECT_NEAR(e.credits_per_month, 8766, 1);
  EXPECT_FALSE(e.exceeds_plan);
  EXPECT_NEAR(e.s3_put_requests_per_month, 2 * 8766, 2);
}

TEST(PlanTest, CreditsFollowCmcRules) {
  PlanInput in;
  in.listings_limit = 201;  // 2 credits: 1 per 200 coins, rounded up
  EXPECT_EQ(EstimatePlan(in).credits_per_call, 2);
  in.listings_limit = 5000;
  in.convert_count = 3;  // +1 per extra currency
  EXPECT_EQ(EstimatePlan(in).credits_per_call, 27);
}

TEST(PlanTest, WarnsWhenTheConfigurationExceedsThePlan) {
  PlanInput in;
  in.listings_limit = 5000;
  in.interval = std::chrono::seconds(60);
  PlanEstimate e = EstimatePlan(in);
  EXPECT_TRUE(e.exceeds_plan);
  in.credits_per_month = 2'000'000;
  EXPECT_FALSE(EstimatePlan(in).exceeds_plan);
  std::string text = FormatPlan(in, EstimatePlan(in));
  EXPECT_NE(text.find("credits / month"), std::string::npos);
  EXPECT_NE(text.find("S3 storage"), std::string::npos);
}

TEST(PlanTest, StorageCostScalesWithTheLake) {
  PlanInput in;
  in.listings_limit = 5000;
  PlanEstimate e = EstimatePlan(in);
  double gb = e.lake_bytes_per_month / 1e9;
  EXPECT_NEAR(e.s3_storage_usd_first_month, gb * 0.023, 1e-9);
  EXPECT_NEAR(e.s3_storage_usd_after_year, 12 * gb * 0.023, 1e-9);
}

}  // namespace
}  // namespace coinlake::cmc
