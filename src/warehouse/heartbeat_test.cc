// The heartbeat table against a real PostgreSQL: what an ETL host writes is what the dashboard,
// `audit` and the run lock read back.
#include "warehouse/heartbeat.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

TimePoint At(const char* iso) { return ParseIso8601(iso).value(); }

Heartbeat Beat(std::string host) {
  return Heartbeat{.host = std::move(host),
                   .pid = 4242,
                   .version = "test",
                   .state = "running",
                   .started = At("2026-12-05T10:00:00Z")};
}

class HeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override { db.Migrate(); }
  TestDatabase db;
  std::unique_ptr<Connection> conn = db.Connect();
};

TEST_F(HeartbeatTest, WhatIsWrittenIsReadBack) {
  Heartbeat beat = Beat("etl-1");
  beat.last_cycle_started = At("2026-12-05T10:05:00Z");
  beat.last_cycle_finished = At("2026-12-05T10:05:02.500Z");
  beat.last_outcome = "ok";
  beat.last_success = At("2026-12-05T10:05:02.500Z");
  beat.lag_seconds = 0.25;
  beat.next_cycle = At("2026-12-05T10:10:00Z");
  beat.cycles = 3;
  beat.failed_cycles = 1;
  beat.skipped_slots = 2;
  beat.credits = CreditPlanSeen{.plan_month = 110000, .used_month = 90, .reset_at = std::nullopt};
  ASSERT_OK(WriteHeartbeat(*conn, beat));

  ASSERT_OK_AND_ASSIGN(std::vector<HeartbeatRecord> beats, ReadHeartbeats(*conn));
  ASSERT_EQ(beats.size(), 1u);
  const Heartbeat& read = beats[0].beat;
  EXPECT_EQ(read.host, "etl-1");
  EXPECT_EQ(read.pid, 4242);
  EXPECT_EQ(read.last_outcome, "ok");
  EXPECT_EQ(read.last_success, beat.last_success);
  EXPECT_EQ(read.next_cycle, beat.next_cycle);
  EXPECT_EQ(read.lag_seconds, 0.25);
  EXPECT_EQ(read.cycles, 3);
  EXPECT_EQ(read.failed_cycles, 1);
  EXPECT_EQ(read.skipped_slots, 2);
  EXPECT_TRUE(beats[0].beat_at.has_value());
  EXPECT_TRUE(beats[0].stale);  // its next cycle was due long ago

  ASSERT_OK_AND_ASSIGN(std::optional<CreditPlanBeat> plan, LatestCreditPlan(*conn));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->plan.plan_month, 110000);
  EXPECT_EQ(plan->plan.used_month, 90);
  EXPECT_EQ(RunningHostName(*conn), "host etl-1 pid 4242");
}

// A restarted process has no success of its own yet: the host's earlier one stays.
TEST_F(HeartbeatTest, ARestartKeepsTheHostsLastSuccess) {
  Heartbeat first = Beat("etl-1");
  first.last_success = At("2026-12-05T10:05:00Z");
  ASSERT_OK(WriteHeartbeat(*conn, first));
  Heartbeat restarted = Beat("etl-1");
  restarted.state = "stopped";
  ASSERT_OK(WriteHeartbeat(*conn, restarted));
  ASSERT_OK_AND_ASSIGN(std::vector<HeartbeatRecord> beats, ReadHeartbeats(*conn));
  ASSERT_EQ(beats.size(), 1u);
  EXPECT_EQ(beats[0].beat.last_success, first.last_success);
  EXPECT_FALSE(beats[0].stale);  // stopped is never stale
  EXPECT_EQ(RunningHostName(*conn), std::nullopt);
  ASSERT_OK_AND_ASSIGN(std::optional<CreditPlanBeat> plan, LatestCreditPlan(*conn));
  EXPECT_FALSE(plan.has_value());
}

// The ETL's reported schedule: the newest heartbeat's, 300 s before any, and 300 s on a schema
// from before the column (a dashboard upgraded ahead of the ETL host's migration).
TEST_F(HeartbeatTest, ListingsIntervalIsTheNewestHeartbeatsOrTheDefault) {
  EXPECT_EQ(EtlListingsIntervalSeconds(*conn).value(), 300);
  Heartbeat old_beat = Beat("old");
  old_beat.listings_interval_seconds = 60;
  ASSERT_OK(WriteHeartbeat(*conn, old_beat));
  db.Scalar("UPDATE pipeline_heartbeat SET beat_at = now() - interval '1 day' RETURNING 1");
  Heartbeat new_beat = Beat("new");
  new_beat.listings_interval_seconds = 600;
  ASSERT_OK(WriteHeartbeat(*conn, new_beat));
  EXPECT_EQ(EtlListingsIntervalSeconds(*conn).value(), 600);

  db.SchemaBefore(8, "ALTER TABLE pipeline_heartbeat DROP COLUMN listings_interval_seconds");
  ASSERT_OK_AND_ASSIGN(int64_t before_0008, EtlListingsIntervalSeconds(*db.Connect()));
  EXPECT_EQ(before_0008, 300);
}

}  // namespace
}  // namespace coinlake::warehouse
