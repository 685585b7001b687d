// The alert grammar of the configuration file: what parses into what, and the one-line error of
// each kind of mistake.
#include "alerts/rules.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

using std::chrono::seconds;

TEST(RulesTest, PriceRuleWithEveryOption) {
  ASSERT_OK_AND_ASSIGN(
      MarketRule rule,
      ParseMarketRule(
          "btc-100k: price BTC above 100000 USD cooldown=2h hysteresis=500 channels=ops,pager"));
  EXPECT_EQ(rule.name, "btc-100k");
  EXPECT_EQ(rule.metric, Metric::kPrice);
  EXPECT_EQ(rule.symbol, "BTC");
  EXPECT_FALSE(rule.cmc_id.has_value());
  EXPECT_EQ(rule.direction, Direction::kAbove);
  EXPECT_EQ(rule.level, 100000);
  EXPECT_EQ(rule.currency, "USD");
  EXPECT_EQ(rule.cooldown, seconds(7200));
  EXPECT_EQ(rule.hysteresis, 500);
  EXPECT_EQ(rule.channels, (std::vector<std::string>{"ops", "pager"}));
  EXPECT_EQ(rule.text, "price BTC above 100000 USD cooldown=2h hysteresis=500 channels=ops,pager");
}

TEST(RulesTest, ChangeRuleByIdWithDefaults) {
  ASSERT_OK_AND_ASSIGN(MarketRule rule,
                       ParseMarketRule("  eth_fall : change 1h id:1027 below -10"));
  EXPECT_EQ(rule.name, "eth_fall");
  EXPECT_EQ(rule.metric, Metric::kPercentChange1h);
  EXPECT_EQ(rule.cmc_id, 1027);
  EXPECT_TRUE(rule.symbol.empty());
  EXPECT_EQ(rule.direction, Direction::kBelow);
  EXPECT_EQ(rule.level, -10);
  EXPECT_EQ(rule.currency, "USD");          // default
  EXPECT_EQ(rule.cooldown, seconds(3600));  // default
  EXPECT_EQ(rule.hysteresis, 0);            // default
  EXPECT_TRUE(rule.channels.empty());       // every channel
  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("x: change 24h SOL above 12.5 EUR cooldown=0"));
  EXPECT_EQ(rule.metric, Metric::kPercentChange24h);
  EXPECT_EQ(rule.currency, "EUR");
  EXPECT_EQ(rule.cooldown, seconds(0));
  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("x: change 7d SOL above 1"));
  EXPECT_EQ(rule.metric, Metric::kPercentChange7d);
  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("x: change 30d SOL above 1"));
  EXPECT_EQ(rule.metric, Metric::kPercentChange30d);
}

TEST(RulesTest, TopRules) {
  ASSERT_OK_AND_ASSIGN(MarketRule rule,
                       ParseMarketRule("sol-top10: top 10 enter SOL hysteresis=2 cooldown=1d"));
  EXPECT_EQ(rule.metric, Metric::kRank);
  EXPECT_EQ(rule.top, 10);
  EXPECT_EQ(rule.level, 10);
  EXPECT_EQ(rule.move, TopMove::kEnter);
  EXPECT_EQ(rule.symbol, "SOL");
  EXPECT_EQ(rule.hysteresis, 2);
  EXPECT_EQ(rule.cooldown, seconds(86400));
  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("eth-out: top 2 leave id:1027 channels=ops"));
  EXPECT_EQ(rule.move, TopMove::kLeave);
  EXPECT_EQ(rule.cmc_id, 1027);
  EXPECT_EQ(rule.channels, (std::vector<std::string>{"ops"}));
  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("movers: top 100 any"));
  EXPECT_EQ(rule.top, 100);
  EXPECT_EQ(rule.move, TopMove::kEnter);
  EXPECT_FALSE(rule.cmc_id.has_value());
  EXPECT_TRUE(rule.symbol.empty());
  EXPECT_EQ(MetricName(rule.metric), "cmc_rank");
}

