// The weekly partitions of quotes (migrations/0021_weekly_quote_partitions.sql) against a real
// PostgreSQL: ISO weeks for a range, fitted around the monthly partitions a database made before
// migration 21 has, and the retention tables of such a database carried over as ranges.
#include <gtest/gtest.h>

#include <thread>

#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/db.h"
#include "warehouse/migrations.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

// The partitions of quotes whose range meets [from, to), "name start end" a line, by start.
std::string PartitionsBetween(const TestDatabase& db, const std::string& from,
                              const std::string& to) {
  return db.Scalar(
      "SELECT string_agg(partition_name || ' ' || to_char(range_start AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD') || ' ' || to_char(range_end AT TIME ZONE 'UTC', 'YYYY-MM-DD'), E'\\n' "
      "ORDER BY range_start) FROM coinlake_quote_partitions() WHERE range_end > '" +
      from + "' AND range_start < '" + to + "'");
}

TEST(QuotePartitionMigrationTest, WeeklyPartitionsCoverTheRangeByIsoWeek) {
  TestDatabase db;
  db.Migrate();
  // 2031-01-15 is a Wednesday, 2031-01-27 a Monday: three weeks, each from Monday 00:00 UTC.
  db.Scalar("SELECT coinlake_ensure_quote_partitions('2031-01-15T10:00:00Z', '2031-01-27')");
  const std::string weeks =
      "quotes_w2031_01_13 2031-01-13 2031-01-20\n"
      "quotes_w2031_01_20 2031-01-20 2031-01-27\n"
      "quotes_w2031_01_27 2031-01-27 2031-02-03";
  EXPECT_EQ(PartitionsBetween(db, "2031-01-01", "2031-03-01"), weeks);
  // Again, and in a session of another time zone: nothing more, nothing shifted.
  auto conn = db.Connect();
  ASSERT_OK(conn->Execute("SET TimeZone = 'America/New_York'"));
  ASSERT_OK(conn->Execute("SET DateStyle = 'SQL, DMY'"));
  ASSERT_OK(
      conn->Execute("SELECT coinlake_ensure_quote_partitions('2031-01-13 00:00:00+00', "
                    "'2031-01-30 00:00:00+00')"));
  EXPECT_EQ(PartitionsBetween(db, "2031-01-01", "2031-03-01"), weeks);
}

// A deployed database keeps its monthly partitions: the weeks around one start at its end and
// stop at its start, and never overlap it.
TEST(QuotePartitionMigrationTest, WeeksFitAroundAnExistingMonthlyPartition) {
  TestDatabase db;
  db.Migrate();
  // As coinlake_ensure_quote_partitions made months before migration 21. 2031-03-01 is a
  // Saturday, 2031-04-01 a Tuesday.
  db.Scalar(
      "CREATE TABLE quotes_2031_03 PARTITION OF quotes FOR VALUES FROM ('2031-03-01 00:00:00+00') "
      "TO ('2031-04-01 00:00:00+00')");
  db.Scalar("SELECT coinlake_ensure_quote_partitions('2031-02-20', '2031-04-08')");
  EXPECT_EQ(PartitionsBetween(db, "2031-02-01", "2031-05-01"),
            "quotes_w2031_02_17 2031-02-17 2031-02-24\n"
            "quotes_w2031_02_24 2031-02-24 2031-03-01\n"
            "quotes_2031_03 2031-03-01 2031-04-01\n"
            "quotes_w2031_04_01 2031-04-01 2031-04-07\n"
            "quotes_w2031_04_07 2031-04-07 2031-04-14");
  // Inside the month: nothing to make.
  db.Scalar("SELECT coinlake_ensure_quote_partitions('2031-03-10', '2031-03-20')");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM coinlake_quote_partitions() WHERE range_start >= "
                      "'2031-02-01' AND range_start < '2031-05-01'"),
            "5");
}

// Loaders that make the same weeks at once: each call succeeds and each week is made once.
TEST(QuotePartitionMigrationTest, ConcurrentCallersMakeEachWeekOnce) {
  TestDatabase db;
  db.Migrate();
  std::vector<Status> results(4, InternalError("not run"));
  std::vector<std::thread> callers;
  for (size_t i = 0; i < results.size(); ++i) {
    callers.emplace_back([&, i] {
      auto conn = db.Connect();
      // Overlapping ranges, so the callers meet on the same weeks.
      results[i] = conn->Execute("SELECT coinlake_ensure_quote_partitions($1, '2033-06-30')",
                                 {std::string(i % 2 ? "2033-01-01" : "2033-02-15")});
    });
  }
  for (std::thread& t : callers) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  // 2032-12-27 (Monday of 2033-01-01's week) to 2033-07-04 (after the week of 2033-06-30).
  EXPECT_EQ(db.Scalar("SELECT count(*) || ' ' || min(range_start AT TIME ZONE 'UTC')::date || ' ' "
                      "|| max(range_end AT TIME ZONE 'UTC')::date || ' ' || bool_and(range_end - "
                      "range_start = interval '7 days') FROM coinlake_quote_partitions() WHERE "
                      "range_start >= '2032-12-01' AND range_start < '2033-08-01'"),
            "27 2032-12-27 2033-07-04 true");
}

// A database retention ran on before migration 21: its dropped months and its kept month become
// ranges of a month.
TEST(QuotePartitionMigrationTest, RetentionRowsOfMonthsBecomeRanges) {
  TestDatabase db;
  auto conn = db.Connect();
  std::vector<Migration> before;
  for (const Migration& m : EmbeddedMigrations()) {
    if (m.version < 21) before.push_back(m);
  }
  ASSERT_OK(Migrate(*conn, before));
  db.Scalar("INSERT INTO quotes_retention_dropped VALUES ('2026-01-01', now(), 10, 31, 9000)");
  db.Scalar(
      "INSERT INTO quotes_retention_status (run_at, retention_days, boundary, dropped, "
      "blocked_month, blocked_reason) VALUES (now(), 90, '2026-04-10T00:00:00Z', "
      "'{quotes_2026_01}', '2026-02-01', 'day 2026-02-03: not compacted')");
  ASSERT_OK(Migrate(*conn, EmbeddedMigrations()));
  EXPECT_EQ(db.Scalar("SELECT partition_name || ' ' || (range_start AT TIME ZONE 'UTC')::date || "
                      "' ' || (range_end AT TIME ZONE 'UTC')::date || ' ' || rows FROM "
                      "quotes_retention_dropped"),
            "quotes_2026_01 2026-01-01 2026-02-01 10");
  EXPECT_EQ(db.Scalar("SELECT (blocked_start AT TIME ZONE 'UTC')::date || ' ' || (blocked_end AT "
                      "TIME ZONE 'UTC')::date FROM quotes_retention_status"),
            "2026-02-01 2026-03-01");
}

}  // namespace
}  // namespace coinlake::warehouse
