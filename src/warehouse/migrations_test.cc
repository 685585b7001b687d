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
      WHERE c.table_schema = 'public' AND t.relname NOT LIKE 'quotes\_2%'
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

}  // namespace
}  // namespace coinlake::warehouse
