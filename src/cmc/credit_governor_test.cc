#include "cmc/credit_governor.h"

#include <gtest/gtest.h>

namespace coinlake::cmc {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

TEST(CreditGovernorTest, GreedyCallerNeverRunsTheMonthDry) {
  // A caller that asks every minute for a 25-credit call (5000 coins) on the free plan: the
  // governor must spread 15,000 credits over the whole month, not burn them in two days.
  CreditGovernor governor(CreditPlan{15'000, std::nullopt, 30, std::nullopt});
  TimePoint t = At("2026-09-01T00:00:00Z");
  TimePoint end = At("2026-10-01T00:00:00Z");
  int64_t spent = 0;
  TimePoint last_call{};
  while (t < end) {
    if (governor.Admit(25, t).allowed) {
      governor.Record(25, t);
      spent += 25;
      last_call = t;
    }
    t += minutes(1);
  }
  EXPECT_LE(spent, 15'000);
  EXPECT_GE(spent, 15'000 - 25);  // and it does use the plan
  // Spending runs at most a day (the burst) ahead of an even pace: calls go on to the last day.
  EXPECT_GE(last_call, At("2026-09-30T00:00:00Z"));
}

TEST(CreditGovernorTest, PacingSaysWhenTheNextCallFits) {
  CreditGovernor governor(CreditPlan{30'000, std::nullopt, 30, std::nullopt}, hours(0));
  TimePoint t = At("2026-09-16T00:00:00Z");  // half of September: 15,000 allowed so far
  governor.Record(15'000, t);
  Admission a = governor.Admit(1'000, t);
  ASSERT_FALSE(a.allowed);
  EXPECT_NE(a.reason.find("pacing"), std::string::npos);
  // 1,000 credits more is 1/30 of the month: one day later.
  EXPECT_NEAR(static_cast<double>((a.not_before - t).count()), 86'400'000.0, 1'000.0);
  EXPECT_TRUE(governor.Admit(1'000, a.not_before).allowed);
}

TEST(CreditGovernorTest, MinuteRateLimit) {
  CreditGovernor governor(CreditPlan{1'000'000, std::nullopt, 3, std::nullopt});
  TimePoint t = At("2026-09-10T12:00:10Z");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(governor.Admit(0, t).allowed);
    governor.Record(0, t);  // key/info: free, but it still counts as a call
  }
  Admission a = governor.Admit(0, t);
  ASSERT_FALSE(a.allowed);
  EXPECT_EQ(a.not_before, t + minutes(1));
  EXPECT_TRUE(governor.Admit(0, t + minutes(1)).allowed);
}

TEST(CreditGovernorTest, KeyInfoSetsPlanAndUsageAndTheMonthResets) {
  KeyInfo info;
  info.credit_limit_monthly = 15'000;
  info.rate_limit_minute = 50;
  info.credit_limit_monthly_reset = At("2026-10-01T00:00:00Z");
  info.month_credits_used = 14'990;
  info.day_credits_used = 280;
  CreditGovernor governor(CreditPlan{});
  TimePoint t = At("2026-09-27T06:32:25Z");
  governor.Update(info, t);
  EXPECT_EQ(governor.plan().calls_per_minute, 50);
  EXPECT_EQ(governor.month_used(), 14'990);
  Admission a = governor.Admit(25, t);
  ASSERT_FALSE(a.allowed);
  EXPECT_NE(a.reason.find("monthly"), std::string::npos);
  EXPECT_EQ(a.not_before, At("2026-10-01T00:00:00Z"));
  EXPECT_TRUE(governor.Admit(25, At("2026-10-01T00:00:01Z")).allowed);
  governor.Record(25, At("2026-10-01T00:00:01Z"));
  EXPECT_EQ(governor.month_used(), 25);
}

TEST(CreditGovernorTest, DailyLimitWhenThePlanHasOne) {
  CreditGovernor governor(CreditPlan{1'000'000, 100, 60, std::nullopt});
  TimePoint t = At("2026-09-10T12:00:00Z");
  governor.Record(90, t);
  Admission a = governor.Admit(20, t + minutes(5));
  ASSERT_FALSE(a.allowed);
  EXPECT_EQ(a.not_before, At("2026-09-11T00:00:00Z"));
  EXPECT_TRUE(governor.Admit(20, At("2026-09-11T00:00:00Z")).allowed);
}

}  // namespace
}  // namespace coinlake::cmc