TEST(RulesTest, DominanceRules) {
  ASSERT_OK_AND_ASSIGN(
      MarketRule rule,
      ParseMarketRule("btc-dom: dominance BTC above 52.5 cooldown=6h hysteresis=0.5 channels=ops"));
  EXPECT_EQ(rule.name, "btc-dom");
  EXPECT_EQ(rule.metric, Metric::kBtcDominance);
  EXPECT_TRUE(IsDominance(rule.metric));
  EXPECT_EQ(MetricName(rule.metric), "btc_dominance");
  EXPECT_EQ(rule.cmc_id, 1);
  EXPECT_EQ(rule.symbol, "BTC");
  EXPECT_EQ(rule.direction, Direction::kAbove);
  EXPECT_EQ(rule.level, 52.5);
  EXPECT_TRUE(rule.currency.empty()) << "a share of the market has no currency";
  EXPECT_EQ(rule.cooldown, seconds(6 * 3600));
  EXPECT_EQ(rule.hysteresis, 0.5);
  EXPECT_EQ(rule.channels, (std::vector<std::string>{"ops"}));
  EXPECT_EQ(rule.text, "dominance BTC above 52.5 cooldown=6h hysteresis=0.5 channels=ops");

  ASSERT_OK_AND_ASSIGN(rule, ParseMarketRule("eth-dom: dominance ETH below 10"));
  EXPECT_EQ(rule.metric, Metric::kEthDominance);
  EXPECT_EQ(MetricName(rule.metric), "eth_dominance");
  EXPECT_EQ(rule.cmc_id, 1027);
  EXPECT_EQ(rule.symbol, "ETH");
  EXPECT_EQ(rule.direction, Direction::kBelow);
  EXPECT_EQ(rule.cooldown, seconds(3600));  // the defaults, as for price rules
  EXPECT_EQ(rule.hysteresis, 0);
  // The ends of the range are levels too.
  EXPECT_OK(ParseMarketRule("x: dominance BTC above 0").status());
  EXPECT_OK(ParseMarketRule("x: dominance BTC below 100").status());
  EXPECT_FALSE(IsDominance(ParseMarketRule("x: price BTC above 1")->metric));

  // A dominance rule goes through the configuration like any market rule.
  ASSERT_OK_AND_ASSIGN(AlertConfig config,
                       ParseAlertConfig({"btc-dom: dominance BTC above 60 channels=ops"},
                                        {"ops: http://127.0.0.1:9/a secret-env=X"}));
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0].metric, Metric::kBtcDominance);
  auto no_channel = ParseAlertConfig({"btc-dom: dominance BTC above 60 channels=pager"},
                                     {"ops: http://127.0.0.1:9/a secret-env=X"});
  ASSERT_FALSE(no_channel.ok());
  EXPECT_EQ(no_channel.status().message(),
            "alert-rule btc-dom: channel 'pager' is not configured (alert-webhook = pager: URL "
            "...)");
}

// Each mistake is refused with a message that names the rule and the part that is wrong.
TEST(RulesTest, BadRulesSayWhatIsWrong) {
  struct Case {
    const char* line;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"price BTC above 1", "expected 'NAME: ...'"},
           {"a b: price BTC above 1", "expected 'NAME: ...'"},
           {"r: cost BTC above 1",
            "starts with 'price', 'change', 'top' or 'dominance', not "
            "'cost'"},
           {"r: dominance SOL above 5",
            "dominance is BTC or ETH (global metrics' "
            "btc_dominance, eth_dominance), not 'SOL'"},
           {"r: dominance btc above 5", "dominance is BTC or ETH"},
           {"r: dominance above 5", "dominance is BTC or ETH"},
           {"r: dominance id:1 above 5", "dominance is BTC or ETH"},
           {"r: dominance BTC over 50", "expected 'above' or 'below' after the coin, not 'over'"},
           {"r: dominance BTC above", "'' is not a number"},
           {"r: dominance BTC above 50%", "'50%' is not a number"},
           {"r: dominance BTC above 100.5", "a percentage from 0 to 100, not '100.5'"},
           {"r: dominance BTC below -1", "a percentage from 0 to 100, not '-1'"},
           {"r: dominance BTC above 50 USD", "a dominance rule has no currency"},
           {"r: dominance BTC above 50 hysteresis=-1", "hysteresis '-1' is not a number >= 0"},
           {"r: dominance BTC above 50 cooldown=1w", "'1w' is not a duration"},
           {"r: dominance BTC above 50 top=3", "unknown option 'top'"},
           {"r: top 0 any", "'0' is not a rank from 1 to 5000"},
           {"r: top ten any", "'ten' is not a rank from 1 to 5000"},
           {"r: top 10 join SOL", "expected 'enter', 'leave' or 'any' after top 10, not 'join'"},
           {"r: top 10 enter", "expected a coin"},
           {"r: top 10 any SOL", "unexpected 'SOL'"},
           {"r: top 10 leave SOL 5", "unexpected '5'"},
           {"r: top 10 any hysteresis=1.5", "a whole number of ranks, not '1.5'"},
           {"r:", "nothing after 'r:'; in the configuration file, quote the whole value"},
           {"r: change 2h BTC above 1", "1h, 24h, 7d or 30d, not '2h'"},
           {"r: price above 1", "expected a coin"},
           {"r: price id:x above 1", "'id:x' is not a CMC id"},
           {"r: price id:0 above 1", "'id:0' is not a CMC id"},
           {"r: price BTC over 1", "expected 'above' or 'below' after the coin, not 'over'"},
           {"r: price BTC above", "'' is not a number"},
           {"r: price BTC above 1k", "'1k' is not a number"},
           {"r: price BTC above -5", "a price level must be positive"},
           {"r: price BTC above 1 usd", "'usd' is not a quote currency"},
           {"r: price BTC above 1 USD cooldown=1w", "'1w' is not a duration"},
           {"r: price BTC above 1 USD cooldown=400d", "at most 366d"},
           {"r: price BTC above 1 hysteresis=-1", "hysteresis '-1' is not a number >= 0"},
           {"r: price BTC above 1 cooldown=1h cooldown=2h", "cooldown is given twice"},
           {"r: price BTC above 1 colour=red", "unknown option 'colour'"},
           {"r: price BTC above 1 USD extra", "unexpected 'extra'"},
           {"r: price BTC above 1 channels=", "channels= names no channel"},
       }) {
    auto parsed = ParseMarketRule(c.line);
    ASSERT_FALSE(parsed.ok()) << c.line;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << c.line << " -> " << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find('\n'), std::string::npos) << "one line";
  }
}

