#include "cmc/parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::cmc {
namespace {

using coinlake::testing::ReadFixture;

TEST(ParserTest, ListingsTop100MatchesTheFile) {
  std::string body = ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json");
  auto payload = ParseListings(body);
  ASSERT_OK(payload);
  // Independent reading of the same file (nlohmann) as the oracle.
  auto doc = nlohmann::json::parse(body);
  ASSERT_EQ(payload->rows.size(), doc["data"].size());
  EXPECT_EQ(FormatIso8601(payload->status.timestamp), doc["status"]["timestamp"]);
  EXPECT_EQ(payload->status.total_count, doc["status"]["total_count"].get<int64_t>());
  int null_max_supply = 0;
  for (size_t i = 0; i < payload->rows.size(); ++i) {
    const QuoteRow& row = payload->rows[i];
    const auto& coin = doc["data"][i];
    const auto& usd = coin["quote"]["USD"];
    EXPECT_EQ(row.cmc_id, coin["id"].get<int64_t>());
    EXPECT_EQ(row.symbol, coin["symbol"].get<std::string>());
    EXPECT_EQ(row.quote_currency, "USD");
    EXPECT_DOUBLE_EQ(*row.price, usd["price"].get<double>()) << row.symbol;
    EXPECT_DOUBLE_EQ(*row.market_cap, usd["market_cap"].get<double>());
    EXPECT_EQ(FormatIso8601(row.ts), usd["last_updated"].get<std::string>());
    EXPECT_EQ(row.cmc_rank, coin["cmc_rank"].get<int64_t>());
    if (coin["max_supply"].is_null()) {
      EXPECT_FALSE(row.max_supply.has_value());
      ++null_max_supply;
    } else {
      EXPECT_DOUBLE_EQ(*row.max_supply, coin["max_supply"].get<double>());
    }
  }
  EXPECT_EQ(null_max_supply, 64);  // SOURCES.md: 64 of the top 100 have no max supply
}

TEST(ParserTest, RawListingsWithLongNumbersAndStatusLast) {
  auto payload =
      ParseListings(ReadFixture("listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json"));
  ASSERT_OK(payload);
  ASSERT_EQ(payload->rows.size(), 2u);
  EXPECT_EQ(payload->status.total_count, 8161);
  EXPECT_EQ(FormatIso8601(payload->status.timestamp), "2026-09-29T03:55:03.728Z");
  const QuoteRow& btc = payload->rows[0];
  EXPECT_EQ(btc.cmc_id, 1);
  EXPECT_DOUBLE_EQ(*btc.price, 83117.4725372611);
  EXPECT_DOUBLE_EQ(*btc.market_cap, 1669902418592.1554534181);  // 20+ significant digits
  EXPECT_DOUBLE_EQ(*btc.max_supply, 21000000);                  // an integer where a double goes
  EXPECT_EQ(FormatIso8601(btc.ts), "2026-09-29T03:54:00.000Z");
  EXPECT_FALSE(payload->rows[1].max_supply.has_value());  // ETH: null
}

// A `quote` map holds currencies. A key beside USD that is no currency code (a field CMC may
// add there) never becomes a row, whatever its value, and is noticed like any new field.
TEST(ParserTest, QuoteMapKeysThatAreNoCurrencyAreNoticedNotLoaded) {
  ForgetNoticedFieldsForTest();
  auto listings = nlohmann::json::parse(
      ReadFixture("listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json"));
  for (auto& coin : listings["data"]) {
    coin["quote"]["tvl"] = coin["quote"]["USD"];  // an object shaped exactly like a quote
    coin["quote"]["updated_at"] = "2026-09-29T03:54:00.000Z";
  }
  auto payload = ParseListings(listings.dump());
  ASSERT_OK(payload);
  ASSERT_EQ(payload->rows.size(), 2u);
  for (const QuoteRow& row : payload->rows) EXPECT_EQ(row.quote_currency, "USD");

  auto global = nlohmann::json::parse(
      ReadFixture("global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json"));
  global["data"]["quote"]["defi_stats"] = global["data"]["quote"]["USD"];
  auto metrics = ParseGlobalMetrics(global.dump());
  ASSERT_OK(metrics);
  ASSERT_EQ(metrics->rows.size(), 1u);
  EXPECT_EQ(metrics->rows[0].quote_currency, "USD");

  auto history = nlohmann::json::parse(
      ReadFixture("quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json"));
  size_t points = history["data"]["quotes"].size();
  for (auto& point : history["data"]["quotes"]) point["quote"]["source"] = "aggregated";
  auto historical = ParseQuotesHistorical(history.dump());
  ASSERT_OK(historical);
  EXPECT_EQ(historical->rows.size(), points);

  auto noticed = NoticedUnknownFields();
  for (const char* field :
       {"quote_map.tvl", "quote_map.updated_at", "quote_map.defi_stats", "quote_map.source"}) {
    EXPECT_NE(std::find(noticed.begin(), noticed.end(), field), noticed.end()) << field;
  }
  ForgetNoticedFieldsForTest();
}

// Currency codes as CMC writes them: fiat, crypto symbols with digits or a lowercase prefix,
// and CMC ids (convert_id) each give a row.
TEST(ParserTest, QuoteMapCurrencyCodesAreRows) {
  auto listings = nlohmann::json::parse(
      ReadFixture("listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json"));
  auto& quote = listings["data"][0]["quote"];
  for (const char* code : {"BRL", "EUR", "1INCH", "sUSD", "2781"}) quote[code] = quote["USD"];
  auto payload = ParseListings(listings.dump());
  ASSERT_OK(payload);
  std::vector<std::string> currencies;
  for (const QuoteRow& row : payload->rows) {
    if (row.cmc_id == 1) currencies.push_back(row.quote_currency);
  }
  std::sort(currencies.begin(), currencies.end());
  EXPECT_EQ(currencies, (std::vector<std::string>{"1INCH", "2781", "BRL", "EUR", "USD", "sUSD"}));
}

TEST(ParserTest, ErrorBodyIsAnError) {
  auto envelope = nlohmann::json::parse(
      ReadFixture("error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json"));
  std::string body = envelope["response"]["body"].dump();
  auto status = ParseStatus(body);
  ASSERT_OK(status);
  EXPECT_EQ(status->error_code, 1006);
  auto listings = ParseListings(body);
  EXPECT_EQ(listings.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(listings.status().message().find("1006"), std::string::npos);
}

TEST(ParserTest, StringErrorCodeOfNewerEndpoints) {
  auto status = ParseStatus(
      R"({"status":{"timestamp":"2026-09-24T16:03:47.699Z","error_code":"1002","error_message":"API key missing."}})");
  ASSERT_OK(status);
  EXPECT_EQ(status->error_code, 1002);
}

TEST(ParserTest, UnicodeEscapesAndRawUtf8Decode) {
  std::string body =
      R"({"data":[{"id":7,"name":"\u00c6ternity \ud83d\ude80","symbol":"HDP.ф","slug":"x",
    "quote":{"USD":{"price":1e-7,"last_updated":"2026-01-01T00:00:00.000Z"}}}],
    "status":{"timestamp":"2026-01-01T00:00:05.000Z","error_code":0}})";
  auto payload = ParseListings(body);
  ASSERT_OK(payload);
  EXPECT_EQ(payload->rows[0].name, "Æternity 🚀");
  EXPECT_EQ(payload->rows[0].symbol, "HDP.ф");
  EXPECT_DOUBLE_EQ(*payload->rows[0].price, 1e-7);
}

