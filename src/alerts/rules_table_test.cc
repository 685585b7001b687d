// The rules table the dashboard reads (alert_rules, alert_channels), written to a real
// PostgreSQL (scripts/test starts one) as `coinlake run` writes it.
#include "alerts/rules_table.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using coinlake::testing::TestDatabase;

// Without the default pipeline rules, so each test sees only the rules it wrote.
AlertConfig Parse(std::vector<std::string> rules, std::vector<std::string> channels) {
  auto config = ParseAlertConfig(rules, channels, {}, /*pipeline_defaults=*/false);
  EXPECT_OK(config);
  return *config;
}

class RulesTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    conn_ = db_.Connect();
  }
  TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
};

TEST_F(RulesTableTest, HoldsTheConfiguredRulesAsWrittenAndChannelsWithoutTheirUrls) {
  AlertConfig config =
      Parse({"btc-100k: price BTC above 100000 USD cooldown=15m hysteresis=500",
             "eth-crash: change 1h id:1027 below -10 channels=pager"},
            {"ops: https://hooks.example.com/T000/B000/very-secret-path secret-env=OPS_SECRET",
             "pager: http://127.0.0.1:9/p secret-file=/nonexistent"});
  ASSERT_OK(ReplaceRulesTable(*conn_, config, "etl-1"));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(concat_ws('|', name, kind, condition, "
                       "array_to_string(channels, ','), cooldown_seconds, host), ' / ' "
                       "ORDER BY position) FROM alert_rules"),
            "btc-100k|price|price BTC above 100000 USD cooldown=15m hysteresis=500|ops,pager|900|"
            "etl-1 / eth-crash|change|change 1h id:1027 below -10 channels=pager|pager|3600|etl-1");
  EXPECT_EQ(db_.Scalar("SELECT string_agg(name || ':' || kind, ' ' ORDER BY position) "
                       "FROM alert_channels"),
            "ops:webhook pager:webhook");
  // Nothing of the URL (a Slack webhook's path is its secret) or the secret's source is kept.
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM (SELECT to_jsonb(r)::text t FROM alert_rules r "
                       "UNION ALL SELECT to_jsonb(c)::text FROM alert_channels c) x "
                       "WHERE t ~ '(very-secret|hooks\\.example|OPS_SECRET|nonexistent|127\\.0)'"),
            "0");
}

// The alerts page shows a dominance rule by its kind and its condition as written.
TEST_F(RulesTableTest, ADominanceRuleIsListedAsKindDominance) {
  AlertConfig config =
      Parse({"btc-dom: dominance BTC above 52.5 hysteresis=0.5 cooldown=6h",
             "eth-dom: dominance ETH below 10 channels=ops"},
            {"ops: http://127.0.0.1:9/a secret-env=X", "pager: http://127.0.0.1:9/p secret-env=Y"});
  ASSERT_OK(ReplaceRulesTable(*conn_, config, "etl-1"));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(concat_ws('|', name, kind, condition, "
                       "array_to_string(channels, ','), cooldown_seconds), ' / ' "
                       "ORDER BY position) FROM alert_rules"),
            "btc-dom|dominance|dominance BTC above 52.5 hysteresis=0.5 cooldown=6h|ops,pager|21600"
            " / eth-dom|dominance|dominance ETH below 10 channels=ops|ops|3600");
}

TEST_F(RulesTableTest, PipelineRulesAndTheDefaultsAreListedAfterTheMarketRules) {
  auto config = ParseAlertConfig({"btc: price BTC above 1", "etl-stale: pipeline stale 5"},
                                 {"ops: http://127.0.0.1:9/a secret-env=X"});
  ASSERT_OK(config);
  ASSERT_OK(ReplaceRulesTable(*conn_, *config, "etl-1"));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(name || '|' || kind || '|' || condition, ' / ' "
                       "ORDER BY position) FROM alert_rules WHERE name IN "
                       "('btc', 'etl-stale', 'pipeline-stale', 'pipeline-database-outage')"),
            "btc|price|price BTC above 1 / etl-stale|pipeline|pipeline stale 5 / "
            "pipeline-stale|pipeline|pipeline stale 3 / "
            "pipeline-database-outage|pipeline|pipeline database-outage 15m");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_rules WHERE kind = 'pipeline'"), "8");
}

TEST_F(RulesTableTest, AReloadReplacesTheWholeListAndNoRuleEmptiesIt) {
  ASSERT_OK(ReplaceRulesTable(*conn_,
                              Parse({"a: price BTC above 1", "b: price ETH above 1"},
                                    {"ops: http://127.0.0.1:9/a secret-env=X"}),
                              "etl-1"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_rules"), "2");
  ASSERT_OK(ReplaceRulesTable(
      *conn_,
      Parse({"b: price ETH below 5 cooldown=0"}, {"ops: http://127.0.0.1:9/a secret-env=X"}),
      "etl-2"));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(name || ' ' || condition || ' ' || cooldown_seconds || "
                       "' ' || host, ';') FROM alert_rules"),
            "b price ETH below 5 cooldown=0 0 etl-2");
  ASSERT_OK(ReplaceRulesTable(*conn_, AlertConfig{}, "etl-2"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_rules"), "0");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_channels"), "0");
}

TEST_F(RulesTableTest, TheEtlRoleWritesItAndTheDashboardRoleOnlyReadsIt) {
  AlertConfig config = Parse({"a: price BTC above 1"}, {"ops: http://127.0.0.1:9/a secret-env=X"});
  ASSERT_OK_AND_ASSIGN(auto writer, warehouse::Connection::Open(db_.LoginUrl("coinlake_writer")));
  ASSERT_OK(ReplaceRulesTable(*writer, config, "etl-1"));
  ASSERT_OK_AND_ASSIGN(auto reader, warehouse::Connection::Open(db_.LoginUrl("coinlake_reader")));
  ASSERT_OK_AND_ASSIGN(warehouse::Rows rows, reader->Query("SELECT name FROM alert_rules"));
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_FALSE(ReplaceRulesTable(*reader, config, "etl-1").ok());
}

}  // namespace
}  // namespace coinlake::alerts
