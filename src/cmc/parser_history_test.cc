// Every real CMC response in tests/fixtures/cmc and tests/fixtures/cmc-more, parsed by the parser
// DetectPayloadKind picks for it, with values checked against the file; and the simulator's
// historical answers parsed back into what its market holds (issue #23).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cmc/inspect.h"
#include "cmc/market.h"
#include "cmc/parser.h"
#include "cmc/parser_test_util.h"
#include "cmc/sim_http_test_fixture.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::cmc {
namespace {

using nlohmann::json;

// Both fixture directories, by the name the expectations use.
const std::map<std::string, std::string>& FixtureDirs() {
  static const auto* dirs = new std::map<std::string, std::string>{
      {"cmc", COINLAKE_FIXTURES_DIR}, {"cmc-more", COINLAKE_MORE_FIXTURES_DIR}};
  return *dirs;
}

// Recorder envelopes keep the CMC payload at .response.body; others are the payload itself.
std::string Payload(const std::string& dir, const std::string& name) {
  std::string text = coinlake::testing::ReadFile(FixtureDirs().at(dir) + "/" + name);
  json doc = json::parse(text);
  if (doc.contains("response") && doc["response"].contains("body")) {
    return doc["response"]["body"].dump();
  }
  return text;
}
std::string More(const std::string& name) { return Payload("cmc-more", name); }

struct Expected {
  PayloadKind kind;
  size_t rows;  // rows the parser of that kind yields (0 for errors)
};

// Every JSON file of both directories, with its kind and row count: a new file fails the
// coverage test until it is added here (and checked below).
const std::map<std::string, Expected>& Expectations() {
  static const auto* expected = new std::map<std::string, Expected>{
      // tests/fixtures/cmc
      {"cmc/error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json",
       {PayloadKind::kError, 0}},
      {"cmc/global_metrics_quotes_latest_v1_SANDBOX_randomized_alyshawang_2023-09-20.json",
       {PayloadKind::kGlobalMetrics, 1}},
      {"cmc/global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json",
       {PayloadKind::kGlobalMetrics, 1}},
      {"cmc/key_info_v1_consensus-cmc_2026-09-27.json", {PayloadKind::kKeyInfo, 1}},
      {"cmc/listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json",
       {PayloadKind::kListings, 2}},
      {"cmc/listings_latest_v1_top100_duedill_2025-02-08.json", {PayloadKind::kListings, 100}},
      {"cmc/map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json",
       {PayloadKind::kMap, 0 /* checked by parser_fixtures_test */}},
      {"cmc/quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json",
       {PayloadKind::kQuotesHistorical, 0 /* checked by parser_fixtures_test */}},
      {"cmc/quotes_latest_v1_by_symbol_BTC_ETH_consensus-cmc_2026-09-25.json",
       {PayloadKind::kQuotes, 2}},
      {"cmc/quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json", {PayloadKind::kQuotes, 1}},
      // tests/fixtures/cmc-more
      {"cmc-more/error_403_1006_string-code_v5-rwa_second-opinion_2026-09-24.json",
       {PayloadKind::kError, 0}},
      {"cmc-more/global_metrics_quotes_latest_v1_convert_BTC_SGD_xerox78_2024-01-24.json",
       {PayloadKind::kGlobalMetrics, 2}},
      {"cmc-more/key_info_v1_xerox78_2024-01-22.json", {PayloadKind::kKeyInfo, 1}},
      {"cmc-more/listings_latest_v1_limit1000_scottjoyner_2021-06-29_RECONSTRUCTED.json",
       {PayloadKind::kListings, 1000}},
      {"cmc-more/listings_latest_v1_top100_konrad_2024-03-17.json", {PayloadKind::kListings, 100}},
      {"cmc-more/listings_latest_v1_top20_visyntro_2024-09-17.json", {PayloadKind::kListings, 20}},
      {"cmc-more/map_v1_limit10000_crypto-to-fiat_2022-04-22.json", {PayloadKind::kMap, 10000}},
      {"cmc-more/ohlcv_historical_v1_daily_DAFI_pegasus_2021-06-28.json",
       {PayloadKind::kOhlcvHistorical, 2}},
      {"cmc-more/ohlcv_historical_v1_hourly_DAFI_pegasus_2021-06-28.json",
       {PayloadKind::kOhlcvHistorical, 2}},
      {"cmc-more/ohlcv_historical_v2_SANDBOX_randomized_xerox78_2024-01-16.json",
       {PayloadKind::kOhlcvHistorical, 20}},
      {"cmc-more/quotes_historical_v2_by_id_BTC_ADA_javareser_xerox78_2024-01-16.json",
       {PayloadKind::kQuotesHistorical, 2}},
      {"cmc-more/quotes_latest_v1_by_symbol_ADA_AE_AGV_trimmed_kserg_2023-05-20.json",
       {PayloadKind::kQuotes, 3}},
      {"cmc-more/quotes_latest_v1_by_symbol_HERO_konrad_2024-03-17.json",
       {PayloadKind::kQuotes, 1}},
      {"cmc-more/quotes_latest_v2_by_id_BTC_ADA_javareser_xerox78_2024-01-16.json",
       {PayloadKind::kQuotes, 2}},
      {"cmc-more/quotes_latest_v2_by_symbol_13sym_iiportfo_2021-04-23.json",
       {PayloadKind::kQuotes, 17}},
  };
  return *expected;
}

// Rows the parser of `kind` yields for `body`; errors go through every parser as
// FAILED_PRECONDITION and yield none.
StatusOr<size_t> ParsedRows(PayloadKind kind, const std::string& body) {
  switch (kind) {
    case PayloadKind::kError: {
      ASSIGN_OR_RETURN(ResponseStatus status, ParseStatus(body));
      if (status.error_code == 0) return InternalError("an error payload with error_code 0");
      for (Status s : {ParseQuotes(body).status(), ParseQuotesHistorical(body).status(),
                       ParseOhlcvHistorical(body).status(),
                       ParseGlobalMetricsHistorical(body).status(), ParseMap(body).status()}) {
        if (s.code() != StatusCode::kFailedPrecondition) return InternalError(s.ToString());
      }
      return size_t{0};
    }
    case PayloadKind::kListings: {
      ASSIGN_OR_RETURN(QuotesPayload p, ParseListings(body));
      return p.rows.size();
    }
    case PayloadKind::kQuotes: {
      ASSIGN_OR_RETURN(QuotesPayload p, ParseQuotes(body));
      return p.rows.size();
    }
    case PayloadKind::kQuotesHistorical: {
      ASSIGN_OR_RETURN(QuotesPayload p, ParseQuotesHistorical(body));
      return p.rows.size();
    }
    case PayloadKind::kOhlcvHistorical: {
      ASSIGN_OR_RETURN(OhlcvPayload p, ParseOhlcvHistorical(body));
      return p.rows.size();
    }
    case PayloadKind::kGlobalMetrics: {
      ASSIGN_OR_RETURN(GlobalMetricsPayload p, ParseGlobalMetrics(body));
      return p.rows.size();
    }
    case PayloadKind::kGlobalMetricsHistorical: {
      ASSIGN_OR_RETURN(GlobalMetricsPayload p, ParseGlobalMetricsHistorical(body));
      return p.rows.size();
    }
    case PayloadKind::kKeyInfo: {
      ASSIGN_OR_RETURN(KeyInfo k, ParseKeyInfo(body));
      return size_t{1};
    }
    case PayloadKind::kMap: {
      ASSIGN_OR_RETURN(MapPayload p, ParseMap(body));
      return p.rows.size();
    }
  }
  return InternalError("unknown kind");
}

// The files are listed at test time: a file added to either directory without an expectation
// fails here.
TEST(ParserHistoryTest, EveryRealFileIsCoveredDetectedAndParsed) {
  std::set<std::string> seen;
  for (const auto& [dir, path] : FixtureDirs()) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      std::string file = entry.path().filename().string();
      if (!file.ends_with(".json")) {
        EXPECT_TRUE(file == "SOURCES.md" || file == "expect.py") << "unexpected file " << file;
        continue;
      }
      std::string name = dir + "/" + file;
      seen.insert(name);
      auto it = Expectations().find(name);
      ASSERT_NE(it, Expectations().end()) << "real file without an expectation: " << name;
      std::string body = Payload(dir, file);
      ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
      EXPECT_EQ(PayloadKindName(kind), PayloadKindName(it->second.kind)) << name;
      auto rows = ParsedRows(kind, body);
      ASSERT_TRUE(rows.ok()) << name << ": " << rows.status().ToString();
      if (it->second.rows != 0) {
        EXPECT_EQ(*rows, it->second.rows) << name;
      }
    }
  }
  EXPECT_EQ(seen.size(), Expectations().size()) << "an expectation names a missing file";
}

