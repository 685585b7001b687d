// The ETL's reported schedule, read from the heartbeat of a real PostgreSQL.
#include "warehouse/etl_schedule.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

// The ETL's reported schedule: the newest heartbeat's, 300 s before any, and 300 s on a schema
// from before the column (a dashboard upgraded ahead of the ETL host's migration).
TEST(EtlScheduleTest, NewestHeartbeatOrTheDefault) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  db.Migrate();
  EXPECT_EQ(EtlListingsIntervalSeconds(*conn).value(), 300);
  db.Scalar(
      "INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at, "
      "listings_interval_seconds) VALUES ('old', 1, 'v', 'stopped', now(), now() - interval "
      "'1 day', 60), ('new', 2, 'v', 'running', now(), now(), 600) RETURNING 1");
  EXPECT_EQ(EtlListingsIntervalSeconds(*conn).value(), 600);
  db.Scalar("ALTER TABLE pipeline_heartbeat DROP COLUMN listings_interval_seconds");
  auto before_0008 = EtlListingsIntervalSeconds(*conn);
  ASSERT_OK(before_0008);
  EXPECT_EQ(*before_0008, 300);
}

}  // namespace
}  // namespace coinlake::warehouse
