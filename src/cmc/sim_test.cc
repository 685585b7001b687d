#include "cmc/sim.h"

#include <gtest/gtest.h>

#include <cmath>
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
