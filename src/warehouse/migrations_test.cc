// Migrations against a real PostgreSQL (scripts/test starts one).
#include "warehouse/migrations.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

TEST(MigrationsTest, IdempotentAndRecorded) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto first = Migrate(*conn, EmbeddedMigrations());
  ASSERT_OK(first);
  EXPECT_EQ(first->from_version, 0);
  EXPECT_FALSE(first->applied.empty());
  auto second = Migrate(*conn, EmbeddedMigrations());
  ASSERT_OK(second);
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(EmbeddedMigrations().size()));
  // Every table and column explains itself in psql's \d+.
  EXPECT_EQ(db.Scalar(R"sql(
      SELECT count(*) FROM information_schema.columns c
      JOIN pg_class t ON t.relname = c.table_name AND t.relkind IN ('r', 'p')
      JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
      WHERE c.table_schema = 'public' AND NOT t.relispartition
        AND col_description(t.oid, c.ordinal_position) IS NULL)sql"),
            "0");
  EXPECT_EQ(
      db.Scalar(
          "SELECT count(*) FROM pg_roles WHERE rolname IN ('coinlake_writer', 'coinlake_reader')"),
      "2");
}

// A database one migration behind the binary (an upgrade whose migrate has not run) is refused
// with what to do, before anything fails on a missing column or function.
TEST(MigrationsTest, ABehindSchemaSaysToMigrate) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  Status none = CheckSchemaCurrent(*conn);
  EXPECT_EQ(none.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.message().find("no coinlake schema yet: run `coinlake migrate`"),
            std::string::npos)
      << none.message();
  db.Migrate();
  EXPECT_OK(CheckSchemaCurrent(*conn));
  db.Scalar(
      "DELETE FROM schema_migrations WHERE version = (SELECT max(version) "
      "FROM schema_migrations) RETURNING 1");
  Status behind = CheckSchemaCurrent(*conn);
  EXPECT_EQ(behind.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(behind.message().find("run `coinlake migrate`"), std::string::npos) << behind.message();
}

TEST(MigrationsTest, RefusesAChangedMigration) {
  TestDatabase db;
  auto conn = db.Connect();
  auto migrated = Migrate(*conn, EmbeddedMigrations());
  ASSERT_OK(migrated);
  auto changed = EmbeddedMigrations();
  changed[0].sql += "\n-- edited";
  EXPECT_EQ(Migrate(*conn, changed).status().code(), StatusCode::kFailedPrecondition);
}

// Roles belong to the cluster, not the database: two databases on one server migrated at once
// both find a role missing, and the second CREATE ROLE fails once the first commits. Each
// migration here waits between its check and its CREATE ROLE, so the two always collide.
TEST(MigrationsTest, TwoDatabasesOfOneServerCreateTheSameRoleAtOnce) {
  std::string role = fmt::format("coinlake_race_test_{}", ::getpid());
  std::vector<Migration> migrations = EmbeddedMigrations();
  migrations[0].sql = fmt::format(
                          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                          "'{0}') THEN PERFORM pg_sleep(0.5); CREATE ROLE {0} NOLOGIN; END IF; "
                          "END $$;\n",
                          role) +
                      migrations[0].sql;
  TestDatabase first, second;
  StatusOr<MigrateResult> results[2] = {InternalError("not run"), InternalError("not run")};
  std::thread other([&] { results[1] = Migrate(*second.Connect(), migrations); });
  results[0] = Migrate(*first.Connect(), migrations);
  other.join();
  (void)first.Connect()->Execute("DROP ROLE IF EXISTS " + role);
  for (const auto& result : results) {
    ASSERT_OK(result);
    EXPECT_EQ(result->applied.size(), migrations.size());
  }
}

// The migrations up to (and including) `version`.
std::vector<Migration> MigrationsUpTo(int version) {
  std::vector<Migration> some = EmbeddedMigrations();
  std::erase_if(some, [&](const Migration& m) { return m.version > version; });
  return some;
}

