// The sim answers like CoinMarketCap on its latest endpoints: v1 and v2 quotes, several
// currencies, the map's and listings' parameters, dominance, plans, fault error codes, gzip.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cmc/client.h"
#include "cmc/parser.h"
#include "cmc/sim.h"
#include "tests/status_matchers.h"

namespace coinlake::cmc {
namespace {

using Json = nlohmann::json;

class SimFidelityTest : public ::testing::Test {
 protected:
  void StartSim(SimOptions options = {}) {
    options.port = 0;
    options.coins = 400;
    client_.reset();  // its keep-alive connection would hold the old sim's Stop()
    sim_.reset();
    ASSERT_OK_AND_ASSIGN(sim_, Simulator::Start(options));
    ClientOptions client;
    client.base_url = sim_->base_url();
    client.api_key = "k";
    ASSERT_OK_AND_ASSIGN(client_, CmcClient::Make(client));
  }
  void SetUp() override { StartSim(); }

  // GETs `path` with `params`; returns the HTTP status and the parsed body.
  std::pair<int, Json> Get(const std::string& path,
                           const std::map<std::string, std::string>& params = {}) {
    auto response = client_->Get(path, params);
    EXPECT_OK(response.status());
    if (!response.ok()) return {0, Json()};
    last_body_ = response->body;
    return {response->http_status, Json::parse(response->body)};
  }

  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<CmcClient> client_;
  std::string last_body_;
};

TEST_F(SimFidelityTest, V1QuotesKeyOneCoinPerSymbolAndByIdOrSlug) {
  auto [status, by_symbol] = Get("/v1/cryptocurrency/quotes/latest", {{"symbol", "BTC,ETH"}});
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(by_symbol["data"]["BTC"].is_object());  // v1: one object, not an array
  EXPECT_EQ(by_symbol["data"]["BTC"]["id"], 1);
  EXPECT_EQ(by_symbol["data"]["ETH"]["id"], 1027);
  ASSERT_OK_AND_ASSIGN(QuotesPayload parsed, ParseQuotes(last_body_));
  EXPECT_EQ(parsed.rows.size(), 2u);

  auto [s2, by_id] = Get("/v1/cryptocurrency/quotes/latest", {{"id", "1,1027"}});
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(by_id["data"]["1027"]["symbol"], "ETH");
  auto [s3, by_slug] = Get("/v1/cryptocurrency/quotes/latest", {{"slug", "bitcoin"}});
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(by_slug["data"]["1"]["slug"], "bitcoin");
  // v1 refuses an unknown coin; v2 skips it.
  EXPECT_EQ(Get("/v1/cryptocurrency/quotes/latest", {{"id", "1,999999"}}).first, 400);
  auto [s4, v2] = Get("/v2/cryptocurrency/quotes/latest", {{"symbol", "BTC"}});
  ASSERT_EQ(s4, 200);
  ASSERT_TRUE(v2["data"]["BTC"].is_array());
  EXPECT_TRUE(v2["data"]["BTC"][0]["tags"][0].is_object());
}

TEST_F(SimFidelityTest, SeveralConvertsKeyTheQuotePerCurrencyAndCostACreditEach) {
  auto [status, body] =
      Get("/v1/cryptocurrency/listings/latest", {{"limit", "10"}, {"convert", "USD,EUR,BTC"}});
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["status"]["credit_count"], 3);  // 1 for 10 coins, +1 per extra currency
  const Json& btc = body["data"][0];
  ASSERT_EQ(btc["id"], 1);
  double usd = btc["quote"]["USD"]["price"], eur = btc["quote"]["EUR"]["price"];
  EXPECT_NEAR(eur / usd, 0.92, 1e-9);
  EXPECT_NEAR(btc["quote"]["BTC"]["price"].get<double>(), 1.0, 1e-9);  // BTC priced in BTC
  ASSERT_OK_AND_ASSIGN(QuotesPayload parsed, ParseListings(last_body_));
  EXPECT_EQ(parsed.rows.size(), 30u);  // coinlake's parser: one row per coin and currency

