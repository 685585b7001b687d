// Every real CMC fixture in tests/fixtures/cmc, parsed by our simdjson parser and checked
// against the same values read independently with nlohmann::json.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cmc/parser.h"
#include "cmc/parser_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::cmc {
namespace {

using coinlake::testing::ReadFixture;
using nlohmann::json;

// Recorder envelopes keep the CMC payload at .response.body; others are the payload itself.
std::string Payload(const std::string& name) {
  std::string text = ReadFixture(name);
  json doc = json::parse(text);
  if (doc.contains("response") && doc["response"].contains("body")) {
    return doc["response"]["body"].dump();
  }
  return text;
}

void ExpectInt(const std::optional<int64_t>& got, const json& want, const std::string& what) {
  if (want.is_null()) {
    EXPECT_FALSE(got.has_value()) << what;
  } else {
    EXPECT_EQ(got, want.get<int64_t>()) << what;
  }
}

// Checks one coin's rows (one per quote currency, starting at rows[at]) against the file.
size_t ExpectCoin(const std::vector<QuoteRow>& rows, size_t at, const json& coin) {
  for (const auto& [currency, q] : coin["quote"].items()) {
    const QuoteRow& row = rows.at(at++);
    std::string what = coin["symbol"].get<std::string>() + "/" + currency;
    EXPECT_EQ(row.cmc_id, coin["id"].get<int64_t>()) << what;
    EXPECT_EQ(row.symbol, coin["symbol"].get<std::string>()) << what;
    EXPECT_EQ(row.name, coin["name"].get<std::string>()) << what;
    EXPECT_EQ(row.slug, coin["slug"].get<std::string>()) << what;
    EXPECT_EQ(row.quote_currency, currency);
    EXPECT_EQ(FormatIso8601(row.ts), q["last_updated"].get<std::string>()) << what;
    ExpectInt(row.cmc_rank, coin["cmc_rank"], what + " rank");
    ExpectInt(row.num_market_pairs, coin["num_market_pairs"], what + " pairs");
    for (const char* f :
         {"price", "volume_24h", "volume_change_24h", "market_cap", "market_cap_dominance",
          "fully_diluted_market_cap", "percent_change_1h", "percent_change_24h",
          "percent_change_7d", "percent_change_30d", "percent_change_60d", "percent_change_90d"}) {
      std::optional<double> got;
      std::string_view name = f;
      if (name == "price") got = row.price;
      if (name == "volume_24h") got = row.volume_24h;
      if (name == "volume_change_24h") got = row.volume_change_24h;
      if (name == "market_cap") got = row.market_cap;
      if (name == "market_cap_dominance") got = row.market_cap_dominance;
      if (name == "fully_diluted_market_cap") got = row.fully_diluted_market_cap;
      if (name == "percent_change_1h") got = row.percent_change_1h;
      if (name == "percent_change_24h") got = row.percent_change_24h;
      if (name == "percent_change_7d") got = row.percent_change_7d;
      if (name == "percent_change_30d") got = row.percent_change_30d;
      if (name == "percent_change_60d") got = row.percent_change_60d;
      if (name == "percent_change_90d") got = row.percent_change_90d;
      ExpectNumber(got, q.value(f, json()), what + " " + f);
    }
    ExpectNumber(row.circulating_supply, coin["circulating_supply"], what + " circulating");
    ExpectNumber(row.total_supply, coin["total_supply"], what + " total");
    ExpectNumber(row.max_supply, coin["max_supply"], what + " max");
    if (coin["date_added"].is_null()) {
      EXPECT_FALSE(row.date_added.has_value()) << what;
    } else {
      EXPECT_EQ(FormatIso8601(*row.date_added), coin["date_added"].get<std::string>()) << what;
    }
  }
  return at;
}

void ExpectStatus(const ResponseStatus& got, const json& doc) {
  const json& s = doc["status"];
  EXPECT_EQ(FormatIso8601(got.timestamp), s["timestamp"].get<std::string>());
  EXPECT_EQ(got.credit_count, s["credit_count"].get<int64_t>());
  if (s.contains("total_count")) {
    EXPECT_EQ(got.total_count, s["total_count"].get<int64_t>());
  }
}

TEST(ParserFixturesTest, EveryFixtureIsCoveredAndDetected) {
  const std::map<std::string, PayloadKind> expected = {
      {"error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json",
       PayloadKind::kError},
      {"global_metrics_quotes_latest_v1_SANDBOX_randomized_alyshawang_2023-09-20.json",
       PayloadKind::kGlobalMetrics},
      {"global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json",
       PayloadKind::kGlobalMetrics},
      {"key_info_v1_consensus-cmc_2026-09-27.json", PayloadKind::kKeyInfo},
      {"listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json", PayloadKind::kListings},
      {"listings_latest_v1_top100_duedill_2025-02-08.json", PayloadKind::kListings},
      {"map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json", PayloadKind::kMap},
      {"quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json",
       PayloadKind::kQuotesHistorical},
      {"quotes_latest_v1_by_symbol_BTC_ETH_consensus-cmc_2026-09-25.json", PayloadKind::kQuotes},
      {"quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json", PayloadKind::kQuotes},
  };
  size_t json_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(COINLAKE_FIXTURES_DIR)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".json")) continue;
    ++json_files;
    ASSERT_TRUE(expected.contains(name)) << "new fixture without a test: " << name;
    auto kind = DetectPayloadKind(Payload(name));
    ASSERT_TRUE(kind.ok()) << name << ": " << kind.status().ToString();
    EXPECT_EQ(*kind, expected.at(name)) << name;
  }
  EXPECT_EQ(json_files, expected.size());
}

