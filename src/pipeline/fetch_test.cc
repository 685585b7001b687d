// The whole path, against the simulator, a file lake and a real PostgreSQL.
#include "pipeline/fetch.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/sim.h"
#include "common/bytes.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/reprocess.h"
#include "pipeline/run_lock.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    cmc::SimOptions sim;
    sim.port = 0;
    sim.coins = 500;
    sim.api_key = "sim-key-0123456789";
    sim_ = std::move(cmc::Simulator::Start(sim)).value();
    options_.database_url = db_.url();
    options_.lake_url = "file://" + dir_.path() + "/lake";
    options_.spool_dir = dir_.path() + "/spool";
    options_.cmc.base_url = sim_->base_url();
    options_.cmc.api_key = "sim-key-0123456789";
    options_.listings_limit = 200;
  }

  // One fetch, then the listings body and sidecar keys it wrote to the lake.
  void FetchListingsOnce() {
    ASSERT_OK(RunFetch(options_, stop_));
    first_lake_ = std::move(lake::OpenObjectStore(options_.lake_url)).value();
    auto first = first_lake_->ListAll("raw/cmc/listings_latest/");
    ASSERT_EQ(first->size(), 2u);
    body_key_ = (*first)[0].key;
    meta_key_ = (*first)[1].key;
  }

  // Points the next fetch at an empty lake, in a new second, so its own answer shares no key
  // with what a test left in the spool (that would be a tie-break, not what these tests check).
  void NextFetchIntoAnotherLakeAndSecond() {
    options_.lake_url = "file://" + dir_.path() + "/other-lake";
    auto next_second = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
    std::this_thread::sleep_until(next_second + std::chrono::milliseconds(50));
  }

  std::unique_ptr<lake::ObjectStore> Spool() {
    return std::move(lake::OpenObjectStore("file://" + options_.spool_dir)).value();
  }

  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<lake::ObjectStore> first_lake_;
  std::string body_key_, meta_key_;
  std::unique_ptr<cmc::Simulator> sim_;
  FetchOptions options_;
  StopSignal stop_;
};

// The cycle reads the time from the clock it is given: its runs row says when, by that clock.
TEST_F(FetchTest, TheCycleRunsOnTheClockItIsGiven) {
  TimePoint start = *ParseIso8601("2031-03-04T05:06:07Z");
  int reads = 0;
  options_.clock = [&] { return start + std::chrono::seconds(reads++); };
  ASSERT_OK(RunFetch(options_, stop_));
  EXPECT_GE(reads, 2);
  EXPECT_EQ(db_.Scalar("SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
                       "FROM runs"),
            "2031-03-04 05:06:07");
  EXPECT_EQ(db_.Scalar("SELECT finished_at > started_at FROM runs"), "t");
}

TEST_F(FetchTest, OneCycleLandsInLakeAndDatabase) {
  ASSERT_OK(RunFetch(options_, stop_));
  auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
  auto objects = lake->ListAll("raw/cmc/listings_latest/");
  ASSERT_OK(objects);
  ASSERT_EQ(objects->size(), 2u);  // body and sidecar
  const std::string& body_key = (*objects)[0].key;
  ASSERT_TRUE(body_key.ends_with(".json.gz")) << body_key;
  EXPECT_OK(lake::ParseRawKey(body_key));
  // The lake keeps the body as received; the ledger has the stored bytes' hash.
  std::string stored = *lake->Get(body_key);
  EXPECT_TRUE(LooksGzipped(stored));
  EXPECT_EQ(db_.Scalar("SELECT sha256 FROM lake_objects WHERE key = '" + body_key + "'"),
            Sha256Hex(stored));
  auto meta = nlohmann::json::parse(*lake->Get((*objects)[1].key));
  EXPECT_EQ(meta["body_sha256"], Sha256Hex(*GzipDecompress(stored)));
  EXPECT_EQ(meta["http_status"], 200);
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "200");
  EXPECT_EQ(db_.Scalar("SELECT outcome || ',' || rows || ',' || credits FROM runs"), "ok,200,1");
  // A one-off fetch keeps no schedule, so it records none (audit ignores it).
  EXPECT_EQ(db_.Scalar("SELECT listings_interval_seconds IS NULL FROM runs"), "t");
  // Nothing curated yet: the day's Parquet is written once the day closes (`compact`).
  EXPECT_EQ(lake->ListAll("curated/")->size(), 0u);
  // The spool is empty once the lake has everything.
  auto spool = std::move(lake::OpenObjectStore("file://" + options_.spool_dir)).value();
  EXPECT_EQ(spool->ListAll("")->size(), 0u);
  // The API key is nowhere in the lake.
  auto everything = lake->ListAll("");
  ASSERT_OK(everything);
  for (const auto& o : *everything) {
    std::string data = *lake->Get(o.key);
    if (LooksGzipped(data)) data = *GzipDecompress(data);
    EXPECT_EQ(data.find("sim-key-0123456789"), std::string::npos) << o.key;
  }
}