// `coinlake inspect`'s path prints a row per parsed row for every real file of cmc-more, OHLCV
// bars with their prices; a CMC error is an error, and so is a payload it cannot place.
TEST(ParserHistoryTest, InspectPrintsEveryRealFile) {
  for (const auto& [name, want] : Expectations()) {
    if (!name.starts_with("cmc-more/") || want.kind == PayloadKind::kKeyInfo) continue;
    std::string body = More(name.substr(std::string("cmc-more/").size()));
    std::ostringstream out;
    Status status = WritePayloadRows(body, out);
    if (want.kind == PayloadKind::kError) {
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
      continue;
    }
    ASSERT_TRUE(status.ok()) << name << ": " << status.ToString();
    std::istringstream lines(out.str());
    size_t rows = 0;
    for (std::string line; std::getline(lines, line); ++rows) {
      json row = json::parse(line);
      EXPECT_EQ(row["kind"], PayloadKindName(want.kind)) << name;
      if (want.kind == PayloadKind::kOhlcvHistorical) {
        for (const char* f : {"open", "high", "low", "close"}) {
          EXPECT_TRUE(row[f].is_number()) << name << " " << f;
        }
      }
    }
    EXPECT_EQ(rows, want.rows) << name;
  }
  std::ostringstream out;
  Status bars_as_nothing = WritePayloadRows(
      R"({"status":{"timestamp":"2026-01-01T00:00:00Z","error_code":0},"data":{"id":1,)"
      R"("quotes":[{"time_open":"2026-01-01T00:00:00Z","quote":{"USD":{"price":1}}}]}})",
      out);
  EXPECT_EQ(bars_as_nothing.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.str().empty());
}