TEST(ParserTest, BadInputSaysWhere) {
  std::string body = ReadFixture("listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json");
  for (size_t cut : {size_t{0}, size_t{1}, size_t{100}, body.size() / 2, body.size() - 1}) {
    auto payload = ParseListings(body.substr(0, cut));
    EXPECT_EQ(payload.status().code(), StatusCode::kInvalidArgument) << "cut at " << cut;
  }
  auto wrong_type = ParseListings(R"({"status":{"timestamp":"2026-01-01T00:00:00Z","error_code":0},
    "data":[{"id":1,"quote":{"USD":{"price":"12.5"}}}]})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("data[0].quote.USD.price"), std::string::npos)
      << wrong_type.status().message();
  EXPECT_FALSE(ParseListings("<html>502 Bad Gateway</html>").ok());
  EXPECT_FALSE(ParseListings(R"({"data":[]})").ok());  // no status
}

// A body with the given `data`, for the historical placement and hostile-input cases.
std::string WithData(const std::string& data) {
  return R"({"status":{"timestamp":"2026-01-01T00:00:00.000Z","error_code":0},"data":)" + data +
         "}";
}

constexpr char kPoint[] =
    R"({"timestamp":"2026-01-01T00:00:00.000Z","quote":{"USD":{"price":2,"market_cap":3}}})";
