// What `run` tells the pipeline alert rules: the credit month's start and the live interval.
#include "pipeline/pipeline_watch.h"

#include <gtest/gtest.h>

namespace coinlake::pipeline {
namespace {

using namespace std::chrono;

TimePoint Day(int y, unsigned m, unsigned d) { return sys_days(year(y) / m / d); }

TEST(PipelineWatchTest, TheCreditMonthStartsACalendarMonthBeforeItsReset) {
  EXPECT_EQ(MonthStartBefore(Day(2027, 1, 1)), Day(2026, 12, 1));
  EXPECT_EQ(MonthStartBefore(Day(2026, 3, 15) + hours(6)), Day(2026, 2, 15) + hours(6));
  // No 31 February: the last day of February.
  EXPECT_EQ(MonthStartBefore(Day(2026, 3, 31)), Day(2026, 2, 28));
  EXPECT_EQ(MonthStartBefore(Day(2028, 3, 30)), Day(2028, 2, 29));
}

TEST(PipelineWatchTest, TheLiveIntervalIsTheShortestOfListingsAndQuotes) {
  EXPECT_EQ(
      LiveInterval({{"listings_latest", seconds(300)}, {"global_metrics_latest", seconds(60)}}),
      seconds(300));
  EXPECT_EQ(LiveInterval({{"listings_latest", seconds(300)}, {"quotes_latest", seconds(120)}}),
            seconds(120));
  EXPECT_EQ(LiveInterval({{"listings_latest", seconds(0)}, {"quotes_latest", seconds(600)}}),
            seconds(600));
  EXPECT_EQ(LiveInterval({{"listings_latest", seconds(0)}, {"map", seconds(86400)}}), seconds(0));
}

}  // namespace
}  // namespace coinlake::pipeline
