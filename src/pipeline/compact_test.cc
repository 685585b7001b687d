// `compact`: one Parquet file and manifest per table and closed day, idempotent, rebuilt when a
// late object arrives, the same bytes whatever the memory budget. The files' contents are read
// back by three independent Parquet readers in tests/parquet and tests/analytics.
#include "pipeline/compact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/bytes.h"
#include "lake/file_object_store.h"
#include "lake/keys.h"
#include "pipeline/compact_schedule.h"
#include "pipeline/day_manifest.h"
#include "pipeline/load_object.h"
#include "pipeline/quote_spill.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/checksum.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;

constexpr char kFirstDay[] = "2026-03-31";  // MakeLake: 18 snapshots, then 6 on the next day
constexpr char kSecondDay[] = "2026-04-01";

class CompactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MakeLake(lake_dir_.path(), 1);
    lake_ = std::move(lake::FileObjectStore::Open(lake_dir_.path())).value();
  }
  StatusOr<CompactReport> Compact(bool force = false) {
    CompactOptions options;
    options.lake_url = lake_dir_.path();
    options.temp_dir = temp_.path();
    options.force = force;
    StopSignal stop;
    return RunCompact(options, stop);
  }
  // Every listings response in the lake, parsed, in key order.
  std::vector<ParsedObject> Listings() {
    std::vector<ParsedObject> out;
    auto listed = lake_->ListAll(lake::RawPrefix(lake::kListingsLatest));
    EXPECT_OK(listed);
    if (!listed.ok()) return out;
    for (const auto& info : *listed) {
      if (!lake::IsBodyKey(info.key)) continue;
      auto parsed = ParseRawObject(info.key, *lake_->Get(info.key));
      EXPECT_OK(parsed);
      if (parsed.ok()) out.push_back(*std::move(parsed));
    }
    return out;
  }
  // The Parquet file of what `spill` holds.
  static std::string Emit(QuoteSpill& spill) {
    parquet::StringSink sink;
    auto writer = parquet::Writer::Create(QuotesSchema(), {}, &sink);
    EXPECT_OK(writer);
    EXPECT_OK(spill.Emit(**writer));
    EXPECT_OK((*writer)->Close());
    return sink.Take();
  }
  DayManifest Manifest(const std::string& table, const std::string& date) {
    auto m = ReadCurrentManifest(*lake_, table, date);
    EXPECT_OK(m);
    EXPECT_TRUE(m.ok() && m->has_value()) << table << " " << date;
    return m.ok() && m->has_value() ? **m : DayManifest{};
  }

  TempDir lake_dir_;
  TempDir temp_;
  std::unique_ptr<lake::FileObjectStore> lake_;
};

TEST_F(CompactTest, EachClosedDayGetsOneFileAndAManifestOfItsSources) {
  auto report = Compact();
  ASSERT_OK(report);
  // Two days of quotes; the lake has no global metrics.
  ASSERT_EQ(report->days.size(), 2u);
  for (const CompactedDay& d : report->days) EXPECT_EQ(d.outcome, "compacted") << d.date;

  DayManifest first = Manifest("quotes", kFirstDay);
  EXPECT_EQ(first.version, 1);
  ASSERT_EQ(first.sources.size(), 18u);
  EXPECT_EQ(first.rows, 18 * 100);
  EXPECT_EQ(first.row_groups, 1);
  // The file: named by its hash, alone in its folder, the bytes the manifest gives.
  auto files = lake_->ListAll(lake::CuratedDayPrefix("quotes", kFirstDay));
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].key, first.file_key);
  std::string file = *lake_->Get(first.file_key);
  EXPECT_EQ(Sha256Hex(file), first.file_sha256);
  EXPECT_EQ(lake::CuratedFileKey("quotes", kFirstDay, first.file_sha256.substr(0, 12)),
            first.file_key);
  EXPECT_EQ(file.substr(0, 4), "PAR1");
  EXPECT_EQ(file.substr(file.size() - 4), "PAR1");
  // Each source with its stored sha256 and the checksum audit computes for the database.
  for (const ManifestSource& s : first.sources) {
    std::string stored = *lake_->Get(s.key);
    EXPECT_EQ(s.sha256, Sha256Hex(stored));
    EXPECT_EQ(s.bytes, static_cast<int64_t>(stored.size()));
    EXPECT_EQ(s.rows, 100);
    EXPECT_EQ(s.checksum.size(), 32u);
  }
  EXPECT_EQ(Manifest("quotes", kSecondDay).rows, 6 * 100);
}