constexpr char kBar[] =
    R"({"time_open":"2026-01-01T00:00:00.000Z","time_close":"2026-01-01T23:59:59.999Z",)"
    R"("quote":{"USD":{"open":1,"high":2,"low":0.5,"close":1.5,"volume":9,"market_cap":7}}})";

std::string Coin(int id, const std::string& symbol, const std::string& point) {
  return fmt::format(R"({{"id":{},"name":"n{}","symbol":"{}","quotes":[{}]}})", id, id, symbol,
                     point);
}

// Invalid, and the message names where.
void ExpectInvalidAt(const Status& status, std::string_view where) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find(where), std::string::npos) << status.ToString();
}

TEST(ParserTest, HistoricalPlacementsAreDetectedAndParsed) {
  const std::string one = Coin(1, "BTC", kPoint);
  const std::string two = Coin(1027, "ETH", kPoint);
  for (const std::string& data :
       {one, "{\"1\":" + one + ",\"1027\":" + two + "}",
        "{\"BTC\":[" + one + "],\"ETH\":[" + two + "]}",
        // quotes before id, as in the real v2 answer
        R"({"1":{"quotes":[)" + std::string(kPoint) + R"(],"id":1,"symbol":"BTC"}})"}) {
    std::string body = WithData(data);
    ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
    EXPECT_EQ(kind, PayloadKind::kQuotesHistorical) << data;
    ASSERT_OK_AND_ASSIGN(QuotesPayload p, ParseQuotesHistorical(body));
    ASSERT_FALSE(p.rows.empty()) << data;
    EXPECT_EQ(p.rows[0].cmc_id, 1) << data;
    EXPECT_EQ(p.rows[0].symbol, "BTC") << data;
    EXPECT_DOUBLE_EQ(*p.rows[0].price, 2) << data;
    EXPECT_EQ(FormatIso8601(p.rows[0].ts), "2026-01-01T00:00:00.000Z") << data;
  }
  const std::string bars = Coin(1, "BTC", kBar);
  for (const std::string& data : {bars, "{\"1\":" + bars + "}", "{\"BTC\":[" + bars + "]}"}) {
    std::string body = WithData(data);
    ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
    EXPECT_EQ(kind, PayloadKind::kOhlcvHistorical) << data;
    ASSERT_OK_AND_ASSIGN(OhlcvPayload p, ParseOhlcvHistorical(body));
    ASSERT_EQ(p.rows.size(), 1u) << data;
    EXPECT_DOUBLE_EQ(*p.rows[0].low, 0.5);
    EXPECT_EQ(FormatIso8601(p.rows[0].time_close), "2026-01-01T23:59:59.999Z");
  }
  std::string global =
      WithData(R"({"quotes":[{"timestamp":"2026-01-01T00:00:00.000Z","btc_dominance":50,)"
               R"("quote":{"USD":{"total_market_cap":10,"total_volume_24h":1}}}]})");
  ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(global));
  EXPECT_EQ(kind, PayloadKind::kGlobalMetricsHistorical);
  ASSERT_OK_AND_ASSIGN(GlobalMetricsPayload g, ParseGlobalMetricsHistorical(global));
  ASSERT_EQ(g.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*g.rows[0].btc_dominance, 50);
  EXPECT_DOUBLE_EQ(*g.rows[0].total_market_cap, 10);
  EXPECT_EQ(FormatIso8601(g.rows[0].ts), "2026-01-01T00:00:00.000Z");
}

// CMC answers a window without data with empty quotes[]: no rows, and no error.
TEST(ParserTest, EmptyHistoryIsZeroRows) {
  std::string body = WithData(R"({"1":{"id":1,"symbol":"BTC","quotes":[]}})");
  ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
  EXPECT_EQ(kind, PayloadKind::kQuotesHistorical);
  ASSERT_OK_AND_ASSIGN(QuotesPayload q, ParseQuotesHistorical(body));
  EXPECT_TRUE(q.rows.empty());
  ASSERT_OK_AND_ASSIGN(OhlcvPayload o, ParseOhlcvHistorical(body));
  EXPECT_TRUE(o.rows.empty());
  ASSERT_OK_AND_ASSIGN(GlobalMetricsPayload g,
                       ParseGlobalMetricsHistorical(WithData(R"({"quotes":[]})")));
  EXPECT_TRUE(g.rows.empty());
}

