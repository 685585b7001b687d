// The simulator's historical endpoints over HTTP: the same history as the latest endpoints,
// CMC's parameters, shapes, credits and errors.
#include "cmc/sim_historical.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/client.h"
#include "cmc/market.h"
#include "cmc/sim.h"
#include "cmc/sim_history_params.h"
#include "cmc/sim_http_test_fixture.h"
#include "tests/status_matchers.h"

namespace coinlake::cmc::sim {
namespace {

using Json = nlohmann::json;
using Params = std::map<std::string, std::string>;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

constexpr int kCoins = 300;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class SimHistoricalTest : public SimHttpTest {
 protected:
  void SetUp() override {
    SimOptions options;
    options.coins = kCoins;
    StartSim(options);
  }
};

constexpr char kQuotesV1[] = "/v1/cryptocurrency/quotes/historical";
constexpr char kQuotesV2[] = "/v2/cryptocurrency/quotes/historical";
constexpr char kOhlcv[] = "/v2/cryptocurrency/ohlcv/historical";
constexpr char kGlobal[] = "/v1/global-metrics/quotes/historical";
constexpr char kListings[] = "/v1/cryptocurrency/listings/historical";

// What live polling stored at T is what history answers for T, asked days later.
TEST_F(SimHistoricalTest, HistoryEqualsWhatLivePollingSaw) {
  const TimePoint t = At("2026-11-27T21:50:00Z");
  now_ = t + std::chrono::seconds(10);
  Json live = Get("/v1/cryptocurrency/listings/latest", {{"limit", "40"}});
  Json live_global = Get("/v1/global-metrics/quotes/latest", {});
  now_ = t + days(3);

  std::string ids;
  for (const Json& coin : live["data"]) {
    ids += (ids.empty() ? "" : ",") + std::to_string(coin["id"].get<int64_t>());
  }
  Json history =
      Get(kQuotesV2,
          {{"id", ids}, {"time_start", FormatIso8601(t)}, {"count", "1"}, {"interval", "5m"}});
  for (const Json& coin : live["data"]) {
    std::string id = std::to_string(coin["id"].get<int64_t>());
    const Json& quotes = history["data"][id]["quotes"];
    ASSERT_EQ(quotes.size(), 1u) << id;
    EXPECT_EQ(quotes[0]["timestamp"], coin["last_updated"]) << id;
    EXPECT_EQ(quotes[0]["quote"]["USD"]["price"], coin["quote"]["USD"]["price"]) << id;
    EXPECT_EQ(quotes[0]["quote"]["USD"]["market_cap"], coin["quote"]["USD"]["market_cap"]) << id;
    EXPECT_EQ(quotes[0]["quote"]["USD"]["percent_change_30d"],
              coin["quote"]["USD"]["percent_change_30d"])
        << id;

    // The bars around T hold the live price, and the hour's bar opens with the quote at T's hour.
    Json daily = Get(kOhlcv, {{"id", id},
                              {"time_start", FormatDate(t - days(1))},
                              {"time_end", FormatDate(t)},
                              {"time_period", "daily"}});
    const Json& bars = daily["data"][id]["quotes"];
    ASSERT_EQ(bars.size(), 1u) << id;
    EXPECT_EQ(bars[0]["time_open"], "2026-11-27T00:00:00.000Z");
    EXPECT_EQ(bars[0]["time_close"], "2026-11-27T23:59:59.999Z");
    double price = coin["quote"]["USD"]["price"];
    EXPECT_LE(price, bars[0]["quote"]["USD"]["high"].get<double>()) << id;
    EXPECT_GE(price, bars[0]["quote"]["USD"]["low"].get<double>()) << id;
  }
  // The same for the whole market.
  Json global =
      Get(kGlobal, {{"time_start", FormatIso8601(t)}, {"count", "1"}, {"interval", "5m"}});
  ASSERT_EQ(global["data"]["quotes"].size(), 1u);
  const Json& point = global["data"]["quotes"][0];
  EXPECT_EQ(point["timestamp"], live_global["data"]["last_updated"]);
  EXPECT_EQ(point["quote"]["USD"]["total_market_cap"],
            live_global["data"]["quote"]["USD"]["total_market_cap"]);
  EXPECT_EQ(point["quote"]["USD"]["total_volume_24h"],
            live_global["data"]["quote"]["USD"]["total_volume_24h"]);
  EXPECT_EQ(point["btc_dominance"], live_global["data"]["btc_dominance"]);
  // The latest answer's "yesterday" figures are the market's own a day back.
  Json day_before = Get(kGlobal, {{"time_start", FormatIso8601(t - std::chrono::hours(24))},
                                  {"count", "1"},
                                  {"interval", "5m"}});
  ASSERT_EQ(day_before["data"]["quotes"].size(), 1u);
  const Json& then = day_before["data"]["quotes"][0];
  EXPECT_DOUBLE_EQ(live_global["data"]["quote"]["USD"]["total_market_cap_yesterday"].get<double>(),
                   then["quote"]["USD"]["total_market_cap"].get<double>());
  EXPECT_DOUBLE_EQ(live_global["data"]["btc_dominance_yesterday"].get<double>(),
                   then["btc_dominance"].get<double>());

  // And the listing as it was.
  Json listing = Get(kListings, {{"date", FormatIso8601(t)}, {"limit", "40"}});
  ASSERT_EQ(listing["data"].size(), live["data"].size());
  for (size_t i = 0; i < live["data"].size(); ++i) {
    EXPECT_EQ(listing["data"][i]["id"], live["data"][i]["id"]);
    EXPECT_EQ(listing["data"][i]["cmc_rank"], live["data"][i]["cmc_rank"]);
    EXPECT_EQ(listing["data"][i]["quote"], live["data"][i]["quote"]);
  }
}

// v1 for one id answers the coin object itself, like the real answer of the fixture.
TEST_F(SimHistoricalTest, QuotesHaveCmcsShape) {
  Json v1 = Get(kQuotesV1, {{"id", "1"},
                            {"time_start", "2026-09-26"},
                            {"time_end", "2026-09-28"},
                            {"interval", "daily"}});
  const Json& data = v1["data"];
  EXPECT_EQ(data["id"], 1);
  EXPECT_EQ(data["symbol"], "BTC");
  EXPECT_EQ(data["is_active"], 1);
  EXPECT_EQ(data["is_fiat"], 0);
  ASSERT_EQ(data["quotes"].size(), 3u);
  for (const char* key : {"price", "percent_change_1h", "percent_change_24h", "percent_change_7d",
                          "percent_change_30d", "volume_24h", "market_cap", "circulating_supply",
                          "total_supply", "timestamp"}) {
    EXPECT_TRUE(data["quotes"][0]["quote"]["USD"].contains(key)) << key;
  }
  EXPECT_EQ(v1["status"]["error_code"], 0);
  EXPECT_EQ(v1["status"]["credit_count"], 1);

  Json several = Get(kQuotesV1, {{"id", "1,1027"}, {"count", "2"}});
  EXPECT_EQ(several["data"]["1"]["quotes"].size(), 2u);
  EXPECT_EQ(several["data"]["1027"]["quotes"].size(), 2u);
  Json v2 = Get(kQuotesV2, {{"id", "1"}, {"count", "3"}});
  EXPECT_EQ(v2["data"]["1"]["quotes"].size(), 3u);
  Json by_symbol = Get(kQuotesV2, {{"symbol", "BTC"}, {"count", "3"}});
  ASSERT_TRUE(by_symbol["data"]["BTC"].is_array());
  EXPECT_EQ(by_symbol["data"]["BTC"][0]["quotes"].size(), 3u);
}

TEST_F(SimHistoricalTest, CountAndIntervalPickTheSampleTimes) {
  // No time_start: `count` points back from now, oldest first, spaced by the interval.
  Json back = Get(kQuotesV2, {{"id", "1027"}, {"count", "4"}, {"interval", "1h"}});
  const Json& quotes = back["data"]["1027"]["quotes"];
  ASSERT_EQ(quotes.size(), 4u);
  for (size_t i = 1; i < quotes.size(); ++i) {
    EXPECT_EQ(At(quotes[i]["timestamp"].get<std::string>().c_str()) -
                  At(quotes[i - 1]["timestamp"].get<std::string>().c_str()),
              hours(1));
  }
  EXPECT_LE(At(quotes[3]["timestamp"].get<std::string>().c_str()), now_.load());
  // The default count is 10, the default interval 5m.
  Json defaults = Get(kQuotesV2, {{"id", "1027"}});
  EXPECT_EQ(defaults["data"]["1027"]["quotes"].size(), 10u);
  // A range: every interval inside it, both ends included.
  Json range = Get(kQuotesV2, {{"id", "1"},
                               {"time_start", "2026-11-01T00:00:00Z"},
                               {"time_end", "2026-11-02T00:00:00Z"},
                               {"interval", "15m"}});
  EXPECT_EQ(range["data"]["1"]["quotes"].size(), 97u);
  EXPECT_EQ(range["status"]["credit_count"], 1);
  Json weekly = Get(kQuotesV2, {{"id", "1"},
                                {"time_start", "2026-01-01"},
                                {"time_end", "2026-11-01"},
                                {"interval", "weekly"}});
  EXPECT_EQ(weekly["data"]["1"]["quotes"].size(), 44u);
}

TEST_F(SimHistoricalTest, OhlcvTimeStartIsExclusive) {
  Json two = Get(kOhlcv, {{"id", "1"}, {"time_start", "2026-01-01"}, {"time_end", "2026-01-03"}});
  const Json& bars = two["data"]["1"]["quotes"];
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0]["time_open"], "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(bars[1]["time_open"], "2026-01-03T00:00:00.000Z");
  // Without time_start, count periods back from now: the one in progress counts, unreturned.
  Json back = Get(kOhlcv, {{"id", "1"}, {"count", "5"}});
  ASSERT_EQ(back["data"]["1"]["quotes"].size(), 4u);
  EXPECT_EQ(back["data"]["1"]["quotes"][3]["time_open"], "2026-11-26T00:00:00.000Z");
  Json hourly = Get(kOhlcv, {{"id", "1"},
                             {"time_period", "hourly"},
                             {"interval", "hourly"},
                             {"time_start", "2026-11-27T10:00:00Z"},
                             {"time_end", "2026-11-27T13:00:00Z"}});
  ASSERT_EQ(hourly["data"]["1"]["quotes"].size(), 3u);
  EXPECT_EQ(hourly["data"]["1"]["quotes"][0]["time_open"], "2026-11-27T11:00:00.000Z");
  EXPECT_EQ(hourly["data"]["1"]["quotes"][0]["time_close"], "2026-11-27T11:59:59.999Z");
  Json weekly = Get(kOhlcv, {{"id", "1"},
                             {"interval", "weekly"},
                             {"time_start", "2026-01-01"},
                             {"time_end", "2026-03-01"}});
  const Json& w = weekly["data"]["1"]["quotes"];
  ASSERT_GE(w.size(), 2u);
  EXPECT_EQ(At(w[1]["time_open"].get<std::string>().c_str()) -
                At(w[0]["time_open"].get<std::string>().c_str()),
            days(7));
}

// Every 5-minute quote of a day lies within its daily bar; open and close are its first and
// last minutes' quotes.
TEST_F(SimHistoricalTest, OhlcvAgreesWithTheQuotesInsideTheBar) {
  for (const char* id : {"1", "52", "40100"}) {
    Json daily =
        Get(kOhlcv, {{"id", id}, {"time_start", "2026-11-19"}, {"time_end", "2026-11-20"}});
    const Json& bar = daily["data"][id]["quotes"][0]["quote"]["USD"];
    Json quotes = Get(kQuotesV2, {{"id", id},
                                  {"time_start", "2026-11-20T00:00:00Z"},
                                  {"time_end", "2026-11-20T23:59:00Z"},
                                  {"interval", "5m"},
                                  {"count", "1000"}});
    const Json& points = quotes["data"][id]["quotes"];
    ASSERT_EQ(points.size(), 288u);
    EXPECT_EQ(quotes["status"]["credit_count"], 3);
    EXPECT_EQ(points[0]["quote"]["USD"]["price"], bar["open"]);
    for (const Json& p : points) {
      EXPECT_LE(p["quote"]["USD"]["price"].get<double>(), bar["high"].get<double>());
      EXPECT_GE(p["quote"]["USD"]["price"].get<double>(), bar["low"].get<double>());
    }
    // The last minute's quote, from a market of the same seed.
    SimMarket market(SimOptions{}.seed, kCoins);
    const SimCoin* coin = market.FindById(std::stoll(id));
    ASSERT_NE(coin, nullptr);
    EXPECT_EQ(bar["close"].get<double>(), market.QuoteAt(*coin, At("2026-11-20T23:59:00Z"))->price);
  }
}

TEST_F(SimHistoricalTest, CoinsAreAbsentBeforeTheirDateAdded) {
  // ETH was added 2015-08-07: its daily quotes and bars start that day, and the listing before
  // it has no ETH.
  Json eth = Get(kQuotesV2, {{"id", "1027"},
                             {"time_start", "2015-08-05"},
                             {"time_end", "2015-08-09"},
                             {"interval", "daily"}});
  const Json& quotes = eth["data"]["1027"]["quotes"];
  ASSERT_EQ(quotes.size(), 3u);  // 08-07, 08-08, 08-09
  EXPECT_GT(At(quotes[0]["timestamp"].get<std::string>().c_str()),
            At("2015-08-07T00:00:00Z") - minutes(SimMarket::kRefreshMinutes));
  Json bars =
      Get(kOhlcv, {{"id", "1027"}, {"time_start", "2015-08-01"}, {"time_end", "2015-08-09"}});
  ASSERT_EQ(bars["data"]["1027"]["quotes"].size(), 3u);
  EXPECT_EQ(bars["data"]["1027"]["quotes"][0]["time_open"], "2015-08-07T00:00:00.000Z");

  Json listing = Get(kListings, {{"date", "2015-08-01"}, {"limit", "5000"}});
  bool btc = false;
  for (const Json& coin : listing["data"]) {
    EXPECT_NE(coin["id"], 1027);
    btc |= coin["id"] == 1;
    EXPECT_LE(At(coin["date_added"].get<std::string>().c_str()), At("2015-08-01T00:00:00Z"));
  }
  EXPECT_TRUE(btc);
  EXPECT_LT(listing["status"]["total_count"].get<int64_t>(), kCoins);
  Json before = Get(kGlobal, {{"time_end", "2013-01-01"}, {"interval", "daily"}});
  EXPECT_TRUE(before["data"]["quotes"].empty());
}

TEST_F(SimHistoricalTest, ListingsSortAndPageLikeCmc) {
  Json by_price = Get(kListings, {{"date", "2024-06-01"}, {"sort", "price"}, {"limit", "250"}});
  const Json& data = by_price["data"];
  ASSERT_EQ(data.size(), 250u);
  for (size_t i = 1; i < data.size(); ++i) {
    EXPECT_GE(data[i - 1]["quote"]["USD"]["price"].get<double>(),
              data[i]["quote"]["USD"]["price"].get<double>());
  }
  EXPECT_EQ(by_price["status"]["credit_count"], 3);  // 1 per 100 coins
  Json page = Get(kListings, {{"date", "2024-06-01"}, {"start", "3"}, {"limit", "2"}});
  ASSERT_EQ(page["data"].size(), 2u);
  EXPECT_EQ(page["data"][0]["cmc_rank"], 3);
}

TEST_F(SimHistoricalTest, RejectsBadParametersLikeCmc) {
  auto expect_400 = [&](const char* path, const Params& params, const std::string& message) {
    Json body = Get(path, params, 400);
    EXPECT_EQ(body["status"]["error_code"], 400) << path;
    EXPECT_EQ(body["status"]["error_message"], message) << path;
  };
  expect_400(kQuotesV2, {{"id", "1"}, {"time_start", "yesterday"}},
             "\"time_start\" must be a valid ISO 8601 timestamp or unix time value");
  expect_400(kQuotesV1, {{"id", "1"}, {"time_end", "2026-13-45"}},
             "\"time_end\" must be a valid ISO 8601 timestamp or unix time value");
  expect_400(kQuotesV2, {{"id", "1"}, {"interval", "7m"}},
             "Invalid value for \"interval\": \"7m\"");
  expect_400(kQuotesV2, {{"id", "1"}, {"count", "0"}}, "Invalid value for \"count\": \"0\"");
  expect_400(kQuotesV2, {{"id", "1"}, {"count", "10001"}},
             "Invalid value for \"count\": \"10001\"");
  expect_400(kQuotesV2, {{"id", "1"}, {"convert", "XYZ"}},
             "Invalid value for \"convert\": \"XYZ\"");
  expect_400(kGlobal, {{"convert", "EUR"}, {"convert_id", "2790"}},
             "\"convert\" and \"convert_id\" cannot be used together");
  expect_400(kQuotesV2, {}, "\"value\" must contain at least one of [id, symbol]");
  expect_400(kQuotesV2, {{"id", "999999"}}, "Invalid value for \"id\": \"999999\"");
  expect_400(kQuotesV2, {{"id", "1"}, {"time_start", "2026-02-01"}, {"time_end", "2026-01-01"}},
             "\"time_end\" must be greater than or equal to \"time_start\"");
  expect_400(kOhlcv, {{"id", "1"}, {"time_period", "weekly"}},
             "Invalid value for \"time_period\": \"weekly\"");
  expect_400(kOhlcv, {{"slug", "nope"}}, "Invalid value for \"slug\": \"nope\"");
  expect_400(kGlobal, {{"time_start", "x"}},
             "\"time_start\" must be a valid ISO 8601 timestamp or unix time value");
  expect_400(kListings, {}, "\"date\" is required");
  expect_400(kListings, {{"date", "2020-01-01"}, {"sort", "bogus"}},
             "Invalid value for \"sort\": \"bogus\"");
  // skip_invalid=true drops a value that names no coin.
  Json skipped = Get(kQuotesV2, {{"id", "1,999999"}, {"skip_invalid", "true"}, {"count", "1"}});
  EXPECT_EQ(skipped["data"].size(), 1u);
}

// convert/convert_id as on the latest endpoints: fiat at its fixed rate, a crypto currency at
// its coin's price at each point's time; 1 credit per extra currency.
TEST_F(SimHistoricalTest, ConvertsToEveryCurrencyAtEachPointsTime) {
  const Params window = {
      {"time_start", "2026-11-20"}, {"time_end", "2026-11-22"}, {"interval", "daily"}};
  auto with = [&](Params p, const Params& more) {
    p.insert(more.begin(), more.end());
    return p;
  };
  Json quotes = Get(kQuotesV2, with(window, {{"id", "1,1027"}, {"convert", "USD,EUR,BTC"}}));
  EXPECT_EQ(quotes["status"]["credit_count"], 3);
  ASSERT_EQ(quotes["data"]["1"]["quotes"].size(), 3u);
  for (const Json& point : quotes["data"]["1"]["quotes"]) {
    const Json& q = point["quote"];
    EXPECT_DOUBLE_EQ(q["EUR"]["price"].get<double>(), q["USD"]["price"].get<double>() * 0.92);
    EXPECT_DOUBLE_EQ(q["EUR"]["market_cap"].get<double>(),
                     q["USD"]["market_cap"].get<double>() * 0.92);
    EXPECT_DOUBLE_EQ(q["BTC"]["price"].get<double>(), 1.0);  // Bitcoin in bitcoin
  }
  // ETH in BTC: ETH's USD price over Bitcoin's listed then (within a refresh of the sample).
  for (size_t i = 0; i < 3; ++i) {
    const Json& eth = quotes["data"]["1027"]["quotes"][i]["quote"];
    const Json& btc = quotes["data"]["1"]["quotes"][i]["quote"];
    EXPECT_NEAR(eth["BTC"]["price"].get<double>(),
                eth["USD"]["price"].get<double>() / btc["USD"]["price"].get<double>(),
                eth["BTC"]["price"].get<double>() * 0.01);
  }
  Json by_id = Get(kQuotesV1, with(window, {{"id", "1"}, {"convert_id", "2781,2790"}}));
  const Json& p0 = by_id["data"]["quotes"][0]["quote"];
  EXPECT_DOUBLE_EQ(p0["2790"]["price"].get<double>(), p0["2781"]["price"].get<double>() * 0.92);

  Json ohlcv = Get(kOhlcv, with(window, {{"id", "1"}, {"convert", "USD,JPY,BTC"}}));
  EXPECT_EQ(ohlcv["status"]["credit_count"], 3);
  ASSERT_FALSE(ohlcv["data"]["1"]["quotes"].empty());
  for (const Json& bar : ohlcv["data"]["1"]["quotes"]) {
    const Json& q = bar["quote"];
    EXPECT_DOUBLE_EQ(q["JPY"]["close"].get<double>(), q["USD"]["close"].get<double>() * 151.2);
    EXPECT_DOUBLE_EQ(q["BTC"]["open"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(q["BTC"]["close"].get<double>(), 1.0);
  }

  Json global = Get(kGlobal, with(window, {{"convert", "USD,GBP"}}));
  EXPECT_EQ(global["status"]["credit_count"], 2);
  ASSERT_EQ(global["data"]["quotes"].size(), 3u);
  for (const Json& point : global["data"]["quotes"]) {
    EXPECT_DOUBLE_EQ(point["quote"]["GBP"]["total_market_cap"].get<double>(),
                     point["quote"]["USD"]["total_market_cap"].get<double>() * 0.79);
  }

  Json listings = Get(kListings, {{"date", "2026-11-20"}, {"limit", "5"}, {"convert", "EUR,BTC"}});
  EXPECT_EQ(listings["status"]["credit_count"], 2);
  for (const Json& coin : listings["data"]) {
    EXPECT_GT(coin["quote"]["EUR"]["price"].get<double>(), 0);
    EXPECT_GT(coin["quote"]["EUR"]["market_cap_dominance"].get<double>(), 0);
    EXPECT_FALSE(coin["quote"].contains("USD"));
    if (coin["id"] == 1) {
      EXPECT_DOUBLE_EQ(coin["quote"]["BTC"]["price"].get<double>(), 1.0);
    }
  }
}

TEST_F(SimHistoricalTest, AcceptsUnixTimesAndDates) {
  Json unix_time = Get(kQuotesV2, {{"id", "1"}, {"time_start", "1764547200"}, {"count", "1"}});
  Json iso = Get(kQuotesV2, {{"id", "1"}, {"time_start", "2025-12-01"}, {"count", "1"}});
  EXPECT_EQ(unix_time["data"], iso["data"]);
}

TEST(SimHistoryParamsTest, IntervalsAndTimes) {
  EXPECT_EQ(IntervalMinutes("5m").value_or(-1), 5);
  EXPECT_EQ(IntervalMinutes("45m").value_or(-1), 45);
  EXPECT_EQ(IntervalMinutes("12h").value_or(-1), 720);
  EXPECT_EQ(IntervalMinutes("365d").value_or(-1), 365 * 1440);
  EXPECT_EQ(IntervalMinutes("weekly").value_or(-1), 7 * 1440);
  EXPECT_FALSE(IntervalMinutes("7m").has_value());
  EXPECT_FALSE(IntervalMinutes("5d").has_value());
  EXPECT_EQ(*ParseSimTime("1700000000"), TimePoint(std::chrono::seconds(1700000000)));
  EXPECT_EQ(*ParseSimTime("2026-01-02"), At("2026-01-02T00:00:00Z"));
  EXPECT_FALSE(ParseSimTime("2026-01-02T").ok());

  SampleRequest request;
  request.time_start = At("2026-01-01T00:01:00Z");
  request.time_end = At("2026-01-01T00:30:00Z");
  request.interval_minutes = 10;
  auto times = SampleTimes(request, At("2026-06-01T00:00:00Z"));
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[0], At("2026-01-01T00:10:00Z"));
  EXPECT_EQ(times[2], At("2026-01-01T00:30:00Z"));
  // Never past now.
  EXPECT_EQ(SampleTimes(request, At("2026-01-01T00:25:00Z")).size(), 2u);
}

// The plan's window: a time before what it allows answers 400 with the plan's message, as CMC
// does; inside it, the data.
TEST(SimHistoricalHookTest, TheWindowRefusesEarlierTimes) {
  SimMarket market(42, 50);
  httplib::Server server;
  std::vector<std::string> asked;
  RegisterHistoricalEndpoints(
      server, {&market,
               [](const SimQuote&, const std::vector<Currency>&) {
                 return nlohmann::ordered_json::object();
               },
               [](const httplib::Request&, httplib::Response& res, const SimBuild& build) {
                 nlohmann::ordered_json body;
                 if (build(At("2026-11-27T00:00:00Z"), body))
                   res.set_content(body.dump(), "text/json");
               },
               [&](std::string_view path, TimePoint) {
                 asked.emplace_back(path);
                 return HistoricalWindow{At("2026-11-01T00:00:00Z"), "Your plan allows 1 months"};
               }});
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  httplib::Client client("127.0.0.1", port);
  auto inside = client.Get(std::string(kQuotesV2) + "?id=1&time_start=2026-11-10&count=1");
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->status, 200);
  auto before = client.Get(std::string(kOhlcv) + "?id=1&time_start=2026-10-01&count=1");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 400);
  EXPECT_EQ(Json::parse(before->body)["status"]["error_code"], 400);
  EXPECT_EQ(Json::parse(before->body)["status"]["error_message"], "Your plan allows 1 months");
  server.stop();
  thread.join();
  EXPECT_EQ(asked, (std::vector<std::string>{kQuotesV2, kOhlcv}));
}

}  // namespace
}  // namespace coinlake::cmc::sim