TEST_F(CompactTest, ASecondRunFindsEveryDayUpToDate) {
  ASSERT_OK(Compact());
  auto again = Compact();
  ASSERT_OK(again);
  for (const CompactedDay& d : again->days) EXPECT_EQ(d.outcome, "up_to_date") << d.date;
  EXPECT_EQ(lake_->ListAll("curated/_manifests/quotes/dt=2026-03-31/")->size(), 1u);
  // --force rebuilds to the same bytes: no new version.
  auto forced = Compact(/*force=*/true);
  ASSERT_OK(forced);
  for (const CompactedDay& d : forced->days) EXPECT_EQ(d.outcome, "unchanged") << d.date;
}

TEST_F(CompactTest, ALateObjectMakesTheDayStaleAndItIsRebuiltWithNothingLostOrDoubled) {
  ASSERT_OK(Compact());
  const DayManifest before = Manifest("quotes", kFirstDay);
  // A snapshot drained after the day was compacted: 23:57:30 on the first day.
  std::string body = *GzipDecompress(*lake_->Get(before.sources[0].key));
  auto json = nlohmann::json::parse(body);
  json["status"]["timestamp"] = "2026-03-31T23:57:30.000Z";
  ASSERT_OK(
      lake_->Put(lake::RawBodyKey(lake::kListingsLatest, *ParseIso8601("2026-03-31T23:57:30Z")),
                 *GzipCompress(json.dump())));

  Compactor compactor(*lake_, temp_.path());
  auto stale = compactor.StaleDays(*FindCuratedTable("quotes"), "", "");
  ASSERT_OK(stale);
  EXPECT_EQ(*stale, std::vector<std::string>{kFirstDay});
  auto day = compactor.CompactDay(*FindCuratedTable("quotes"), kFirstDay);
  ASSERT_OK(day);
  EXPECT_EQ(day->outcome, "compacted");

  const DayManifest after = Manifest("quotes", kFirstDay);
  EXPECT_EQ(after.version, 2);
  EXPECT_EQ(after.sources.size(), 19u);
  EXPECT_EQ(after.rows, before.rows + 100);
  EXPECT_NE(after.file_key, before.file_key);
  // The replaced file is gone: the folder holds the new one only; both manifests stay.
  auto files = lake_->ListAll(lake::CuratedDayPrefix("quotes", kFirstDay));
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].key, after.file_key);
  EXPECT_EQ(lake_->ListAll(lake::ManifestDayPrefix("quotes", kFirstDay))->size(), 2u);
  EXPECT_TRUE(compactor.StaleDays(*FindCuratedTable("quotes"), "", "")->empty());
}

TEST_F(CompactTest, TheOpenDayIsCompactedOnlyWhenNamed) {
  // A snapshot of today: left alone by default, compacted when asked for by name.
  const TimePoint now = SystemNow();
  std::string body = *GzipDecompress(
      *lake_->Get(lake::RawBodyKey(lake::kListingsLatest, *ParseIso8601("2026-03-31T22:30:00Z"))));
  auto json = nlohmann::json::parse(body);
  json["status"]["timestamp"] = FormatIso8601(now);
  ASSERT_OK(lake_->Put(lake::RawBodyKey(lake::kListingsLatest, now), *GzipCompress(json.dump())));
  auto report = Compact();
  ASSERT_OK(report);
  for (const CompactedDay& d : report->days) EXPECT_NE(d.date, FormatDate(now));
  CompactOptions named;
  named.lake_url = lake_dir_.path();
  named.temp_dir = temp_.path();
  named.from_date = named.to_date = FormatDate(now);
  StopSignal stop;
  auto today = RunCompact(named, stop);
  ASSERT_OK(today);
  ASSERT_EQ(today->days.size(), 1u);
  EXPECT_EQ(today->days[0].rows, 100);
}

// The spill's coin-id ranges and their splitting change nothing in the output: a budget that
// forces dozens of ranges, and splits, gives the bytes of one range in memory.
TEST_F(CompactTest, TheFileIsTheSameWhateverTheMemoryBudget) {
  const std::vector<ParsedObject> listings = Listings();
  ASSERT_FALSE(listings.empty());
  auto write = [&](int64_t budget, int64_t plan_rows) {
    QuoteSpill spill(temp_.path(), budget);
    if (plan_rows > 0) {
      std::vector<int64_t> ids;
      for (const auto& r : listings.front().quotes->rows) ids.push_back(r.cmc_id);
      spill.PlanRanges(ids, plan_rows);
    }
    for (const ParsedObject& parsed : listings) {
      for (const auto& r : parsed.quotes->rows) {
        EXPECT_OK(spill.Add(parsed.ref.data_ts, r, parsed.ref.key));
      }
    }
    return Emit(spill);
  };
  const std::string one_range = write(1 << 30, 0);
  EXPECT_EQ(write(16 << 10, 2400), one_range);  // ~85 records a range: 28 ranges
  EXPECT_EQ(write(8 << 10, 10), one_range);     // planned for one range: split by coin counts
}

