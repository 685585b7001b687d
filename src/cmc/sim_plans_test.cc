#include "cmc/sim_plans.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::cmc::sim {
namespace {

TEST(SimPlansTest, ParsesEveryPlanName) {
  for (std::string_view name : PlanNames()) {
    ASSERT_OK_AND_ASSIGN(Plan plan, ParsePlan(name));
    EXPECT_EQ(Figures(plan).name, name);
  }
  EXPECT_FALSE(ParsePlan("free").ok());
}

TEST(SimPlansTest, BasicLacksHistoricalEndpoints) {
  EXPECT_TRUE(PlanCovers(Plan::kBasic, "/v1/cryptocurrency/listings/latest"));
  EXPECT_FALSE(PlanCovers(Plan::kBasic, "/v1/cryptocurrency/quotes/historical"));
  EXPECT_FALSE(PlanCovers(Plan::kBasic, "/v2/cryptocurrency/market-pairs/latest"));
  EXPECT_TRUE(PlanCovers(Plan::kHobbyist, "/v1/cryptocurrency/quotes/historical"));
  const TimePoint now = *ParseIso8601("2026-12-05T21:00:00Z");
  auto refused = HistoricalWindowStart(Plan::kBasic, "/v2/cryptocurrency/quotes/historical", now);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
}

TEST(SimPlansTest, HistoricalWindowPerPlan) {
  const TimePoint now = *ParseIso8601("2026-03-31T12:30:00Z");
  const std::string_view path = "/v2/cryptocurrency/quotes/historical";
  ASSERT_OK_AND_ASSIGN(TimePoint hobbyist, HistoricalWindowStart(Plan::kHobbyist, path, now));
  EXPECT_EQ(FormatIso8601(hobbyist), "2025-03-31T12:30:00.000Z");
  ASSERT_OK_AND_ASSIGN(TimePoint startup, HistoricalWindowStart(Plan::kStartup, path, now));
  EXPECT_EQ(FormatIso8601(startup), "2024-03-31T12:30:00.000Z");
  ASSERT_OK_AND_ASSIGN(TimePoint standard, HistoricalWindowStart(Plan::kStandard, path, now));
  EXPECT_EQ(FormatIso8601(standard), "2021-03-31T12:30:00.000Z");
  ASSERT_OK_AND_ASSIGN(TimePoint all, HistoricalWindowStart(Plan::kProfessional, path, now));
  EXPECT_EQ(FormatIso8601(all), "2013-04-28T00:00:00.000Z");
  // A day the month a window back lacks: that month's last day.
  const TimePoint leap = *ParseIso8601("2024-02-29T06:00:00Z");
  ASSERT_OK_AND_ASSIGN(TimePoint back, HistoricalWindowStart(Plan::kHobbyist, path, leap));
  EXPECT_EQ(FormatIso8601(back), "2023-02-28T06:00:00.000Z");
}

TEST(SimPlansTest, WindowRefusesWithThePlansMessage) {
  const TimePoint now = *ParseIso8601("2026-03-31T12:30:00Z");
  const std::string_view path = "/v1/cryptocurrency/quotes/historical";
  HistoricalWindow hobbyist = PlanWindow(Plan::kHobbyist, path, now);
  EXPECT_EQ(FormatIso8601(hobbyist.earliest), "2025-03-31T12:30:00.000Z");
  EXPECT_EQ(hobbyist.refusal, "Your plan allows 12 months of historical access.");
  EXPECT_EQ(PlanWindow(Plan::kEnterprise, path, now).earliest, TimePoint::min());
}

}  // namespace
}  // namespace coinlake::cmc::sim