TEST(ParserFixturesTest, ListingsFixturesMatchTheFile) {
  for (const char* name : {"listings_latest_v1_top100_duedill_2025-02-08.json",
                           "listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json"}) {
    std::string body = Payload(name);
    auto payload = ParseListings(body);
    ASSERT_TRUE(payload.ok()) << name << ": " << payload.status().ToString();
    json doc = json::parse(body);
    ExpectStatus(payload->status, doc);
    size_t at = 0;
    for (const json& coin : doc["data"]) at = ExpectCoin(payload->rows, at, coin);
    EXPECT_EQ(at, payload->rows.size()) << name;
  }
}

TEST(ParserFixturesTest, QuotesV1ObjectPerSymbol) {
  std::string body = Payload("quotes_latest_v1_by_symbol_BTC_ETH_consensus-cmc_2026-09-25.json");
  auto payload = ParseQuotes(body);
  ASSERT_OK(payload);
  json doc = json::parse(body);
  ExpectStatus(payload->status, doc);
  size_t at = 0;
  for (const auto& [symbol, coin] : doc["data"].items()) {
    ASSERT_TRUE(coin.is_object()) << symbol;
    at = ExpectCoin(payload->rows, at, coin);
  }
  ASSERT_EQ(at, payload->rows.size());
  ASSERT_EQ(payload->rows.size(), 2u);
  EXPECT_EQ(payload->rows[0].symbol, "BTC");
  EXPECT_EQ(payload->rows[1].symbol, "ETH");
}

TEST(ParserFixturesTest, QuotesV2ArrayPerSymbolWithTagObjects) {
  std::string body = Payload("quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json");
  auto payload = ParseQuotes(body);
  ASSERT_OK(payload);
  json doc = json::parse(body);
  ExpectStatus(payload->status, doc);
  size_t at = 0;
  for (const auto& [symbol, coins] : doc["data"].items()) {
    ASSERT_TRUE(coins.is_array()) << symbol;
    for (const json& coin : coins) at = ExpectCoin(payload->rows, at, coin);
  }
  ASSERT_EQ(at, payload->rows.size());
  ASSERT_EQ(payload->rows.size(), 1u);
  EXPECT_FALSE(payload->rows[0].date_added.has_value());  // "date_added": null on Bitcoin
}

