// Candles and assets folded while a rebuild loads (folded_candles.h, candle_fold.h,
// asset_fold.h) against the candles the table's SQL builds and the assets each load transaction
// appends, on random lakes made to hold what makes counting hard: quotes carried by later
// snapshots (some with another price under the same time), two snapshots of one time, quotes
// without a price, coins not refreshed for hours (rows for hours already written), coins
// missing from snapshots, renamed for a while, their date_added changed or absent.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/bytes.h"
#include "lake/file_object_store.h"
#include "lake/keys.h"
#include "pipeline/reprocess.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/candle_fold.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A lake of `snapshots` listings of the fixture's coins, every 5 minutes from 2026-05-01
// 21:00Z (across a day), with the hard cases at random.
void MakeRandomLake(const std::string& root, unsigned seed, int snapshots) {
  auto store = lake::FileObjectStore::Open(root);
  ASSERT_OK(store);
  const auto base = nlohmann::json::parse(
      coinlake::testing::ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json"));
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  const TimePoint first = *ParseIso8601("2026-05-01T21:00:00Z");
  std::map<int64_t, std::pair<TimePoint, double>> last;  // coin: its last quote's time, price
  for (int s = 0; s < snapshots; ++s) {
    // Now and then a second snapshot of the same second (the key decides which copy stays).
    const TimePoint now = first + minutes(5 * s) + seconds(chance(0.15) ? 0 : 1);
    nlohmann::json body = base;
    body["status"]["timestamp"] = FormatIso8601(now);
    body["data"] = nlohmann::json::array();
    for (nlohmann::json coin : base["data"]) {
      const int64_t id = coin["id"].get<int64_t>();
      // Assets: coins missing from a snapshot, renamed for a while, re-dated by CMC.
      if (chance(0.05)) continue;
      if (id % 7 == s % 5 && chance(0.5)) {
        coin["symbol"] = coin["symbol"].get<std::string>() + "2";
        coin["name"] = coin["name"].get<std::string>() + " (renamed)";
        if (chance(0.5)) coin["slug"] = coin["slug"].get<std::string>() + "-2";
      }
      if (chance(0.05)) coin["date_added"] = FormatIso8601(first - hours(24 * (1 + s % 9)));
      if (chance(0.02)) coin["date_added"] = nullptr;
      auto [it, fresh] = last.try_emplace(id, now - minutes(1), 0.0);
      auto& [ts, price] = it->second;
      if (fresh || chance(0.6)) {
        ts = chance(0.05) ? now - hours(2 + s % 3) : now - seconds(30 + rng() % 240);
        price = std::uniform_real_distribution<>(1, 100)(rng);
      } else if (chance(0.2)) {
        price *= 1.01;  // the same quote time with another price: the earliest copy counts
      }
      for (auto& [currency, quote] : coin["quote"].items()) {
        quote["last_updated"] = FormatIso8601(ts);
        quote["price"] = chance(0.05) ? nlohmann::json() : nlohmann::json(price);
        quote["volume_24h"] = chance(0.1) ? nlohmann::json() : nlohmann::json(price * 1000);
      }
      body["data"].push_back(coin);
    }
    ASSERT_OK(
        (*store)->Put(lake::RawBodyKey(lake::kListingsLatest, now), *GzipCompress(body.dump())));
  }
}

std::string Candles(const TestDatabase& db) {
  std::string out;
  for (const char* table : {"candles_hourly", "candles_daily"}) {
    out += db.Scalar(std::string("SELECT count(*) || ':' || coalesce(md5(string_agg(c::text, "
                                 "'|' ORDER BY c::text)), '') FROM ") +
                     table + " c") +
           "\n";
  }
  return out;
}

TEST(FoldedCandlesTest, RandomLakesGiveTheCandlesOfTheTable) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    TempDir lake;
    MakeRandomLake(lake.path(), seed, 60);
    TestDatabase folded, table;
    folded.Migrate();
    table.Migrate();
    StopSignal stop;
    ReprocessOptions options;
    options.lake_url = lake.path();
    options.jobs = 2;
    options.database_url = folded.url();
    auto report = RunReprocess(options, stop);
    ASSERT_OK(report);
    EXPECT_TRUE(report->quotes_rebuilt);
    EXPECT_GT(report->duplicates_removed, 0);
    EXPECT_GT(report->candle_hours, 0);
    options.database_url = table.url();
    options.fold_candles = false;
    ASSERT_OK(RunReprocess(options, stop));
    EXPECT_EQ(Candles(folded), Candles(table));
    EXPECT_EQ(testing::TablesChecksum(folded), testing::TablesChecksum(table));
    EXPECT_NE(Candles(folded), "0:\n0:\n");
  }
}

