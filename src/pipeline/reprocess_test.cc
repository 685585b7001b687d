// reprocess against a real PostgreSQL: exactly once whatever the order, the parallelism or a
// kill -9 mid-load, and a dropped database rebuilds identically from the lake.
#include "pipeline/reprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/bytes.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/load_object.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

using testing::kSnapshots;
using testing::MakeLake;

std::string Checksum(const TestDatabase& db) { return testing::TablesChecksum(db); }

// The indexes and constraints of quotes and of its partitions, one definition a line.
// The indexes and constraints of quotes and its monthly partitions (not the other quotes_*
// tables: the deferred index definitions, retention's).
std::string QuoteIndexes(const TestDatabase& db) {
  return db.Scalar(
             "SELECT coalesce(string_agg(indexdef, E'\\n' ORDER BY indexname), '') FROM pg_indexes "
             "WHERE tablename ~ '^quotes(_w?[0-9]{4}_[0-9]{2}(_[0-9]{2})?)?$'") +
         "\n" +
         db.Scalar(
             "SELECT coalesce(string_agg(conrelid::regclass || ' ' || pg_get_constraintdef(oid), "
             "E'\\n' ORDER BY conrelid::regclass::text, conname), '') FROM pg_constraint WHERE "
             "conrelid::regclass::text ~ '^quotes(_w?[0-9]{4}_[0-9]{2}(_[0-9]{2})?)?$'");
}

std::string Command(const TestDatabase& db, const std::string& lake, const std::string& args) {
  return "COINLAKE_DATABASE_URL='" + db.url() + "' COINLAKE_LAKE_URL='" + lake + "' " +
         COINLAKE_BINARY + " " + args;
}

ReprocessOptions Options(const TestDatabase& db, const std::string& lake, int jobs) {
  ReprocessOptions options;
  options.database_url = db.url();
  options.lake_url = lake;
  options.jobs = jobs;
  return options;
}

class ReprocessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lake_ = new TempDir();
    MakeLake(lake_->path(), 1);
    TestDatabase clean;
    clean.Migrate();
    StopSignal stop;
    // The reference builds its candles from the table: every rebuild below folds them.
    ReprocessOptions unfolded = Options(clean, lake_->path(), 1);
    unfolded.fold_candles = false;
    auto report = RunReprocess(unfolded, stop);
    ASSERT_OK(report);
    ASSERT_EQ(report->objects_loaded, kSnapshots);
    expected_ = new std::string(Checksum(clean));
    // An empty table is loaded without its indexes, which are built at the end, as migrate
    // made them.
    EXPECT_TRUE(report->quotes_rebuilt);
    TestDatabase migrated;
    migrated.Migrate();
    // The lake's quotes (2026-03-31 and 2026-04-01) fall in the ISO week of Monday 2026-03-30.
    migrated.Scalar("SELECT coinlake_ensure_quote_partitions('2026-03-31', '2026-04-01')::text");
    indexes_ = new std::string(QuoteIndexes(migrated));
    EXPECT_NE(indexes_->find("quotes_w2026_03_30_snapshot_ts"), std::string::npos) << *indexes_;
    EXPECT_NE(indexes_->find("quotes_w2026_03_30 PRIMARY KEY"), std::string::npos) << *indexes_;
    EXPECT_EQ(QuoteIndexes(clean), *indexes_);
  }
  static void TearDownTestSuite() {
    delete lake_;
    delete expected_;
    delete indexes_;
  }
  static TempDir* lake_;
  static std::string* expected_;
  static std::string* indexes_;
};
TempDir* ReprocessTest::lake_ = nullptr;
std::string* ReprocessTest::expected_ = nullptr;
std::string* ReprocessTest::indexes_ = nullptr;

TEST_F(ReprocessTest, SecondRunIsANoOp) {
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  ASSERT_TRUE(RunReprocess(Options(db, lake_->path(), 3), stop).ok());
  auto again = RunReprocess(Options(db, lake_->path(), 3), stop);
  ASSERT_OK(again);
  EXPECT_EQ(again->objects_seen, kSnapshots);
  EXPECT_EQ(again->objects_loaded, 0);
  EXPECT_FALSE(again->quotes_rebuilt);
  EXPECT_EQ(Checksum(db), *expected_);
  EXPECT_EQ(QuoteIndexes(db), *indexes_);
  // Every deferred candle was built by the end of the run.
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM candles_pending"), "0");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets_pending"), "0");
}