// What the parser cannot place fails loudly with the JSON path, never as no rows or nulls.
TEST(ParserTest, UnplaceableHistoryFailsLoudly) {
  // Bars read as quotes would be rows of null prices, quote points read as bars null OHLC.
  ExpectInvalidAt(ParseQuotesHistorical(WithData(Coin(1, "X", kBar))).status(),
                  "data.quotes[0].time_open");
  ExpectInvalidAt(
      ParseQuotesHistorical(WithData(R"({"1":{"id":1,"quotes":[{"timestamp":)"
                                     R"("2026-01-01T00:00:00Z","quote":{"USD":{"open":1}}}]}})"))
          .status(),
      "data.1.quotes[0].quote.USD");
  ExpectInvalidAt(ParseOhlcvHistorical(WithData(Coin(1, "X", kPoint))).status(),
                  "data.quotes[0].quote.USD");
  ExpectInvalidAt(
      ParseOhlcvHistorical(WithData(R"({"BTC":[{"id":1,"quotes":[{"quote":{}}]}]})")).status(),
      "data.BTC[0].quotes[0]");
  ExpectInvalidAt(
      ParseGlobalMetricsHistorical(WithData(R"({"quotes":[{"timestamp":"2026-01-01T00:00:00Z",)"
                                            R"("quote":{"USD":{"price":1}}}]})"))
          .status(),
      "data.quotes[0].quote.USD");
  // quotes[] entries that are neither points nor bars.
  ExpectInvalidAt(ParseQuotesHistorical(WithData(Coin(1, "X", "{\"x\":1}"))).status(),
                  "data.quotes[0]");
  ExpectInvalidAt(ParseQuotesHistorical(WithData(Coin(1, "X", "42"))).status(), "data.quotes[0]");
  ExpectInvalidAt(ParseOhlcvHistorical(WithData(Coin(1, "X", "[]"))).status(), "data.quotes[0]");
  // A point without any time.
  ExpectInvalidAt(
      ParseQuotesHistorical(WithData(Coin(1, "X", R"({"quote":{"USD":{"price":1}}})"))).status(),
      "data");
  // data neither object nor array, or of the wrong kind.
  for (const char* data : {"42", "\"text\"", "null", "[]"}) {
    EXPECT_EQ(ParseQuotesHistorical(WithData(data)).status().code(), StatusCode::kInvalidArgument)
        << data;
    EXPECT_EQ(ParseOhlcvHistorical(WithData(data)).status().code(), StatusCode::kInvalidArgument)
        << data;
    EXPECT_EQ(ParseGlobalMetricsHistorical(WithData(data)).status().code(),
              StatusCode::kInvalidArgument)
        << data;
  }
  ExpectInvalidAt(DetectPayloadKind(WithData("42")).status(), "data");
  // A coin without id, or without quotes[]; a map whose values are not coins.
  ExpectInvalidAt(ParseQuotesHistorical(WithData(R"({"quotes":[]})")).status(), "no id");
  ExpectInvalidAt(ParseOhlcvHistorical(WithData(R"({"1":{"id":1}})")).status(), "data.1");
  ExpectInvalidAt(ParseQuotesHistorical(WithData(R"({"1":{"id":1,"quotes":{}}})")).status(),
                  "data.1.quotes");
  ExpectInvalidAt(ParseGlobalMetricsHistorical(WithData(R"({"btc_dominance":1})")).status(),
                  "quotes");
  // Garbage cut anywhere never crashes and never parses.
  std::string body = WithData("{\"1\":" + Coin(1, "BTC", kBar) + "}");
  for (size_t cut = 0; cut < body.size(); cut += 7) {
    std::string part = body.substr(0, cut);
    EXPECT_FALSE(ParseOhlcvHistorical(part).ok()) << cut;
    EXPECT_FALSE(ParseQuotesHistorical(part).ok()) << cut;
    EXPECT_FALSE(ParseGlobalMetricsHistorical(part).ok()) << cut;
    (void)DetectPayloadKind(part);
  }
}

}  // namespace
}  // namespace coinlake::cmc
