// The dashboard server over a real database filled by the pipeline.
#include "dashboard/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/sim.h"
#include "common/bytes.h"
#include "common/time_util.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/fetch.h"
#include "pipeline/load_object.h"
#include "tests/test_support.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServeOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.database_url = db_.url();
    server_ = std::move(Server::Start(options)).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void Fill() {
    cmc::SimOptions sim_options;
    sim_options.port = 0;
    sim_options.coins = 150;
    auto sim = std::move(cmc::Simulator::Start(sim_options)).value();
    pipeline::FetchOptions f;
    f.database_url = db_.url();
    f.lake_url = "file://" + dir_.path() + "/lake";
    f.spool_dir = dir_.path() + "/spool";
    f.cmc.base_url = sim->base_url();
    f.cmc.api_key = "k-test";
    StopSignal stop;
    ASSERT_TRUE(pipeline::RunFetch(f, stop).ok());
  }
  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, EmptyDatabaseIsHealthyButHasNoSnapshot) {
  db_.Migrate();
  StartServer();
  auto res = client_->Get("/api/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto health = nlohmann::json::parse(res->body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_TRUE(health["latest_snapshot"].is_null());
  auto latest = nlohmann::json::parse(client_->Get("/api/v1/latest")->body);
  EXPECT_EQ(latest["count"], 0);
}

TEST_F(ServerTest, LatestServesTheLoadedSnapshot) {
  db_.Migrate();
  Fill();
  StartServer();
  auto res = client_->Get("/api/v1/latest?limit=10");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto latest = nlohmann::json::parse(res->body);
  ASSERT_EQ(latest["count"], 10);
  EXPECT_EQ(latest["data"][0]["rank"], 1);
  EXPECT_EQ(latest["data"][9]["rank"], 10);
  EXPECT_GT(latest["data"][0]["price"].get<double>(), 0);
  auto by_change =
      nlohmann::json::parse(client_->Get("/api/v1/latest?limit=100&sort=percent_change_24h")->body);
  for (size_t i = 1; i < by_change["data"].size(); ++i) {
    EXPECT_GE(by_change["data"][i - 1]["percent_change_24h"].get<double>(),
              by_change["data"][i]["percent_change_24h"].get<double>());
  }
  auto health = nlohmann::json::parse(client_->Get("/api/v1/health")->body);
  EXPECT_FALSE(health["latest_snapshot"].is_null());
  EXPECT_LT(health["snapshot_age_seconds"].get<double>(), 600);

  // A later ledger row that neither added a quote nor names coins it carried over (an empty
  // listing, or a ledger from before migration 0011) shows nothing: it is not the one shown.
  db_.Scalar(
      "INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) VALUES "
      "('k-unchanged', 'x', 1, 'listings_latest', now() + interval '1 minute', 0) RETURNING 1");
  // A coin ranked below the top N, on its own (its asset page asks for it so).
  auto last = latest["data"][9]["cmc_id"].get<int64_t>();
  auto by_id = nlohmann::json::parse(
      client_->Get("/api/v1/latest?limit=5&ids=1," + std::to_string(last))->body);
  ASSERT_EQ(by_id["count"], 2) << by_id;
  EXPECT_EQ(by_id["data"][0]["cmc_id"], 1);
  EXPECT_EQ(by_id["data"][1]["cmc_id"], last);

  auto after = nlohmann::json::parse(client_->Get("/api/v1/latest?limit=10&sort=volume_24h")->body);
  EXPECT_EQ(after["count"], 10);
  EXPECT_EQ(after["snapshot"], latest["snapshot"]);

  // A later snapshot that moved only Bitcoin: asked for by id, another coin still has its
  // newest quote (from the earlier snapshot), under the latest snapshot's time.
  db_.Scalar(
      "WITH ledger AS (INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) "
      "VALUES ('k-btc-only', 'x', 1, 'listings_latest', now() + interval '2 minutes', 1) "
      "RETURNING id) "
      "INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, "
      "lake_object_id) SELECT 1, 'USD', now() + interval '2 minutes', "
      "now() + interval '2 minutes', 1, 1e-9, id FROM ledger RETURNING 1");
  auto moved = nlohmann::json::parse(
      client_->Get("/api/v1/latest?ids=1," + std::to_string(last) + "&sort=price&order=asc")->body);
  ASSERT_EQ(moved["count"], 2) << moved;
  EXPECT_EQ(moved["data"][0]["cmc_id"], 1);  // its new price sorts first
  EXPECT_EQ(moved["data"][0]["price"], 1e-9);
  EXPECT_EQ(moved["data"][1]["cmc_id"], last);
  EXPECT_EQ(moved["data"][1]["last_updated"], by_id["data"][1]["last_updated"]);
  EXPECT_NE(moved["snapshot"], latest["snapshot"]);

  // Its overview has only Bitcoin's row of its own. Once the ledger says which coins it carried
  // over (the loader records them: LoaderTest, ReprocessRebuildTest), the overview lists every
  // coin, each with its newest quote, under the latest snapshot's time.
  EXPECT_EQ(nlohmann::json::parse(client_->Get("/api/v1/latest?limit=200")->body)["count"], 1);
  EXPECT_EQ(nlohmann::json::parse(client_->Get("/api/v1/global")->body)["coins"], 1);
  auto movers_of = [&](const std::string& query) {
    auto m = nlohmann::json::parse(client_->Get("/api/v1/movers?" + query)->body);
    return m["gainers"].size() + m["losers"].size();
  };
  EXPECT_EQ(movers_of("limit=50"), 0u) << "Bitcoin's new row has no 24h change";
  db_.Scalar(
      "UPDATE lake_objects SET carried_ids = (SELECT array_agg(DISTINCT cmc_id ORDER BY cmc_id) "
      "FROM quotes WHERE cmc_id <> 1) WHERE key = 'k-btc-only' RETURNING 1");
  auto whole = nlohmann::json::parse(client_->Get("/api/v1/latest?limit=199")->body);
  ASSERT_EQ(whole["count"], 100) << whole.dump().substr(0, 400);  // the fetch took the top 100
  EXPECT_EQ(whole["snapshot"], moved["snapshot"]);
  EXPECT_EQ(whole["data"][0]["price"], 1e-9);  // Bitcoin's own new row, rank 1
  for (const auto& row : whole["data"]) {
    if (row["cmc_id"] == last) {
      EXPECT_EQ(row["last_updated"], by_id["data"][1]["last_updated"]);
    }
  }
  // The overview's totals and movers cover the same coins.
  EXPECT_EQ(nlohmann::json::parse(client_->Get("/api/v1/global?currency=USD")->body)["coins"], 100);
  EXPECT_GT(movers_of("limit=49"), 0u);
  // Sorted as asked, own and carried rows together.
  auto by_price =
      nlohmann::json::parse(client_->Get("/api/v1/latest?limit=3&sort=price&order=asc")->body);
  ASSERT_EQ(by_price["count"], 3);
  EXPECT_EQ(by_price["data"][0]["cmc_id"], 1);
  EXPECT_LE(by_price["data"][1]["price"].get<double>(), by_price["data"][2]["price"].get<double>());
}

// A dashboard upgraded before the ETL host migrates runs on a ledger without carried_ids
// (migration 0011): the overview, the totals, the movers and every answer that names the latest
// snapshot still answer. (The server's connections are opened after the change.)
TEST_F(ServerTest, LatestWorksOnALedgerWithoutCarriedIds) {
  db_.Migrate();
  Fill();
  db_.SchemaBefore(11, "ALTER TABLE lake_objects DROP COLUMN carried_ids");
  StartServer();
  auto latest = client_->Get("/api/v1/latest?limit=10");
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->status, 200) << latest->body;
  EXPECT_EQ(nlohmann::json::parse(latest->body)["count"], 10);
  auto global = client_->Get("/api/v1/global");
  ASSERT_EQ(global->status, 200) << global->body;
  EXPECT_EQ(nlohmann::json::parse(global->body)["coins"], 100);
  EXPECT_EQ(client_->Get("/api/v1/movers")->status, 200);
  auto health = client_->Get("/api/v1/health");
  ASSERT_EQ(health->status, 200) << health->body;
  const auto snapshot = nlohmann::json::parse(health->body)["latest_snapshot"];
  EXPECT_EQ(nlohmann::json::parse(latest->body)["snapshot"], snapshot);
  for (const char* path : {"/api/v1/pipeline", "/api/v1/latest?ids=1", "/api/v1/series?ids=1",
                           "/api/v1/sparklines?ids=1", "/api/v1/movers?window=6h"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
}

TEST_F(ServerTest, BadInputIs400WithAJsonError) {
  db_.Migrate();
  StartServer();
  for (const char* path :
       {"/api/v1/latest?limit=abc", "/api/v1/latest?sort=1%3BDROP%20TABLE%20quotes",
        "/api/v1/latest?currency=usd'", "/api/v1/health?x=1"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_TRUE(nlohmann::json::parse(res->body).contains("error"));
  }
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'quotes'"), "1");
}

TEST_F(ServerTest, PageAndHeaders) {
  db_.Migrate();
  StartServer();
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>coinlake</title>"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(client_->Get("/app.js")->status, 200);
  auto vendored = client_->Get("/vendor/lightweight-charts.js");
  ASSERT_TRUE(vendored);
  EXPECT_EQ(vendored->status, 200);
  EXPECT_NE(vendored->body.find("createChart"), std::string::npos);
  for (const char* path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/nope.html"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(client_->Get("/api/v1/nope")->status, 404);
}

nlohmann::json GetJson(httplib::Client& client, const std::string& path) {
  auto res = client.Get(path);
  EXPECT_TRUE(res) << path;
  if (!res) return {};
  EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  return nlohmann::json::parse(res->body);
}

TEST_F(ServerTest, PipelineWorksOnRunsWithoutQuotesCarried) {
  db_.Migrate();
  Fill();
  db_.SchemaBefore(12, "ALTER TABLE runs DROP COLUMN quotes_carried");
  StartServer();
  auto p = GetJson(*client_, "/api/v1/pipeline");
  ASSERT_EQ(p["runs"].size(), 1u) << p;
  EXPECT_TRUE(p["runs"][0]["quotes_carried"].is_null());
  EXPECT_EQ(p["runs"][0]["outcome"], "ok");
}

// Between two CMC refreshes a poll lists every coin with the quote an earlier poll stored: its
// snapshot adds no row and carries all its coins over. It is still the ETL's last poll, so the
// header (/health), the pipeline page and the overview (/latest) all name its time.
TEST_F(ServerTest, ASnapshotThatCarriedEveryCoinOverIsTheLatest) {
  db_.Migrate();
  Fill();
  auto store = std::move(lake::OpenObjectStore("file://" + dir_.path() + "/lake")).value();
  auto objects = std::move(store->ListAll(lake::RawPrefix(lake::kListingsLatest))).value();
  ASSERT_EQ(objects.size(), 2u);  // body and sidecar
  auto body = nlohmann::json::parse(*GzipDecompress(*store->Get(objects[0].key)));
  const std::string first = body["status"]["timestamp"];
  // The same coins and quotes, polled a second later (a new second: a new key), which is
  // past once the test has waited a second.
  const TimePoint repeat_at = *ParseIso8601(first) + std::chrono::seconds(1);
  body["status"]["timestamp"] = FormatIso8601(repeat_at);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ServeOptions options;
  options.cache_ms = 0;  // the answers change within the test
  StartServer(options);
  const std::string first_iso = FormatIso8601(*ParseIso8601(first));
  ASSERT_EQ(GetJson(*client_, "/api/v1/health")["latest_snapshot"], first_iso);
  auto before = GetJson(*client_, "/api/v1/latest?limit=200");
  ASSERT_EQ(before["count"], 100);

  auto conn = db_.Connect();
  warehouse::Loader loader(*conn);
  auto loaded =
      pipeline::LoadRawObject(*conn, loader, lake::RawBodyKey(lake::kListingsLatest, repeat_at),
                              *GzipCompress(body.dump()));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(db_.Scalar("SELECT rows || ',' || cardinality(carried_ids) FROM lake_objects "
                       "WHERE endpoint = 'listings_latest' ORDER BY data_ts DESC LIMIT 1"),
            "0,100");

  const std::string repeat_iso = FormatIso8601(repeat_at);
  auto health = GetJson(*client_, "/api/v1/health");
  EXPECT_EQ(health["latest_snapshot"], repeat_iso) << health;
  EXPECT_GE(health["snapshot_age_seconds"].get<double>(), 0) << health;
  EXPECT_LT(health["snapshot_age_seconds"].get<double>(), 60) << health;
  auto freshness = GetJson(*client_, "/api/v1/pipeline")["freshness"];
  EXPECT_EQ(freshness["latest_snapshot"], repeat_iso) << freshness;
  // The overview: every coin the poll listed, each with the quote stored with the first poll.
  auto latest = GetJson(*client_, "/api/v1/latest?limit=200");
  EXPECT_EQ(latest["snapshot"], repeat_iso);
  ASSERT_EQ(latest["count"], 100);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(latest["data"][i]["cmc_id"], before["data"][i]["cmc_id"]) << i;
    EXPECT_EQ(latest["data"][i]["last_updated"], before["data"][i]["last_updated"]) << i;
  }
  EXPECT_EQ(GetJson(*client_, "/api/v1/latest?ids=1")["snapshot"], repeat_iso);
  EXPECT_EQ(GetJson(*client_, "/api/v1/global")["ts"], repeat_iso);
}

TEST_F(ServerTest, MarketEndpointsOverLoadedData) {
  db_.Migrate();
  Fill();
  StartServer();
  auto search = GetJson(*client_, "/api/v1/assets?q=btc");
  ASSERT_GE(search["count"].get<int>(), 1);
  EXPECT_EQ(search["data"][0]["cmc_id"], 1);  // an exact symbol comes first
  EXPECT_GE(GetJson(*client_, "/api/v1/assets?q=Bit")["count"].get<int>(), 1);  // name prefix
  auto by_ids = GetJson(*client_, "/api/v1/assets?ids=1027,1");
  ASSERT_EQ(by_ids["count"], 2);
  EXPECT_EQ(by_ids["data"][0]["symbol"], "BTC");
  EXPECT_EQ(GetJson(*client_, "/api/v1/assets?q=%25")["count"], 0);  // % is not a wildcard

  auto series = GetJson(*client_, "/api/v1/series?ids=1,1027&range=1h&width=10");
  ASSERT_EQ(series["series"].size(), 2u);
  EXPECT_EQ(series["series"][0]["symbol"], "BTC");
  EXPECT_GE(series["series"][0]["points"].size(), 1u);
  EXPECT_LE(series["series"][0]["points"].size(), 10u);
  auto point = series["series"][0]["points"][0];
  EXPECT_GT(point["price"].get<double>(), 0);
  EXPECT_LE(point["min"].get<double>(), point["max"].get<double>());
  auto all = GetJson(*client_, "/api/v1/series?ids=1&range=all&width=1");
  EXPECT_EQ(all["series"][0]["points"].size(), 1u);

  auto candles = GetJson(*client_, "/api/v1/candles?id=1&interval=1h&range=2d");
  ASSERT_GE(candles["count"].get<int>(), 1);
  EXPECT_GE(candles["data"][0]["high"].get<double>(), candles["data"][0]["low"].get<double>());
  EXPECT_GE(GetJson(*client_, "/api/v1/candles?id=1&interval=1d&range=all")["count"].get<int>(), 1);

  auto movers = GetJson(*client_, "/api/v1/movers?window=24h&limit=3");
  EXPECT_EQ(movers["source"], "cmc");
  EXPECT_LE(movers["gainers"].size(), 3u);
  for (const auto& g : movers["gainers"]) EXPECT_GT(g["percent_change"].get<double>(), 0);
  for (const auto& l : movers["losers"]) EXPECT_LT(l["percent_change"].get<double>(), 0);
  EXPECT_EQ(GetJson(*client_, "/api/v1/movers?window=6h")["source"], "history");

  auto spark = GetJson(*client_, "/api/v1/sparklines?ids=1,1027");
  EXPECT_GE(spark["data"]["1"].size(), 1u);

  auto global = GetJson(*client_, "/api/v1/global");
  EXPECT_EQ(global["source"], "computed_from_snapshot");
  EXPECT_GT(global["total_market_cap"].get<double>(), 0);
  EXPECT_GT(global["btc_dominance"].get<double>(), 0);
  EXPECT_LT(global["btc_dominance"].get<double>(), 100);
}

TEST_F(ServerTest, GlobalMetricsWinWhenLoaded) {
  db_.Migrate();
  ServeOptions options;
  options.cache_ms = 0;  // the answer changes within the test
  StartServer(options);
  EXPECT_TRUE(GetJson(*client_, "/api/v1/global")["source"].is_null());
  db_.Scalar(
      "INSERT INTO global_metrics (ts, quote_currency, total_market_cap, btc_dominance, "
      "lake_key) VALUES (now(), 'USD', 3.1e12, 57.5, 'k') RETURNING 1");
  auto global = GetJson(*client_, "/api/v1/global");
  EXPECT_EQ(global["source"], "global_metrics");
  EXPECT_EQ(global["btc_dominance"], 57.5);
}

TEST_F(ServerTest, PipelineStatus) {
  db_.Migrate();
  StartServer();
  auto empty = GetJson(*client_, "/api/v1/pipeline");
  EXPECT_TRUE(empty["freshness"]["latest_snapshot"].is_null());
  EXPECT_EQ(empty["gaps"]["expected"], 0);
  EXPECT_EQ(empty["runs"].size(), 0u);
  Fill();
  db_.Scalar(
      "INSERT INTO runs (command, started_at, finished_at, outcome, error_class, error) "
      "VALUES ('fetch', now(), now(), 'failed', 'UNAVAILABLE', 'sim down') RETURNING 1");
  // A snapshot an hour ago and none since then but the one just loaded: gaps in between.
  db_.Scalar(
      "INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) VALUES "
      "('k-old', 'x', 1, 'listings_latest', now() - interval '1 hour', 0) RETURNING 1");
  auto p = GetJson(*client_, "/api/v1/pipeline?runs=5");
  EXPECT_FALSE(p["freshness"]["latest_snapshot"].is_null());
  EXPECT_FALSE(p["freshness"]["stale"].get<bool>());
  EXPECT_EQ(p["runs"].size(), 2u);
  EXPECT_EQ(p["runs"][0]["outcome"], "failed");
  EXPECT_TRUE(p["runs"][0]["id"].is_number_integer()) << p["runs"][0];
  EXPECT_EQ(p["runs"][1]["quotes_carried"], 0) << p["runs"][1];  // the fill's one fetch
  EXPECT_GE(p["credits"]["used_this_month"].get<int>(), 1);
  EXPECT_TRUE(p["credits"]["plan"].is_null()) << "no ETL has read its plan yet";
  ASSERT_EQ(p["errors"]["by_class"].size(), 1u);
  EXPECT_EQ(p["errors"]["by_class"][0]["error_class"], "UNAVAILABLE");
  EXPECT_GE(p["gaps"]["expected"].get<int>(), 11);
  // Only the slot of the old snapshot holds one; the slot in progress is not expected yet.
  EXPECT_EQ(p["gaps"]["missing"].get<int>(), p["gaps"]["expected"].get<int>() - 1);
  ASSERT_EQ(p["gaps"]["ranges"].size(), 1u);

  // A run process's heartbeat carries the plan as CMC counts it: credits left are shown.
  db_.Scalar(
      "INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at, "
      "credits_plan_month, credits_used_month, credits_reset_at) VALUES ('etl-1', 1, 'v', "
      "'running', now(), now(), 10000, 2512, '2026-12-01T00:00:00Z') RETURNING 1");
  auto with_heartbeat = GetJson(*client_, "/api/v1/pipeline");
  auto plan = with_heartbeat["credits"]["plan"];
  EXPECT_EQ(with_heartbeat["gaps"]["slot_seconds"], 300) << "no interval reported: the default";
  EXPECT_EQ(plan["credits_per_month"], 10000);
  EXPECT_EQ(plan["used_this_month"], 2512);
  EXPECT_EQ(plan["left_this_month"], 7488);
  EXPECT_EQ(plan["resets_at"], "2026-12-01T00:00:00.000Z");

  // Gaps follow the ETL's own schedule: every 10 minutes, half as many slots as every 5.
  db_.Scalar("UPDATE pipeline_heartbeat SET listings_interval_seconds = 600 RETURNING 1");
  auto ten = GetJson(*client_, "/api/v1/pipeline")["gaps"];
  EXPECT_EQ(ten["slot_seconds"], 600);
  EXPECT_NEAR(ten["expected"].get<double>(), p["gaps"]["expected"].get<double>() / 2, 1) << ten;
  EXPECT_EQ(ten["missing"].get<int>(), ten["expected"].get<int>() - 1);
  // After a schedule change the window starts at the last cycle of the old one: its slots were
  // of another length. 30 minutes of 10-minute slots, the slot in progress not expected yet.
  db_.Scalar(
      "INSERT INTO runs (command, started_at, finished_at, outcome, listings_interval_seconds) "
      "VALUES ('run', now() - interval '30 minutes', now() - interval '30 minutes', 'ok', 300) "
      "RETURNING 1");
  auto changed = GetJson(*client_, "/api/v1/pipeline")["gaps"];
  EXPECT_EQ(changed["expected"], 3) << changed;
  EXPECT_GT(changed["from"].get<std::string>(), ten["from"].get<std::string>()) << changed;
  // Once a cycle ran under the new interval, the window starts at its slot: the time between the
  // old schedule's last cycle and the new one's first is no gap.
  db_.Scalar(
      "INSERT INTO runs (command, started_at, finished_at, outcome, listings_interval_seconds) "
      "VALUES ('run', now() - interval '20 minutes', now() - interval '20 minutes', 'ok', 600) "
      "RETURNING 1");
  std::string first_new_slot = db_.Scalar(
      "SELECT to_char(to_timestamp(floor(extract(epoch FROM started_at) / 600) * 600) "
      "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM runs "
      "WHERE listings_interval_seconds = 600");
  EXPECT_EQ(GetJson(*client_, "/api/v1/pipeline")["gaps"]["from"], first_new_slot);
  // A slow schedule is not stale after 15 minutes: after three missed cycles.
  db_.Scalar("UPDATE pipeline_heartbeat SET listings_interval_seconds = 3600 RETURNING 1");
  EXPECT_EQ(GetJson(*client_, "/api/v1/pipeline")["freshness"]["stale_after_seconds"], 10800);
  EXPECT_EQ(GetJson(*client_, "/api/v1/health")["stale_after_seconds"], 10800);
}

// A series' gaps follow the ETL's schedule: hourly snapshots are no gap for an hourly ETL, a
// missed stretch of four hours is one.
TEST_F(ServerTest, SeriesGapsFollowTheEtlSchedule) {
  db_.Migrate();
  // A statement of its own: PostgreSQL refuses to create a partition of quotes in a statement
  // that also writes to it (on a Monday, yesterday's week has none yet).
  db_.Scalar("SELECT coinlake_ensure_quote_partitions(now() - interval '1 day', now())::text");
  db_.Scalar(R"sql(
    WITH heartbeat AS (
      INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at,
                                      listings_interval_seconds)
      VALUES ('etl', 1, 'v', 'running', now(), now(), 3600)),
    asset AS (
      INSERT INTO assets (cmc_id, symbol, name, slug, first_seen, last_seen)
      VALUES (777, 'HRL', 'Hourly', 'hourly', now() - interval '1 day', now())),
    -- Live polling began with the first quote: before it, sparse data is backfilled history,
    -- which has no gaps (ApiHistoryTest).
    ledger AS (
      INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)
      VALUES ('k', 'x', 1, 'listings_latest', date_trunc('hour', now()) - interval '11 hours', 8)
      RETURNING id)
    INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, price, lake_object_id)
    SELECT 777, 'USD', date_trunc('hour', now()) - h * interval '1 hour',
           date_trunc('hour', now()) - h * interval '1 hour', 100 + h, ledger.id
    FROM generate_series(0, 11) h, ledger WHERE h NOT BETWEEN 5 AND 8
    RETURNING 1)sql");
  StartServer();
  const int64_t to = std::time(nullptr);
  auto series =
      GetJson(*client_, "/api/v1/series?ids=777&width=500&from=" + std::to_string(to - 13 * 3600) +
                            "&to=" + std::to_string(to));
  ASSERT_EQ(series["series"][0]["points"].size(), 8u) << series;
  ASSERT_EQ(series["series"][0]["gaps"].size(), 1u) << series["series"][0]["gaps"];
  // From the quote at hour -9 to the one at hour -4.
  auto gap = series["series"][0]["gaps"][0];
  EXPECT_EQ(ParseIso8601(gap["to"].get<std::string>()).value() -
                ParseIso8601(gap["from"].get<std::string>()).value(),
            std::chrono::hours(5));
}

