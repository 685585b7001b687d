// The COPY loader against a real PostgreSQL (scripts/test starts one).
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
#include "tests/status_matchers.h"
#include "tests/test_support.h"
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

TEST(LoaderTest, LoadsOnceAndReplaysAsNoOp) {
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  std::string body = ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json");
  auto payload = cmc::ParseListings(body);
  ASSERT_OK(payload);
  std::string stored = *GzipCompress(body);
  Loader loader(*conn);
  auto first = loader.LoadQuotes(RefFor(*payload, stored), *payload);
  ASSERT_OK(first);
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
  ASSERT_OK(replay);
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
      ASSERT_OK(r);
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
    ASSERT_OK(loader.LoadQuotes({key, "h" + key, 1, "listings_latest", p->status.timestamp}, *p));
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
  for (const auto& p : snapshots) ASSERT_OK(merged.LoadQuotes(RefOf(p), p));

  auto batch = deferred.LoadQuotesBatch(
      {{RefOf(snapshots[0]), &snapshots[0]}, {RefOf(snapshots[1]), &snapshots[1]}});
  ASSERT_OK(batch);
  auto shared = deferred.LoadQuotes(RefOf(snapshots[2]), snapshots[2]);
  ASSERT_OK(shared);
  EXPECT_FALSE(shared->already_loaded);
  EXPECT_EQ(shared->rows, 0);
  EXPECT_EQ(shared->carried, 1);
  EXPECT_EQ((*batch)[1].carried, 0);
  // The ledger says which coin it carried over: the overview adds that coin's stored quote.
  EXPECT_EQ(deferred_db.Scalar("SELECT carried_ids FROM lake_objects WHERE key = '" +
                               RefOf(snapshots[2]).key + "'"),
            "{1}");
  ASSERT_OK(deferred.LoadQuotes(RefOf(snapshots[3]), snapshots[3]));
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM candles_hourly"), "0");
  EXPECT_EQ(deferred_db.Scalar("SELECT count(DISTINCT hour) FROM candles_pending"), "2");

  auto hours = RebuildPendingCandles(*deferred_conn);
  ASSERT_OK(hours);
  EXPECT_EQ(*hours, 2);
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM candles_pending"), "0");
  EXPECT_EQ(*RebuildPendingCandles(*deferred_conn), 0);
  // The assets wait too, until merged (a second merge finds nothing and changes nothing).
  EXPECT_EQ(deferred_db.Scalar("SELECT count(*) FROM assets"), "0");
  EXPECT_NE(deferred_db.Scalar("SELECT count(*) FROM assets_pending"), "0");
  for (int i = 0; i < 2; ++i) {
    Status merged_assets = MergePendingAssets(*deferred_conn);
    ASSERT_OK(merged_assets);
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
