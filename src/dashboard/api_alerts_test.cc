// GET /api/v1/alerts over a real PostgreSQL (scripts/test starts one), filled through the real
// path: the configured rules as `coinlake run` lists them, snapshots loaded with the rules' hook
// (alert_state and alert_outbox as the load writes them), and one delivery pass to a real
// receiver on 127.0.0.1 and to one that is down. Read as the dashboard reads it: the
// coinlake_reader role, through the server.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/chat_channels.h"
#include "alerts/outbox.h"
#include "alerts/rules_table.h"
#include "alerts/sender.h"
#include "cmc/parser.h"
#include "common/bytes.h"
#include "dashboard/api.h"
#include "dashboard/server.h"
#include "lake/keys.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::TestDatabase;
using nlohmann::json;
using std::chrono::minutes;

const std::vector<std::string> kLive = {std::string(lake::kListingsLatest)};

// The fixture's top 100 at `at`, with BTC at `btc`.
cmc::QuotesPayload Listings(TimePoint at, double btc) {
  auto payload =
      cmc::ParseListings(testing::ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json"));
  EXPECT_OK(payload);
  payload->status.timestamp = at;
  for (cmc::QuoteRow& row : payload->rows) {
    row.ts = at;
    if (row.cmc_id == 1) row.price = btc;
  }
  return *payload;
}

class ApiAlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    conn_ = db_.Connect();
    receiver_.Post("/hook", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"ok\":true}", "application/json");
    });
    port_ = receiver_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { receiver_.listen_after_bind(); });
  }
  void TearDown() override {
    receiver_.stop();
    thread_.join();
  }

  // btc-100k fires at t0 and resolves at t0+5m; eth-up fires at t0 and keeps firing; each goes
  // to "ops" (up) and "pager" (down), and one delivery pass runs after each snapshot.
  void Fill() {
    auto config = alerts::ParseAlertConfig(
        {"btc-100k: price BTC above 100000 USD cooldown=15m", "eth-up: price id:1027 above 1",
         "never: change 24h BTC below -99"},
        {fmt::format("ops: http://127.0.0.1:{}/hook secret-env=COINLAKE_TEST_SECRET", port_),
         fmt::format("pager: http://127.0.0.1:{}/hook secret-env=COINLAKE_TEST_SECRET",
                     down_.port())},
        {}, /*pipeline_defaults=*/false);
    ASSERT_OK(config);
    config_ = std::make_shared<const alerts::AlertConfig>(*config);
    ASSERT_OK(alerts::ReplaceRulesTable(*conn_, *config_, "etl-test"));
    std::vector<std::unique_ptr<alerts::Channel>> ready;
    for (const alerts::ChannelConfig& c : config_->channels) {
      ready.push_back(alerts::MakeWebhookChannel(c, "secret"));
    }
    alerts::SenderOptions options;
    options.initial_backoff = std::chrono::milliseconds(0);
    StopSignal stop;
    for (auto [at, btc] : {std::pair{t0_, 100'500.0}, std::pair{t0_ + minutes(5), 99'000.0}}) {
      cmc::QuotesPayload snapshot = Listings(at, btc);
      std::string key = lake::RawBodyKey(lake::kListingsLatest, at);
      warehouse::Loader loader(*conn_);
      loader.SetInTransaction(alerts::MarketAlertsHook(config_, kLive));
      ASSERT_OK(loader
                    .LoadQuotes({key, Sha256Hex(key), 100, std::string(lake::kListingsLatest), at},
                                snapshot)
                    .status());
      ASSERT_OK(alerts::DeliverDue(*conn_, ready, options, stop).status());
    }
  }

  StatusOr<json> Ask(std::multimap<std::string, std::string> query) {
    ASSIGN_OR_RETURN(auto reader, warehouse::Connection::Open(db_.LoginUrl("coinlake_reader")));
    QueryParams params(query);
    return Alerts(*reader, params);
  }

  TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
  std::shared_ptr<const alerts::AlertConfig> config_;
  httplib::Server receiver_;
  std::thread thread_;
  int port_ = 0;
  testing::RefusingPort down_;
  // Recent, so the fixture's coins are the latest and "firing for" is short.
  const TimePoint t0_ = std::chrono::floor<std::chrono::minutes>(SystemNow()) - minutes(30);
};