TEST(ParserFixturesTest, QuotesKeyedByIdString) {
  auto payload = ParseQuotes(R"({"status":{"timestamp":"2026-01-01T00:00:00.000Z","error_code":0,
    "credit_count":1},"data":{"1027":{"id":1027,"name":"Ethereum","symbol":"ETH","slug":"ethereum",
    "tags":["pos"],"quote":{"USD":{"price":3000,"last_updated":"2026-01-01T00:00:00.000Z"}}},
    "1":{"quote":{"USD":{"price":9.9e4}},"id":1,"symbol":"BTC","name":"Bitcoin","slug":"bitcoin"}}})");
  ASSERT_OK(payload);
  ASSERT_EQ(payload->rows.size(), 2u);
  EXPECT_EQ(payload->rows[0].cmc_id, 1027);
  EXPECT_EQ(payload->rows[1].cmc_id, 1);
  EXPECT_DOUBLE_EQ(*payload->rows[1].price, 99000);
  // No last_updated anywhere: the response time stands in.
  EXPECT_EQ(FormatIso8601(payload->rows[1].ts), "2026-01-01T00:00:00.000Z");
}

TEST(ParserFixturesTest, QuotesHistoricalPoints) {
  std::string body = Payload("quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json");
  auto payload = ParseQuotesHistorical(body);
  ASSERT_OK(payload);
  json doc = json::parse(body);
  ExpectStatus(payload->status, doc);
  const json& points = doc["data"]["quotes"];
  ASSERT_EQ(payload->rows.size(), points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const json& usd = points[i]["quote"]["USD"];
    const QuoteRow& row = payload->rows[i];
    EXPECT_EQ(row.cmc_id, 1);
    EXPECT_EQ(row.symbol, "BTC");
    EXPECT_EQ(FormatIso8601(row.ts), usd["timestamp"].get<std::string>());
    ExpectNumber(row.price, usd["price"], "price");
    ExpectNumber(row.market_cap, usd["market_cap"], "market_cap");
    ExpectNumber(row.circulating_supply, usd["circulating_supply"], "circulating");
  }
}

TEST(ParserFixturesTest, GlobalMetricsMatchTheFile) {
  for (const char* name :
       {"global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json",
        "global_metrics_quotes_latest_v1_SANDBOX_randomized_alyshawang_2023-09-20.json"}) {
    std::string body = Payload(name);
    auto payload = ParseGlobalMetrics(body);
    ASSERT_TRUE(payload.ok()) << name << ": " << payload.status().ToString();
    json doc = json::parse(body);
    ExpectStatus(payload->status, doc);
    const json& d = doc["data"];
    ASSERT_EQ(payload->rows.size(), d["quote"].size()) << name;
    const GlobalMetricsRow& row = payload->rows[0];
    const json& usd = d["quote"]["USD"];
    EXPECT_EQ(row.quote_currency, "USD");
    EXPECT_EQ(FormatIso8601(row.ts), usd["last_updated"].get<std::string>()) << name;
    ExpectNumber(row.total_market_cap, usd["total_market_cap"], "total_market_cap");
    ExpectNumber(row.total_volume_24h, usd["total_volume_24h"], "total_volume_24h");
    ExpectNumber(row.defi_market_cap, usd["defi_market_cap"], "defi_market_cap");
    ExpectNumber(row.stablecoin_market_cap, usd["stablecoin_market_cap"], "stablecoin");
    ExpectNumber(row.btc_dominance, d["btc_dominance"], "btc_dominance");
    ExpectNumber(row.eth_dominance, d["eth_dominance"], "eth_dominance");
    ExpectInt(row.active_cryptocurrencies, d["active_cryptocurrencies"], "active");
    ExpectInt(row.active_exchanges, d["active_exchanges"], "exchanges");
    ExpectInt(row.active_market_pairs, d["active_market_pairs"], "pairs");
  }
}

