// The dashboard over backfilled history and live polling in one database (issue #23): where live
// polling began, the ranges still missing, CMC's own candles, the currencies held, the global
// series and what the plan allows. Rows are written as the loader and `coinlake backfill` store
// them (the ledger's key and endpoint name the source).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <type_traits>

#include "common/time_util.h"
#include "dashboard/api.h"
#include "dashboard/server.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::TestDatabase;
using nlohmann::json;
using Params = std::multimap<std::string, std::string>;

class ApiHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    // T: two days ago on the hour. History: hourly quotes of BTC over the day before T. Live
    // listings snapshots every 5 minutes (the default interval: no heartbeat) over T..T+3h,
    // except (T+60m, T+90m) and (T+120m, T+150m). The first hole has only a BTC quote a live
    // snapshot carried in (an older last_updated: not data of the hole); the second is filled by
    // a backfill of BTC's quotes, not of ETH's.
    t_ = std::stoll(
        db_.Scalar("SELECT extract(epoch FROM date_trunc('hour', now()) - interval '2 days')"));
    Exec(R"sql(
      SELECT coinlake_ensure_quote_partitions(to_timestamp({T}) - interval '10 days', now());
      INSERT INTO assets (cmc_id, symbol, name, slug, first_seen, last_seen) VALUES
        (1, 'BTC', 'Bitcoin', 'bitcoin', to_timestamp({T}), to_timestamp({T})),
        (1027, 'ETH', 'Ethereum', 'ethereum', to_timestamp({T}), to_timestamp({T}));
      INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)
        SELECT 'raw/cmc/listings_latest/' || k, 'x', 1, 'listings_latest',
               to_timestamp({T}) + k * interval '5 minutes', 4
        FROM generate_series(0, 36) k WHERE k NOT BETWEEN 13 AND 17 AND k NOT BETWEEN 25 AND 29;
      INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, market_cap,
                          volume_24h, lake_object_id)
        SELECT c.id, cur, o.data_ts, o.data_ts, rank, price * (CASE cur WHEN 'EUR' THEN 0.9 ELSE 1 END),
               price * 1e7, 1e9, o.id
        FROM lake_objects o,
             (VALUES (1, 1, 100.0), (1027, 2, 10.0)) c (id, rank, price),
             (VALUES ('USD'), ('EUR')) u (cur)
        WHERE o.endpoint = 'listings_latest';
      INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, lake_object_id)
        VALUES (1, 'USD', to_timestamp({T}) + interval '85 minutes',
                to_timestamp({T}) + interval '90 minutes', 1, 99,
                (SELECT id FROM lake_objects WHERE key = 'raw/cmc/listings_latest/18'));
      INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) VALUES
        ('raw/cmc/quotes_historical/btc', 'x', 1, 'quotes_historical', to_timestamp({T}), 26);
      INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, lake_object_id)
        SELECT 1, 'USD', to_timestamp({T}) - h * interval '1 hour',
               to_timestamp({T}) - h * interval '1 hour', 1, 90 + h,
               (SELECT id FROM lake_objects WHERE key = 'raw/cmc/quotes_historical/btc')
        FROM generate_series(1, 24) h
        UNION ALL
        SELECT 1, 'USD', to_timestamp({T}) + m * interval '1 minute',
               to_timestamp({T}) + m * interval '1 minute', 1, 101,
               (SELECT id FROM lake_objects WHERE key = 'raw/cmc/quotes_historical/btc')
        FROM (VALUES (130), (140)) v (m);
      -- Hourly candles: CMC's own bars of the history, coinlake's of the live hours; ETH has only
      -- CMC's daily bars.
      INSERT INTO candles_hourly (cmc_id, quote_currency, bucket, open, high, low, close,
                                  volume_24h, samples, first_ts, last_ts, source)
        SELECT 1, 'USD', to_timestamp({T}) + h * interval '1 hour', 100, 110, 90, 100 + h, 1e9,
               CASE WHEN h < 0 THEN 0 ELSE 12 END, to_timestamp({T}) + h * interval '1 hour',
               to_timestamp({T}) + h * interval '1 hour' + interval '59 minutes',
               CASE WHEN h < 0 THEN 'cmc' ELSE 'quotes' END
        FROM generate_series(-72, 2) h;
      INSERT INTO candles_daily (cmc_id, quote_currency, bucket, open, high, low, close,
                                 volume_24h, samples, first_ts, last_ts, source)
        SELECT 1027, 'USD', date_trunc('day', to_timestamp({T})) - d * interval '1 day', 10, 11, 9,
               10 + d, 1e8, 0, date_trunc('day', to_timestamp({T})) - d * interval '1 day',
               date_trunc('day', to_timestamp({T})) - d * interval '1 day' + interval '1 day',
               'cmc'
        FROM generate_series(0, 2) d;
      INSERT INTO global_metrics (ts, quote_currency, total_market_cap, total_volume_24h,
                                  btc_dominance, eth_dominance, lake_key)
        SELECT to_timestamp({T}) + h * interval '1 hour', 'USD', 2e12 + h * 1e9, 8e10, 55, 15,
               'raw/cmc/global_metrics_historical/x'
        FROM generate_series(-24, 3) h;
      INSERT INTO global_metrics (ts, quote_currency, total_market_cap, total_volume_24h,
                                  btc_dominance, eth_dominance, lake_key)
        VALUES (now() - interval '1 hour', 'BRL', 1e13, 4e11, 55, 15, 'raw/cmc/global_metrics_latest/x');
      INSERT INTO endpoint_access (endpoint, allowed, checked_at, http_status, error_code,
                                   message, earliest) VALUES
        ('ohlcv_historical', false, now(), 403, 1006,
         'Your API Key subscription plan doesn''t support this endpoint.', to_timestamp({T})),
        ('quotes_historical', true, now(), 200, 0, '', to_timestamp({T}) - interval '1 day');
    )sql");
  }

  void Exec(std::string sql) {
    for (size_t at; (at = sql.find("{T}")) != std::string::npos;) {
      sql.replace(at, 3, std::to_string(t_));
    }
    auto conn = db_.Connect();
    ASSERT_OK(conn->Execute(sql));
  }

  std::string Iso(int64_t offset_seconds) const {
    return FormatIso8601(TimePoint(std::chrono::seconds(t_ + offset_seconds)));
  }

  template <typename Handler>
  json Ask(Handler handler, Params query) {
    auto conn = db_.Connect();
    QueryParams params(query);
    auto answer = handler(*conn, params);
    EXPECT_OK(answer);
    if (!answer.ok()) return json();
    if constexpr (std::is_same_v<std::decay_t<decltype(*answer)>, std::string>) {
      return json::parse(*answer);
    } else {
      return *answer;
    }
  }

  json Ranges(std::initializer_list<std::pair<int64_t, int64_t>> minutes) const {
    json out = json::array();
    for (auto [from, to] : minutes) out.push_back({{"from", Iso(from * 60)}, {"to", Iso(to * 60)}});
    return out;
  }

  TestDatabase db_;
  int64_t t_ = 0;
};

