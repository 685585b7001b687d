#include "pipeline/endpoints.h"

#include <gtest/gtest.h>

#include "lake/keys.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

cmc::MapRow Coin(int64_t id, std::string symbol, std::optional<int64_t> rank, int64_t active = 1) {
  cmc::MapRow row;
  row.cmc_id = id;
  row.symbol = std::move(symbol);
  row.rank = rank;
  row.is_active = active;
  return row;
}

TEST(EndpointsTest, EveryLakeEndpointIsInTheTableOnce) {
  for (std::string_view name : {lake::kListingsLatest, lake::kQuotesLatest,
                                lake::kGlobalMetricsLatest, lake::kKeyInfo, lake::kMap}) {
    const Endpoint* e = FindEndpoint(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->name, name);
    EXPECT_TRUE(lake::IsKnownEndpoint(name));
  }
  EXPECT_EQ(Endpoints().size(), 9u);
  for (std::string_view name : {lake::kQuotesHistorical, lake::kListingsHistorical,
                                lake::kOhlcvHistorical, lake::kGlobalMetricsHistorical}) {
    const Endpoint* e = FindEndpoint(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_TRUE(e->historical && e->loads) << name;
    EXPECT_TRUE(lake::IsKnownEndpoint(name));
  }
  EXPECT_EQ(FindEndpoint("ohlcv"), nullptr);
  EXPECT_EQ(Endpoints().front().name, lake::kListingsLatest);  // audit's schedule endpoint
  EXPECT_FALSE(FindEndpoint(lake::kKeyInfo)->loads);
  // key_info sets the governor before anything costs credits; the map resolves the watchlist.
  EXPECT_LT(FindEndpoint(lake::kKeyInfo)->fetch_order, FindEndpoint(lake::kMap)->fetch_order);
  EXPECT_LT(FindEndpoint(lake::kMap)->fetch_order, FindEndpoint(lake::kQuotesLatest)->fetch_order);
}

TEST(EndpointsTest, RequestsAndCreditsFollowTheConfiguration) {
  EndpointConfig config;
  config.listings_limit = 450;
  config.convert = "USD,EUR";
  config.quote_ids = {1, 1027, 5426};
  const Endpoint& listings = *FindEndpoint(lake::kListingsLatest);
  EndpointRequest r = MakeRequest(listings, config);
  EXPECT_EQ(r.path, "/v1/cryptocurrency/listings/latest");
  EXPECT_EQ(r.params.at("limit"), "450");
  EXPECT_EQ(r.params.at("convert"), "USD,EUR");
  EXPECT_EQ(listings.credits(config), 3 + 1);  // 450 coins: 3; EUR: +1
  const Endpoint& quotes = *FindEndpoint(lake::kQuotesLatest);
  r = MakeRequest(quotes, config);
  EXPECT_EQ(r.path, "/v2/cryptocurrency/quotes/latest");
  EXPECT_EQ(r.params.at("id"), "1,1027,5426");  // ids, never symbols
  EXPECT_EQ(quotes.credits(config), 1 + 1);
  EXPECT_EQ(FindEndpoint(lake::kGlobalMetricsLatest)->credits(config), 2);
  EXPECT_EQ(FindEndpoint(lake::kKeyInfo)->credits(config), 0);
  EXPECT_EQ(FindEndpoint(lake::kMap)->credits(config), 0);
  EXPECT_EQ(MakeRequest(*FindEndpoint(lake::kMap), config).params.at("limit"), "5000");
}

TEST(EndpointsTest, ParsersFillTheirOwnRows) {
  ParsedObject parsed;
  ASSERT_OK(FindEndpoint(lake::kGlobalMetricsLatest)
                ->parse(coinlake::testing::ReadFixture(
                            "global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json"),
                        parsed));
  ASSERT_TRUE(parsed.global_metrics.has_value());
  EXPECT_FALSE(parsed.quotes.has_value());
  EXPECT_EQ(parsed.ref.data_ts, parsed.global_metrics->status.timestamp);
  ParsedObject wrong;
  EXPECT_FALSE(FindEndpoint(lake::kMap)->parse("{\"status\":{\"error_code\":0}}", wrong).ok());
}

TEST(EndpointsTest, SymbolsResolveToTheBestRankedActiveCoin) {
  cmc::MapPayload map;
  map.rows = {Coin(1, "BTC", 1),    Coin(31469, "BTC", 4000),        Coin(99, "BTC", std::nullopt),
              Coin(1027, "ETH", 2), Coin(7, "OLD", 5, /*active=*/0), Coin(8, "OLD", std::nullopt)};
  auto ids = ResolveSymbols({"ETH", "BTC", "OLD", "ETH"}, map);
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<int64_t>{1027, 1, 8}));  // an inactive coin never wins
  auto missing = ResolveSymbols({"BTC", "NOPE", "ZZZ"}, map);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("NOPE,ZZZ"), std::string::npos);
}

}  // namespace
}  // namespace coinlake::pipeline