TEST_F(ApiAlertsTest, RulesFiringNowAndTheHistoryAsTheReceiversGotIt) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  ASSERT_OK_AND_ASSIGN(json body, Ask({}));
  EXPECT_TRUE(body["rules_listed"]);

  // The rules in configuration order, as written, with how many subjects each has firing.
  ASSERT_EQ(body["rules"].size(), 3u);
  EXPECT_EQ(body["rules"][0]["name"], "btc-100k");
  EXPECT_EQ(body["rules"][0]["kind"], "price");
  EXPECT_EQ(body["rules"][0]["condition"], "price BTC above 100000 USD cooldown=15m");
  EXPECT_EQ(body["rules"][0]["channels"], json({"ops", "pager"}));
  EXPECT_EQ(body["rules"][0]["cooldown_seconds"], 900);
  EXPECT_EQ(body["rules"][0]["firing"], 0);
  EXPECT_EQ(body["rules"][1]["firing"], 1);
  EXPECT_EQ(body["rules"][2]["kind"], "change");
  EXPECT_EQ(body["rules"][2]["host"], "etl-test");

  // Channels by name and kind, never the URL; pager's undelivered rows wait behind its head.
  ASSERT_EQ(body["channels"].size(), 2u);
  EXPECT_EQ(body["channels"][0]["name"], "ops");
  EXPECT_EQ(body["channels"][0]["kind"], "webhook");
  EXPECT_EQ(body["channels"][0]["waiting"], 0);
  EXPECT_EQ(body["channels"][1]["name"], "pager");
  // btc-100k's firing and resolved on pager became one (alerts/collapse.h): two rows wait.
  EXPECT_EQ(body["channels"][1]["waiting"], 2);
  EXPECT_GE(body["channels"][1]["attempts"].get<int>(), 1);
  EXPECT_TRUE(body["channels"][1]["last_error"].is_string());
  EXPECT_EQ(body.dump().find("127.0.0.1"), std::string::npos) << "a channel's URL leaked";

  // Firing now: eth-up on Ethereum, with the value of its firing notification.
  ASSERT_EQ(body["firing"].size(), 1u);
  const json& eth = body["firing"][0];
  EXPECT_EQ(eth["rule"], "eth-up");
  EXPECT_EQ(eth["subject"], "1027");
  EXPECT_EQ(eth["coin"]["symbol"], "ETH");
  EXPECT_EQ(eth["coin"]["name"], "Ethereum");
  EXPECT_EQ(eth["since"], FormatIso8601(t0_));
  EXPECT_EQ(eth["snapshot"], FormatIso8601(t0_));
  EXPECT_NEAR(eth["firing_seconds"].get<double>(), 30 * 60, 120);
  EXPECT_TRUE(eth["value"].is_number());
  EXPECT_EQ(eth["values"]["level"], 1);
  EXPECT_EQ(eth["configured"], true);

  // History, newest first: each notification per channel, as the outbox holds it. ops got
  // them all (delivered, one attempt); pager is down: its first row waits with the error.
  const json& items = body["history"]["items"];
  ASSERT_EQ(items.size(), 6u);  // btc firing, eth firing, btc resolved; x ops, pager
  EXPECT_EQ(body["history"]["next_before"], nullptr);
  std::string order;
  for (const json& item : items) {
    order += item["rule"].get<std::string>() + "/" + item["event"].get<std::string>() + ">" +
             item["channel"].get<std::string>() + " ";
  }
  EXPECT_EQ(order,
            "btc-100k/resolved>pager btc-100k/resolved>ops eth-up/firing>pager eth-up/firing>ops "
            "btc-100k/firing>pager btc-100k/firing>ops ");
  const json& resolved_ops = items[1];
  EXPECT_EQ(resolved_ops["coin"]["symbol"], "BTC");
  EXPECT_EQ(resolved_ops["snapshot"], FormatIso8601(t0_ + minutes(5)));
  EXPECT_TRUE(resolved_ops["delivered_at"].is_string());
  EXPECT_EQ(resolved_ops["attempts"], 1);
  EXPECT_EQ(resolved_ops["last_error"], nullptr);
  EXPECT_EQ(resolved_ops["next_attempt_at"], nullptr);
  EXPECT_EQ(resolved_ops["values"]["value"], 99'000.0);
  // pager was down for both snapshots: btc-100k's firing and resolved there became one
  // notification (the resolved carries the firing: alerts/collapse.h), which the page shows.
  const json& collapsed = items[4];
  EXPECT_EQ(collapsed["collapsed_into"], items[0]["id"]);
  EXPECT_EQ(items[0]["collapsed_into"], nullptr);
  EXPECT_EQ(resolved_ops["collapsed_into"], nullptr);
  // pager's oldest row still waiting is eth-up's firing, with the error; the resolved waits
  // behind it, with the attempts it took over from the firing.
  const json& eth_pager = items[2];
  EXPECT_EQ(eth_pager["delivered_at"], nullptr);
  EXPECT_GE(eth_pager["attempts"].get<int>(), 1);
  EXPECT_TRUE(eth_pager["last_error"].is_string());
  EXPECT_TRUE(eth_pager["next_attempt_at"].is_string());
  EXPECT_EQ(items[0]["delivered_at"], nullptr) << "waits behind pager's eth-up row";
}

