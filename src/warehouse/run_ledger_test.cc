// The runs ledger against a real PostgreSQL: what a fetch cycle records is what the dashboard
// and `audit` read, on the current schema and on one from before a column was added.
#include "warehouse/run_ledger.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/schema_version.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

TimePoint At(const char* iso) { return ParseIso8601(iso).value(); }

TEST(RunLedgerTest, ACycleIsRecordedAndReadBack) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  ASSERT_OK_AND_ASSIGN(int64_t ok_id, StartRun(*conn, {.command = "run",
                                                       .started = At("2026-12-05T10:00:00Z"),
                                                       .listings_interval_seconds = 300}));
  ASSERT_OK(FinishRun(*conn, ok_id,
                      {.finished = At("2026-12-05T10:00:02.250Z"),
                       .outcome = "ok",
                       .credits = 1,
                       .objects = 2,
                       .rows = 100,
                       .quotes_carried = 40}));
  ASSERT_OK_AND_ASSIGN(int64_t failed_id, StartRun(*conn, {.command = "fetch",
                                                           .started = At("2026-12-05T10:05:00Z")}));
  ASSERT_OK(FinishRun(*conn, failed_id,
                      {.finished = At("2026-12-05T10:05:01Z"),
                       .outcome = "failed",
                       .error_class = "UNAVAILABLE",
                       .error = "the API is down"}));
  ASSERT_OK_AND_ASSIGN(int64_t unfinished_id,
                       StartRun(*conn, {.command = "run", .started = At("2026-12-05T10:10:00Z")}));

  ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> runs, RecentRuns(*conn, 10));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, unfinished_id);  // newest first
  EXPECT_EQ(runs[0].outcome, "running");
  EXPECT_FALSE(runs[0].finished.has_value());
  EXPECT_FALSE(runs[0].duration_seconds.has_value());
  EXPECT_EQ(runs[1].error_class, "UNAVAILABLE");
  EXPECT_EQ(runs[1].error, "the API is down");
  EXPECT_EQ(runs[2].id, ok_id);
  EXPECT_EQ(runs[2].started, At("2026-12-05T10:00:00Z"));
  EXPECT_EQ(runs[2].rows, 100);
  EXPECT_EQ(runs[2].quotes_carried, 40);
  EXPECT_DOUBLE_EQ(runs[2].duration_seconds.value_or(0), 2.25);
  ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> newest, RecentRuns(*conn, 1));
  EXPECT_EQ(newest.size(), 1u);

  // The failed cycle explains a gap over all three; none explains an earlier one.
  ASSERT_OK_AND_ASSIGN(
      std::optional<RunRecord> worst,
      RunExplainingGap(*conn, At("2026-12-05T09:59:00Z"), At("2026-12-05T10:11:00Z")));
  ASSERT_TRUE(worst.has_value());
  EXPECT_EQ(worst->id, failed_id);
  ASSERT_OK_AND_ASSIGN(
      std::optional<RunRecord> none,
      RunExplainingGap(*conn, At("2026-12-05T09:00:00Z"), At("2026-12-05T09:59:00Z")));
  EXPECT_FALSE(none.has_value());
}

TEST(RunLedgerTest, SpendErrorsAndScheduleChanges) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  // Three cycles this month: 300 s, 300 s, then 60 s; one failed.
  int64_t interval[] = {300, 300, 60};
  for (int i = 0; i < 3; ++i) {
    TimePoint started = SystemNow() - std::chrono::minutes(30 - i * 10);
    ASSERT_OK_AND_ASSIGN(int64_t id, StartRun(*conn, {.command = "run",
                                                      .started = started,
                                                      .listings_interval_seconds = interval[i]}));
    RunEnd end{.finished = started + std::chrono::seconds(1), .outcome = "ok", .credits = 2};
    if (i == 1) {
      end.outcome = "failed";
      end.error_class = "RESOURCE_EXHAUSTED";
      end.error = "credits";
    }
    ASSERT_OK(FinishRun(*conn, id, end));
  }
  ASSERT_OK_AND_ASSIGN(MonthSpend spent, SpentThisMonth(*conn));
  // Near a month's start the first cycles may fall in the previous month.
  EXPECT_GE(spent.runs, 1);
  EXPECT_EQ(spent.credits, 2 * spent.runs);
  ASSERT_OK_AND_ASSIGN(std::vector<ErrorClassCount> errors,
                       ErrorsByClass(*conn, std::chrono::hours(24)));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error_class, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(errors[0].count, 1);
  EXPECT_EQ(errors[0].last_error, "credits");
  ASSERT_OK_AND_ASSIGN(std::vector<ScheduleChange> changes, ListingsScheduleChanges(*conn));
  ASSERT_EQ(changes.size(), 2u);  // one per change, not per cycle
  EXPECT_EQ(changes[0].interval, std::chrono::seconds(300));
  EXPECT_EQ(changes[1].interval, std::chrono::seconds(60));
}