// The issue's count: every latest listings and quotes row of cmc-more is read.
TEST(ParserHistoryTest, LatestListingsAndQuotesOfCmcMoreAre1143Rows) {
  size_t total = 0;
  for (const auto& [name, want] : Expectations()) {
    if (!name.starts_with("cmc-more/")) continue;
    if (want.kind != PayloadKind::kListings && want.kind != PayloadKind::kQuotes) continue;
    std::string body = More(name.substr(std::string("cmc-more/").size()));
    auto rows = ParsedRows(want.kind, body);
    ASSERT_TRUE(rows.ok()) << name << ": " << rows.status().ToString();
    total += *rows;
  }
  EXPECT_EQ(total, 1143u);
}

// Spot values quoted in cmc-more/SOURCES.md (read there with Python's json module).
TEST(ParserHistoryTest, LatestFilesKeepOddValues) {
  ASSERT_OK_AND_ASSIGN(
      QuotesPayload big,
      ParseListings(
          More("listings_latest_v1_limit1000_scottjoyner_2021-06-29_RECONSTRUCTED.json")));
  std::map<int64_t, const QuoteRow*> big_by_id;
  for (const QuoteRow& r : big.rows) big_by_id[r.cmc_id] = &r;
  EXPECT_EQ(big_by_id.at(9114)->symbol, "\u03a4BTC");
  EXPECT_EQ(big_by_id.at(9114)->name, "\u03c4Bitcoin");
  EXPECT_DOUBLE_EQ(*big_by_id.at(9436)->price, 6.315931e-8);
  EXPECT_EQ(big.rows.back().symbol, "AOG");
  EXPECT_DOUBLE_EQ(*big.rows.back().price, 0.07472811911757);

  ASSERT_OK_AND_ASSIGN(
      QuotesPayload by_symbol,
      ParseQuotes(More("quotes_latest_v2_by_symbol_13sym_iiportfo_2021-04-23.json")));
  const QuoteRow* atomic = nullptr;
  for (const QuoteRow& r : by_symbol.rows) {
    if (r.cmc_id == 1420) atomic = &r;
  }
  ASSERT_NE(atomic, nullptr);
  EXPECT_EQ(atomic->name, "Atomic Coin");
  EXPECT_FALSE(atomic->cmc_rank.has_value());
  EXPECT_DOUBLE_EQ(*atomic->price, 0.00014288);

  ASSERT_OK_AND_ASSIGN(
      QuotesPayload v1,
      ParseQuotes(More("quotes_latest_v1_by_symbol_ADA_AE_AGV_trimmed_kserg_2023-05-20.json")));
  ASSERT_EQ(v1.rows.size(), 3u);
  EXPECT_EQ(v1.rows[1].name, "\u00c6ternity");
  EXPECT_DOUBLE_EQ(*v1.rows[2].price, 0.00022645465584142106);

  ASSERT_OK_AND_ASSIGN(QuotesPayload by_id,
                       ParseQuotes(More("quotes_latest_v2_by_id_BTC_ADA_javareser_"
                                        "xerox78_2024-01-16.json")));
  ASSERT_EQ(by_id.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(*by_id.rows[0].volume_24h, 2.2429715433778847E10);  // Java's upper-case E
  EXPECT_EQ(FormatIso8601(by_id.rows[1].ts), "2024-01-16T15:04:00.000Z");
}

// v2 quotes historical keyed by id, `quotes` before `id` (file #9): one point per coin.
TEST(ParserHistoryTest, QuotesHistoricalV2ById) {
  ASSERT_OK_AND_ASSIGN(
      QuotesPayload p,
      ParseQuotesHistorical(
          More("quotes_historical_v2_by_id_BTC_ADA_javareser_xerox78_2024-01-16.json")));
  EXPECT_EQ(FormatIso8601(p.status.timestamp), "2024-01-16T13:57:39.785Z");
  ASSERT_EQ(p.rows.size(), 2u);
  const QuoteRow& btc = p.rows[0];
  EXPECT_EQ(btc.cmc_id, 1);
  EXPECT_EQ(btc.symbol, "BTC");
  EXPECT_EQ(btc.name, "Bitcoin");
  EXPECT_EQ(btc.quote_currency, "USD");
  EXPECT_EQ(FormatIso8601(btc.ts), "2024-01-16T13:45:00.000Z");
  EXPECT_DOUBLE_EQ(*btc.price, 42950.028213550366);
  EXPECT_DOUBLE_EQ(*btc.volume_24h, 2.100406356876E10);
  EXPECT_DOUBLE_EQ(*btc.market_cap, 8.418261794392832E11);
  EXPECT_DOUBLE_EQ(*btc.total_supply, 19600131);
  EXPECT_DOUBLE_EQ(*btc.circulating_supply, 19600131);
  EXPECT_DOUBLE_EQ(*btc.percent_change_1h, -0.194515980008);
  EXPECT_DOUBLE_EQ(*btc.percent_change_30d, 2.773868061047);
  const QuoteRow& ada = p.rows[1];
  EXPECT_EQ(ada.cmc_id, 2010);
  EXPECT_EQ(ada.symbol, "ADA");
  EXPECT_EQ(ada.name, "Cardano");
  EXPECT_EQ(FormatIso8601(ada.ts), "2024-01-16T13:45:00.000Z");
  EXPECT_DOUBLE_EQ(*ada.price, 0.5407247283238145);
  EXPECT_DOUBLE_EQ(*ada.total_supply, 3.654269745969E10);
}

// Every bar of an OHLCV file against the file read with nlohmann (one coin, or keyed by id).
void ExpectBarsMatchTheFile(const std::string& body, const std::vector<OhlcvRow>& rows) {
  json data = json::parse(body)["data"];
  std::vector<json> coins;
  if (data.contains("quotes")) {
    coins.push_back(data);
  } else {
    for (const auto& [key, coin] : data.items()) coins.push_back(coin);
  }
  size_t at = 0;
  for (const json& coin : coins) {
    for (const json& bar : coin["quotes"]) {
      for (const auto& [currency, q] : bar["quote"].items()) {
        ASSERT_LT(at, rows.size());
        const OhlcvRow& row = rows[at++];
        std::string what = std::to_string(row.cmc_id) + " " + FormatIso8601(row.time_open);
        EXPECT_EQ(row.cmc_id, coin["id"].get<int64_t>()) << what;
        EXPECT_EQ(row.symbol, coin["symbol"].get<std::string>()) << what;
        EXPECT_EQ(row.name, coin["name"].get<std::string>()) << what;
        EXPECT_EQ(row.quote_currency, currency) << what;
        EXPECT_EQ(FormatIso8601(row.time_open), bar["time_open"].get<std::string>()) << what;
        EXPECT_EQ(FormatIso8601(row.time_close), bar["time_close"].get<std::string>()) << what;
        ExpectNumber(row.open, q["open"], what + " open");
        ExpectNumber(row.high, q["high"], what + " high");
        ExpectNumber(row.low, q["low"], what + " low");
        ExpectNumber(row.close, q["close"], what + " close");
        ExpectNumber(row.volume, q["volume"], what + " volume");
        ExpectNumber(row.market_cap, q["market_cap"], what + " market_cap");
      }
    }
  }
  EXPECT_EQ(at, rows.size());
}

TEST(ParserHistoryTest, OhlcvHourlyDafiWithoutVolume) {
  std::string body = More("ohlcv_historical_v1_hourly_DAFI_pegasus_2021-06-28.json");
  ASSERT_OK_AND_ASSIGN(OhlcvPayload p, ParseOhlcvHistorical(body));
  ASSERT_EQ(p.rows.size(), 2u);
  ExpectBarsMatchTheFile(body, p.rows);
  const OhlcvRow& first = p.rows[0];
  EXPECT_EQ(first.cmc_id, 8874);
  EXPECT_EQ(first.symbol, "DAFI");
  EXPECT_EQ(first.name, "DAFI Protocol");
  EXPECT_EQ(first.quote_currency, "USD");
  EXPECT_EQ(FormatIso8601(first.time_open), "2021-06-28T09:00:00.000Z");
  EXPECT_EQ(FormatIso8601(first.time_close), "2021-06-28T09:59:59.999Z");
  EXPECT_DOUBLE_EQ(*first.open, 0.01984605072496);
  EXPECT_DOUBLE_EQ(*first.high, 0.01984762671449);
  EXPECT_DOUBLE_EQ(*first.low, 0.01944127705114);
  EXPECT_DOUBLE_EQ(*first.close, 0.01945004331444);
  EXPECT_FALSE(first.volume.has_value());  // CMC's null hourly volume stays null
  EXPECT_DOUBLE_EQ(*first.market_cap, 5771640.72);
  const OhlcvRow& second = p.rows[1];
  EXPECT_EQ(FormatIso8601(second.time_open), "2021-06-28T10:00:00.000Z");
  EXPECT_DOUBLE_EQ(*second.open, 0.01944665532293);
  EXPECT_DOUBLE_EQ(*second.high, 0.01952834955751);
  EXPECT_DOUBLE_EQ(*second.low, 0.01898509065852);
  EXPECT_DOUBLE_EQ(*second.close, 0.01912046509562);
  EXPECT_FALSE(second.volume.has_value());
  EXPECT_DOUBLE_EQ(*second.market_cap, 5673841.09);
}

TEST(ParserHistoryTest, OhlcvDailyDafiWithVolume) {
  std::string body = More("ohlcv_historical_v1_daily_DAFI_pegasus_2021-06-28.json");
  ASSERT_OK_AND_ASSIGN(OhlcvPayload p, ParseOhlcvHistorical(body));
  ASSERT_EQ(p.rows.size(), 2u);
  ExpectBarsMatchTheFile(body, p.rows);
  EXPECT_EQ(FormatIso8601(p.rows[0].time_open), "2021-06-26T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(p.rows[0].time_close), "2021-06-26T23:59:59.999Z");
  EXPECT_DOUBLE_EQ(*p.rows[0].close, 0.01919132);
  EXPECT_DOUBLE_EQ(*p.rows[0].volume, 153270.54);
  EXPECT_EQ(FormatIso8601(p.rows[1].time_open), "2021-06-27T00:00:00.000Z");
  EXPECT_DOUBLE_EQ(*p.rows[1].close, 0.02026433);
  EXPECT_DOUBLE_EQ(*p.rows[1].volume, 212662.98);
}

// A sandbox answer: random values, so only its shape (keyed by id, 2 coins x 10 bars).
TEST(ParserHistoryTest, OhlcvV2SandboxShape) {
  std::string body = More("ohlcv_historical_v2_SANDBOX_randomized_xerox78_2024-01-16.json");
  ASSERT_OK_AND_ASSIGN(OhlcvPayload p, ParseOhlcvHistorical(body));
  ASSERT_EQ(p.rows.size(), 20u);
  ExpectBarsMatchTheFile(body, p.rows);
  std::map<int64_t, int> bars;
  for (const OhlcvRow& r : p.rows) {
    ++bars[r.cmc_id];
    EXPECT_TRUE(r.open && r.high && r.low && r.close && r.volume && r.market_cap);
  }
  EXPECT_EQ(bars, (std::map<int64_t, int>{{1, 10}, {5934, 10}}));
}

TEST(ParserHistoryTest, GlobalMetricsInBtcAndSgdWithoutUsd) {
  ASSERT_OK_AND_ASSIGN(
      GlobalMetricsPayload p,
      ParseGlobalMetrics(
          More("global_metrics_quotes_latest_v1_convert_BTC_SGD_xerox78_2024-01-24.json")));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].quote_currency, "BTC");
  EXPECT_EQ(p.rows[1].quote_currency, "SGD");
  EXPECT_DOUBLE_EQ(*p.rows[0].total_market_cap, 38941248.28336355);
  EXPECT_DOUBLE_EQ(*p.rows[0].total_volume_24h, 1534732.717155478);
  EXPECT_EQ(FormatIso8601(p.rows[0].ts), "2024-01-24T15:03:00.000Z");
  EXPECT_DOUBLE_EQ(*p.rows[1].total_market_cap, 2076371010372.2886);
  EXPECT_DOUBLE_EQ(*p.rows[1].total_volume_24h, 81832880635.54285);
  EXPECT_EQ(FormatIso8601(p.rows[1].ts), "2024-01-24T15:02:59.000Z");
  for (const GlobalMetricsRow& r : p.rows) {
    EXPECT_DOUBLE_EQ(*r.btc_dominance, 50.376347568468);
    EXPECT_DOUBLE_EQ(*r.eth_dominance, 17.248213538652);
  }
}

