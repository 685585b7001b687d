// Every endpoint through the whole path (sim -> classify/governor -> spool -> lake -> load),
// against the simulator, a file lake and a real PostgreSQL.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cmc/sim.h"
#include "common/bytes.h"
#include "lake/keys.h"
#include "pipeline/fetch.h"
#include "pipeline/reprocess.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;
using std::chrono::seconds;

constexpr char kKey[] = "sim-key-endpoints-5e1f";
constexpr char kGlobalPath[] = "/v1/global-metrics/quotes/latest";

class FetchEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.Migrate(); }

  // Starts the sim with `faults` pending (the `sim --faults` path) and points the options at it.
  void StartSim(const std::string& faults = "", int64_t credits_per_month = 0) {
    cmc::SimOptions sim;
    sim.port = 0;
    sim.coins = 500;
    sim.api_key = kKey;
    sim.faults = faults;
    sim.credits_per_month = credits_per_month;
    auto started = cmc::Simulator::Start(sim);
    ASSERT_OK(started);
    sim_ = std::move(started).value();
    options_.database_url = db_.url();
    options_.lake_url = "file://" + dir_.path() + "/lake";
    options_.spool_dir = dir_.path() + "/spool";
    options_.cmc.base_url = sim_->base_url();
    options_.cmc.api_key = kKey;
    options_.listings_limit = 10;
    options_.schedule = {{lake::kListingsLatest, seconds(300)},
                         {lake::kQuotesLatest, seconds(300)},
                         {lake::kGlobalMetricsLatest, seconds(900)},
                         {lake::kKeyInfo, seconds(3600)},
                         {lake::kMap, seconds(86400)}};
  }

  std::unique_ptr<lake::ObjectStore> Lake() {
    return std::move(lake::OpenObjectStore(options_.lake_url)).value();
  }

  // How many HTTP 200 answers the sim gave for `path`.
  int Served(const std::string& path) {
    int n = 0;
    for (const auto& s : ServedLog()) n += s["endpoint"] == path ? 1 : 0;
    return n;
  }

  // The sim's record of every HTTP 200 it answered: endpoint, timestamp, sha256 of the body.
  nlohmann::json ServedLog() {
    cmc::ClientOptions client_options;
    client_options.base_url = sim_->base_url();
    auto client = std::move(cmc::CmcClient::Make(client_options)).value();
    return nlohmann::json::parse(client->Get("/__sim/served", {})->body);
  }

  std::string Count(const std::string& sql) { return db_.Scalar(sql); }

  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<cmc::Simulator> sim_;
  FetchOptions options_;
  StopSignal stop_;
};