TEST_F(ApiAlertsTest, HistoryPagesNewestFirst) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  ASSERT_OK_AND_ASSIGN(json first, Ask({{"limit", "4"}}));
  ASSERT_EQ(first["history"]["items"].size(), 4u);
  ASSERT_TRUE(first["history"]["next_before"].is_number());
  ASSERT_OK_AND_ASSIGN(json second,
                       Ask({{"limit", "4"}, {"before", first["history"]["next_before"].dump()}}));
  ASSERT_EQ(second["history"]["items"].size(), 2u);
  EXPECT_EQ(second["history"]["next_before"], nullptr);
  EXPECT_LT(second["history"]["items"][0]["id"], first["history"]["items"][3]["id"]);
  EXPECT_EQ(second["history"]["items"][1]["event"], "firing");
}

TEST_F(ApiAlertsTest, NoRuleConfiguredAndARuleRemovedWhileFiring) {
  ASSERT_OK_AND_ASSIGN(json empty, Ask({}));
  EXPECT_EQ(empty["rules"], json::array());
  EXPECT_EQ(empty["firing"], json::array());
  EXPECT_EQ(empty["history"]["items"], json::array());
  ASSERT_NO_FATAL_FAILURE(Fill());
  // A reload without rules: the rule's state stays firing, shown as no longer configured.
  ASSERT_OK(alerts::ReplaceRulesTable(*conn_, alerts::AlertConfig{}, "etl-test"));
  ASSERT_OK_AND_ASSIGN(json body, Ask({}));
  EXPECT_EQ(body["rules"], json::array());
  EXPECT_EQ(body["channels"].size(), 1u) << "pager still has rows waiting";
  EXPECT_EQ(body["channels"][0]["configured"], false);
  ASSERT_EQ(body["firing"].size(), 1u);
  EXPECT_EQ(body["firing"][0]["configured"], false);
}

TEST_F(ApiAlertsTest, ServedValidatedAndReadableByTheDashboardRole) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.database_url = db_.LoginUrl("coinlake_reader");
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options));
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/api/v1/alerts?limit=2");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["history"]["items"].size(), 2u);
  for (const char* bad :
       {"/api/v1/alerts?limit=0", "/api/v1/alerts?limit=501", "/api/v1/alerts?before=x",
        "/api/v1/alerts?before=1%20OR%20true", "/api/v1/alerts?rule=a"}) {
    auto r = client.Get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
  }
}

}  // namespace
}  // namespace coinlake::dashboard