// Rows come out ordered by coin, currency and snapshot however they were added: the same rows
// (two currencies, each coin's snapshots) added shuffled and in order give the same bytes.
TEST_F(CompactTest, TheFileIsTheSameWhateverOrderTheRowsCameIn) {
  struct Added {
    TimePoint snapshot;
    cmc::QuoteRow row;
    std::string key;
  };
  std::vector<Added> rows;
  for (const ParsedObject& parsed : Listings()) {
    for (const auto& r : parsed.quotes->rows) {
      rows.push_back({parsed.ref.data_ts, r, parsed.ref.key});
      rows.push_back(rows.back());
      rows.back().row.quote_currency = "BTC";
      rows.back().row.price = r.price ? std::optional(*r.price / 50000) : std::nullopt;
    }
  }
  ASSERT_GT(rows.size(), 100u);
  auto write = [&](const std::vector<Added>& in, int64_t budget) {
    QuoteSpill spill(temp_.path(), budget);
    for (const Added& a : in) EXPECT_OK(spill.Add(a.snapshot, a.row, a.key));
    return Emit(spill);
  };
  std::vector<Added> sorted = rows;
  std::sort(sorted.begin(), sorted.end(), [](const Added& a, const Added& b) {
    return std::tie(a.row.cmc_id, a.row.quote_currency, a.snapshot) <
           std::tie(b.row.cmc_id, b.row.quote_currency, b.snapshot);
  });
  std::vector<Added> shuffled = rows;
  std::mt19937 random(7);
  std::shuffle(shuffled.begin(), shuffled.end(), random);
  const std::string in_order = write(sorted, 1 << 30);
  EXPECT_EQ(write(shuffled, 1 << 30), in_order);
  EXPECT_EQ(write(shuffled, 16 << 10), in_order);  // in ranges, and split
  EXPECT_EQ(write(rows, 1 << 30), in_order);
}

// `run`'s compaction: a day that keeps failing (here its curated folder cannot be made: a file
// stands where it would go) is set aside, the older day is compacted after the next cycle, the
// schedule counts as caught up for retention, and the day is tried again once its time is up.
TEST_F(CompactTest, ADayThatKeepsFailingDoesNotHoldUpTheOlderDays) {
  const std::string blocker = lake_dir_.path() + "/curated/quotes/dt=" + kSecondDay;
  std::filesystem::create_directories(lake_dir_.path() + "/curated/quotes");
  std::ofstream(blocker) << "not a folder";
  TimePoint now = SystemNow();
  StopSignal stop;
  CompactSchedule schedule(
      lake_dir_.path(), [&] { return now; }, stop);
  const TimePoint far = now + std::chrono::hours(1);

  schedule.AfterCycle(far);  // the newest day first: it fails
  EXPECT_FALSE(schedule.caught_up());
  schedule.AfterCycle(far);  // then the older one, and the rest of the days
  ASSERT_OK_AND_ASSIGN(auto first, ReadCurrentManifest(*lake_, "quotes", kFirstDay));
  EXPECT_TRUE(first.has_value());
  ASSERT_OK_AND_ASSIGN(auto second, ReadCurrentManifest(*lake_, "quotes", kSecondDay));
  EXPECT_FALSE(second.has_value());
  EXPECT_TRUE(schedule.caught_up());

  std::filesystem::remove(blocker);
  schedule.AfterCycle(far);  // still set aside
  ASSERT_OK_AND_ASSIGN(second, ReadCurrentManifest(*lake_, "quotes", kSecondDay));
  EXPECT_FALSE(second.has_value());
  now += std::chrono::minutes(16);
  schedule.AfterCycle(now + std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(second, ReadCurrentManifest(*lake_, "quotes", kSecondDay));
  EXPECT_TRUE(second.has_value());
  EXPECT_TRUE(schedule.caught_up());
}

}  // namespace
}  // namespace coinlake::pipeline
