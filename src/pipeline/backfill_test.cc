// `coinlake backfill` through the whole path (sim -> governor -> spool -> lake -> load), against
// the simulator, a file lake and a real PostgreSQL. The kill -9 resume is
// tests/crash/backfill_kill.sh.
#include "pipeline/backfill.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmc/market.h"
#include "cmc/sim.h"
#include "common/bytes.h"
#include "lake/keys.h"
#include "pipeline/reprocess.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

constexpr char kKey[] = "sim-key-backfill-77c1";
constexpr char kQuotesPath[] = "/v2/cryptocurrency/quotes/historical";

class BackfillTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.Migrate(); }

  void StartSim(const std::string& plan = "enterprise", const std::string& faults = "") {
    cmc::SimOptions sim;
    sim.port = 0;
    sim.coins = 300;
    sim.api_key = kKey;
    sim.plan = plan;
    sim.faults = faults;
    ASSERT_OK_AND_ASSIGN(sim_, cmc::Simulator::Start(sim));
    options_.fetch.database_url = db_.url();
    options_.fetch.lake_url = "file://" + dir_.path() + "/lake";
    options_.fetch.spool_dir = dir_.path() + "/spool";
    options_.fetch.cmc.base_url = sim_->base_url();
    options_.fetch.cmc.api_key = kKey;
    options_.from = "2026-11-01";
    options_.to = "2026-11-03";
    options_.top = 5;
  }

  StatusOr<BackfillReport> Backfill(std::string* printed = nullptr) {
    std::ostringstream out;
    ::testing::internal::CaptureStdout();  // the logs
    auto report = RunBackfill(options_, stop_, out);
    ::testing::internal::GetCapturedStdout();
    if (printed) *printed = out.str();
    return report;
  }

  // How many HTTP 200 answers the sim gave for `path`.
  int Served(const std::string& path) {
    cmc::ClientOptions client_options;
    client_options.base_url = sim_->base_url();
    auto client = std::move(cmc::CmcClient::Make(client_options)).value();
    int n = 0;
    for (const auto& s : nlohmann::json::parse(client->Get("/__sim/served", {})->body)) {
      n += s["endpoint"] == path ? 1 : 0;
    }
    return n;
  }

  std::string Sql(const std::string& sql) { return db_.Scalar(sql); }

  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<cmc::Simulator> sim_;
  BackfillOptions options_;
  StopSignal stop_;
};

