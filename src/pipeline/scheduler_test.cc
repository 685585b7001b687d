#include "pipeline/scheduler.h"

#include <gtest/gtest.h>

namespace coinlake::pipeline {
namespace {

using std::chrono::seconds;
using Names = std::vector<std::string_view>;

// 2026-11-27T00:00:00Z, a multiple of every interval below.
constexpr int64_t kMidnight = 1795737600;

TimePoint At(int64_t seconds_after_midnight) {
  return TimePoint(std::chrono::milliseconds((kMidnight + seconds_after_midnight) * 1000));
}

TimePoint AtMs(int64_t ms_after_midnight) {
  return TimePoint(std::chrono::milliseconds(kMidnight * 1000 + ms_after_midnight));
}

const std::vector<EndpointSchedule> kListings5m = {{"listings_latest", seconds(300)}};

TEST(SchedulerTest, SlotsAreWallClockMultiples) {
  EXPECT_EQ(NextSlotAfter(At(0), seconds(300)), At(300));
  EXPECT_EQ(NextSlotAfter(AtMs(1), seconds(300)), At(300));
  EXPECT_EQ(NextSlotAfter(At(299), seconds(300)), At(300));
  EXPECT_EQ(NextSlotAfter(At(3599), seconds(3600)), At(3600));
  EXPECT_EQ(NextSlotAfter(TimePoint(std::chrono::milliseconds(-1)), seconds(60)),
            TimePoint(std::chrono::milliseconds(0)));
}

TEST(SchedulerTest, FiresAtOnceOnStartThenOnTheWallClock) {
  Scheduler s(kListings5m, At(123));
  EXPECT_EQ(s.TakeDue(At(123)), Names{"listings_latest"});
  EXPECT_EQ(s.last_slot(), At(123)) << "the start cycle is on time, not 123 s late";
  EXPECT_EQ(s.NextTick(), At(300));
  EXPECT_TRUE(s.TakeDue(At(299)).empty());
  EXPECT_TRUE(s.TakeDue(AtMs(299'999)).empty());
  EXPECT_EQ(s.TakeDue(At(300)), Names{"listings_latest"});
  EXPECT_EQ(s.NextTick(), At(600));
  EXPECT_TRUE(s.TakeDue(At(300)).empty());  // a slot fires once
  EXPECT_EQ(s.TakeDue(AtMs(600'250)), Names{"listings_latest"});
  EXPECT_EQ(s.NextTick(), At(900));
  EXPECT_EQ(s.skipped(), 0);
}

TEST(SchedulerTest, ARestartIsNotReportedAsHoursOfLag) {
  // A daily map and 5-minute listings, restarted at 13:00:07: the start cycle's lag is how long
  // the first TakeDue came after the start, not the time since midnight's slot began.
  Scheduler s({{"map", seconds(86400)}, {"listings_latest", seconds(300)}}, At(13 * 3600 + 7));
  EXPECT_EQ(s.TakeDue(At(13 * 3600 + 9)), (Names{"map", "listings_latest"}));
  EXPECT_EQ(s.last_slot(), At(13 * 3600 + 7));
  // Later slots count from the slot itself again.
  EXPECT_EQ(s.TakeDue(At(13 * 3600 + 300 + 4)), Names{"listings_latest"});
  EXPECT_EQ(s.last_slot(), At(13 * 3600 + 300));
}

TEST(SchedulerTest, AnOverrunFiresOnceAndCountsTheSkippedSlots) {
  Scheduler s(kListings5m, At(0));
  ASSERT_EQ(s.TakeDue(At(0)), Names{"listings_latest"});
  // The cycle of :00 ran until :12: the :05 slot was missed, the :10 one fires late, once.
  EXPECT_EQ(s.TakeDue(At(720)), Names{"listings_latest"});
  EXPECT_EQ(s.skipped(), 1);
  EXPECT_EQ(s.last_slot(), At(600));  // 2 minutes late
  EXPECT_EQ(s.NextTick(), At(900));
  EXPECT_TRUE(s.TakeDue(At(721)).empty());
  // A cycle that ends exactly on a slot: that slot fires, nothing else was missed.
  EXPECT_EQ(s.TakeDue(At(900)), Names{"listings_latest"});
  EXPECT_EQ(s.skipped(), 1);
  // Late within its own slot (:15 fired at :19:59): not a skip.
  Scheduler t(kListings5m, At(0));
  t.TakeDue(At(0));
  EXPECT_EQ(t.TakeDue(At(599)), Names{"listings_latest"});
  EXPECT_EQ(t.skipped(), 0);
  // An hour asleep (suspended VM): one fire, eleven skipped.
  EXPECT_EQ(t.TakeDue(At(599 + 3600)), Names{"listings_latest"});
  EXPECT_EQ(t.skipped(), 11);
}

TEST(SchedulerTest, EndpointsKeepTheirOwnIntervals) {
  Scheduler s({{"listings_latest", seconds(300)},
               {"global_metrics_latest", seconds(900)},
               {"map", seconds(0)},
               {"key_info", seconds(3600)}},
              At(0));
  EXPECT_EQ(s.TakeDue(At(1)), (Names{"listings_latest", "global_metrics_latest", "key_info"}));
  EXPECT_EQ(s.NextTick(), At(300));
  EXPECT_EQ(s.TakeDue(At(300)), Names{"listings_latest"});
  EXPECT_EQ(s.TakeDue(At(600)), Names{"listings_latest"});
  EXPECT_EQ(s.TakeDue(At(900)), (Names{"listings_latest", "global_metrics_latest"}));
  for (int t = 1200; t < 3600; t += 300) s.TakeDue(At(t));
  EXPECT_EQ(s.TakeDue(At(3600)), (Names{"listings_latest", "global_metrics_latest", "key_info"}));
  EXPECT_EQ(s.skipped(), 0);
}

TEST(SchedulerTest, NothingEnabledNeverTicks) {
  Scheduler s({{"map", seconds(0)}}, At(0));
  EXPECT_TRUE(s.TakeDue(At(0)).empty());
  EXPECT_EQ(s.NextTick(), TimePoint::max());
}

TEST(SchedulerTest, ReplaceKeepsUnchangedEndpointsAndStartsNewOnesAtTheirNextSlot) {
  Scheduler s(kListings5m, At(0));
  s.TakeDue(At(0));
  s.Replace({{"listings_latest", seconds(300)}, {"global_metrics_latest", seconds(600)}}, At(100));
  EXPECT_EQ(s.NextTick(), At(300));
  EXPECT_EQ(s.TakeDue(At(300)), Names{"listings_latest"});
  EXPECT_EQ(s.TakeDue(At(600)), (Names{"listings_latest", "global_metrics_latest"}));
  // A changed interval restarts on the new grid; a removed endpoint is gone.
  s.Replace({{"listings_latest", seconds(120)}}, At(610));
  EXPECT_EQ(s.NextTick(), At(720));
  EXPECT_EQ(s.TakeDue(At(720)), Names{"listings_latest"});
  EXPECT_EQ(s.skipped(), 0);
}

}  // namespace
}  // namespace coinlake::pipeline
