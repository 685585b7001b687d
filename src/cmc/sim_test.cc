#include "cmc/sim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <set>

#include "cmc/client.h"
#include "cmc/parser.h"

namespace coinlake::cmc {
namespace {

std::unique_ptr<Simulator> StartSim(const std::string& key = "") {
  SimOptions options;
  options.port = 0;
  options.coins = 300;
  options.api_key = key;
  auto sim = Simulator::Start(options);
  EXPECT_TRUE(sim.ok()) << sim.status().ToString();
  return std::move(sim).value();
}

std::unique_ptr<CmcClient> Client(const std::string& url, const std::string& key) {
  ClientOptions options;
  options.base_url = url;
  options.api_key = key;
  return std::move(CmcClient::Make(options)).value();
}

TEST(SimTest, ServesListingsInCmcShape) {
  auto sim = StartSim();
  auto client = Client(sim->base_url(), "test-key-123");
  auto response =
      client->Get("/v1/cryptocurrency/listings/latest", {{"limit", "250"}, {"start", "1"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->http_status, 200);
  EXPECT_EQ(response->request, "/v1/cryptocurrency/listings/latest?limit=250&start=1");
  auto payload = ParseListings(response->body);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload->rows.size(), 250u);
  EXPECT_EQ(payload->status.credit_count, 2);  // 1 credit per 200 coins, rounded up
  EXPECT_EQ(payload->status.total_count, 300);
  std::set<int64_t> ids;
  for (size_t i = 0; i < payload->rows.size(); ++i) {
    ids.insert(payload->rows[i].cmc_id);
    EXPECT_EQ(payload->rows[i].cmc_rank, static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_LE(*payload->rows[i].market_cap, *payload->rows[i - 1].market_cap);
    }
  }
  EXPECT_EQ(ids.size(), 250u);
  EXPECT_TRUE(ids.count(1));  // Bitcoin keeps its real id
  // The market has a past from its first answer: the 1h, 24h and 7d changes differ, and the
  // week's spread is wider than the hour's, as for a random walk.
  double spread_1h = 0, spread_7d = 0;
  for (const QuoteRow& row : payload->rows) {
    ASSERT_TRUE(row.percent_change_1h && row.percent_change_24h && row.percent_change_7d);
    EXPECT_NE(*row.percent_change_1h, *row.percent_change_24h) << row.symbol;
    EXPECT_NE(*row.percent_change_24h, *row.percent_change_7d) << row.symbol;
    spread_1h += std::abs(*row.percent_change_1h);
    spread_7d += std::abs(*row.percent_change_7d);
  }
  EXPECT_GT(spread_7d, 3 * spread_1h);
}

// CMC refreshes each coin at its own minute, not every coin at the poll instant: one listing
// mixes quotes of several recent minutes, and polls a minute apart share some quotes (same coin,
// last_updated and values) and renew others, while the status timestamp moves with every poll.
TEST(SimTest, StampsEachCoinAtItsOwnMinute) {
  const TimePoint start = *ParseIso8601("2026-11-27T21:50:10Z");
  std::atomic<int64_t> elapsed_s{0};
  SimOptions options;
  options.port = 0;
  options.coins = 300;
  options.clock = [&] { return start + std::chrono::seconds(elapsed_s.load()); };
  auto sim = std::move(Simulator::Start(options)).value();
  auto client = Client(sim->base_url(), "k");

  struct Poll {
    TimePoint status{};
    std::map<int64_t, QuoteRow> coins;
  };
  auto poll = [&](int64_t at_s) {
    elapsed_s = at_s;
    Poll p;
    auto response = client->Get("/v1/cryptocurrency/listings/latest", {{"limit", "300"}});
    if (!response.ok() || response->http_status != 200) {
      ADD_FAILURE() << "poll at +" << at_s << " s failed";
      return p;
    }
    auto payload = ParseListings(response->body);
    if (!payload.ok()) {
      ADD_FAILURE() << payload.status().ToString();
      return p;
    }
    p.status = payload->status.timestamp;
    for (const QuoteRow& row : payload->rows) p.coins[row.cmc_id] = row;
    EXPECT_EQ(p.coins.size(), 300u);
    return p;
  };
  // How many coins two polls list with the same quote; fails if a repeated quote changed.
  auto repeated = [](const Poll& a, const Poll& b) {
    size_t same = 0;
    for (const auto& [id, row] : b.coins) {
      auto before_it = a.coins.find(id);
      if (before_it == a.coins.end() || row.ts != before_it->second.ts) continue;
      const QuoteRow& before = before_it->second;
      ++same;
      EXPECT_EQ(row.price, before.price) << id;
      EXPECT_EQ(row.volume_24h, before.volume_24h) << id;
      EXPECT_EQ(row.market_cap, before.market_cap) << id;
      EXPECT_EQ(row.percent_change_24h, before.percent_change_24h) << id;
    }
    return same;
  };

  // 21:50:10, 21:50:40 (the same minute), 21:51:20 and 21:52:30.
  const std::vector<Poll> polls = {poll(0), poll(30), poll(70), poll(140)};
  for (size_t i = 0; i < polls.size(); ++i) {
    std::set<TimePoint> minutes;
    for (const auto& [id, row] : polls[i].coins) {
      EXPECT_EQ(row.ts, std::chrono::floor<std::chrono::minutes>(row.ts)) << id;
      EXPECT_LE(row.ts, polls[i].status) << id;
      EXPECT_GT(row.ts, polls[i].status - std::chrono::minutes(5)) << id << ": refreshed lately";
      minutes.insert(row.ts);
    }
    EXPECT_GT(minutes.size(), 1u) << "poll " << i << ": every coin stamped at the same minute";
    if (i > 0) {
      EXPECT_GT(polls[i].status, polls[i - 1].status);
    }
  }
  // Within the minute no coin is refreshed: the second poll lists every quote of the first.
  EXPECT_EQ(repeated(polls[0], polls[1]), 300u);
  // A minute later some coins are refreshed and the others listed again unchanged.
  for (size_t i : {2u, 3u}) {
    size_t same = repeated(polls[i - 1], polls[i]);
    EXPECT_GT(same, 0u) << "poll " << i << ": no coin listed again unchanged";
    EXPECT_LT(same, 300u) << "poll " << i << ": no coin refreshed";
  }
}

TEST(SimTest, AnswersErrorsLikeCmc) {
  auto sim = StartSim("the-right-key");
  auto no_key = Client(sim->base_url(), "")->Get("/v1/cryptocurrency/listings/latest", {});
  ASSERT_TRUE(no_key.ok());
  EXPECT_EQ(no_key->http_status, 401);
  EXPECT_EQ(ParseStatus(no_key->body)->error_code, 1002);

  auto wrong = Client(sim->base_url(), "wrong-key")->Get("/v1/cryptocurrency/listings/latest", {});
  EXPECT_EQ(wrong->http_status, 401);
  EXPECT_EQ(ParseStatus(wrong->body)->error_code, 1001);

  auto client = Client(sim->base_url(), "the-right-key");
  auto bad_limit = client->Get("/v1/cryptocurrency/listings/latest", {{"limit", "5001"}});
  EXPECT_EQ(bad_limit->http_status, 400);
  EXPECT_EQ(ParseStatus(bad_limit->body)->error_code, 400);
}

TEST(ClientTest, RefusedConnectionIsUnavailable) {
  auto client = Client("http://127.0.0.1:1", "k");
  auto response = client->Get("/v1/cryptocurrency/listings/latest", {});
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace coinlake::cmc