TEST_F(BackfillTest, HistoryGoesToTheLakeAndLoadsWithItsEndpoint) {
  StartSim();
  options_.ohlcv = true;
  options_.global_metrics = true;
  std::string printed;
  ASSERT_OK_AND_ASSIGN(BackfillReport report, Backfill(&printed));
  // 5 coins x 48 hours: one quotes call, one OHLCV call, one global metrics call.
  EXPECT_EQ(report.calls, 3);
  EXPECT_EQ(report.calls_fetched, 3);
  EXPECT_NE(printed.find("quotes_historical"), std::string::npos) << printed;
  EXPECT_NE(printed.find("available"), std::string::npos) << printed;

  // Every answer is in the lake under its request's key, with its sidecar; probes included.
  auto lake = std::move(lake::OpenObjectStore(options_.fetch.lake_url)).value();
  for (std::string_view endpoint :
       {lake::kQuotesHistorical, lake::kOhlcvHistorical, lake::kGlobalMetricsHistorical}) {
    ASSERT_OK_AND_ASSIGN(auto objects, lake->ListAll(lake::RawPrefix(endpoint)));
    EXPECT_EQ(objects.size(), 4u) << endpoint;  // probe and call, each body + sidecar
  }
  EXPECT_EQ(lake->ListAll("quarantine/")->size(), 0u);

  // Quotes: 5 coins x 48 hourly points, each row keyed by the lake object it came from.
  EXPECT_EQ(Sql("SELECT count(*) FROM quotes q JOIN lake_objects l ON l.id = q.lake_object_id "
                "WHERE l.key LIKE 'raw/cmc/quotes_historical/%'"),
            "240");
  // A row's time is its quote's own (when CMC last refreshed the coin before the point).
  EXPECT_EQ(
      Sql("SELECT bool_and(ts > '2026-10-31T23:50Z' AND ts <= '2026-11-02T23:00Z') FROM quotes"),
      "t");
  // The prices are the market's at each point.
  cmc::SimMarket market(cmc::SimOptions{}.seed, 300);
  const cmc::SimCoin* btc = market.FindById(1);
  ASSERT_NE(btc, nullptr);
  auto quote = market.QuoteAt(*btc, *ParseIso8601("2026-11-02T05:00:00Z"));
  ASSERT_TRUE(quote.has_value());
  EXPECT_NEAR(std::stod(Sql("SELECT price FROM quotes WHERE cmc_id = 1 AND ts <= "
                            "'2026-11-02T05:00:00Z' ORDER BY ts DESC LIMIT 1")),
              quote->price, 1e-9 * quote->price);
  // CMC's bars are candles of their own, beside coinlake's (built from the hourly quotes).
  EXPECT_EQ(Sql("SELECT count(*) FROM candles_hourly WHERE source = 'cmc' AND samples = 0"), "240");
  EXPECT_EQ(Sql("SELECT count(*) FROM candles_hourly WHERE source = 'quotes' AND samples = 1"),
            "240");
  EXPECT_EQ(Sql("SELECT count(*) FROM global_metrics WHERE lake_key LIKE "
                "'raw/cmc/global_metrics_historical/%'"),
            "48");
  EXPECT_EQ(Sql("SELECT string_agg(endpoint || ':' || allowed, ',' ORDER BY endpoint) FROM "
                "endpoint_access"),
            "global_metrics_historical:true,ohlcv_historical:true,quotes_historical:true");
  EXPECT_EQ(Sql("SELECT command || ',' || outcome FROM runs ORDER BY id DESC LIMIT 1"),
            "backfill,ok");
  // Credits: the probes (1 each) and the calls: 240 points = 3, 240 bars = 3, 48 points = 1.
  EXPECT_EQ(report.credits_spent, 3 + 3 + 3 + 1);
}

TEST_F(BackfillTest, ARerunAsksForNothingItHolds) {
  StartSim();
  ASSERT_OK(Backfill());
  const int asked = Served(kQuotesPath);
  EXPECT_EQ(asked, 2);  // the probe and the call
  const std::string rows = Sql("SELECT count(*) || ':' || sum(price::numeric) FROM quotes");
  std::string printed;
  ASSERT_OK_AND_ASSIGN(BackfillReport again, Backfill(&printed));
  EXPECT_EQ(again.calls_held, again.calls);
  EXPECT_EQ(again.calls_fetched, 0);
  EXPECT_EQ(Served(kQuotesPath), asked);
  EXPECT_EQ(Sql("SELECT count(*) || ':' || sum(price::numeric) FROM quotes"), rows);

  // reprocess rebuilds the same rows from the lake.
  ReprocessOptions reprocess;
  reprocess.database_url = db_.url();
  reprocess.lake_url = options_.fetch.lake_url;
  reprocess.force = true;
  ::testing::internal::CaptureStdout();
  auto rebuilt = RunReprocess(reprocess, stop_);
  ::testing::internal::GetCapturedStdout();
  ASSERT_OK(rebuilt);
  EXPECT_EQ(Sql("SELECT count(*) || ':' || sum(price::numeric) FROM quotes"), rows);
}