TEST_F(ReprocessTest, AnyOrderGivesTheSameRows) {
  // The second day first, then everything: candles and names merge to the same result.
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  auto late = Options(db, lake_->path(), 2);
  late.from_date = "2026-04-01";
  auto first = RunReprocess(late, stop);
  ASSERT_OK(first);
  EXPECT_GT(first->objects_loaded, 0);
  EXPECT_LT(first->objects_loaded, kSnapshots);
  // The table was no longer empty: loaded with its indexes in place.
  auto rest = RunReprocess(Options(db, lake_->path(), 2), stop);
  ASSERT_OK(rest);
  EXPECT_TRUE(first->quotes_rebuilt);
  EXPECT_FALSE(rest->quotes_rebuilt);
  EXPECT_EQ(Checksum(db), *expected_);
  EXPECT_EQ(QuoteIndexes(db), *indexes_);
}

TEST_F(ReprocessTest, ABoundedRangeLoadsExactlyItsDays) {
  // A range with both ends is listed a day at a time (dt=YYYY-MM-DD/): the same objects as a
  // listing of the whole lake filtered by date, day by day and in the end all of them.
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  auto day = [&](const char* from, const char* to) {
    auto options = Options(db, lake_->path(), 2);
    options.from_date = from;
    options.to_date = to;
    auto report = RunReprocess(options, stop);
    EXPECT_OK(report);
    return report.ok() ? report->objects_loaded : -1;
  };
  EXPECT_EQ(day("2026-03-01", "2026-03-30"), 0);
  EXPECT_EQ(day("2026-04-01", "2026-04-01"), 6);   // 00:00 to 00:25
  EXPECT_EQ(day("2026-03-31", "2026-03-31"), 18);  // 22:30 to 23:55
  EXPECT_EQ(day("2026-03-01", "2026-04-30"), 0);
  EXPECT_EQ(Checksum(db), *expected_);
}

TEST_F(ReprocessTest, ConcurrentRunsLoadEachObjectOnce) {
  TestDatabase db;
  db.Migrate();
  std::vector<std::thread> runs;
  std::vector<Status> results(3);
  for (int i = 0; i < 3; ++i) {
    runs.emplace_back([&, i] {
      StopSignal stop;
      results[i] = RunReprocess(Options(db, lake_->path(), 2), stop).status();
    });
  }
  for (auto& t : runs) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  EXPECT_EQ(Checksum(db), *expected_);
  EXPECT_EQ(QuoteIndexes(db), *indexes_);
}

TEST_F(ReprocessTest, ForceRebuildsTheSameRows) {
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  ASSERT_TRUE(RunReprocess(Options(db, lake_->path(), 2), stop).ok());
  db.Scalar("DELETE FROM quotes WHERE cmc_id = 1 RETURNING 1");
  auto options = Options(db, lake_->path(), 2);
  options.force = true;
  // As the ETL signs in on a deployment: a login in coinlake_writer, owning no table.
  options.database_url = db.LoginUrl("coinlake_writer");
  auto rebuilt = RunReprocess(options, stop);
  ASSERT_OK(rebuilt);
  EXPECT_EQ(rebuilt->objects_loaded, kSnapshots);
  EXPECT_TRUE(rebuilt->quotes_rebuilt);
  EXPECT_EQ(Checksum(db), *expected_);
  EXPECT_EQ(QuoteIndexes(db), *indexes_);
}

