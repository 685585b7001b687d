// The database's privilege boundaries, attacked as the ETL's login role would (a member of
// coinlake_writer): its SECURITY DEFINER functions run as the schema's owner, so no object the
// caller makes may stand in for one of the schema's (migrations/0013_function_search_path.sql).
#include <gtest/gtest.h>

#include <string>

#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

struct Etl {
  std::unique_ptr<Connection> conn;
  std::string role;
};

Etl ConnectAsEtl(TestDatabase& db) {
  auto conn = Connection::Open(db.LoginUrl("coinlake_writer"));
  EXPECT_OK(conn);
  if (!conn.ok()) return {};
  auto role = (*conn)->Query("SELECT current_user");
  EXPECT_OK(role);
  return {std::move(conn).value(), role.ok() ? role->text(0, 0) : ""};
}

// The attack that made the ETL role a superuser: a temporary quotes_deferred_indexes whose
// "index definition" grants the caller superuser, and the owner's function executing it.
TEST(PrivilegesTest, EtlRoleCannotHaveItsTextRunAsTheOwner) {
  TestDatabase db;
  db.Migrate();
  Etl etl = ConnectAsEtl(db);
  ASSERT_NE(etl.conn, nullptr);
  ASSERT_OK(
      etl.conn->Execute("CREATE TEMPORARY TABLE quotes_deferred_indexes "
                        "(name text PRIMARY KEY, definition text NOT NULL)"));
  ASSERT_OK(etl.conn->Execute("INSERT INTO quotes_deferred_indexes VALUES ('x', $1)",
                              {"ALTER ROLE \"" + etl.role + "\" SUPERUSER"}));

  auto restored = etl.conn->Query("SELECT coinlake_quotes_restore_indexes()");
  ASSERT_OK(restored);
  EXPECT_FALSE(restored->at(0, 0).has_value()) << "the function read the caller's table";
  EXPECT_EQ(db.Scalar("SELECT rolsuper FROM pg_roles WHERE rolname = '" + etl.role + "'"), "f");
  // The caller's table is left as it was: the function never touched it.
  auto left = etl.conn->Query("SELECT count(*) FROM pg_temp.quotes_deferred_indexes");
  ASSERT_OK(left);
  EXPECT_EQ(left->text(0, 0), "1");
}

// The same shadowing against the other definer functions: a temporary table must neither make
// the partition function skip a month nor be what the rebuild locks, reads or empties.
TEST(PrivilegesTest, TemporaryTablesDoNotStandInForTheSchemas) {
  TestDatabase db;
  db.Migrate();
  Etl etl = ConnectAsEtl(db);
  ASSERT_NE(etl.conn, nullptr);
  // 2031-01-15 is a Wednesday: its week's partition is named after Monday 2031-01-13.
  ASSERT_OK(etl.conn->Execute("CREATE TEMPORARY TABLE quotes_w2031_01_13 (x int)"));
  ASSERT_OK(etl.conn->Execute("SELECT coinlake_ensure_quote_partitions($1, $1)",
                              {"2031-01-15 00:00:00+00"}));
  EXPECT_EQ(db.Scalar("SELECT to_regclass('public.quotes_w2031_01_13') IS NOT NULL"), "t");

  // A temporary quotes with a row would make the rebuild refuse to start on an empty table.
  ASSERT_OK(etl.conn->Execute("CREATE TEMPORARY TABLE quotes (x int)"));
  ASSERT_OK(etl.conn->Execute("INSERT INTO pg_temp.quotes VALUES (1)"));
  ASSERT_OK(etl.conn->Execute("BEGIN"));
  auto deferred = etl.conn->Query("SELECT coinlake_quotes_defer_indexes()");
  ASSERT_OK(deferred);
  EXPECT_EQ(deferred->text(0, 0), "t") << "the rebuild looked at the caller's quotes";
  auto restored = etl.conn->Query("SELECT coinlake_quotes_restore_indexes()");
  ASSERT_OK(restored);
  EXPECT_EQ(restored->text(0, 0), "0");
  ASSERT_OK(etl.conn->Execute("COMMIT"));
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                      "AND tablename = 'quotes'"),
            db.Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                      "AND tablename = 'quotes_w2031_01_13'"));
}

// The rule for every SECURITY DEFINER function of the schema, present and future: it pins its
// search_path, with pg_temp named last (PostgreSQL searches it first when it is not named).
TEST(PrivilegesTest, EveryDefinerFunctionPinsItsSearchPathWithPgTempLast) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto functions = conn->Query(
      "SELECT p.proname, coalesce((SELECT c FROM unnest(p.proconfig) AS c "
      "                           WHERE c LIKE 'search_path=%'), '') "
      "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
      "WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1");
  ASSERT_OK(functions);
  ASSERT_EQ(functions->size(), 6u);  // 0015 added the retention pair
  for (size_t i = 0; i < functions->size(); ++i) {
    EXPECT_EQ(functions->text(i, 1), "search_path=pg_catalog, public, pg_temp")
        << functions->text(i, 0);
  }
}

// The SECURITY DEFINER functions act with the tables' owner's rights: only the ETL's writer
// role may call them, never the dashboard's read-only role.
TEST(PrivilegesTest, OnlyTheWriterMayCallTheDefinerFunctions) {
  TestDatabase db;
  db.Migrate();
  auto reader = Connection::Open(db.LoginUrl("coinlake_reader"));
  auto writer = Connection::Open(db.LoginUrl("coinlake_writer"));
  ASSERT_TRUE(reader.ok() && writer.ok());
  for (const char* call :
       {"SELECT coinlake_ensure_quote_partitions('2031-01-01', '2031-02-01')",
        "SELECT coinlake_empty_lake_derived_tables()", "SELECT coinlake_quotes_defer_indexes()",
        "SELECT coinlake_quotes_restore_indexes()",
        "SELECT coinlake_quotes_lock_partition('2031-01-01')",
        "SELECT coinlake_quotes_drop_partition('2000-01-01')"}) {
    Status refused = (*reader)->Execute(call);
    EXPECT_FALSE(refused.ok()) << call;
    EXPECT_NE(refused.message().find("permission denied"), std::string::npos) << refused.message();
    Status allowed = (*writer)->Execute(call);
    EXPECT_TRUE(allowed.ok()) << call << ": " << allowed.ToString();
  }
}

}  // namespace
}  // namespace coinlake::warehouse