// A run killed after an endpoint's first call leaves the rest to fetch: the rerun asks for what
// is missing and no second probe (the probe comes from the first planned call, whose key the
// lake holds). tests/crash/backfill_kill.sh kills real runs.
TEST_F(BackfillTest, ARerunAfterAPartialRunAsksNoSecondProbe) {
  StartSim();
  options_.top = 150;  // two quotes calls: 100 coins and 50
  ASSERT_OK(Backfill());
  const int asked = Served(kQuotesPath);
  EXPECT_EQ(asked, 3);  // the probe and the two calls
  // As if the run had died before the second call: its answer is in neither lake nor spool.
  auto lake = std::move(lake::OpenObjectStore(options_.fetch.lake_url)).value();
  ASSERT_OK_AND_ASSIGN(auto objects, lake->ListAll(lake::RawPrefix(lake::kQuotesHistorical)));
  int removed = 0;
  for (const lake::ObjectInfo& object : objects) {
    if (object.key.find("_1h-50c-") == std::string::npos) continue;
    ASSERT_TRUE(std::filesystem::remove(dir_.path() + "/lake/" + object.key)) << object.key;
    ++removed;
  }
  ASSERT_EQ(removed, 2);  // the body and its sidecar
  // Nor loaded (an answer asked again has other bytes: its status.timestamp).
  EXPECT_EQ(
      Sql("WITH q AS (DELETE FROM quotes WHERE lake_object_id IN (SELECT id FROM lake_objects "
          "WHERE key LIKE '%\\_1h-50c-%') RETURNING 1), "
          "o AS (DELETE FROM lake_objects WHERE key LIKE '%\\_1h-50c-%' RETURNING 1) "
          "SELECT (SELECT count(*) FROM q) || ' ' || (SELECT count(*) FROM o)"),
      "2400 1");
  ASSERT_OK_AND_ASSIGN(BackfillReport again, Backfill());
  EXPECT_EQ(again.calls_fetched, 1);
  EXPECT_EQ(Served(kQuotesPath), asked + 1);  // the missing call, no probe
}

TEST_F(BackfillTest, DryRunPrintsThePlanAndFetchesNoHistory) {
  StartSim();
  options_.dry_run = true;
  options_.top = 100;
  options_.from = "2026-10-06";
  options_.to = "2026-11-05";
  std::string printed;
  ASSERT_OK_AND_ASSIGN(BackfillReport report, Backfill(&printed));
  EXPECT_EQ(report.calls, 4);
  EXPECT_EQ(report.credits_planned, 720);  // 100 coins x 720 hours / 100
  EXPECT_EQ(Served(kQuotesPath), 0);
  EXPECT_NE(printed.find("720"), std::string::npos) << printed;
}

// On the Basic plan CMC serves no history: the probe learns it for one call, stores CMC's reason,
// and nothing is retried.
TEST_F(BackfillTest, APlanWithoutHistoryIsToldOnceWithCmcsReason) {
  StartSim("basic");
  std::string printed;
  auto report = Backfill(&printed);
  ASSERT_EQ(report.status().code(), StatusCode::kFailedPrecondition) << report.status().ToString();
  EXPECT_EQ(Served(kQuotesPath), 0);
  EXPECT_EQ(Sql("SELECT allowed::text || ' ' || (message <> '')::text FROM endpoint_access WHERE "
                "endpoint = 'quotes_historical'"),
            "false true");
  EXPECT_NE(printed.find("refused"), std::string::npos) << printed;
  EXPECT_EQ(Sql("SELECT count(*) FROM quotes"), "0");
}

// Only CMC's refusal (1006, or a window the plan does not reach) is a fact about the plan: a
// probe that meets another error stores nothing, and the next run probes again.
TEST_F(BackfillTest, AProbeThatMeetsAnotherErrorStoresNoPlanFact) {
  StartSim("enterprise",
           R"([{"fault":"status","http":401,"path":"/v2/cryptocurrency/quotes/historical"}])");
  auto report = Backfill();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM endpoint_access"), "0");
  EXPECT_EQ(Served(kQuotesPath), 0);
  ASSERT_OK(Backfill());  // the fault is spent: the plan serves it
  EXPECT_EQ(Sql("SELECT allowed::text FROM endpoint_access"), "true");
}

TEST_F(BackfillTest, NeverSpendsTheLiveScheduleReserve) {
  StartSim("hobbyist");
  options_.fetch.schedule = {{lake::kListingsLatest, std::chrono::seconds(60)}};
  options_.top = 100;
  options_.interval = "5m";
  options_.from = "2026-01-10";  // 100 coins x 11 months x 288 a day: 95,000 credits
  auto report = Backfill();
  ASSERT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("live schedule"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(Served(kQuotesPath), 0);
}

}  // namespace
}  // namespace coinlake::pipeline