TEST_F(ReprocessTest, DroppedDatabaseRebuildsIdenticallyThroughTheBinary) {
  TestDatabase db;
  auto migrate = coinlake::testing::RunCommand(Command(db, lake_->path(), "migrate"));
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  auto run = coinlake::testing::RunCommand(Command(db, lake_->path(), "reprocess --jobs 2"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("reprocess progress"), std::string::npos)
      << "no JSON progress line when stderr is not a TTY";
  EXPECT_EQ(Checksum(db), *expected_);
  EXPECT_EQ(QuoteIndexes(db), *indexes_);
}

TEST_F(ReprocessTest, BatchesEqualLoadingOneObjectAtATime) {
  // fetch loads one object per transaction; reprocess batches them: same tables either way.
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  warehouse::Loader loader(*conn);
  auto store = lake::OpenObjectStore(lake_->path());
  ASSERT_OK(store);
  auto objects = (*store)->ListAll(lake::RawPrefix(lake::kListingsLatest));
  ASSERT_OK(objects);
  ASSERT_EQ(objects->size(), static_cast<size_t>(kSnapshots));
  for (const lake::ObjectInfo& o : *objects) {
    auto data = (*store)->Get(o.key);
    ASSERT_OK(data);
    auto loaded = LoadRawObject(*conn, loader, o.key, *data);
    ASSERT_OK(loaded);
  }
  EXPECT_EQ(Checksum(db), *expected_);
}

// A lake whose second snapshot repeats the first one's quotes a minute later (CMC had not
// updated them), and the reference: every object loaded one at a time in key order with the
// primary key in place (fetch's way), where the first snapshot keeps those quotes.
class ReprocessRebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeLake(lake_.path(), 1);
    auto store = lake::OpenObjectStore(lake_.path());
    ASSERT_OK(store);
    store_ = std::move(*store);
    auto objects = store_->ListAll(lake::RawPrefix(lake::kListingsLatest));
    ASSERT_OK(objects);
    first_key_ = objects->front().key;
    auto first = store_->Get(first_key_);
    ASSERT_OK(first);
    auto body = GzipDecompress(*first);
    ASSERT_OK(body);
    auto json = nlohmann::json::parse(*body);
    repeated_at_ =
        *ParseIso8601(json["status"]["timestamp"].get<std::string>()) + std::chrono::minutes(1);
    json["status"]["timestamp"] = FormatIso8601(repeated_at_);
    auto gz = GzipCompress(json.dump());
    ASSERT_OK(gz);
    ASSERT_OK(store_->Put(lake::RawBodyKey(lake::kListingsLatest, repeated_at_), *gz));

    reference_.Migrate();
    auto conn = reference_.Connect();
    LoadOneAtATime(*conn, kSnapshots + 1);
  }

  // Loads the first `n` objects in key order, one transaction each, as fetch does.
  void LoadOneAtATime(warehouse::Connection& conn, int n) {
    warehouse::Loader loader(conn);
    auto all = store_->ListAll(lake::RawPrefix(lake::kListingsLatest));
    ASSERT_OK(all);
    ASSERT_EQ(all->size(), static_cast<size_t>(kSnapshots + 1));
    for (int i = 0; i < n; ++i) {
      auto data = store_->Get((*all)[i].key);
      ASSERT_OK(data);
      auto loaded = LoadRawObject(conn, loader, (*all)[i].key, *data);
      ASSERT_OK(loaded);
    }
  }

  // The ledger's row count of the repeat: 0 once it lost all its quotes to the first snapshot.
  std::string RepeatRows(const TestDatabase& db) {
    return db.Scalar("SELECT rows FROM lake_objects WHERE data_ts = '" +
                     FormatIso8601(repeated_at_) + "'");
  }

  TempDir lake_;
  std::unique_ptr<lake::ObjectStore> store_;
  std::string first_key_;
  TimePoint repeated_at_{};
  TestDatabase reference_;
};

TEST_F(ReprocessRebuildTest, DuplicateQuotesEndAsLoadingInKeyOrder) {
  // Loaded without a primary key, the repeat's copies get in; the end of the rebuild removes
  // them.
  ASSERT_EQ(RepeatRows(reference_), "0");
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  auto report = RunReprocess(Options(db, lake_.path(), 2), stop);
  ASSERT_OK(report);
  EXPECT_TRUE(report->quotes_rebuilt);
  EXPECT_GT(report->duplicates_removed, 0);
  // Every quote of the repeat was a duplicate: the first snapshot keeps them all.
  EXPECT_EQ(std::to_string(report->duplicates_removed),
            db.Scalar("SELECT rows FROM lake_objects WHERE key = '" + first_key_ + "'"));
  EXPECT_EQ(RepeatRows(db), "0");
  // ... and the repeat's ledger row lists every coin it carried over (Checksum compares it too).
  EXPECT_EQ(db.Scalar("SELECT cardinality(carried_ids) FROM lake_objects WHERE data_ts = '" +
                      FormatIso8601(repeated_at_) + "'"),
            db.Scalar("SELECT count(DISTINCT cmc_id) FROM quotes WHERE lake_object_id = "
                      "(SELECT id FROM lake_objects WHERE key = '" +
                      first_key_ + "')"));
  EXPECT_EQ(Checksum(db), Checksum(reference_));
  EXPECT_EQ(QuoteIndexes(db), QuoteIndexes(reference_));
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes_deferred_indexes"), "0");
}