// A rebuild stopped mid-load, as a kill leaves it (its fold gone, its lock released), loses no
// asset: the next run reads the objects after the mark again and ends with the tables of a
// whole rebuild. Once with the fold written after every batch (the mark moved), once with no
// write before the stop (every loaded object read again).
TEST(FoldedAssetsTest, ARebuildStoppedMidLoadLosesNoAsset) {
  TempDir lake;
  constexpr int kObjects = 240;
  MakeRandomLake(lake.path(), 7, kObjects);
  TestDatabase whole;
  whole.Migrate();
  ReprocessOptions options;
  options.lake_url = lake.path();
  options.jobs = 2;
  options.database_url = whole.url();
  StopSignal never;
  ASSERT_OK(RunReprocess(options, never));
  const std::string expected = testing::TablesChecksum(whole);
  using Interval = std::chrono::steady_clock::duration;
  for (Interval interval : {Interval::zero(), Interval(hours(1))}) {
    SCOPED_TRACE(interval == Interval::zero() ? "written every batch" : "never written");
    TestDatabase db;
    db.Migrate();
    options.database_url = db.url();
    options.fold_assets_interval = interval;
    StopSignal stop;
    std::thread stopper([&] {
      while (!stop.stopped()) {
        if (std::stoi(db.Scalar("SELECT count(*) FROM lake_objects")) >= 24) stop.Stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    auto stopped = RunReprocess(options, stop);
    stop.Stop();
    stopper.join();
    ASSERT_OK(stopped);
    const int loaded = std::stoi(db.Scalar("SELECT count(*) FROM lake_objects"));
    ASSERT_LT(loaded, kObjects) << "the run ended before the stop: make the lake bigger";
    ASSERT_EQ(db.Scalar("SELECT count(*) FROM assets_folded_through"), "1");
    const int mark = std::stoi(db.Scalar("SELECT lake_object_id FROM assets_folded_through"));
    const int pending = std::stoi(db.Scalar("SELECT count(*) FROM assets_pending"));
    if (interval == Interval::zero()) {
      EXPECT_GT(mark, 0);
      EXPECT_GT(pending, 0);
    } else {
      EXPECT_EQ(mark, 0);
      EXPECT_EQ(pending, 0);
    }
    EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets"), "0");  // merged at a run's end only

    options.fold_assets_interval = ReprocessOptions().fold_assets_interval;
    auto rerun = RunReprocess(options, never);
    ASSERT_OK(rerun);
    EXPECT_EQ(rerun->objects_loaded, kObjects - loaded);
    EXPECT_EQ(testing::TablesChecksum(db), expected);
    EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets_folded_through"), "0");
    EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets_pending"), "0");
  }
}

// The fold's own rules, without a database.
cmc::QuoteRow Row(int64_t id, const char* ts, std::optional<double> price) {
  cmc::QuoteRow r;
  r.cmc_id = id;
  r.quote_currency = "USD";
  r.ts = *ParseIso8601(ts);
  r.price = price;
  r.volume_24h = price ? std::optional<double>(*price * 10) : std::nullopt;
  return r;
}

TEST(CandleFoldTest, TheEarliestCopyOfAQuoteCountsOnceAndLateRowsAreNamed) {
  warehouse::CandleFold fold;
  const TimePoint t0 = *ParseIso8601("2026-05-01T10:05:00Z");
  fold.Add("k2", t0, {Row(1, "2026-05-01T10:04:00Z", 5), Row(1, "2026-05-01T10:01:00Z", 7)});
  // The same quote time from an earlier snapshot, and from a later one: the earlier's price.
  fold.Add("k1", t0 - minutes(1), {Row(1, "2026-05-01T10:04:00Z", 6)});
  fold.Add("k3", t0 + minutes(5),
           {Row(1, "2026-05-01T10:04:00Z", 9), Row(2, "2026-05-01T10:09:00Z", std::nullopt)});
  auto candles = fold.TakeHoursEndingBy(*ParseIso8601("2026-05-01T11:00:00Z"));
  ASSERT_EQ(candles.size(), 1u);  // coin 2's quote has no price
  EXPECT_EQ(candles[0].samples, 2);
  EXPECT_EQ(candles[0].open, 7);
  EXPECT_EQ(candles[0].close, 6);
  EXPECT_EQ(candles[0].high, 7);
  EXPECT_EQ(candles[0].low, 6);
  EXPECT_EQ(candles[0].volume_24h, 60);
  // Later: a copy of the newest quote taken, which the rebuild removes, is not late; a quote the
  // hour never had is.
  fold.Add("k4", t0 + hours(1), {Row(1, "2026-05-01T10:04:00Z", 6)});
  EXPECT_TRUE(fold.late_hours().empty());
  fold.Add("k5", t0 + hours(1), {Row(1, "2026-05-01T10:30:00Z", 6)});
  EXPECT_EQ(fold.late_hours(), std::set<TimePoint>{*ParseIso8601("2026-05-01T10:00:00Z")});
  // A day's candle comes out once, whole, when its last hour is taken.
  EXPECT_TRUE(fold.TakeDaysEndingBy(*ParseIso8601("2026-05-01T11:00:00Z")).empty());
  fold.Add("k6", t0 + hours(3), {Row(1, "2026-05-01T13:02:00Z", 8)});
  EXPECT_EQ(fold.TakeHoursEndingBy(*ParseIso8601("2026-05-02T00:00:00Z")).size(), 1u);
  auto days = fold.TakeDaysEndingBy(*ParseIso8601("2026-05-02T00:00:00Z"));
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].bucket, *ParseIso8601("2026-05-01T00:00:00Z"));
  EXPECT_EQ(days[0].samples, 3);
  EXPECT_EQ(days[0].open, 7);
  EXPECT_EQ(days[0].close, 8);
  EXPECT_EQ(days[0].high, 8);
  EXPECT_EQ(days[0].low, 6);
  EXPECT_TRUE(fold.UnwrittenHours() == fold.late_hours());
}

}  // namespace
}  // namespace coinlake::pipeline