TEST(ParserHistoryTest, ErrorWithStringCode) {
  std::string body = More("error_403_1006_string-code_v5-rwa_second-opinion_2026-09-24.json");
  ASSERT_OK_AND_ASSIGN(ResponseStatus status, ParseStatus(body));
  EXPECT_EQ(status.error_code, 1006);
  EXPECT_EQ(status.error_message, "Your API Key subscription plan doesn't support this endpoint.");
  EXPECT_EQ(FormatIso8601(status.timestamp), "2026-09-24T16:05:10.255Z");
  auto ohlcv = ParseOhlcvHistorical(body);
  EXPECT_EQ(ohlcv.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ohlcv.status().message().find("1006"), std::string::npos);
}

TEST(ParserHistoryTest, KeyInfoAndMapOfCmcMore) {
  ASSERT_OK_AND_ASSIGN(KeyInfo info, ParseKeyInfo(More("key_info_v1_xerox78_2024-01-22.json")));
  EXPECT_EQ(info.credit_limit_monthly, 110000);
  EXPECT_EQ(info.rate_limit_minute, 30);
  EXPECT_EQ(info.month_credits_used, 185);
  EXPECT_EQ(info.month_credits_left, 109815);
  EXPECT_EQ(info.day_credits_used, 0);
  EXPECT_FALSE(info.day_credits_left.has_value());
  EXPECT_EQ(FormatIso8601(*info.credit_limit_monthly_reset), "2024-02-11T20:38:04.000Z");

  ASSERT_OK_AND_ASSIGN(MapPayload map,
                       ParseMap(More("map_v1_limit10000_crypto-to-fiat_2022-04-22.json")));
  ASSERT_EQ(map.rows.size(), 10000u);
  const MapRow* pirate = nullptr;
  for (const MapRow& r : map.rows) {
    if (r.cmc_id == 11810) pirate = &r;
  }
  ASSERT_NE(pirate, nullptr);
  EXPECT_EQ(pirate->symbol, "PirateCoin\u2620");
  EXPECT_EQ(pirate->rank, 6190);
}

