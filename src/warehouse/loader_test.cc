// Loader and migrations against a real PostgreSQL (scripts/test starts one).
#include "warehouse/loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/parser.h"
#include "common/bytes.h"
#include "common/log.h"
#include "lake/keys.h"
#include "tests/test_support.h"
#include "warehouse/etl_schedule.h"
#include "warehouse/migrations.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::ReadFixture;
using coinlake::testing::TestDatabase;

LakeObjectRef RefFor(const cmc::QuotesPayload& payload, const std::string& stored) {
  return {lake::RawBodyKey(lake::kListingsLatest, payload.status.timestamp), Sha256Hex(stored),
          static_cast<int64_t>(stored.size()), std::string(lake::kListingsLatest),
          payload.status.timestamp};
}

// Server notices reach coinlake's JSON log (a WARNING as a warning), never libpq's bare stderr.
TEST(ConnectionTest, ServerNoticesGoToTheJsonLog) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  log::Configure(log::Level::kDebug, log::Sink::kStdout);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Status run = conn->Execute(
      "DO $$ BEGIN RAISE NOTICE 'routine %', 1; RAISE WARNING 'careful %', 2; END $$");
  std::string err = ::testing::internal::GetCapturedStderr();
  std::string out = ::testing::internal::GetCapturedStdout();
  log::Configure(log::Level::kInfo, log::Sink::kStderr);
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(err, "");
  std::vector<nlohmann::json> lines;
  for (size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(nlohmann::json::parse(out.substr(start, end - start)));
  }
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["level"], "debug");
  EXPECT_EQ(lines[0]["msg"], "database notice: routine 1");
  EXPECT_EQ(lines[1]["level"], "warn");
  EXPECT_EQ(lines[1]["msg"], "database notice: careful 2");
  EXPECT_EQ(lines[1]["severity"], "WARNING");
  EXPECT_EQ(lines[1]["sqlstate"], "01000");
}

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
  ASSERT_TRUE(before_0008.ok()) << before_0008.status().ToString();
  EXPECT_EQ(*before_0008, 300);
}

TEST(MigrationsTest, IdempotentAndRecorded) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto first = Migrate(*conn, EmbeddedMigrations());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_FALSE(first->applied.empty());
  auto second = Migrate(*conn, EmbeddedMigrations());
  ASSERT_TRUE(second.ok());
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
  EXPECT_TRUE(CheckSchemaCurrent(*conn).ok());
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
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
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
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->applied.size(), migrations.size());
  }
}

TEST(LoaderTest, LoadsOnceAndReplaysAsNoOp) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  std::string body = ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json");
  auto payload = cmc::ParseListings(body);
  ASSERT_TRUE(payload.ok());
  std::string stored = *GzipCompress(body);
  Loader loader(*conn);
  auto first = loader.LoadQuotes(RefFor(*payload, stored), *payload);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->already_loaded);
  EXPECT_EQ(first->rows, 100);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes"), "100");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets"), "100");
  EXPECT_EQ(db.Scalar("SELECT rows FROM lake_objects"), "100");
  EXPECT_EQ(db.Scalar("SELECT symbol FROM assets WHERE cmc_id = 1"), "BTC");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM candles_hourly"), "100");
  EXPECT_EQ(db.Scalar("SELECT samples FROM candles_daily WHERE cmc_id = 1"), "1");
  // The price survives the trip exactly.
  auto doc = nlohmann::json::parse(body);
  double btc = 0;
  for (auto& c : doc["data"])
    if (c["id"] == 1) btc = c["quote"]["USD"]["price"].get<double>();
  EXPECT_EQ(std::stod(db.Scalar("SELECT price FROM quotes WHERE cmc_id = 1")), btc);

  auto replay = loader.LoadQuotes(RefFor(*payload, stored), *payload);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->already_loaded);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes"), "100");
  EXPECT_EQ(db.Scalar("SELECT samples FROM candles_daily WHERE cmc_id = 1"), "1");

  auto changed = RefFor(*payload, stored + "x");
  EXPECT_EQ(loader.LoadQuotes(changed, *payload).status().code(), StatusCode::kDataLoss);
}

TEST(LoaderTest, ParallelLoadsOfTheSameObjectLoadItOnce) {
  TestDatabase db;
  db.Migrate();
  std::string body = ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json");
  auto payload = cmc::ParseListings(body);
  std::string stored = *GzipCompress(body);
  std::atomic<int> loaded{0}, skipped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto conn = db.Connect();
      Loader loader(*conn);
      auto r = loader.LoadQuotes(RefFor(*payload, stored), *payload);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      (r->already_loaded ? skipped : loaded)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loaded.load(), 1);
  EXPECT_EQ(skipped.load(), 3);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes"), "100");
}

// A snapshot of one coin (BTC, USD) taken at `ts` whose quote was last updated at `updated`.
cmc::QuotesPayload Snapshot(const char* ts, const char* updated, double price) {
  cmc::QuotesPayload p;
  p.status.timestamp = *ParseIso8601(ts);
  cmc::QuoteRow r;
  r.cmc_id = 1;
  r.symbol = "BTC";
  r.name = "Bitcoin";
  r.slug = "bitcoin";
  r.quote_currency = "USD";
  r.ts = *ParseIso8601(updated);
  r.price = price;
  r.volume_24h = price * 1000;
  p.rows.push_back(r);
  return p;
}