TEST(RulesTest, WebhookChannels) {
  ASSERT_OK_AND_ASSIGN(
      WebhookChannel channel,
      ParseWebhookChannel("ops: https://hooks.example.com/coinlake secret-env=OPS_SECRET "
                          "timeout=5s"));
  EXPECT_EQ(channel.name, "ops");
  EXPECT_EQ(channel.url, "https://hooks.example.com/coinlake");
  EXPECT_EQ(channel.secret_env, "OPS_SECRET");
  EXPECT_TRUE(channel.secret_file.empty());
  EXPECT_EQ(channel.timeout, std::chrono::seconds(5));
  ASSERT_OK_AND_ASSIGN(channel, ParseWebhookChannel("local: http://127.0.0.1:9000/x "
                                                    "secret-file=/etc/coinlake/hook.secret"));
  EXPECT_EQ(channel.secret_file, "/etc/coinlake/hook.secret");
  EXPECT_EQ(channel.timeout, std::chrono::seconds(10));

  for (auto [line, says] : std::vector<std::pair<const char*, const char*>>{
           {"ops: ftp://x secret-env=S", "expected the receiver's URL"},
           {"ops: https://x", "exactly one of secret-file=PATH or secret-env=VARIABLE"},
           {"ops: https://x secret-env=A secret-file=/b", "exactly one of"},
           {"ops: https://x secret-env=", "secret-env has no value"},
           {"ops: https://x secret-env=S timeout=0", "timeout must be 1s..300s"},
           {"ops: https://x secret-env=S retries=3", "unknown option 'retries'"},
           {"https://x secret-env=S", "expected 'NAME: ...'"},
       }) {
    auto parsed = ParseWebhookChannel(line);
    ASSERT_FALSE(parsed.ok()) << line;
    EXPECT_NE(parsed.status().message().find(says), std::string::npos)
        << line << " -> " << parsed.status().message();
  }
}

TEST(RulesTest, ConfigChecksNamesAndChannelsTogether) {
  ASSERT_OK_AND_ASSIGN(
      AlertConfig config,
      ParseAlertConfig({"a: price BTC above 1", "b: price ETH below 1 channels=ops"},
                       {"ops: https://x/1 secret-env=S", "chat: https://x/2 secret-env=T"}));
  EXPECT_EQ(config.rules.size(), 2u);
  EXPECT_EQ(config.channels.size(), 2u);
  ASSERT_OK_AND_ASSIGN(config, ParseAlertConfig({}, {}));
  EXPECT_TRUE(config.empty());

  auto message = [](const StatusOr<AlertConfig>& parsed) {
    return std::string(parsed.status().message());
  };
  auto twice = ParseAlertConfig({"a: price BTC above 1", "a: price ETH above 1"},
                                {"ops: https://x secret-env=S"});
  EXPECT_EQ(message(twice), "alert-rule a: the name is used by another rule");
  auto unknown =
      ParseAlertConfig({"a: price BTC above 1 channels=pager"}, {"ops: https://x secret-env=S"});
  EXPECT_NE(message(unknown).find("channel 'pager' is not configured"), std::string::npos);
  auto nowhere = ParseAlertConfig({"a: price BTC above 1"}, {});
  EXPECT_NE(message(nowhere).find("no channel"), std::string::npos);
  auto channel_twice =
      ParseAlertConfig({}, {"ops: https://x secret-env=S", "ops: https://y secret-env=S"});
  EXPECT_EQ(message(channel_twice), "alert-webhook ops: the name is used by another channel");
}

TEST(RulesTest, Durations) {
  EXPECT_EQ(*ParseDuration("90s"), seconds(90));
  EXPECT_EQ(*ParseDuration("15m"), seconds(900));
  EXPECT_EQ(*ParseDuration("1h"), seconds(3600));
  EXPECT_EQ(*ParseDuration("2d"), seconds(172800));
  EXPECT_EQ(*ParseDuration("0"), seconds(0));
  for (const char* bad : {"", "h", "1", "1.5h", "-1h", "1hh", "10y"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace coinlake::alerts