// The simulator's own historical answers, parsed back: the rows hold what its market holds.
class ParserSimHistoryTest : public sim::SimHttpTest {
 protected:
  static constexpr int kCoins = 300;
  void SetUp() override {
    SimOptions options;
    options.coins = kCoins;
    StartSim(options);
  }
  std::string Body(const std::string& path, const std::map<std::string, std::string>& params) {
    auto response = client_->Get(path, params);
    if (!response.ok()) {
      ADD_FAILURE() << response.status().ToString();
      return "";
    }
    EXPECT_EQ(response->http_status, 200) << path << ": " << response->body;
    return response->body;
  }
  // Parses a quotes historical answer and checks each row against SimMarket::QuoteAt.
  void ExpectQuotes(const std::string& path, const std::map<std::string, std::string>& params,
                    size_t rows) {
    std::string body = Body(path, params);
    ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
    EXPECT_EQ(kind, PayloadKind::kQuotesHistorical) << path;
    ASSERT_OK_AND_ASSIGN(QuotesPayload p, ParseQuotesHistorical(body));
    ASSERT_EQ(p.rows.size(), rows) << path;
    for (const QuoteRow& r : p.rows) {
      const SimCoin* coin = market_.FindById(r.cmc_id);
      ASSERT_NE(coin, nullptr);
      EXPECT_EQ(r.symbol, coin->symbol);
      EXPECT_EQ(r.name, coin->name);
      EXPECT_EQ(r.quote_currency, "USD");
      auto q = market_.QuoteAt(*coin, r.ts);
      ASSERT_TRUE(q.has_value());
      EXPECT_EQ(q->last_updated, r.ts);
      EXPECT_DOUBLE_EQ(*r.price, q->price);
      EXPECT_DOUBLE_EQ(*r.market_cap, q->market_cap);
      EXPECT_DOUBLE_EQ(*r.volume_24h, q->volume_24h);
      EXPECT_DOUBLE_EQ(*r.circulating_supply, q->circulating_supply);
      EXPECT_DOUBLE_EQ(*r.percent_change_24h, q->percent_change_24h);
    }
  }
  void ExpectBars(const std::map<std::string, std::string>& params, std::chrono::minutes period,
                  size_t rows) {
    std::string body = Body("/v2/cryptocurrency/ohlcv/historical", params);
    ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
    EXPECT_EQ(kind, PayloadKind::kOhlcvHistorical);
    ASSERT_OK_AND_ASSIGN(OhlcvPayload p, ParseOhlcvHistorical(body));
    ASSERT_EQ(p.rows.size(), rows);
    for (const OhlcvRow& r : p.rows) {
      const SimCoin* coin = market_.FindById(r.cmc_id);
      ASSERT_NE(coin, nullptr);
      EXPECT_EQ(r.symbol, coin->symbol);
      EXPECT_EQ(r.time_close, r.time_open + period - std::chrono::milliseconds(1));
      SimBar bar = market_.Bar(*coin, r.time_open, r.time_open + period);
      EXPECT_DOUBLE_EQ(*r.open, bar.open);
      EXPECT_DOUBLE_EQ(*r.high, bar.high);
      EXPECT_DOUBLE_EQ(*r.low, bar.low);
      EXPECT_DOUBLE_EQ(*r.close, bar.close);
      EXPECT_DOUBLE_EQ(*r.volume, bar.volume);
      EXPECT_DOUBLE_EQ(*r.market_cap, bar.market_cap);
    }
  }
  SimMarket market_{SimOptions{}.seed, kCoins};
};