TEST_F(FetchEndpointsTest, EveryEndpointLandsInTheLakeAndLoads) {
  StartSim();
  options_.quotes_symbols = {"ETH"};  // resolved through the map: id 1027
  ::testing::internal::CaptureStdout();
  Status fetched = RunFetch(options_, stop_);
  std::string logs = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(fetched.ok()) << fetched.ToString() << "\n" << logs;

  auto lake = Lake();
  for (std::string_view endpoint : {lake::kListingsLatest, lake::kQuotesLatest,
                                    lake::kGlobalMetricsLatest, lake::kKeyInfo, lake::kMap}) {
    EXPECT_EQ(lake->ListAll(lake::RawPrefix(endpoint))->size(), 2u) << endpoint;  // body + meta
  }
  EXPECT_EQ(lake->ListAll("quarantine/")->size(), 0u);
  // The watchlist asked for the id the map gave ETH, never for the symbol.
  auto quotes_objects = *lake->ListAll(lake::RawPrefix(lake::kQuotesLatest));
  auto body = nlohmann::json::parse(*GzipDecompress(*lake->Get(quotes_objects[0].key)));
  EXPECT_TRUE(body["data"].contains("1027")) << body["data"].dump().substr(0, 200);
  auto meta = nlohmann::json::parse(*lake->Get(quotes_objects[1].key));
  EXPECT_NE(meta["request"].get<std::string>().find("id=1027"), std::string::npos) << meta;

  EXPECT_EQ(Count("SELECT count(*) FROM quotes q JOIN lake_objects l ON l.id = q.lake_object_id "
                  "WHERE l.key LIKE 'raw/cmc/listings_latest/%'"),
            "10");
  EXPECT_EQ(Count("SELECT count(*) FROM global_metrics"), "1");
  EXPECT_EQ(Count("SELECT quote_currency FROM global_metrics"), "USD");
  EXPECT_EQ(Count("SELECT count(*) > 0 FROM global_metrics WHERE total_market_cap > 0 AND "
                  "btc_dominance > 0"),
            "t");
  EXPECT_EQ(Count("SELECT count(*) FROM assets"), "500");  // the map lists every coin
  EXPECT_EQ(Count("SELECT symbol FROM assets WHERE cmc_id = 1027"), "ETH");
  EXPECT_EQ(Count("SELECT count(*) FROM asset_names WHERE cmc_id = 1"), "1");
  EXPECT_EQ(Count("SELECT string_agg(endpoint, ',' ORDER BY endpoint) FROM lake_objects"),
            "global_metrics_latest,listings_latest,map,quotes_latest");  // key_info: lake only
  // Listings, quotes and global metrics cost 1 credit each; key info and map nothing.
  EXPECT_EQ(Count("SELECT outcome || ',' || credits FROM runs"), "ok,3");

  // The key is in no log line (nothing was registered to redact it here) and no stored byte.
  EXPECT_EQ(logs.find(kKey), std::string::npos);
  EXPECT_NE(logs.find("watchlist resolved"), std::string::npos);
  EXPECT_NE(logs.find("credit plan"), std::string::npos);
  auto everything = lake->ListAll("");
  ASSERT_OK(everything);
  for (const auto& o : *everything) {
    std::string data = *lake->Get(o.key);
    if (LooksGzipped(data)) data = *GzipDecompress(data);
    EXPECT_EQ(data.find(kKey), std::string::npos) << o.key;
  }

  // A watchlist outside the listings' top 10: its rows come from quotes_latest.
  std::string others = Count(
      "SELECT string_agg(cmc_id::text, ',') FROM (SELECT cmc_id FROM assets WHERE cmc_id NOT IN "
      "(SELECT cmc_id FROM quotes) ORDER BY cmc_id LIMIT 3) s");
  options_.quotes_symbols.clear();
  options_.quotes_ids.clear();
  for (size_t at = 0; at < others.size();) {
    size_t comma = std::min(others.find(',', at), others.size());
    options_.quotes_ids.push_back(std::stoll(others.substr(at, comma - at)));
    at = comma + 1;
  }
  ASSERT_EQ(options_.quotes_ids.size(), 3u);
  options_.schedule = {{lake::kQuotesLatest, seconds(300)}};
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new second: a new raw key
  ASSERT_OK(RunFetch(options_, stop_));
  EXPECT_EQ(Count("SELECT count(*) FROM quotes q JOIN lake_objects l ON l.id = q.lake_object_id "
                  "WHERE l.key LIKE 'raw/cmc/quotes_latest/%' AND "
                  "cmc_id IN (" +
                  others + ")"),
            "3");

  // Replaying the lake is a no-op here, and rebuilds the same tables elsewhere.
  std::string before = testing::TablesChecksum(db_);
  std::string global_before =
      Count("SELECT count(*) || ':' || sum(total_market_cap) FROM global_metrics");
  ReprocessOptions replay{db_.url(), options_.lake_url, "", ""};
  auto again = RunReprocess(replay, stop_);
  ASSERT_OK(again);
  EXPECT_EQ(again->objects_loaded, 0);
  EXPECT_EQ(testing::TablesChecksum(db_), before);
  TestDatabase fresh;
  fresh.Migrate();
  auto rebuilt = RunReprocess({fresh.url(), options_.lake_url, "", ""}, stop_);
  ASSERT_OK(rebuilt);
  EXPECT_EQ(rebuilt->objects_loaded, 5);  // listings, 2 quotes, global metrics, map
  EXPECT_EQ(fresh.Scalar("SELECT count(*) FROM quotes"), Count("SELECT count(*) FROM quotes"));
  EXPECT_EQ(fresh.Scalar("SELECT count(*) || ':' || sum(total_market_cap) FROM global_metrics"),
            global_before);
  EXPECT_EQ(fresh.Scalar("SELECT count(*) FROM assets"), "500");
}