// A dashboard upgraded ahead of the ETL host's migration: the runs table lacks the columns of
// migrations 0010 and 0012, and every read still answers (without what those columns hold).
TEST(RunLedgerTest, ReadsWorkOnASchemaFromBeforeMigration10) {
  TestDatabase db;
  db.Migrate();
  {
    auto conn = db.Connect();
    ASSERT_OK_AND_ASSIGN(int64_t id, StartRun(*conn, {.command = "run",
                                                      .started = SystemNow(),
                                                      .listings_interval_seconds = 300}));
    ASSERT_OK(FinishRun(*conn, id, {.finished = SystemNow(), .outcome = "ok", .rows = 5}));
    db.Scalar(
        "INSERT INTO lake_objects (key, endpoint, data_ts, sha256, size, rows) VALUES "
        "('raw/x', 'listings_latest', now() - interval '1 hour', 'x', 1, 5) RETURNING 1");
  }
  db.SchemaBefore(10,
                  "ALTER TABLE runs DROP COLUMN listings_interval_seconds, "
                  "DROP COLUMN quotes_carried");
  auto conn = db.Connect();
  ASSERT_OK_AND_ASSIGN(std::vector<RunRecord> runs, RecentRuns(*conn, 5));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].rows, 5);
  EXPECT_FALSE(runs[0].quotes_carried.has_value());
  ASSERT_OK_AND_ASSIGN(std::vector<ScheduleChange> changes, ListingsScheduleChanges(*conn));
  EXPECT_TRUE(changes.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<ListingsSlot> slots, RecentListingsSlots(*conn, 300));
  EXPECT_GE(slots.size(), 11u);  // the hour since the first snapshot, in 5-minute slots
  EXPECT_TRUE(slots.front().filled);
  EXPECT_FALSE(slots.back().filled);
}

// The memo: a yes stands, a no is read again only after a minute, per connection.
TEST(SchemaVersionTest, AppliedMigrationsAreSeenAndANoIsRereadLater) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_OK_AND_ASSIGN(int none, ReadSchemaVersion(*conn));
  EXPECT_EQ(none, -1);
  ASSERT_OK_AND_ASSIGN(bool before, SchemaHasMigration(*conn, 1));
  EXPECT_FALSE(before);
  db.Migrate();
  ASSERT_OK_AND_ASSIGN(bool memoised_no, SchemaHasMigration(*conn, 1));
  EXPECT_FALSE(memoised_no);  // within the minute
  ASSERT_OK_AND_ASSIGN(bool fresh, SchemaHasMigration(*db.Connect(), 1));
  EXPECT_TRUE(fresh);
  conn->schema_seen().read_at -= std::chrono::minutes(2);
  ASSERT_OK_AND_ASSIGN(bool reread, SchemaHasMigration(*conn, 1));
  EXPECT_TRUE(reread);
  ASSERT_OK_AND_ASSIGN(int version, ReadSchemaVersion(*conn));
  ASSERT_OK_AND_ASSIGN(bool newer, SchemaHasMigration(*conn, version + 1));
  EXPECT_FALSE(newer);
}

}  // namespace
}  // namespace coinlake::warehouse