TEST(ParserFixturesTest, KeyInfoMatchesTheFile) {
  std::string body = Payload("key_info_v1_consensus-cmc_2026-09-27.json");
  auto info = ParseKeyInfo(body);
  ASSERT_OK(info);
  json doc = json::parse(body);
  ExpectStatus(info->status, doc);
  const json& plan = doc["data"]["plan"];
  const json& usage = doc["data"]["usage"];
  EXPECT_EQ(info->credit_limit_monthly, plan["credit_limit_monthly"].get<int64_t>());
  EXPECT_EQ(FormatIso8601(*info->credit_limit_monthly_reset),
            plan["credit_limit_monthly_reset_timestamp"].get<std::string>());
  EXPECT_EQ(info->rate_limit_minute, plan["rate_limit_minute"].get<int64_t>());
  EXPECT_EQ(info->minute_requests_left, usage["current_minute"]["requests_left"].get<int64_t>());
  EXPECT_EQ(info->day_credits_used, usage["current_day"]["credits_used"].get<int64_t>());
  EXPECT_FALSE(info->day_credits_left.has_value());  // documented, absent in 2026
  EXPECT_EQ(info->month_credits_used, usage["current_month"]["credits_used"].get<int64_t>());
  EXPECT_EQ(info->month_credits_left, usage["current_month"]["credits_left"].get<int64_t>());
}

TEST(ParserFixturesTest, MapMatchesTheFile) {
  std::string body = Payload("map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json");
  auto map = ParseMap(body);
  ASSERT_OK(map);
  json doc = json::parse(body);
  ExpectStatus(map->status, doc);
  ASSERT_EQ(map->rows.size(), doc["data"].size());
  int btc = 0;
  for (size_t i = 0; i < map->rows.size(); ++i) {
    const MapRow& row = map->rows[i];
    const json& e = doc["data"][i];
    EXPECT_EQ(row.cmc_id, e["id"].get<int64_t>());
    EXPECT_EQ(row.symbol, e["symbol"].get<std::string>());
    EXPECT_EQ(row.name, e["name"].get<std::string>());
    ExpectInt(row.rank, e["rank"], "rank");
    EXPECT_EQ(row.is_active, e["is_active"].get<int64_t>());
    EXPECT_EQ(row.first_historical_data.has_value(), e.contains("first_historical_data"));
    if (row.last_historical_data) {
      EXPECT_EQ(FormatIso8601(*row.last_historical_data),
                e["last_historical_data"].get<std::string>());
    }
    EXPECT_EQ(row.has_platform, !e["platform"].is_null());
    if (row.has_platform) {
      EXPECT_EQ(row.platform_id, e["platform"]["id"].get<int64_t>());
      EXPECT_EQ(row.platform_symbol, e["platform"]["symbol"].get<std::string>());
      EXPECT_EQ(row.token_address, e["platform"]["token_address"].get<std::string>());
    }
    btc += row.symbol == "BTC";
  }
  EXPECT_EQ(btc, 13);  // SOURCES.md: symbols are not unique
}

TEST(ParserFixturesTest, ErrorFixtureIsFailedPreconditionForEveryParser) {
  std::string body =
      Payload("error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json");
  EXPECT_EQ(ParseQuotes(body).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseGlobalMetrics(body).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseKeyInfo(body).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseMap(body).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ParserFixturesTest, UnknownFieldsAreIgnoredButNoticed) {
  auto payload = ParseListings(R"({"status":{"timestamp":"2026-01-01T00:00:00.000Z",
    "error_code":"0","brand_new_status":1},"data":[{"id":1,"zz_new_coin_field":{"a":[1,2]},
    "quote":{"USD":{"price":1,"zz_new_quote_field":null}}}]})");
  ASSERT_OK(payload);
  auto noticed = NoticedUnknownFields();
  for (const char* f :
       {"status.brand_new_status", "coin.zz_new_coin_field", "quote.zz_new_quote_field"}) {
    EXPECT_NE(std::find(noticed.begin(), noticed.end(), f), noticed.end()) << f;
  }
  // Known-but-unstored fields are not "new".
  EXPECT_EQ(std::find(noticed.begin(), noticed.end(), "coin.tags"), noticed.end());
}

