// The pipeline rules' grammar, the defaults and how they mix with configured rules.
#include "alerts/pipeline_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerts/rules.h"
#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

const std::vector<std::string> kChannel = {"ops: https://x/1 secret-env=S"};

std::string Error(const std::vector<std::string>& rules) {
  auto parsed = ParseAlertConfig(rules, kChannel);
  return parsed.ok() ? "ok" : std::string(parsed.status().message());
}

const PipelineRule* Find(const AlertConfig& config, const std::string& name) {
  for (const PipelineRule& rule : config.pipeline_rules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

TEST(PipelineRulesTest, EachCheckParses) {
  ASSERT_OK_AND_ASSIGN(PipelineRule stale,
                       ParsePipelineRule("s", "pipeline stale 3 cooldown=2h channels=ops,pager"));
  EXPECT_EQ(stale.check, PipelineCheck::kStale);
  EXPECT_EQ(stale.count, 3);
  EXPECT_EQ(stale.cooldown, seconds(7200));
  EXPECT_EQ(stale.channels, (std::vector<std::string>{"ops", "pager"}));
  EXPECT_EQ(stale.text, "pipeline stale 3 cooldown=2h channels=ops,pager");

  ASSERT_OK_AND_ASSIGN(PipelineRule any, ParsePipelineRule("e", "pipeline endpoint-stopped"));
  EXPECT_EQ(any.check, PipelineCheck::kEndpointStopped);
  EXPECT_EQ(any.endpoint, "");
  EXPECT_EQ(any.cooldown, seconds(3600)) << "the default cooldown, as a market rule's";
  ASSERT_OK_AND_ASSIGN(
      PipelineRule one,
      ParsePipelineRule("e", "pipeline endpoint-stopped quotes_latest cooldown=0"));
  EXPECT_EQ(one.endpoint, "quotes_latest");
  EXPECT_EQ(one.cooldown, seconds(0));

  ASSERT_OK_AND_ASSIGN(PipelineRule failed, ParsePipelineRule("f", "pipeline failed-cycles 5"));
  EXPECT_EQ(failed.check, PipelineCheck::kFailedCycles);
  EXPECT_EQ(failed.count, 5);
  ASSERT_OK_AND_ASSIGN(PipelineRule credits, ParsePipelineRule("c", "pipeline credits-forecast"));
  EXPECT_EQ(credits.check, PipelineCheck::kCreditsForecast);
  ASSERT_OK_AND_ASSIGN(PipelineRule lake, ParsePipelineRule("l", "pipeline lake-outage 15m"));
  EXPECT_EQ(lake.check, PipelineCheck::kLakeOutage);
  EXPECT_EQ(lake.duration, seconds(900));
  ASSERT_OK_AND_ASSIGN(PipelineRule db, ParsePipelineRule("d", "pipeline database-outage 90s"));
  EXPECT_EQ(db.check, PipelineCheck::kDatabaseOutage);
  EXPECT_EQ(db.duration, seconds(90));
  ASSERT_OK_AND_ASSIGN(PipelineRule audit,
                       ParsePipelineRule("a", "pipeline audit-discrepancy cooldown=12h"));
  EXPECT_EQ(audit.check, PipelineCheck::kAuditDiscrepancy);
  EXPECT_EQ(audit.cooldown, seconds(12 * 3600));
  EXPECT_EQ(PipelineCheckName(audit.check), "audit-discrepancy");
}

TEST(PipelineRulesTest, MistakesAreOneLineNamingTheRule) {
  EXPECT_EQ(Error({"s: pipeline stale"}),
            "alert-rule s: stale needs a count 1..10000 (scheduled intervals), not '' (in "
            "'pipeline stale')");
  EXPECT_THAT(
      Error({"s: pipeline stale 0"}),
      HasSubstr("alert-rule s: stale needs a count 1..10000 (scheduled intervals), not '0'"));
  EXPECT_THAT(Error({"f: pipeline failed-cycles x3"}),
              HasSubstr("alert-rule f: failed-cycles needs a count 1..10000 (cycles in a row)"));
  EXPECT_EQ(Error({"l: pipeline lake-outage 0"}),
            "alert-rule l: lake-outage needs how long it must last (90s, 15m, 1h), not '0' (in "
            "'pipeline lake-outage 0')");
  EXPECT_THAT(Error({"e: pipeline endpoint-stopped listings"}),
              HasSubstr("alert-rule e: 'listings' is not an endpoint (listings_latest,"));
  EXPECT_THAT(Error({"x: pipeline heartbeat"}),
              HasSubstr("alert-rule x: a pipeline rule is stale N, endpoint-stopped [ENDPOINT]"));
  EXPECT_EQ(Error({"c: pipeline credits-forecast hysteresis=2"}),
            "alert-rule c: unknown option 'hysteresis' (cooldown, channels) (in 'pipeline "
            "credits-forecast hysteresis=2')");
  EXPECT_EQ(Error({"a: pipeline audit-discrepancy 2026-03-31"}),
            "alert-rule a: unexpected '2026-03-31' (in 'pipeline audit-discrepancy 2026-03-31')");
  EXPECT_EQ(Error({"c: pipeline credits-forecast soon"}),
            "alert-rule c: unexpected 'soon' (in 'pipeline credits-forecast soon')");
  EXPECT_EQ(Error({"c: pipeline credits-forecast cooldown=1h cooldown=2h"}),
            "alert-rule c: cooldown is given twice (in 'pipeline credits-forecast cooldown=1h "
            "cooldown=2h')");
  EXPECT_EQ(Error({"c: pipeline credits-forecast channels=pager"}),
            "alert-rule c: channel 'pager' is not configured (alert-webhook = pager: URL ...)");
  EXPECT_EQ(Error({"a: price BTC above 1", "a: pipeline stale 2"}),
            "alert-rule a: the name is used by another rule");
  auto no_channel = ParseAlertConfig({"s: pipeline stale 3"}, {});
  EXPECT_FALSE(no_channel.ok()) << "a pipeline rule needs a channel as a market rule does";
}

TEST(PipelineRulesTest, DefaultsAreOnOnceAChannelIsConfigured) {
  ASSERT_OK_AND_ASSIGN(AlertConfig none, ParseAlertConfig({}, {}));
  EXPECT_TRUE(none.pipeline_rules.empty()) << "no channel: nowhere to send them";
  EXPECT_TRUE(none.empty());

  ASSERT_OK_AND_ASSIGN(AlertConfig config, ParseAlertConfig({"btc: price BTC above 1"}, kChannel));
  EXPECT_EQ(config.rules.size(), 1u);
  ASSERT_EQ(config.pipeline_rules.size(), DefaultPipelineRules().size());
  ASSERT_EQ(config.pipeline_rules.size(), 7u);
  const PipelineRule* stale = Find(config, "pipeline-stale");
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->count, 3);
  ASSERT_NE(Find(config, "pipeline-endpoint-stopped"), nullptr);
  ASSERT_NE(Find(config, "pipeline-failed-cycles"), nullptr);
  ASSERT_NE(Find(config, "pipeline-credits-forecast"), nullptr);
  EXPECT_EQ(Find(config, "pipeline-credits-forecast")->cooldown, seconds(86400));
  EXPECT_EQ(Find(config, "pipeline-lake-outage")->duration, seconds(900));
  EXPECT_EQ(Find(config, "pipeline-database-outage")->duration, seconds(900));
  ASSERT_NE(Find(config, "pipeline-audit-discrepancy"), nullptr);
  EXPECT_EQ(Find(config, "pipeline-audit-discrepancy")->check, PipelineCheck::kAuditDiscrepancy);
  EXPECT_EQ(Find(config, "pipeline-audit-discrepancy")->cooldown, seconds(86400));

  ASSERT_OK_AND_ASSIGN(AlertConfig off, ParseAlertConfig({}, kChannel, {}, false));
  EXPECT_TRUE(off.pipeline_rules.empty());
  ASSERT_OK_AND_ASSIGN(AlertConfig mine,
                       ParseAlertConfig({"mine: pipeline stale 10"}, kChannel, {}, false));
  ASSERT_EQ(mine.pipeline_rules.size(), 1u) << "defaults off: only what is configured";
}

TEST(PipelineRulesTest, AConfiguredRuleWithADefaultsNameReplacesIt) {
  ASSERT_OK_AND_ASSIGN(
      AlertConfig config,
      ParseAlertConfig({"pipeline-stale: pipeline stale 12 cooldown=6h"}, kChannel));
  EXPECT_EQ(config.pipeline_rules.size(), 7u);
  const PipelineRule* stale = Find(config, "pipeline-stale");
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->count, 12);
  EXPECT_EQ(stale->cooldown, seconds(6 * 3600));
  // Even a market rule under a default's name: the name is the identity in alert_state.
  ASSERT_OK_AND_ASSIGN(AlertConfig market,
                       ParseAlertConfig({"pipeline-lake-outage: price BTC above 1"}, kChannel));
  EXPECT_EQ(market.pipeline_rules.size(), 6u);
  EXPECT_EQ(Find(market, "pipeline-lake-outage"), nullptr);
}

}  // namespace
}  // namespace coinlake::alerts