TEST_F(ServerTest, CsvDownloads) {
  db_.Migrate();
  Fill();
  StartServer();
  auto res = client_->Get("/api/v1/series?ids=1&range=1h&format=csv");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(res->get_header_value("Content-Disposition").find("coinlake-series.csv"),
            std::string::npos);
  EXPECT_EQ(res->body.rfind("cmc_id,symbol,t,price,", 0), 0u);
  EXPECT_NE(res->body.find("\r\n1,BTC,"), std::string::npos);
  auto candles = client_->Get("/api/v1/candles?id=1&format=csv");
  ASSERT_TRUE(candles);
  EXPECT_EQ(candles->body.rfind("cmc_id,t,open,high,low,close,", 0), 0u);
  auto latest = client_->Get("/api/v1/latest?limit=3&format=csv");
  ASSERT_TRUE(latest);
  EXPECT_EQ(std::count(latest->body.begin(), latest->body.end(), '\n'), 4);
}

TEST_F(ServerTest, NewEndpointsRejectBadInput) {
  db_.Migrate();
  StartServer();
  for (const char* path :
       {"/api/v1/series",
        "/api/v1/series?ids=abc",
        "/api/v1/series?ids=1&width=0",
        "/api/v1/series?ids=1&width=2001",
        "/api/v1/series?ids=1&from=20&to=10",
        "/api/v1/series?ids=1&from=0&to=4000000000",
        "/api/v1/series?ids=1&range=1y",
        "/api/v1/series?ids=1&range=1h&from=0",
        "/api/v1/series?ids=1&format=xml",
        "/api/v1/series?ids=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21",
        "/api/v1/series?ids=1,2,3,4,5,6,7,8,9,10,11&width=2000",
        "/api/v1/candles?id=1,2",
        "/api/v1/candles?id=1&interval=5m",
        "/api/v1/movers?window=abc",
        "/api/v1/movers?window=1s",
        "/api/v1/movers?limit=101",
        "/api/v1/assets",
        "/api/v1/assets?q=a&ids=1",
        "/api/v1/assets?q=",
        "/api/v1/pipeline?runs=0",
        "/api/v1/global?currency=usd",
        "/api/v1/global?format=csv",
        "/api/v1/pipeline?x=1"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path << ": " << res->body;
    EXPECT_TRUE(nlohmann::json::parse(res->body).contains("error")) << path;
  }
  auto post = client_->Post("/api/v1/latest", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

// A series reads every quote of its ids over its range: ids times range is capped, so no
// request asks the database for more than its statement timeout lets it read.
TEST_F(ServerTest, SeriesCostIsCapped) {
  db_.Migrate();
  StartServer();
  auto at_cap = client_->Get("/api/v1/series?ids=1,2&range=3660d");
  ASSERT_TRUE(at_cap);
  EXPECT_EQ(at_cap->status, 200) << at_cap->body;
  for (const char* path : {"/api/v1/series?ids=1,2,3&range=3000d",
                           "/api/v1/series?ids=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20&"
                           "from=2020-01-01T00:00:00Z&to=2021-01-02T00:00:00Z"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path << ": " << res->body;
    auto error = nlohmann::json::parse(res->body)["error"].get<std::string>();
    EXPECT_NE(error.find("at most"), std::string::npos) << path << ": " << error;
  }
  auto over = nlohmann::json::parse(client_->Get("/api/v1/series?ids=1,2,3&range=3000d")->body);
  EXPECT_EQ(over["error"],
            "ids times range may be at most 7320 id-days (20 ids over 366 days, 2 over 10 "
            "years); this asks 3 ids over 3000.0 days: ask fewer ids or a shorter range");
}

// The connection and statement limits come from the environment like the others, and a bad
// value is refused with the variable's name.
TEST(ServeEnvironmentTest, ReadsThePerClientAndStatementLimits) {
  ::setenv("COINLAKE_DASHBOARD_MAX_CONNECTIONS_PER_CLIENT", "5", 1);
  ::setenv("COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS", "2500", 1);
  ServeOptions options;
  Status applied = ApplyServeEnvironment(options);
  EXPECT_TRUE(applied.ok()) << applied.ToString();
  EXPECT_EQ(options.max_connections_per_client, 5);
  EXPECT_EQ(options.statement_timeout_ms, 2500);
  ::setenv("COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS", "0", 1);
  Status bad = ApplyServeEnvironment(options);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS"), std::string::npos);
  ::unsetenv("COINLAKE_DASHBOARD_MAX_CONNECTIONS_PER_CLIENT");
  ::unsetenv("COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS");
}

// `coinlake serve` checks the database before it listens; that check's connection must not
// stay open beside the pool's, or the database holds one dashboard backend more than the pool.
TEST_F(ServerTest, ServeKeepsNoConnectionBesideThePool) {
  db_.Migrate();
  const std::string reader = db_.LoginUrl("coinlake_reader");
  const size_t user = reader.find("://") + 3;
  const std::string login = reader.substr(user, reader.find('@') - user);
  int port = 0;  // a free one: RunServe does not say which it took
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.database_url = reader;
  StopSignal stop;
  std::thread serve([&] { EXPECT_TRUE(RunServe(options, stop).ok()); });
  httplib::Client client("127.0.0.1", port);
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    auto res = client.Get("/");  // a static file: no database connection
    status = res ? res->status : 0;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(status, 200);
  std::string backends =
      db_.Scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + login + "'");
  stop.Stop();
  serve.join();
  EXPECT_EQ(backends, "0") << "connections of " << login << " while serve is idle";
}

TEST_F(ServerTest, TokenProtectsTheApi) {
  db_.Migrate();
  ServeOptions options;
  options.token = "s3cret-token";
  StartServer(options);
  EXPECT_EQ(client_->Get("/api/v1/health")->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/health?token=wrong")->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/health?token=s3cret-token")->status, 200);
  EXPECT_EQ(client_->Get("/api/v1/health", {{"Authorization", "Bearer s3cret-token"}})->status,
            200);
  EXPECT_EQ(client_->Get("/api/v1/health", {{"Authorization", "Bearer s3cret-tokeN"}})->status,
            401);
  EXPECT_EQ(client_->Get("/")->status, 200);  // the page itself holds no data
}

TEST_F(ServerTest, BasicAuthProtectsEverything) {
  db_.Migrate();
  ServeOptions options;
  options.user = "ana";
  options.password = "pw";
  StartServer(options);
  auto denied = client_->Get("/");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(denied->get_header_value("WWW-Authenticate"), "Basic realm=\"coinlake\"");
  client_->set_basic_auth("ana", "pw");
  EXPECT_EQ(client_->Get("/")->status, 200);
  EXPECT_EQ(client_->Get("/api/v1/health")->status, 200);
  client_->set_basic_auth("ana", "nope");
  EXPECT_EQ(client_->Get("/api/v1/health")->status, 401);
}

TEST_F(ServerTest, DatabaseDownIs503NotACrash) {
  db_.Migrate();
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.database_url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1";
  auto server = std::move(Server::Start(options)).value();
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/api/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "database unavailable");
}

TEST_F(ServerTest, OversizedRequestsAreRefused) {
  db_.Migrate();
  StartServer();
  auto long_uri = client_->Get("/api/v1/assets?q=" + std::string(20000, 'a'));
  ASSERT_TRUE(long_uri);
  EXPECT_EQ(long_uri->status, 414);
  auto big_body = client_->Post("/api/v1/latest", std::string(200 * 1024, 'x'), "text/plain");
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->status, 413);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  db_.Migrate();
  ServeOptions options;
  options.max_connections = 2;
  StartServer(options);
  // Two keep-alive clients hold both slots; a third connection is turned away at once.
  std::vector<std::unique_ptr<httplib::Client>> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(std::make_unique<httplib::Client>("127.0.0.1", server_->port()));
    holders.back()->set_keep_alive(true);
    auto res = holders.back()->Get("/api/v1/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  auto refused = client_->Get("/api/v1/health");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error"], "too many connections");
  // Once a holder leaves, its slot serves again.
  holders.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto res = client_->Get("/api/v1/health");
    status = res ? res->status : 0;
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace coinlake::dashboard