TEST_F(ParserSimHistoryTest, QuotesHistoricalEveryPlacement) {
  ExpectQuotes("/v1/cryptocurrency/quotes/historical", {{"id", "1"}, {"count", "3"}}, 3);
  ExpectQuotes("/v1/cryptocurrency/quotes/historical", {{"id", "1,1027"}, {"count", "2"}}, 4);
  ExpectQuotes("/v1/cryptocurrency/quotes/historical", {{"symbol", "BTC"}, {"count", "2"}}, 2);
  ExpectQuotes("/v2/cryptocurrency/quotes/historical", {{"id", "1,1027"}, {"count", "3"}}, 6);
  ExpectQuotes("/v2/cryptocurrency/quotes/historical", {{"symbol", "BTC,ETH"}, {"count", "2"}}, 4);
}

TEST_F(ParserSimHistoryTest, OhlcvHourlyAndDaily) {
  ExpectBars({{"id", "1,1027"},
              {"time_period", "hourly"},
              {"interval", "hourly"},
              {"time_start", "2026-11-27T10:00:00Z"},
              {"time_end", "2026-11-27T13:00:00Z"}},
             std::chrono::hours(1), 6);
  ExpectBars({{"symbol", "BTC"}, {"time_start", "2026-11-20"}, {"time_end", "2026-11-23"}},
             std::chrono::hours(24), 3);
}