TEST_F(FetchTest, RunsRecordTheQuotesASnapshotCarriedOver) {
  ASSERT_OK(RunFetch(options_, stop_));
  // The simulator refreshes each coin at its own minute: a second fetch a second later lists the
  // same 200 coins, each with the quote the first stored (carried over) unless the minute turned
  // in between and refreshed it (then a new one).
  NextFetchIntoAnotherLakeAndSecond();
  ASSERT_OK(RunFetch(options_, stop_));
  EXPECT_EQ(db_.Scalar("SELECT concat_ws(',', rows, quotes_carried) FROM runs ORDER BY id LIMIT 1"),
            "200,0");
  EXPECT_EQ(db_.Scalar("SELECT rows + quotes_carried FROM runs ORDER BY id DESC LIMIT 1"), "200");
  EXPECT_EQ(db_.Scalar("SELECT sum(rows) FROM runs"), db_.Scalar("SELECT count(*) FROM quotes"));
}

TEST_F(FetchTest, LakeRebuildsTheDatabase) {
  ASSERT_OK(RunFetch(options_, stop_));
  // A numeric sum: exact, so it does not depend on the order reprocess's parallel jobs stored
  // the rows in (a float8 sum differed in its last digit under ASan once).
  const char* sum_prices = "SELECT sum(price::numeric)::text FROM quotes";
  std::string before = db_.Scalar(sum_prices);
  TestDatabase fresh;
  fresh.Migrate();
  ReprocessOptions reprocess{fresh.url(), options_.lake_url, "", ""};
  auto report = RunReprocess(reprocess, stop_);
  ASSERT_OK(report);
  EXPECT_EQ(report->objects_loaded, 1);
  EXPECT_EQ(fresh.Scalar("SELECT count(*) FROM quotes"), "200");
  EXPECT_EQ(fresh.Scalar(sum_prices), before);
  auto again = RunReprocess(reprocess, stop_);
  EXPECT_EQ(again->objects_loaded, 0);  // idempotent
}

// A fetch beside a running `coinlake run` (which holds the run lock) would poll the API twice and
// drain the same spool: it refuses, having asked the API nothing.
TEST_F(FetchTest, RefusesWhileARunHoldsTheLock) {
  auto holder = RunLock::Acquire(db_.url());
  ASSERT_OK(holder);
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find("already holds this database's run lock"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM runs"), "0");
  auto lake = lake::OpenObjectStore(options_.lake_url);
  ASSERT_OK(lake);
  EXPECT_TRUE((*lake)->ListAll("raw/")->empty()) << "nothing fetched";
  holder->reset();
  EXPECT_TRUE(RunFetch(options_, stop_).ok()) << "the lock is free again";
}

TEST_F(FetchTest, ApiOutageFailsTheCycleAndLosesNothing) {
  options_.cmc.base_url = "http://127.0.0.1:1";
  options_.cmc.connect_timeout = std::chrono::milliseconds(200);
  stop_.Stop();  // no backoff sleeps in this test: one attempt, then the cycle fails
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(db_.Scalar("SELECT outcome || ',' || error_class FROM runs"), "failed,UNAVAILABLE");
}

TEST_F(FetchTest, ErrorAnswerIsQuarantinedNotLoaded) {
  options_.cmc.api_key = "wrong-key-abcdef";
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
  EXPECT_EQ(lake->ListAll("raw/")->size(), 0u);
  EXPECT_EQ(lake->ListAll("quarantine/cmc/listings_latest/")->size(), 2u);
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "0");
}

// A body that does not parse, with no retry left: quarantined, and the cycle fails with the
// parser's class and words, once (it was FAILED_PRECONDITION wrapping "INVALID_ARGUMENT: ...").
TEST_F(FetchTest, MalformedAnswerIsQuarantinedAsInvalidArgument) {
  httplib::Client control("127.0.0.1", sim_->port());
  auto injected = control.Post(
      "/__sim/faults", R"([{"fault":"malformed","path":"/v1/cryptocurrency/listings/latest"}])",
      "application/json");
  ASSERT_TRUE(injected && injected->status == 200);
  stop_.Stop();  // no backoff sleeps: the first answer is the last
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(s.message().starts_with("listings_latest: invalid CMC payload")) << s.ToString();
  EXPECT_EQ(s.ToString().find("INVALID_ARGUMENT", 1), std::string::npos) << s.ToString();
  EXPECT_EQ(db_.Scalar("SELECT error_class FROM runs"), "INVALID_ARGUMENT");
  auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
  EXPECT_EQ(lake->ListAll("raw/cmc/listings_latest/")->size(), 0u);
  EXPECT_EQ(lake->ListAll("quarantine/cmc/listings_latest/")->size(), 2u);
}