  auto [s2, by_id] = Get("/v2/cryptocurrency/quotes/latest", {{"id", "1"}, {"convert_id", "2790"}});
  ASSERT_EQ(s2, 200);
  EXPECT_TRUE(by_id["data"]["1"]["quote"].contains("2790"));
  auto [s3, global] = Get("/v1/global-metrics/quotes/latest", {{"convert", "EUR,GBP"}});
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(global["status"]["credit_count"], 2);
  EXPECT_TRUE(global["data"]["quote"].contains("GBP"));
  EXPECT_EQ(Get("/v1/cryptocurrency/listings/latest", {{"convert", "XYZQ"}}).first, 400);
  EXPECT_EQ(
      Get("/v1/cryptocurrency/listings/latest", {{"convert", "EUR"}, {"convert_id", "1"}}).first,
      400);
}

TEST_F(SimFidelityTest, MapHonoursStatusSymbolSortAndPaging) {
  auto [status, active] = Get("/v1/cryptocurrency/map");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(active["data"].size(), 400u);
  for (const Json& e : active["data"]) EXPECT_EQ(e["is_active"], 1);
  auto [s2, all] = Get("/v1/cryptocurrency/map",
                       {{"listing_status", "active,inactive,untracked"}, {"sort", "cmc_rank"}});
  ASSERT_EQ(s2, 200);
  EXPECT_GT(all["data"].size(), 400u);
  EXPECT_EQ(all["data"][0]["rank"], 1);
  EXPECT_TRUE(all["data"].back()["rank"].is_null());
  ASSERT_OK_AND_ASSIGN(MapPayload parsed, ParseMap(last_body_));
  EXPECT_EQ(parsed.rows.size(), all["data"].size());
  auto [s3, inactive] = Get("/v1/cryptocurrency/map", {{"listing_status", "inactive"}});
  ASSERT_EQ(s3, 200);
  ASSERT_FALSE(inactive["data"].empty());
  for (const Json& e : inactive["data"]) {
    EXPECT_EQ(e["is_active"], 0);
    EXPECT_TRUE(e["rank"].is_null());
  }
  auto [s4, btc] = Get("/v1/cryptocurrency/map", {{"symbol", "BTC,USDT"}});
  ASSERT_EQ(s4, 200);
  ASSERT_EQ(btc["data"].size(), 2u);
  EXPECT_EQ(btc["data"][1]["platform"]["name"], "Ethereum");  // USDT is a token
  auto [s5, page] = Get("/v1/cryptocurrency/map", {{"start", "3"}, {"limit", "2"}});
  ASSERT_EQ(s5, 200);
  ASSERT_EQ(page["data"].size(), 2u);
  EXPECT_EQ(page["data"][0]["id"], active["data"][2]["id"]);
  EXPECT_EQ(Get("/v1/cryptocurrency/map", {{"sort", "name"}}).first, 400);
}

TEST_F(SimFidelityTest, ListingsHonourSortTypeAndFilters) {
  auto [status, by_name] =
      Get("/v1/cryptocurrency/listings/latest", {{"sort", "name"}, {"limit", "50"}});
  ASSERT_EQ(status, 200);
  for (size_t i = 1; i < by_name["data"].size(); ++i) {
    EXPECT_LE(by_name["data"][i - 1]["name"].get<std::string>(),
              by_name["data"][i]["name"].get<std::string>());
  }
  auto [s2, cheap] = Get("/v1/cryptocurrency/listings/latest", {{"sort", "price"},
                                                                {"sort_dir", "asc"},
                                                                {"price_min", "0.01"},
                                                                {"price_max", "100"},
                                                                {"limit", "5000"}});
  ASSERT_EQ(s2, 200);
  ASSERT_FALSE(cheap["data"].empty());
  EXPECT_EQ(cheap["status"]["total_count"], cheap["data"].size());
  double last = 0;
  for (const Json& c : cheap["data"]) {
    double price = c["quote"]["USD"]["price"];
    EXPECT_GE(price, 0.01);
    EXPECT_LE(price, 100);
    EXPECT_GE(price, last);
    last = price;
  }
  auto [s3, tokens] = Get("/v1/cryptocurrency/listings/latest",
                          {{"cryptocurrency_type", "tokens"}, {"limit", "20"}});
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(tokens["data"][0]["id"], 825);  // USDT: a top coin that is a token, as on CMC
  for (const Json& c : tokens["data"]) EXPECT_TRUE(c["platform"].is_object());
  auto [s4, coins] = Get("/v1/cryptocurrency/listings/latest",
                         {{"cryptocurrency_type", "coins"}, {"limit", "20"}});
  ASSERT_EQ(s4, 200);
  for (const Json& c : coins["data"]) EXPECT_TRUE(c["platform"].is_null());
  EXPECT_EQ(Get("/v1/cryptocurrency/listings/latest", {{"sort_dir", "up"}}).first, 400);
}

TEST_F(SimFidelityTest, QuotesCarryTheListingsDominance) {
  auto [s1, listings] = Get("/v1/cryptocurrency/listings/latest", {{"limit", "1"}});
  auto [s2, quotes] = Get("/v2/cryptocurrency/quotes/latest", {{"id", "1"}});
  ASSERT_EQ(s1, 200);
  ASSERT_EQ(s2, 200);
  double listed = listings["data"][0]["quote"]["USD"]["market_cap_dominance"];
  EXPECT_GT(listed, 1.0);
  EXPECT_DOUBLE_EQ(quotes["data"]["1"]["quote"]["USD"]["market_cap_dominance"].get<double>(),
                   listed);
}

TEST_F(SimFidelityTest, KeyInfoReportsTheDefaultPlanAndUsage) {
  Get("/v1/cryptocurrency/listings/latest", {{"limit", "10"}});
  auto [status, body] = Get("/v1/key/info");
  ASSERT_EQ(status, 200);
  ASSERT_OK_AND_ASSIGN(KeyInfo info, ParseKeyInfo(last_body_));
  EXPECT_EQ(info.credit_limit_monthly, 30'000'000);  // enterprise
  EXPECT_EQ(info.rate_limit_minute, 120);
  EXPECT_EQ(info.month_credits_used, 1);
  EXPECT_EQ(info.month_credits_left, 30'000'000 - 1);
  EXPECT_EQ(info.minute_requests_made, 2);
  EXPECT_EQ(info.minute_requests_left, 118);
}

TEST_F(SimFidelityTest, BasicPlanLimitsAndLacksHistoricalEndpoints) {
  SimOptions options;
  options.plan = "basic";
  StartSim(options);
  auto [status, body] = Get("/v1/key/info");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["data"]["plan"]["credit_limit_monthly"], 15'000);
  EXPECT_EQ(body["data"]["plan"]["credit_limit_daily"], 500);
  EXPECT_EQ(body["data"]["plan"]["rate_limit_minute"], 50);
  auto [s2, refused] = Get("/v1/cryptocurrency/quotes/historical", {{"id", "1"}});
  EXPECT_EQ(s2, 403);
  EXPECT_EQ(refused["status"]["error_code"], 1006);
  EXPECT_EQ(refused["status"]["error_message"],
            "Your API Key subscription plan doesn't support this endpoint.");
  // An explicit limit overrides the plan's.
  options.calls_per_minute = 1;
  StartSim(options);
  EXPECT_EQ(Get("/v1/key/info").first, 200);
  EXPECT_EQ(Get("/v1/key/info").first, 429);
}

// Hobbyist reaches 12 months back: a year and a day is refused with CMC's message, a month
// back answers.
TEST_F(SimFidelityTest, HistoricalWindowOfThePlan) {
  SimOptions options;
  options.plan = "hobbyist";
  StartSim(options);
  const std::string too_old = FormatIso8601(SystemNow() - std::chrono::days(367));
  auto [status, refused] = Get("/v2/cryptocurrency/ohlcv/historical",
                               {{"id", "1"}, {"time_start", too_old}, {"count", "1"}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(refused["status"]["error_code"], 400);
  EXPECT_EQ(refused["status"]["error_message"], "Your plan allows 12 months of historical access.");
  const std::string month_ago = FormatIso8601(SystemNow() - std::chrono::days(30));
  auto [ok_status, body] = Get("/v2/cryptocurrency/ohlcv/historical",
                               {{"id", "1"}, {"time_start", month_ago}, {"count", "1"}});
  EXPECT_EQ(ok_status, 200) << body;
}

TEST_F(SimFidelityTest, UnknownPlanIsRefusedAtStart) {
  SimOptions options;
  options.plan = "gold";
  EXPECT_FALSE(Simulator::Start(options).ok());
}

TEST_F(SimFidelityTest, InjectedStatusesCarryCmcErrorCodes) {
  struct Case {
    int http;
    int64_t code;
    const char* message_part;
  };
  for (const Case& c : {Case{500, 500, "internal server error"}, Case{401, 1001, "invalid"},
                        Case{402, 1003, "activated"}, Case{403, 1006, "doesn't support"},
                        Case{429, 1008, "rate limit"}, Case{503, 503, "unavailable"}}) {
    httplib::Client control(sim_->base_url());
    auto posted =
        control.Post("/__sim/faults", fmt::format(R"([{{"fault":"status","http":{}}}])", c.http),
                     "application/json");
    ASSERT_TRUE(posted && posted->status == 200);
    auto [status, body] = Get("/v1/global-metrics/quotes/latest");
    EXPECT_EQ(status, c.http);
    EXPECT_EQ(body["status"]["error_code"], c.code) << c.http;
    EXPECT_NE(body["status"]["error_message"].get<std::string>().find(c.message_part),
              std::string::npos)
        << body.dump();
  }
}

TEST_F(SimFidelityTest, GzipForClientsThatAskAndJsonUtf8ContentType) {
  httplib::Client http(sim_->base_url());
  httplib::Headers headers = {{"X-CMC_PRO_API_KEY", "k"}, {"Accept-Encoding", "gzip"}};
  http.set_decompress(false);
  auto gz = http.Get("/v1/cryptocurrency/listings/latest?limit=200", headers);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->get_header_value("Content-Type"), "application/json; charset=utf-8");
  auto plain = http.Get("/v1/cryptocurrency/listings/latest?limit=200",
                        httplib::Headers{{"X-CMC_PRO_API_KEY", "k"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
  EXPECT_LT(gz->body.size() * 3, plain->body.size());
}

TEST_F(SimFidelityTest, CoinsAndGlobalMetricsCarryTheRealResponsesFields) {
  auto [s1, listings] = Get("/v1/cryptocurrency/listings/latest", {{"limit", "1"}});
  ASSERT_EQ(s1, 200);
  const Json& coin = listings["data"][0];
  for (const char* key : {"minted_market_cap", "tvl_ratio", "self_reported_circulating_supply",
                          "self_reported_market_cap", "infinite_supply", "tags", "platform"}) {
    EXPECT_TRUE(coin.contains(key)) << key;
  }
  for (const char* key : {"cex_volume_24h", "dex_volume_24h", "market_cap_dominance"}) {
    EXPECT_TRUE(coin["quote"]["USD"].contains(key)) << key;
  }
  auto [s2, global] = Get("/v1/global-metrics/quotes/latest");
  ASSERT_EQ(s2, 200);
  // The real answer's 31 figures beside `quote`, and 22 in each currency.
  EXPECT_EQ(global["data"].size(), 31u);
  EXPECT_EQ(global["data"]["quote"]["USD"].size(), 22u);
  for (const char* key : {"btc_dominance_yesterday", "total_cryptocurrencies",
                          "active_market_pairs", "derivatives_volume_24h"}) {
    EXPECT_TRUE(global["data"].contains(key)) << key;
  }
  for (const char* key : {"altcoin_market_cap", "total_market_cap_yesterday",
                          "total_volume_24h_yesterday_percentage_change"}) {
    EXPECT_TRUE(global["data"]["quote"]["USD"].contains(key)) << key;
  }
  EXPECT_OK(ParseGlobalMetrics(last_body_).status());
}

}  // namespace
}  // namespace coinlake::cmc