LakeObjectRef RefOf(const cmc::QuotesPayload& p) {
  std::string key = lake::RawBodyKey(lake::kListingsLatest, p.status.timestamp);
  return {key, "h" + key, 1, "listings_latest", p.status.timestamp};
}

TEST(LoaderTest, CandlesMergeSnapshotsInAnyOrder) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  Loader loader(*conn);
  auto make = Snapshot;
  // Loaded out of order: the candle is the same as if loaded in order.
  auto late = make("2026-03-01T10:50:00Z", "2026-03-01T10:50:00Z", 30);
  auto early = make("2026-03-01T10:05:00Z", "2026-03-01T10:05:00Z", 10);
  auto mid = make("2026-03-01T10:20:00Z", "2026-03-01T10:20:00Z", 50);
  for (auto* p : {&late, &early, &mid}) {
    std::string key = lake::RawBodyKey(lake::kListingsLatest, p->status.timestamp);
    ASSERT_TRUE(
        loader.LoadQuotes({key, "h" + key, 1, "listings_latest", p->status.timestamp}, *p).ok());
  }
  EXPECT_EQ(db.Scalar("SELECT concat_ws(',', open, high, low, close, samples) FROM candles_hourly"),
            "10,50,10,30,3");
}

TEST(LoaderTest, DeferredCandlesAndSharedQuotesMatchMergedLoads) {
  // The third snapshot carries the second's quote again (CMC had not refreshed it): the
  // deferred loader's straight COPY meets it and falls back to the staged insert, which skips it.
  std::vector<cmc::QuotesPayload> snapshots = {
      Snapshot("2026-03-01T10:05:00Z", "2026-03-01T10:04:00Z", 10),
      Snapshot("2026-03-01T10:10:00Z", "2026-03-01T10:09:00Z", 50),
      Snapshot("2026-03-01T10:15:00Z", "2026-03-01T10:09:00Z", 50),
      Snapshot("2026-03-01T11:01:00Z", "2026-03-01T11:00:00Z", 7)};
  TestDatabase merged_db, deferred_db;
  merged_db.Migrate();
  deferred_db.Migrate();
  auto merged_conn = merged_db.Connect();
  auto deferred_conn = deferred_db.Connect();
  Loader merged(*merged_conn);
  Loader deferred(*deferred_conn, Loader::Candles::kDefer);
  for (const auto& p : snapshots) ASSERT_TRUE(merged.LoadQuotes(RefOf(p), p).ok());

  auto batch = deferred.LoadQuotesBatch(
      {{RefOf(snapshots[0]), &snapshots[0]}, {RefOf(snapshots[1]), &snapshots[1]}});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto shared = deferred.LoadQuotes(RefOf(snapshots[2]), snapshots[2]);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_FALSE(shared->already_loaded);
  EXPECT_EQ(shared->rows, 0);
  EXPECT_EQ(shared->carried, 1);
  EXPECT_EQ((*batch)[1].carried, 0);
  // The ledger says which coin it carried over: the overview adds that coin's stored quote.
  EXPECT_EQ(deferred_db.Scalar("SELECT carried_ids FROM lake_objects WHERE key = '" +
                               RefOf(snapshots[2]).key + "'"),
            "{1}");
  ASSERT_TRUE(deferred.LoadQuotes(RefOf(snapshots[3]), snapshots[3]).ok());
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM candles_hourly"), "0");
  EXPECT_EQ(deferred_db.Scalar("SELECT count(DISTINCT hour) FROM candles_pending"), "2");

  auto hours = RebuildPendingCandles(*deferred_conn);
  ASSERT_TRUE(hours.ok()) << hours.status().ToString();
  EXPECT_EQ(*hours, 2);
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM candles_pending"), "0");
  EXPECT_EQ(*RebuildPendingCandles(*deferred_conn), 0);
  // The assets wait too, until merged (a second merge finds nothing and changes nothing).
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM assets"), "0");
  EXPECT_NE(deferred_db.Scalar("SELECT count(*) FROM assets_pending"), "0");
  for (int i = 0; i < 2; ++i) {
    Status merged_assets = MergePendingAssets(*deferred_conn);
    ASSERT_TRUE(merged_assets.ok()) << merged_assets.ToString();
  }
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM assets_pending"), "0");
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM asset_names_pending"), "0");
  for (const char* sql :
       {"SELECT string_agg(t::text, '|' ORDER BY t::text) FROM candles_hourly t",
        "SELECT string_agg(t::text, '|' ORDER BY t::text) FROM candles_daily t",
        "SELECT string_agg(t::text, '|' ORDER BY t::text) FROM quotes t",
        "SELECT string_agg(concat_ws(':', key, rows, carried_ids), '|' ORDER BY key) "
        "FROM lake_objects",
        "SELECT string_agg(t::text, '|' ORDER BY t::text) FROM assets t",
        "SELECT string_agg(t::text, '|' ORDER BY t::text) FROM asset_names t"}) {
    EXPECT_EQ(deferred_db.Scalar(sql), merged_db.Scalar(sql)) << sql;
  }
  EXPECT_EQ(merged_db.Scalar("SELECT concat_ws(',', open, high, low, close, samples) FROM "
                             "candles_daily"),
            "10,50,7,7,3");
}

}  // namespace
}  // namespace coinlake::warehouse