// The ledger holds a key with bytes other than the spooled object's (here: the database was
// loaded from another lake; in the field, a store that overwrote a raw/ object). The object can
// never load: it is set aside in quarantine/ with its sidecar, the cycle reports DATA_LOSS once,
// the rest of the spool still drains, and the next cycle is clean.
TEST_F(FetchTest, AnObjectTheLedgerHoldsWithOtherBytesIsSetAsideAndTheDrainGoesOn) {
  ASSERT_NO_FATAL_FAILURE(FetchListingsOnce());
  const std::string body_key = body_key_, meta_key = meta_key_;
  std::string body = *GzipDecompress(*first_lake_->Get(body_key));
  nlohmann::json changed = nlohmann::json::parse(body);
  changed["data"][0]["quote"]["USD"]["price"] = 12345.678;  // other bytes under the same key
  std::string other = changed.dump();
  nlohmann::json meta = nlohmann::json::parse(*first_lake_->Get(meta_key));
  meta["body_sha256"] = Sha256Hex(other);
  auto spool = Spool();
  ASSERT_OK(spool->Put(body_key, *GzipCompress(other)));
  ASSERT_OK(spool->Put(meta_key, meta.dump()));

  NextFetchIntoAnotherLakeAndSecond();
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find(body_key), std::string::npos) << s.ToString();

  auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
  auto aside = lake->ListAll("quarantine/cmc/listings_latest/");
  ASSERT_EQ(aside->size(), 2u);
  std::string stem = (*aside)[0].key.substr(0, (*aside)[0].key.size() - 8);
  EXPECT_TRUE(stem.ends_with(Sha256Hex(other).substr(0, 12))) << stem;
  EXPECT_EQ(*GzipDecompress(*lake->Get((*aside)[0].key)), other);
  EXPECT_EQ((*aside)[1].key, stem + ".meta.json");
  EXPECT_EQ(spool->ListAll("")->size(), 0u);
  // The cycle's own fetch still loaded; the ledger row of the first load is unchanged.
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'"),
            "2");
  EXPECT_EQ(db_.Scalar("SELECT sha256 FROM lake_objects WHERE key = '" + body_key + "'"),
            Sha256Hex(*first_lake_->Get(body_key)));
  EXPECT_EQ(db_.Scalar("SELECT error_class FROM runs ORDER BY id DESC LIMIT 1"), "DATA_LOSS");

  EXPECT_OK(RunFetch(options_, stop_));
}

TEST_F(FetchTest, ABodySpooledWithoutItsSidecarGetsOneRebuiltFromTheBody) {
  ASSERT_NO_FATAL_FAILURE(FetchListingsOnce());
  const std::string body_key = body_key_, meta_key = meta_key_;
  const std::string stored = *first_lake_->Get(body_key);
  // A process killed between the body's spool write and its sidecar's left this behind.
  auto spool = Spool();
  ASSERT_OK(spool->Put(body_key, stored));

  NextFetchIntoAnotherLakeAndSecond();
  log::Configure(log::Level::kInfo, log::Sink::kStdout);
  ::testing::internal::CaptureStdout();
  ASSERT_OK(RunFetch(options_, stop_));
  const std::string logged = ::testing::internal::GetCapturedStdout();
  // The restart says what it found waiting, once.
  auto said = logged.find("spool holds objects from before this process");
  ASSERT_NE(said, std::string::npos) << logged;
  std::string line = logged.substr(said, logged.find('\n', said) - said);
  EXPECT_NE(line.find("\"objects\":1"), std::string::npos) << line;

  auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
  EXPECT_EQ(*lake->Get(body_key), stored);
  auto meta_text = lake->Get(meta_key);
  ASSERT_OK(meta_text);
  nlohmann::json meta = nlohmann::json::parse(*meta_text);
  EXPECT_EQ(meta["body_sha256"], Sha256Hex(*GzipDecompress(stored)));
  EXPECT_EQ(meta["body_size"], GzipDecompress(stored)->size());
  EXPECT_TRUE(meta["fetch_started"].is_null());
  EXPECT_TRUE(meta.contains("recovered"));
  EXPECT_EQ(spool->ListAll("")->size(), 0u);
  // The cycle's own answer kept its own sidecar.
  auto raw = lake->ListAll("raw/cmc/listings_latest/");
  ASSERT_EQ(raw->size(), 4u);
  EXPECT_FALSE(nlohmann::json::parse(*lake->Get((*raw)[3].key)).contains("recovered"));
}

}  // namespace
}  // namespace coinlake::pipeline