// Each fault class on global metrics: the transient ones are retried to success, error answers
// are quarantined and never loaded, and 1006/1009 stop the endpoint without another call.
TEST_F(FetchEndpointsTest, GlobalMetricsFaultsAreRetriedOrStopIt) {
  std::string path = std::string(",\"path\":\"") + kGlobalPath + "\"}";
  StartSim("[{\"fault\":\"status\",\"http\":503" + path + ",{\"fault\":\"reset\"" + path +
           ",{\"fault\":\"malformed\"" + path +
           ",{\"fault\":\"status\",\"http\":429,\"error_code\":1008,\"retry_after\":1" + path +
           "]");
  options_.schedule = {{lake::kGlobalMetricsLatest, seconds(900)}};
  auto pipeline = std::move(Pipeline::Make(options_, stop_)).value();
  std::vector<std::string_view> due = {lake::kGlobalMetricsLatest};
  auto report = pipeline->RunCycle("fetch", due);
  ASSERT_OK(report);
  EXPECT_EQ(Count("SELECT count(*) FROM global_metrics"), "1");
  EXPECT_EQ(Served(kGlobalPath), 1);  // the malformed answer is not counted as served

  // HTTP 200 carrying an error code: quarantined, not loaded, and the endpoint stops.
  sim_->Stop();
  StartSim("[{\"fault\":\"error_200\",\"error_code\":1006" + path + "]");
  pipeline = std::move(Pipeline::Make(options_, stop_)).value();
  ::testing::internal::CaptureStdout();
  auto stopped = pipeline->RunCycle("fetch", due);
  auto later = pipeline->RunCycle("fetch", due);
  std::string logs = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(stopped.status().code(), StatusCode::kFailedPrecondition)
      << stopped.status().ToString();
  EXPECT_EQ(later.status().code(), StatusCode::kResourceExhausted) << later.status().ToString();
  EXPECT_NE(later.status().message().find("stopped until restart"), std::string::npos);
  EXPECT_EQ(Served(kGlobalPath), 0);  // the second cycle made no call
  EXPECT_EQ(Lake()->ListAll("quarantine/cmc/global_metrics_latest/")->size(), 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM global_metrics"), "1");
  // Stopping is said once, in one line with the reason and until when.
  size_t first = logs.find("\"endpoint stopped\"");
  ASSERT_NE(first, std::string::npos) << logs;
  EXPECT_EQ(logs.find("\"endpoint stopped\"", first + 1), std::string::npos);

  // 1009: stopped until the next UTC midnight; other endpoints go on.
  sim_->Stop();
  StartSim("[{\"fault\":\"status\",\"http\":429,\"error_code\":1009" + path + "]");
  pipeline = std::move(Pipeline::Make(options_, stop_)).value();
  ASSERT_FALSE(pipeline->RunCycle("fetch", due).ok());
  std::vector<std::string_view> both = {lake::kListingsLatest, lake::kGlobalMetricsLatest};
  auto partial = pipeline->RunCycle("fetch", both);
  EXPECT_EQ(partial.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(partial.status().message().find("T00:00:00"), std::string::npos)
      << partial.status().ToString();
  EXPECT_EQ(Served(kGlobalPath), 0);
  EXPECT_EQ(Count("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1"), "partial");
  EXPECT_EQ(Count("SELECT count(*) FROM quotes"), "10");
}

// The governor reads the plan from key info and defers calls the month cannot afford, before
// CMC would refuse them; the credits spent land in `runs`.
TEST_F(FetchEndpointsTest, GovernorDefersCallsThePlanCannotAfford) {
  StartSim("", /*credits_per_month=*/3);
  options_.schedule = {{lake::kListingsLatest, seconds(300)}};
  auto pipeline = std::move(Pipeline::Make(options_, stop_)).value();
  std::vector<std::string_view> due = {lake::kListingsLatest};
  int ok = 0, deferred = 0;
  ::testing::internal::CaptureStdout();
  for (int i = 0; i < 6; ++i) {
    auto r = pipeline->RunCycle("fetch", due);
    if (r.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
      EXPECT_NE(r.status().message().find("deferred by the credit governor"), std::string::npos)
          << r.status().ToString();
      ++deferred;
    }
  }
  std::string logs = ::testing::internal::GetCapturedStdout();
  EXPECT_LE(ok, 3);
  EXPECT_GE(deferred, 3);
  EXPECT_NE(logs.find("\"credits_per_month\":3"), std::string::npos) << logs;
  // The sim never had to refuse a call (1010): whatever is in quarantine/ is an HTTP 200 answer
  // the sim served (cycles within one second make same-key answers, kept there by the tie-break).
  std::set<std::string> served;
  for (const auto& s : ServedLog()) served.insert(s["sha256"].get<std::string>());
  auto lake = Lake();
  auto quarantined = lake->ListAll("quarantine/");
  ASSERT_OK(quarantined);
  for (const auto& object : *quarantined) {
    if (!object.key.ends_with(".meta.json")) continue;
    auto meta = nlohmann::json::parse(*lake->Get(object.key));
    EXPECT_TRUE(served.contains(meta["body_sha256"].get<std::string>())) << object.key;
  }
  EXPECT_EQ(Count("SELECT sum(credits) FROM runs"), std::to_string(ok));
  EXPECT_EQ(Count("SELECT count(*) FROM runs WHERE outcome = 'failed' AND "
                  "error_class = 'RESOURCE_EXHAUSTED'"),
            std::to_string(deferred));
}

TEST_F(FetchEndpointsTest, UnknownSymbolStopsTheWatchlistNotTheCycle) {
  StartSim();
  options_.quotes_symbols = {"NO-SUCH-COIN"};
  options_.schedule = {{lake::kListingsLatest, seconds(300)}, {lake::kQuotesLatest, seconds(300)}};
  Status s = RunFetch(options_, stop_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("NO-SUCH-COIN"), std::string::npos) << s.ToString();
  EXPECT_EQ(Count("SELECT outcome FROM runs"), "partial");
  EXPECT_EQ(Count("SELECT count(*) FROM quotes"), "10");
}

}  // namespace
}  // namespace coinlake::pipeline