TEST_F(ApiHistoryTest, SeriesSpansHistoryAndLiveWithTheLiveMarkAndMissingRanges) {
  json series = Ask(Series, {{"ids", "1,1027"},
                             {"width", "2000"},
                             {"from", std::to_string(t_ - 12 * 3600)},
                             {"to", std::to_string(t_ + 3 * 3600)}});
  EXPECT_EQ(series["interval"], "raw");
  EXPECT_EQ(series["live_since"], Iso(0));
  ASSERT_EQ(series["series"].size(), 2u);
  const json& btc = series["series"][0];
  // Twelve hourly history points before live polling, then the live ones, as one series.
  ASSERT_GT(btc["points"].size(), 12u);
  EXPECT_EQ(btc["points"][0]["t"], Iso(-12 * 3600));
  EXPECT_EQ(btc["points"][12]["t"], Iso(0));
  // The hole with only a carried-in quote is missing; the one BTC's backfill filled is not.
  EXPECT_EQ(btc["missing"], Ranges({{60, 90}}));
  EXPECT_EQ(series["series"][1]["missing"], Ranges({{60, 90}, {120, 150}}));
  // Hourly history is sparse by nature, not a gap: gaps only after live polling began.
  for (const json& gap : btc["gaps"]) EXPECT_GE(gap["from"].get<std::string>(), Iso(0)) << gap;

  // In another currency: the live rows only (the backfill was in USD).
  json eur = Ask(Series, {{"ids", "1"},
                          {"currency", "EUR"},
                          {"from", std::to_string(t_ - 3600)},
                          {"to", std::to_string(t_ + 3 * 3600)}});
  EXPECT_EQ(eur["currency"], "EUR");
  EXPECT_EQ(eur["series"][0]["points"][0]["price"], 90.0);
  EXPECT_EQ(eur["series"][0]["missing"], Ranges({{60, 90}, {120, 150}}));

  // A window before live polling began has the mark (outside it) and nothing missing.
  json early = Ask(
      Series,
      {{"ids", "1"}, {"from", std::to_string(t_ - 6 * 3600)}, {"to", std::to_string(t_ - 3600)}});
  EXPECT_EQ(early["live_since"], Iso(0));
  EXPECT_EQ(early["series"][0]["missing"], json::array());
}

