#include "common/time_util.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake {
namespace {

TEST(TimeUtilTest, ParsesCmcTimestamps) {
  auto t = ParseIso8601("2026-09-29T03:55:03.728Z");
  ASSERT_OK(t);
  EXPECT_EQ(FormatIso8601(*t), "2026-09-29T03:55:03.728Z");
  EXPECT_EQ(FormatDate(*t), "2026-09-29");
  EXPECT_EQ(FormatKeyTime(*t), "2026-09-29T03-55-03Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2026-09-29T23:59:59.999Z")), "2026-09-29T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2010-07-13T00:00:00Z")), "2010-07-13T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2026-01-02T03:04:05.1+00:00")),
            "2026-01-02T03:04:05.100Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2026-01-02T03:04:05.123456Z")),
            "2026-01-02T03:04:05.123Z");
}

TEST(TimeUtilTest, RejectsBadTimes) {
  EXPECT_FALSE(ParseIso8601("").ok());
  EXPECT_FALSE(ParseIso8601("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseIso8601("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseIso8601("2026-01-01T00:00:00+02:00").ok());
  EXPECT_FALSE(ParseIso8601("2026-01-01T00:00:00.Z").ok());
  EXPECT_FALSE(ParseIso8601("yesterday at noon").ok());
}

TEST(TimeUtilTest, KeyTimeRoundTrips) {
  auto t = ParseKeyTime("2025-02-08T22-41-18Z");
  ASSERT_OK(t);
  EXPECT_EQ(FormatKeyTime(*t), "2025-02-08T22-41-18Z");
  EXPECT_FALSE(ParseKeyTime("2025-02-08T22:41:18Z").ok());
}

}  // namespace
TEST(TimeUtilTest, ParsesDurationsOfOneUnit) {
  EXPECT_EQ(ParseDurationSeconds("90s", 1000), 90);
  EXPECT_EQ(ParseDurationSeconds("15m", 899), std::nullopt);  // past the bound
  EXPECT_EQ(ParseDurationSeconds("15m", 900), 900);
  EXPECT_EQ(ParseDurationSeconds("6h", 1 << 30), 6 * 3600);
  EXPECT_EQ(ParseDurationSeconds("7d", 1 << 30), 7 * 86400);
  EXPECT_EQ(ParseDurationSeconds("0m", 100), 0);
  for (const char* bad :
       {"", "s", "5", "5x", "-5m", "+5m", "5 m", "1.5h", "5mm", "h5", "99999999999999999999d"}) {
    EXPECT_EQ(ParseDurationSeconds(bad, INT64_MAX), std::nullopt) << bad;
  }
}

}  // namespace coinlake