TEST_F(ReprocessRebuildTest, FetchLoadsDuringARebuildEndTheSame) {
  // fetch keeps loading while a rebuild is under way: with no primary key, the repeat's quotes
  // get in and its merged candles count them twice, until the rebuild's end removes them and
  // rebuilds their hours.
  TestDatabase db;
  db.Migrate();
  auto conn = db.Connect();
  auto started = warehouse::DeferQuoteIndexes(*conn);
  ASSERT_OK(started);
  ASSERT_TRUE(*started);
  LoadOneAtATime(*conn, 6);  // the first snapshot, its repeat, and four more
  EXPECT_NE(RepeatRows(db), "0");
  StopSignal stop;
  auto report = RunReprocess(Options(db, lake_.path(), 2), stop);
  ASSERT_OK(report);
  EXPECT_EQ(report->objects_loaded, kSnapshots + 1 - 6);
  EXPECT_TRUE(report->quotes_rebuilt);
  EXPECT_GT(report->duplicates_removed, 0);
  EXPECT_EQ(RepeatRows(db), "0");
  EXPECT_EQ(Checksum(db), Checksum(reference_));
  EXPECT_EQ(QuoteIndexes(db), QuoteIndexes(reference_));
}

TEST_F(ReprocessTest, ChangedObjectIsDataLoss) {
  TempDir lake;
  MakeLake(lake.path(), 1);
  TestDatabase db;
  db.Migrate();
  StopSignal stop;
  ASSERT_TRUE(RunReprocess(Options(db, lake.path(), 2), stop).ok());
  db.Scalar(
      "UPDATE lake_objects SET size = size + 1 WHERE key = (SELECT min(key) FROM "
      "lake_objects) RETURNING 1");
  auto again = RunReprocess(Options(db, lake.path(), 2), stop);
  EXPECT_EQ(again.status().code(), StatusCode::kDataLoss);
}

TEST(ReprocessKillTest, KillNineMidLoadThenRerunMatchesACleanLoad) {
  TempDir lake;
  // 6000 coins a snapshot: a transaction holds 5 snapshots (30,000 rows), so the lake takes
  // 5 of them, and a kill after the first lands mid-load.
  MakeLake(lake.path(), 60);
  TestDatabase clean;
  clean.Migrate();
  StopSignal stop;
  ASSERT_TRUE(RunReprocess(Options(clean, lake.path(), 2), stop).ok());
  std::string expected = Checksum(clean);

  TestDatabase db;
  db.Migrate();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv("COINLAKE_DATABASE_URL", db.url().c_str(), 1);
    setenv("COINLAKE_LAKE_URL", lake.path().c_str(), 1);
    execl(COINLAKE_BINARY, COINLAKE_BINARY, "reprocess", "--jobs", "2", "--log-level", "error",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill once some, not all, objects are in.
  int loaded = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    loaded = std::stoi(db.Scalar("SELECT count(*) FROM lake_objects"));
    if (loaded >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "reprocess ended before the kill: make the lake bigger";
  loaded = std::stoi(db.Scalar("SELECT count(*) FROM lake_objects"));
  EXPECT_GT(loaded, 0);
  EXPECT_LT(loaded, kSnapshots) << "reprocess ended before the kill: make the lake bigger";
  // Every committed object is whole: its ledger row counts exactly its quotes.
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM lake_objects o WHERE rows <> (SELECT count(*) FROM "
                      "quotes q WHERE q.lake_object_id = o.id)"),
            "0");
  // It was killed mid-rebuild: quotes has no index, the definitions wait for the next run.
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes_deferred_indexes"), "2");
  EXPECT_EQ(QuoteIndexes(db), "\n");
  auto rerun = RunReprocess(Options(db, lake.path(), 2), stop);
  ASSERT_OK(rerun);
  EXPECT_EQ(rerun->objects_loaded, kSnapshots - loaded);
  EXPECT_TRUE(rerun->quotes_rebuilt);
  EXPECT_EQ(rerun->duplicates_removed, 0);
  EXPECT_EQ(QuoteIndexes(db), QuoteIndexes(clean));
  EXPECT_NE(QuoteIndexes(db).find("quotes_w2026_03_30 PRIMARY KEY"), std::string::npos);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM quotes_deferred_indexes"), "0");
  // The killed run's candles were never built; the rerun builds them with its own.
  EXPECT_GT(rerun->candle_hours, 0);
  EXPECT_EQ(Checksum(db), expected);
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM candles_pending"), "0");
  EXPECT_EQ(db.Scalar("SELECT count(*) FROM assets_pending"), "0");
}

}  // namespace
}  // namespace coinlake::pipeline