TEST_F(ApiHistoryTest, LongSeriesReadHourlyCandles) {
  json series = Ask(Series, {{"ids", "1"},
                             {"from", std::to_string(t_ - 5 * 86400)},
                             {"to", std::to_string(t_ + 3 * 3600)}});
  EXPECT_EQ(series["interval"], "1h");
  const json& points = series["series"][0]["points"];
  ASSERT_EQ(points.size(), 75u);  // one per hourly candle: 72 of CMC's, 3 built from quotes
  EXPECT_EQ(points[0]["t"], Iso(-72 * 3600 + 59 * 60));  // the candle's close
  EXPECT_EQ(points[0]["price"], 28.0);
  EXPECT_EQ(points[0]["min"], 90.0);
  EXPECT_EQ(points[0]["samples"], 0);
  EXPECT_TRUE(points[0]["market_cap"].is_null());
  EXPECT_EQ(series["live_since"], Iso(0));
  EXPECT_EQ(series["series"][0]["missing"], Ranges({{60, 90}}));
  EXPECT_EQ(series["series"][0]["gaps"], json::array());
}

// A short range in a month the database holds no quotes for (dropped by retention, or never
// loaded) is drawn from the hourly candles, which stay: not an empty chart. `range=all` starts
// at the first candle when it is older than the first quote.
TEST_F(ApiHistoryTest, SeriesWhereNoQuotesAreKeptReadHourlyCandles) {
  // 70 days before T: long before the fixture's first partition (the week of T - 10 days).
  Exec(R"sql(
    INSERT INTO candles_hourly (cmc_id, quote_currency, bucket, open, high, low, close, volume_24h,
                                samples, first_ts, last_ts, source)
      SELECT 1, 'USD', to_timestamp({T}) - interval '70 days' + h * interval '1 hour', 50, 55, 45,
             50 + h, 1e9, 12, to_timestamp({T}) - interval '70 days' + h * interval '1 hour',
             to_timestamp({T}) - interval '70 days' + h * interval '1 hour' + interval '55 minutes',
             'quotes'
      FROM generate_series(0, 23) h;
  )sql");
  ASSERT_EQ(db_.Scalar(fmt::format(
                "SELECT count(*) FROM coinlake_quote_partitions() WHERE range_end > "
                "to_timestamp({0}) - interval '70 days' AND range_start < to_timestamp({0}) - "
                "interval '69 days'",
                t_)),
            "0");
  json old = Ask(Series, {{"ids", "1"},
                          {"from", std::to_string(t_ - 70 * 86400)},
                          {"to", std::to_string(t_ - 69 * 86400)}});
  EXPECT_EQ(old["interval"], "1h");
  const json& points = old["series"][0]["points"];
  ASSERT_EQ(points.size(), 24u);
  EXPECT_EQ(points[0]["price"], 50.0);
  EXPECT_EQ(points[0]["samples"], 12);
  // Where the quotes are kept, a short range still reads them.
  EXPECT_EQ(Ask(Series, {{"ids", "1"},
                         {"from", std::to_string(t_)},
                         {"to", std::to_string(t_ + 3600)}})["interval"],
            "raw");
  EXPECT_EQ(Ask(Series, {{"ids", "1"}, {"range", "all"}})["from"], Iso(-70 * 86400));
}