// Version 20 turns each quote's lake_key text into its ledger row's id, in place: a database
// loaded before it keeps every quote, now naming its object by id, and a rebuild's duplicate
// removal still keeps the earliest snapshot's quote (the key breaking a tie) and corrects the
// ledger of the one that loses it.
TEST(MigrationsTest, QuotesOfAnOlderDatabaseNameTheirLedgerRowAfterVersion20) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(Migrate(*conn, MigrationsUpTo(19)));
  db.Scalar("SELECT coinlake_ensure_quote_partitions('2026-11-02', '2026-11-02')");
  db.Scalar(R"sql(
      WITH ledger AS (
        INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)
        VALUES ('raw/cmc/listings_latest/a', 'x', 1, 'listings_latest', '2026-11-02T00:05Z', 2),
               ('raw/cmc/listings_latest/b', 'x', 1, 'listings_latest', '2026-11-02T00:05Z', 1)
        RETURNING 1)
      INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, price, lake_key)
      VALUES (1, 'USD', '2026-11-02T00:04Z', '2026-11-02T00:05Z', 100, 'raw/cmc/listings_latest/a'),
             (2, 'USD', '2026-11-02T00:04Z', '2026-11-02T00:05Z', 10, 'raw/cmc/listings_latest/a'),
             (3, 'USD', '2026-11-02T00:04Z', '2026-11-02T00:05Z', 1, 'raw/cmc/listings_latest/b')
      RETURNING 1)sql");
  ASSERT_OK(Migrate(*conn, EmbeddedMigrations()));
  EXPECT_EQ(db.Scalar("SELECT string_agg(q.cmc_id || '=' || l.key, ',' ORDER BY q.cmc_id) FROM "
                      "quotes q JOIN lake_objects l ON l.id = q.lake_object_id"),
            "1=raw/cmc/listings_latest/a,2=raw/cmc/listings_latest/a,3=raw/cmc/listings_latest/b");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'quotes' AND column_name = 'lake_key'"),
            "0");

  // A rebuild (no primary key while it loads) let in coin 1's quote from both objects, which
  // share a snapshot time: b, the later key, loses it.
  db.Scalar("CREATE TABLE loaded AS SELECT * FROM quotes");
  db.Scalar("DELETE FROM quotes RETURNING 1");
  ASSERT_EQ(db.Scalar("SELECT coinlake_quotes_defer_indexes()"), "t");
  db.Scalar(
      "INSERT INTO quotes SELECT * FROM loaded UNION ALL "
      "SELECT 1, 'USD', '2026-11-02T00:04Z', '2026-11-02T00:05Z', NULL, 100, NULL, NULL, NULL, "
      "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, id "
      "FROM lake_objects WHERE key = 'raw/cmc/listings_latest/b' RETURNING 1");
  db.Scalar("UPDATE lake_objects SET rows = 2 WHERE key = 'raw/cmc/listings_latest/b' RETURNING 1");
  EXPECT_EQ(db.Scalar("SELECT coinlake_quotes_restore_indexes()"), "1");
  EXPECT_EQ(
      db.Scalar("SELECT string_agg(l.key || ':' || l.rows || ':' || "
                "coalesce(l.carried_ids::text, '-'), ',' ORDER BY l.key) FROM lake_objects l"),
      "raw/cmc/listings_latest/a:2:-,raw/cmc/listings_latest/b:1:{1}");
  EXPECT_EQ(db.Scalar("SELECT string_agg(l.key, ',') FROM quotes q JOIN lake_objects l "
                      "ON l.id = q.lake_object_id WHERE q.cmc_id = 1"),
            "raw/cmc/listings_latest/a");
}

// A quote whose ledger row is gone cannot be given an id: version 20 stops, names the object and
// says what to do, and changes nothing.
TEST(MigrationsTest, Version20RefusesQuotesWithoutALedgerRow) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(Migrate(*conn, MigrationsUpTo(19)));
  db.Scalar("SELECT coinlake_ensure_quote_partitions('2026-11-02', '2026-11-02')");
  db.Scalar(
      "INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, price, lake_key) VALUES "
      "(1, 'USD', '2026-11-02T00:04Z', '2026-11-02T00:05Z', 100, 'raw/cmc/listings_latest/lost') "
      "RETURNING 1");
  auto result = Migrate(*conn, EmbeddedMigrations());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("quotes from raw/cmc/listings_latest/lost have no row "
                                           "in lake_objects"),
            std::string::npos)
      << result.status().message();
  EXPECT_EQ(db.Scalar("SELECT max(version) FROM schema_migrations"), "19");
  EXPECT_EQ(db.Scalar("SELECT lake_key FROM quotes"), "raw/cmc/listings_latest/lost");
}

// A rebuild builds the quotes' indexes on one backend (migration 22: parallel workers cost the
// server a third more CPU for no time). A later CREATE OR REPLACE of the function would drop
// the setting unless it says it again.
TEST(MigrationsTest, TheRebuildBuildsItsIndexesWithoutParallelWorkers) {
  TestDatabase db;
  db.Migrate();
  EXPECT_EQ(db.Scalar("SELECT array_to_string(proconfig, ',') FROM pg_proc "
                      "WHERE proname = 'coinlake_quotes_restore_indexes'"),
            "search_path=pg_catalog, public, pg_temp,maintenance_work_mem=128MB,"
            "max_parallel_maintenance_workers=0");
}

}  // namespace
}  // namespace coinlake::warehouse