// Field names come from the payload: a hostile answer with thousands of new names must not
// grow the noticed set (or the log) without bound.
TEST(ParserFixturesTest, NoticedFieldsAreCapped) {
  ForgetNoticedFieldsForTest();  // earlier tests in this process noticed fields of their own
  std::string coin = R"({"id":1,"quote":{"USD":{"price":1}}})";
  for (int i = 0; i < 3 * static_cast<int>(kMaxNoticedFields); ++i) {
    coin.insert(1, fmt::format(R"("hostile_field_{}":0,)", i));
  }
  std::string body = fmt::format(
      R"({{"status":{{"timestamp":"2026-01-01T00:00:00.000Z","error_code":0}},"data":[{}]}})",
      coin);
  ::testing::internal::CaptureStdout();
  auto first = ParseListings(body);
  auto second = ParseListings(body);
  std::string log = ::testing::internal::GetCapturedStdout();
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(NoticedUnknownFields().size(), kMaxNoticedFields);
  size_t said = 0;
  for (size_t pos = log.find("no longer noticing"); pos != std::string::npos;
       pos = log.find("no longer noticing", pos + 1)) {
    ++said;
  }
  EXPECT_EQ(said, 1u) << "the cap is said once";
  ForgetNoticedFieldsForTest();  // later tests in this process notice their own fields again
  EXPECT_TRUE(NoticedUnknownFields().empty());
}

TEST(ParserFixturesTest, NumbersInEveryForm) {
  auto payload = ParseListings(R"({"status":{"timestamp":"2026-01-01T00:00:00.000Z","error_code":0},
    "data":[{"id":1,"cmc_rank":1.0,"max_supply":21000000,"total_supply":2.1e7,
    "circulating_supply":null,"quote":{"USD":{"price":8.622024843438671e-07,
    "market_cap":325343133402.352488827855408384,"volume_24h":0,"percent_change_1h":-0.5}}}]})");
  ASSERT_OK(payload);
  const QuoteRow& row = payload->rows[0];
  EXPECT_EQ(row.cmc_rank, 1);
  EXPECT_DOUBLE_EQ(*row.max_supply, 21e6);
  EXPECT_DOUBLE_EQ(*row.total_supply, 21e6);
  EXPECT_FALSE(row.circulating_supply.has_value());
  EXPECT_DOUBLE_EQ(*row.price, 8.622024843438671e-07);
  EXPECT_DOUBLE_EQ(*row.market_cap, 325343133402.352488827855408384);
  EXPECT_DOUBLE_EQ(*row.volume_24h, 0);
  EXPECT_DOUBLE_EQ(*row.percent_change_1h, -0.5);
}

TEST(ParserFixturesTest, GarbageNeverCrashesAnyParser) {
  std::string body = Payload("quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json");
  for (size_t cut = 0; cut < body.size(); cut += 37) {
    std::string part = body.substr(0, cut);
    EXPECT_FALSE(ParseQuotes(part).ok()) << cut;
    EXPECT_FALSE(ParseMap(part).ok()) << cut;
    EXPECT_FALSE(ParseGlobalMetrics(part).ok()) << cut;
    EXPECT_FALSE(ParseKeyInfo(part).ok()) << cut;
    (void)DetectPayloadKind(part);
  }
  auto bad_surrogate = ParseQuotes(R"({"status":{"timestamp":"2026-01-01T00:00:00Z","error_code":0},
    "data":{"1":{"id":1,"name":"\ud83d","quote":{}}}})");
  ASSERT_FALSE(bad_surrogate.ok());
  EXPECT_EQ(bad_surrogate.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_surrogate.status().message().find("byte"), std::string::npos)
      << bad_surrogate.status().message();
}

}  // namespace
}  // namespace coinlake::cmc