TEST_F(ApiHistoryTest, CandlesNameTheirSourceAndTheLiveMark) {
  json candles = Ask(Candles, {{"id", "1"},
                               {"interval", "1h"},
                               {"from", std::to_string(t_ - 3 * 3600)},
                               {"to", std::to_string(t_ + 3 * 3600)}});
  ASSERT_EQ(candles["count"], 6);
  EXPECT_EQ(candles["data"][0]["source"], "cmc");
  EXPECT_EQ(candles["data"][0]["samples"], 0);
  EXPECT_EQ(candles["data"][3]["source"], "quotes");
  EXPECT_EQ(candles["data"][3]["samples"], 12);
  EXPECT_EQ(candles["live_since"], Iso(0));
  EXPECT_EQ(candles["missing"], Ranges({{60, 90}}));
  // The CSV download names each candle's source too.
  std::string csv = CandlesCsv(candles);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "cmc_id,t,open,high,low,close,volume_24h,samples,source");
  EXPECT_NE(csv.find(",0,cmc\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",12,quotes\r\n"), std::string::npos) << csv;
  // Where coinlake's candle and CMC's bar share a bucket, one candle is shown: CMC's.
  db_.Scalar(fmt::format(
      "INSERT INTO candles_hourly (cmc_id, quote_currency, bucket, open, high, low, close, "
      "samples, first_ts, last_ts) VALUES (1, 'USD', to_timestamp({0}) - interval '1 hour', 1, "
      "1, 1, 1, 3, to_timestamp({0}) - interval '1 hour', to_timestamp({0})) RETURNING 1",
      t_));
  json both = Ask(Candles, {{"id", "1"},
                            {"interval", "1h"},
                            {"from", std::to_string(t_ - 3 * 3600)},
                            {"to", std::to_string(t_ + 3 * 3600)}});
  ASSERT_EQ(both["count"], 6);
  EXPECT_EQ(both["data"][2]["source"], "cmc");
  EXPECT_EQ(Ask(Sparklines, {{"ids", "1"}})["data"]["1"].size(), 75u);
  json daily = Ask(Candles, {{"id", "1027"}, {"interval", "1d"}, {"range", "all"}});
  ASSERT_EQ(daily["count"], 3);
  EXPECT_EQ(daily["data"][2]["source"], "cmc");
  EXPECT_EQ(daily["missing"], Ranges({{60, 90}, {120, 150}}));
}

// The 7-day column after a backfill: BTC's hourly candles, ETH's daily CMC bars (no hourly).
TEST_F(ApiHistoryTest, SparklinesUseHourlyOrElseDailyCloses) {
  json sparks = Ask(Sparklines, {{"ids", "1,1027"}});
  ASSERT_TRUE(sparks["data"].contains("1027")) << sparks;
  EXPECT_EQ(sparks["data"]["1027"], json({12.0, 11.0, 10.0}));
  EXPECT_EQ(sparks["data"]["1"].size(), 75u);
  EXPECT_EQ(sparks["data"]["1"].back(), 102.0);
}

TEST_F(ApiHistoryTest, CurrenciesAndGlobalSeries) {
  json currencies = Ask(Currencies, {});
  EXPECT_EQ(currencies["currencies"], json({"USD", "BRL", "EUR"}));
  EXPECT_EQ(currencies["default"], "USD");

  json global = Ask(GlobalSeries, {{"from", std::to_string(t_ - 86400)},
                                   {"to", std::to_string(t_ + 3 * 3600)},
                                   {"width", "1000"}});
  EXPECT_EQ(global["currency"], "USD");
  ASSERT_EQ(global["count"], 28);
  EXPECT_EQ(global["points"][0]["t"], Iso(-86400));
  EXPECT_EQ(global["points"][0]["total_market_cap"], 2e12 - 24e9);
  EXPECT_EQ(global["points"][27]["btc_dominance"], 55.0);
  EXPECT_EQ(global["points"][27]["eth_dominance"], 15.0);
  EXPECT_EQ(global["points"][27]["total_volume_24h"], 8e10);
  // Downsampled: the last figures of each bucket.
  json narrow = Ask(GlobalSeries, {{"range", "all"}, {"currency", "USD"}, {"width", "4"}});
  EXPECT_LE(narrow["count"].get<int>(), 4);
  EXPECT_EQ(narrow["points"].back()["total_market_cap"], 2e12 + 3e9);
  json brl = Ask(GlobalSeries, {{"currency", "BRL"}, {"range", "all"}});
  EXPECT_EQ(brl["count"], 1);
}

TEST_F(ApiHistoryTest, PipelineShowsHistoricalAccess) {
  json pipeline = Ask(Pipeline, {});
  const json& access = pipeline["historical_access"];
  ASSERT_EQ(access.size(), 2u) << access;
  EXPECT_EQ(access[0]["endpoint"], "ohlcv_historical");
  EXPECT_EQ(access[0]["allowed"], false);
  EXPECT_EQ(access[0]["http_status"], 403);
  EXPECT_EQ(access[0]["error_code"], 1006);
  EXPECT_EQ(access[0]["earliest"], Iso(0));
  EXPECT_EQ(access[1]["endpoint"], "quotes_historical");
  EXPECT_EQ(access[1]["allowed"], true);
  EXPECT_EQ(access[1]["message"], "");
}

// The last retention run, as `coinlake retention` records it (quotes_retention_status).
TEST_F(ApiHistoryTest, PipelineShowsTheLastRetentionRun) {
  EXPECT_TRUE(Ask(Pipeline, {})["retention"].is_null());  // no run yet
  // A month dropped before migration 21, then a week.
  db_.Scalar(
      "INSERT INTO quotes_retention_dropped (range_start, range_end, partition_name, dropped_at, "
      "rows, days, objects) VALUES ('2026-01-01Z', '2026-02-01Z', 'quotes_2026_01', now(), 10, "
      "31, 9000), ('2026-02-01Z', '2026-02-02Z', 'quotes_w2026_02_01', now(), 10, 1, 300)");
  db_.Scalar(
      "INSERT INTO quotes_retention_status (run_at, retention_days, boundary, dropped, "
      "blocked_start, blocked_end, blocked_reason) VALUES (now(), 90, '2026-04-10T00:00:00Z', "
      "'{quotes_w2026_02_01}', '2026-02-02Z', '2026-02-09Z', 'day 2026-02-03: not compacted')");
  json retention = Ask(Pipeline, {})["retention"];
  EXPECT_EQ(retention["retention_days"], 90);
  EXPECT_EQ(retention["boundary"], "2026-04-10T00:00:00.000Z");
  EXPECT_EQ(retention["dropped"], json::array({"quotes_w2026_02_01"}));
  EXPECT_EQ(retention["blocked_start"], "2026-02-02T00:00:00.000Z");
  EXPECT_EQ(retention["blocked_end"], "2026-02-09T00:00:00.000Z");
  EXPECT_EQ(retention["blocked_reason"], "day 2026-02-03: not compacted");
  EXPECT_TRUE(retention["error"].is_null());
  EXPECT_EQ(retention["partitions_dropped"], 2);
  EXPECT_EQ(retention["lake_only_before"], "2026-02-02T00:00:00.000Z");
}

// The stored audit results (audit_results): null before any audit; then the count, the newest
// audit and the days with findings, newest first.
TEST_F(ApiHistoryTest, PipelineShowsTheStoredAuditResults) {
  EXPECT_TRUE(Ask(Pipeline, {})["audit"].is_null());  // nothing audited yet
  db_.Scalar(
      "INSERT INTO audit_results VALUES "
      "('2026-03-30', '2026-04-02T01:00:00Z', 'run', 0, '{}', '[]'), "
      "('2026-03-31', '2026-04-02T02:00:00Z', 'run', 3, '{gap,not_loaded}', '[]'), "
      "('2026-04-01', '2026-04-02T03:00:00Z', 'audit', 1, '{rows_differ}', '[]')");
  json audit = Ask(Pipeline, {})["audit"];
  EXPECT_EQ(audit["days_audited"], 3);
  EXPECT_EQ(audit["last_audited_at"], "2026-04-02T03:00:00.000Z");
  EXPECT_EQ(audit["newest_day"], "2026-04-01");
  EXPECT_EQ(audit["days_with_findings"], 2);
  EXPECT_EQ(audit["findings"], 4);
  ASSERT_EQ(audit["with_findings"].size(), 2u);
  EXPECT_EQ(audit["with_findings"][0]["day"], "2026-04-01");
  EXPECT_EQ(audit["with_findings"][0]["audited_by"], "audit");
  EXPECT_EQ(audit["with_findings"][1]["kinds"], json::array({"gap", "not_loaded"}));
  EXPECT_EQ(audit["with_findings"][1]["findings"], 3);
}

// A dashboard upgraded before the ETL host migrates: no candle source, no endpoint_access.
TEST_F(ApiHistoryTest, AnswersOnASchemaBeforeMigration14) {
  db_.SchemaBefore(14,
                   "ALTER TABLE candles_hourly DROP COLUMN source; "
                   "ALTER TABLE candles_daily DROP COLUMN source; DROP TABLE endpoint_access");
  json candles = Ask(Candles, {{"id", "1"}, {"range", "all"}});
  ASSERT_GT(candles["count"].get<int>(), 0);
  EXPECT_EQ(candles["data"][0]["source"], "quotes");  // before 14, every candle was built
  EXPECT_EQ(Ask(Pipeline, {})["historical_access"], json::array());
  EXPECT_TRUE(Ask(Pipeline, {})["retention"].is_null());  // migration 15 forgotten too
  EXPECT_EQ(Ask(Series, {{"ids", "1"}, {"range", "7d"}})["interval"], "1h");
  EXPECT_EQ(Ask(Sparklines, {{"ids", "1027"}})["data"]["1027"].size(), 3u);
}

// The new endpoints are routed, cached like the other chart answers, and validate input.
TEST_F(ApiHistoryTest, ServerRoutesTheNewEndpoints) {
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.database_url = db_.url();
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options));
  httplib::Client client("127.0.0.1", server->port());
  auto currencies = client.Get("/api/v1/currencies");
  ASSERT_TRUE(currencies);
  EXPECT_EQ(currencies->status, 200) << currencies->body;
  auto global = client.Get("/api/v1/global/series?range=all&currency=USD");
  ASSERT_TRUE(global);
  EXPECT_EQ(global->status, 200) << global->body;
  EXPECT_EQ(json::parse(global->body)["count"], 28);
  for (const char* bad : {"/api/v1/global/series?currency=usd", "/api/v1/currencies?x=1",
                          "/api/v1/global/series?width=0"}) {
    auto res = client.Get(bad);
    ASSERT_TRUE(res) << bad;
    EXPECT_EQ(res->status, 400) << bad;
  }
}

}  // namespace
}  // namespace coinlake::dashboard
