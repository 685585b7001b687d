// The simulator's reference endpoints over HTTP: coin metadata, categories, fiat and exchange
// maps, exchange metadata and price conversion, with CMC's parameters, shapes, credits and
// errors.
#include "cmc/sim_reference.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cmc/client.h"
#include "cmc/market.h"
#include "cmc/sim.h"
#include "cmc/sim_http_test_fixture.h"
#include "tests/status_matchers.h"

namespace coinlake::cmc::sim {
namespace {

using Json = nlohmann::json;
using Params = std::map<std::string, std::string>;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class SimReferenceTest : public SimHttpTest {
 protected:
  void Start(const std::string& plan = "") {
    SimOptions options;
    options.coins = 300;
    if (!plan.empty()) options.plan = plan;
    StartSim(options);
  }
  void SetUp() override { Start(); }

  int64_t Credits(const Json& body) { return body["status"]["credit_count"].get<int64_t>(); }
};

TEST_F(SimReferenceTest, InfoV1KeysById) {
  Json body = Get("/v1/cryptocurrency/info", {{"id", "1,825"}});
  const Json& btc = body["data"]["1"];
  EXPECT_EQ(btc["symbol"], "BTC");
  EXPECT_EQ(btc["category"], "coin");
  EXPECT_TRUE(btc["platform"].is_null());
  EXPECT_EQ(btc["logo"], "https://s2.coinmarketcap.com/static/img/coins/64x64/1.png");
  for (const char* key : {"website", "twitter", "message_board", "chat", "facebook", "explorer",
                          "reddit", "technical_doc", "source_code", "announcement"}) {
    EXPECT_TRUE(btc["urls"][key].is_array()) << key;
  }
  EXPECT_EQ(btc["tags"].size(), btc["tag-names"].size());
  EXPECT_EQ(btc["tags"].size(), btc["tag-groups"].size());
  for (const char* key :
       {"description", "slug", "subreddit", "notice", "date_added", "twitter_username", "is_hidden",
        "date_launched", "contract_address", "self_reported_circulating_supply",
        "self_reported_market_cap", "self_reported_tags"}) {
    EXPECT_TRUE(btc.contains(key)) << key;
  }
  const Json& usdt = body["data"]["825"];
  EXPECT_EQ(usdt["category"], "token");
  EXPECT_EQ(usdt["platform"]["id"], 1027);
  ASSERT_EQ(usdt["contract_address"].size(), 1u);
  EXPECT_EQ(usdt["contract_address"][0]["contract_address"], usdt["platform"]["token_address"]);
  EXPECT_EQ(Credits(body), 1);
}

TEST_F(SimReferenceTest, InfoBySymbolSlugAndAddress) {
  Json v1 = Get("/v1/cryptocurrency/info", {{"symbol", "BTC,ETH"}});
  EXPECT_EQ(v1["data"]["BTC"]["id"], 1);
  EXPECT_EQ(v1["data"]["ETH"]["id"], 1027);
  Json v2 = Get("/v2/cryptocurrency/info", {{"symbol", "BTC"}});
  ASSERT_TRUE(v2["data"]["BTC"].is_array());
  EXPECT_EQ(v2["data"]["BTC"][0]["id"], 1);
  Json slug = Get("/v2/cryptocurrency/info", {{"slug", "bitcoin"}});
  EXPECT_EQ(slug["data"]["1"]["slug"], "bitcoin");
  Json address =
      Get("/v2/cryptocurrency/info", {{"address", "0xdac17f958d2ee523a2206206994597c13d831ec7"}});
  EXPECT_EQ(address["data"]["825"]["symbol"], "USDT");
}

TEST_F(SimReferenceTest, InfoCostsOneCreditPerHundredCoins) {
  Json listing = Get("/v1/cryptocurrency/listings/latest", {{"limit", "150"}});
  std::string ids;
  for (const Json& coin : listing["data"]) ids += (ids.empty() ? "" : ",") + coin["id"].dump();
  Json body = Get("/v2/cryptocurrency/info", {{"id", ids}});
  EXPECT_EQ(body["data"].size(), 150u);
  EXPECT_EQ(Credits(body), 2);
}

TEST_F(SimReferenceTest, InfoRefusesBadRequests) {
  EXPECT_EQ(Get("/v1/cryptocurrency/info", {}, 400)["status"]["error_code"], 400);
  Get("/v1/cryptocurrency/info", {{"id", "1"}, {"symbol", "BTC"}}, 400);
  Get("/v1/cryptocurrency/info", {{"id", "999999999"}}, 400);
  Json skipped = Get("/v2/cryptocurrency/info", {{"id", "1,999999999"}, {"skip_invalid", "true"}});
  EXPECT_EQ(skipped["data"].size(), 1u);
}

TEST_F(SimReferenceTest, CategoriesComeFromTheCoinsTags) {
  Json body = Get("/v1/cryptocurrency/categories", {});
  ASSERT_GE(body["data"].size(), 3u);
  EXPECT_EQ(Credits(body), 1);
  for (const Json& c : body["data"]) {
    EXPECT_EQ(c["id"].get<std::string>().size(), 24u);
    EXPECT_GT(c["num_tokens"].get<int64_t>(), 0) << c["name"];
    EXPECT_GT(c["market_cap"].get<double>(), 0) << c["name"];
    for (const char* key : {"name", "title", "description", "avg_price_change", "market_cap_change",
                            "volume", "volume_change", "last_updated"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
  }
  Json paged = Get("/v1/cryptocurrency/categories", {{"start", "2"}, {"limit", "1"}});
  ASSERT_EQ(paged["data"].size(), 1u);
  EXPECT_EQ(paged["data"][0]["id"], body["data"][1]["id"]);
  // Bitcoin is a store of value and a layer 1, never a stablecoin.
  Json btc = Get("/v1/cryptocurrency/categories", {{"symbol", "BTC"}});
  for (const Json& c : btc["data"]) EXPECT_NE(c["name"], "Stablecoin");
  EXPECT_GE(btc["data"].size(), 2u);
  Get("/v1/cryptocurrency/categories", {{"limit", "0"}}, 400);
  Get("/v1/cryptocurrency/categories", {{"symbol", "NOPE"}}, 400);
}

TEST_F(SimReferenceTest, CategoryListsItsCoinsLikeListings) {
  Json categories = Get("/v1/cryptocurrency/categories", {});
  std::string stable;
  for (const Json& c : categories["data"]) {
    if (c["name"] == "Stablecoin") stable = c["id"];
  }
  ASSERT_FALSE(stable.empty());
  Json body = Get("/v1/cryptocurrency/category", {{"id", stable}, {"convert", "USD,EUR"}});
  const Json& coins = body["data"]["coins"];
  ASSERT_EQ(coins.size(), body["data"]["num_tokens"].get<size_t>());
  for (const Json& coin : coins) {
    EXPECT_NEAR(coin["quote"]["USD"]["price"].get<double>(), 1.0, 0.1) << coin["symbol"];
    EXPECT_NEAR(coin["quote"]["EUR"]["price"].get<double>(),
                coin["quote"]["USD"]["price"].get<double>() * 0.92, 1e-9);
    EXPECT_GT(coin["cmc_rank"].get<int64_t>(), 0);
  }
  EXPECT_EQ(Credits(body), 3);  // 1, +1 for up to 200 coins, +1 for EUR
  Json paged = Get("/v1/cryptocurrency/category", {{"id", stable}, {"start", "2"}, {"limit", "1"}});
  ASSERT_EQ(paged["data"]["coins"].size(), 1u);
  EXPECT_EQ(paged["data"]["coins"][0]["id"], coins[1]["id"]);
  Get("/v1/cryptocurrency/category", {}, 400);
  Get("/v1/cryptocurrency/category", {{"id", "000000000000000000000000"}}, 400);
  Get("/v1/cryptocurrency/category", {{"id", stable}, {"convert", "XYZ"}}, 400);
}

TEST_F(SimReferenceTest, FiatMapMatchesConvertIds) {
  Json body = Get("/v1/fiat/map", {});
  ASSERT_GE(body["data"].size(), 20u);
  EXPECT_EQ(body["data"][0]["id"], 2781);
  EXPECT_EQ(body["data"][0]["symbol"], "USD");
  EXPECT_EQ(body["data"][0]["sign"], "$");
  EXPECT_EQ(body["data"][0]["name"], "United States Dollar");
  // CMC's ids run alphabetically from USD: MXN 2799, MYR 2800, NOK 2801, NZD 2802.
  for (const Json& f : body["data"]) {
    if (f["symbol"] == "NOK") {
      EXPECT_EQ(f["id"], 2801);
    }
    if (f["symbol"] == "EUR") {
      EXPECT_EQ(f["id"], 2790);
    }
  }
  // Every listed id converts to that currency.
  for (const Json& f : body["data"]) {
    Json q = Get("/v1/cryptocurrency/quotes/latest",
                 {{"id", "1"}, {"convert_id", std::to_string(f["id"].get<int64_t>())}});
    Json by_symbol = Get("/v1/cryptocurrency/quotes/latest",
                         {{"id", "1"}, {"convert", f["symbol"].get<std::string>()}});
    EXPECT_EQ(q["data"]["1"]["quote"][f["id"].dump()]["price"],
              by_symbol["data"]["1"]["quote"][f["symbol"].get<std::string>()]["price"])
        << f["symbol"];
  }
  Json metals = Get("/v1/fiat/map", {{"include_metals", "true"}, {"sort", "name"}});
  EXPECT_EQ(metals["data"].size(), body["data"].size() + 4);
  for (size_t i = 1; i < metals["data"].size(); ++i) {
    EXPECT_LE(metals["data"][i - 1]["name"].get<std::string>(),
              metals["data"][i]["name"].get<std::string>());
  }
  EXPECT_EQ(Get("/v1/fiat/map", {{"start", "2"}, {"limit", "2"}})["data"][0]["symbol"], "AUD");
  Get("/v1/fiat/map", {{"sort", "symbol"}}, 400);
  Get("/v1/fiat/map", {{"include_metals", "yes"}}, 400);
}

TEST_F(SimReferenceTest, ExchangeMapAndInfo) {
  Json map = Get("/v1/exchange/map", {});
  ASSERT_GE(map["data"].size(), 3u);
  bool binance = false;
  for (const Json& e : map["data"]) {
    binance = binance || (e["id"] == 270 && e["slug"] == "binance");
    EXPECT_EQ(e["is_active"], 1);
  }
  EXPECT_TRUE(binance);
  Json by_volume = Get("/v1/exchange/map", {{"sort", "volume_24h"}, {"limit", "1"}});
  EXPECT_EQ(by_volume["data"][0]["slug"], "binance");
  Json slugs = Get("/v1/exchange/map", {{"slug", "kraken,coinbase-exchange"}});
  ASSERT_EQ(slugs["data"].size(), 2u);
  EXPECT_EQ(slugs["data"][0]["id"], 24);
  EXPECT_EQ(slugs["data"][1]["id"], 89);
  EXPECT_EQ(Get("/v1/exchange/map", {{"listing_status", "inactive"}})["data"].size(), 0u);
  Get("/v1/exchange/map", {{"sort", "name"}}, 400);
  Get("/v1/exchange/map", {{"crypto_id", "999999999"}}, 400);

  Json info = Get("/v1/exchange/info", {{"slug", "binance,kraken"}});
  EXPECT_EQ(info["data"]["270"]["name"], "Binance");
  EXPECT_EQ(info["data"]["24"]["name"], "Kraken");
  EXPECT_GT(info["data"]["270"]["spot_volume_usd"].get<double>(),
            info["data"]["24"]["spot_volume_usd"].get<double>());
  for (const char* key : {"website", "twitter", "blog", "chat", "fee"}) {
    EXPECT_TRUE(info["data"]["270"]["urls"][key].is_array()) << key;
  }
  EXPECT_EQ(Credits(info), 1);
  EXPECT_EQ(Get("/v1/exchange/info", {{"id", "89"}})["data"]["89"]["slug"], "coinbase-exchange");
  Get("/v1/exchange/info", {}, 400);
  Get("/v1/exchange/info", {{"id", "1"}}, 400);
}

TEST_F(SimReferenceTest, PriceConversionMultipliesTheMarketPrice) {
  Json quote = Get("/v1/cryptocurrency/quotes/latest", {{"id", "1"}});
  const double btc = quote["data"]["1"]["quote"]["USD"]["price"].get<double>();
  Json body = Get("/v1/tools/price-conversion",
                  {{"amount", "2.5"}, {"id", "1"}, {"convert", "USD,EUR,BTC,ETH"}});
  const Json& d = body["data"];
  EXPECT_EQ(d["id"], 1);
  EXPECT_EQ(d["amount"], 2.5);
  EXPECT_DOUBLE_EQ(d["quote"]["USD"]["price"].get<double>(), 2.5 * btc);
  EXPECT_DOUBLE_EQ(d["quote"]["EUR"]["price"].get<double>(), 2.5 * btc * 0.92);
  EXPECT_NEAR(d["quote"]["BTC"]["price"].get<double>(), 2.5, 1e-9);
  EXPECT_GT(d["quote"]["ETH"]["price"].get<double>(), 2.5);
  EXPECT_EQ(Credits(body), 4);
  Json v2 = Get("/v2/tools/price-conversion", {{"amount", "1"}, {"symbol", "ETH"}});
  ASSERT_TRUE(v2["data"].is_array());
  EXPECT_EQ(v2["data"][0]["id"], 1027);
  Json by_id_v2 = Get("/v2/tools/price-conversion", {{"amount", "1"}, {"id", "1027"}});
  EXPECT_TRUE(by_id_v2["data"].is_object());
}

TEST_F(SimReferenceTest, PriceConversionAtATimeUsesThePast) {
  const TimePoint then = At("2026-11-20T12:00:00Z");
  Json past = Get("/v1/tools/price-conversion",
                  {{"amount", "1"}, {"id", "1"}, {"time", "2026-11-20T12:00:00Z"}});
  now_ = then + std::chrono::seconds(5);
  Json quote = Get("/v1/cryptocurrency/quotes/latest", {{"id", "1"}});
  EXPECT_EQ(past["data"]["quote"]["USD"]["price"], quote["data"]["1"]["quote"]["USD"]["price"]);
  EXPECT_EQ(past["data"]["last_updated"], quote["data"]["1"]["last_updated"]);
}

TEST_F(SimReferenceTest, PriceConversionRefusesBadRequests) {
  Get("/v1/tools/price-conversion", {{"id", "1"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "x"}, {"id", "1"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "1"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "1"}, {"id", "1"}, {"symbol", "BTC"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "1"}, {"symbol", "NOPE"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "1"}, {"id", "1"}, {"time", "yesterday"}}, 400);
  Get("/v1/tools/price-conversion", {{"amount", "1"}, {"id", "1"}, {"convert", "XYZ"}}, 400);
  Get("/v1/tools/price-conversion",
      {{"amount", "1"}, {"id", "1"}, {"convert", "EUR"}, {"convert_id", "2790"}}, 400);
}

TEST_F(SimReferenceTest, BasicPlanCoversEveryReferenceEndpoint) {
  Start("basic");
  Get("/v2/cryptocurrency/info", {{"id", "1"}});
  Get("/v1/cryptocurrency/categories", {});
  Get("/v1/fiat/map", {});
  Get("/v1/exchange/map", {});
  Get("/v1/exchange/info", {{"id", "270"}});
  Get("/v2/tools/price-conversion", {{"amount", "1"}, {"id", "1"}});
}

}  // namespace
}  // namespace coinlake::cmc::sim