TEST_F(ParserSimHistoryTest, GlobalMetricsHistorical) {
  std::string body = Body("/v1/global-metrics/quotes/historical",
                          {{"count", "3"}, {"interval", "1h"}, {"convert", "USD"}});
  ASSERT_OK_AND_ASSIGN(PayloadKind kind, DetectPayloadKind(body));
  EXPECT_EQ(kind, PayloadKind::kGlobalMetricsHistorical);
  ASSERT_OK_AND_ASSIGN(GlobalMetricsPayload p, ParseGlobalMetricsHistorical(body));
  ASSERT_EQ(p.rows.size(), 3u);
  for (const GlobalMetricsRow& r : p.rows) {
    SimMarket::Totals totals = market_.TotalsAt(r.ts);
    EXPECT_EQ(r.quote_currency, "USD");
    EXPECT_DOUBLE_EQ(*r.total_market_cap, totals.market_cap);
    EXPECT_DOUBLE_EQ(*r.total_volume_24h, totals.volume_24h);
    EXPECT_DOUBLE_EQ(*r.btc_dominance, totals.btc_market_cap / totals.market_cap * 100);
    EXPECT_DOUBLE_EQ(*r.eth_dominance, totals.eth_market_cap / totals.market_cap * 100);
    EXPECT_EQ(r.active_cryptocurrencies, totals.coins);
    EXPECT_EQ(r.active_exchanges, 780);
  }
}

}  // namespace
}  // namespace coinlake::cmc
