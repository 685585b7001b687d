#include "alerts/channel_config.h"

#include <gtest/gtest.h>

#include "alerts/notification_text.h"
#include "alerts/rules.h"
#include "tests/status_matchers.h"

namespace coinlake::alerts {
namespace {

std::string ErrorOf(std::string_view line) {
  auto parsed = ParseChannel(line);
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(ChannelConfigTest, EachKind) {
  ASSERT_OK_AND_ASSIGN(ChannelConfig slack, ParseChannel("team: slack secret-env=SLACK_URL"));
  EXPECT_EQ(slack.kind, ChannelKind::kSlack);
  EXPECT_EQ(slack.secret_env, "SLACK_URL");
  EXPECT_EQ(slack.timeout, std::chrono::seconds(10));

  ASSERT_OK_AND_ASSIGN(ChannelConfig discord,
                       ParseChannel("d: discord secret-file=/etc/d.secret timeout=5s"));
  EXPECT_EQ(discord.kind, ChannelKind::kDiscord);
  EXPECT_EQ(discord.secret_file, "/etc/d.secret");
  EXPECT_EQ(discord.timeout, std::chrono::seconds(5));

  ASSERT_OK_AND_ASSIGN(ChannelConfig tg,
                       ParseChannel("tg: telegram chat=-1001234 secret-env=BOT_TOKEN"));
  EXPECT_EQ(tg.chat_id, "-1001234");
  EXPECT_EQ(tg.url, "https://api.telegram.org");
  ASSERT_OK_AND_ASSIGN(tg, ParseChannel("tg: telegram chat=@prices secret-env=T "
                                        "api=http://127.0.0.1:8081/"));
  EXPECT_EQ(tg.url, "http://127.0.0.1:8081");

  ASSERT_OK_AND_ASSIGN(ChannelConfig ntfy,
                       ParseChannel("push: ntfy https://ntfy.sh/coinlake-x1 priority=high "
                                    "tags=chart,money"));
  EXPECT_EQ(ntfy.url, "https://ntfy.sh/coinlake-x1");
  EXPECT_EQ(ntfy.priority, "high");
  EXPECT_EQ(ntfy.tags, "chart,money");
  EXPECT_FALSE(ntfy.has_secret());

  ASSERT_OK_AND_ASSIGN(ChannelConfig mail,
                       ParseChannel("mail: email smtp://mail.example.com:587 from=a@example.com "
                                    "to=b@example.com,c@example.com user=a secret-env=SMTP_PASS "
                                    "ca-file=/etc/ca.pem"));
  EXPECT_EQ(mail.url, "smtp://mail.example.com:587");
  EXPECT_EQ(mail.to, (std::vector<std::string>{"b@example.com", "c@example.com"}));
  EXPECT_EQ(mail.user, "a");
  EXPECT_EQ(mail.ca_file, "/etc/ca.pem");

  ASSERT_OK_AND_ASSIGN(ChannelConfig sns,
                       ParseChannel("aws: sns arn:aws:sns:eu-west-1:123456789012:alerts.fifo"));
  EXPECT_EQ(sns.region, "eu-west-1");
  EXPECT_EQ(sns.url, "https://sns.eu-west-1.amazonaws.com");
  EXPECT_EQ(sns.topic_arn, "arn:aws:sns:eu-west-1:123456789012:alerts.fifo");

  ASSERT_OK_AND_ASSIGN(ChannelConfig hook,
                       ParseChannel("ops: webhook https://h.example.com/x secret-env=S"));
  EXPECT_EQ(hook.kind, ChannelKind::kWebhook);
  EXPECT_EQ(hook.url, "https://h.example.com/x");
}

TEST(ChannelConfigTest, MistakesNameTheChannelAndTheFault) {
  EXPECT_EQ(ErrorOf("team: slack"),
            "alert-channel team: needs secret-file=PATH or secret-env=VARIABLE holding the slack "
            "webhook URL (it is a credential, so it is not written on this line)");
  EXPECT_EQ(ErrorOf("team: slack https://hooks.slack.com/services/T/B/X"),
            "alert-channel team: unexpected 'https://hooks.slack.com/services/T/B/X'");
  EXPECT_EQ(ErrorOf("x: pager secret-env=S"),
            "alert-channel x: unknown kind 'pager' (webhook, slack, discord, telegram, ntfy, "
            "email, sns)");
  EXPECT_EQ(ErrorOf("tg: telegram secret-env=T"),
            "alert-channel tg: needs chat=CHAT_ID (where "
            "the bot posts)");
  EXPECT_EQ(ErrorOf("tg: telegram chat=abc secret-env=T"),
            "alert-channel tg: chat='abc' is not a chat id (a number, or @channelname)");
  EXPECT_EQ(ErrorOf("p: ntfy topic"),
            "alert-channel p: expected the topic's URL (https://ntfy.sh/TOPIC) after 'ntfy'");
  EXPECT_EQ(ErrorOf("p: ntfy https://ntfy.sh/t priority=9"),
            "alert-channel p: priority must be 1..5 or min, low, default, high, urgent");
  EXPECT_EQ(ErrorOf("p: ntfy https://ntfy.sh/t chat=1"),
            "alert-channel p: unknown option 'chat' for ntfy (secret-file, secret-env, priority, "
            "tags, timeout)");
  EXPECT_EQ(ErrorOf("m: email http://mail:25 from=a@b to=c@d"),
            "alert-channel m: expected the SMTP server after 'email': smtp://HOST[:PORT] "
            "(STARTTLS, required) or smtps://HOST[:PORT] (TLS from the start)");
  EXPECT_EQ(ErrorOf("m: email smtp://mail to=c@d"), "alert-channel m: needs from=ADDRESS");
  EXPECT_EQ(ErrorOf("m: email smtp://mail from=a@b to=c"),
            "alert-channel m: to: 'c' is not a mail address");
  EXPECT_EQ(ErrorOf("m: email smtp://mail from=a@b to=c@d user=a"),
            "alert-channel m: user=NAME and secret-file=PATH|secret-env=VARIABLE (the password) "
            "go together");
  EXPECT_EQ(ErrorOf("s: sns arn:aws:sqs:eu-west-1:1:q"),
            "alert-channel s: expected the topic's ARN after 'sns' "
            "(arn:aws:sns:REGION:ACCOUNT:TOPIC)");
  EXPECT_EQ(ErrorOf("s: sns arn:aws:sns:eu-west-1:1:t secret-env=X"),
            "alert-channel s: unknown option 'secret-env' for sns (endpoint, timeout)");
  EXPECT_EQ(ErrorOf("h: webhook ftp://x secret-env=S"),
            "alert-channel h: expected the receiver's URL (http:// or https://) after the name");
  EXPECT_EQ(ErrorOf("d: discord secret-env=A secret-file=B"),
            "alert-channel d: give one of secret-file and secret-env, not both");
  EXPECT_EQ(ErrorOf("d: discord secret-env=A timeout=1h"),
            "alert-channel d: timeout must be 1s..300s");
  EXPECT_NE(ErrorOf("slack secret-env=A").find("expected 'NAME: KIND ...'"), std::string::npos);
}

TEST(ChannelConfigTest, AlertConfigTakesBothLinesAndKeepsNamesUnique) {
  ASSERT_OK_AND_ASSIGN(AlertConfig config, ParseAlertConfig({"a: price BTC above 1 channels=team"},
                                                            {"ops: https://x secret-env=S"},
                                                            {"team: slack secret-env=SLACK"}));
  ASSERT_EQ(config.channels.size(), 2u);
  EXPECT_EQ(config.channels[0].kind, ChannelKind::kWebhook);
  EXPECT_EQ(config.channels[1].kind, ChannelKind::kSlack);
  auto twice =
      ParseAlertConfig({}, {"ops: https://x secret-env=S"}, {"ops: slack secret-env=SLACK"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "alert-channel ops: the name is used by another channel");
  auto bad = ParseAlertConfig({}, {}, {"team: slack"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("alert-channel team:"), std::string::npos);
}

constexpr std::string_view kFiring =
    R"({"rule": "btc-100k", "time": "2026-12-06T14:05:00.000Z", "event": "firing",
        "values": {"level": 100000, "value": 100213.5, "metric": "price", "currency": "USD",
                   "direction": "above", "hysteresis": 500},
        "channel": "ops", "subject": {"name": "Bitcoin", "cmc_id": 1, "symbol": "BTC"},
        "condition": "price BTC above 100000 USD cooldown=1h",
        "idempotency_key": "btc-100k/1/firing/1796565900/ops"})";

TEST(NotificationTextTest, FiringResolvedTestAndUnknown) {
  NotificationText firing = FormatNotification(kFiring);
  EXPECT_EQ(firing.event, "firing");
  EXPECT_EQ(firing.title, "coinlake FIRING btc-100k (BTC)");
  EXPECT_EQ(firing.line,
            "FIRING btc-100k: Bitcoin (BTC) price is 100213.5 USD, above 100000 USD (condition: "
            "price BTC above 100000 USD cooldown=1h; at 2026-12-06T14:05:00.000Z)");

  NotificationText resolved = FormatNotification(
      R"({"rule": "crash", "event": "resolved", "time": "T",
          "values": {"level": -10, "value": -7.5, "metric": "percent_change_1h",
                     "currency": "USD", "direction": "below"},
          "subject": {"name": "Ether", "symbol": "ETH"}, "condition": "change 1h ETH below -10"})");
  EXPECT_EQ(resolved.line,
            "RESOLVED crash: Ether (ETH) percent_change_1h is -7.5 % (USD), back above -10 % "
            "(USD) (condition: change 1h ETH below -10; at T)");

  NotificationText test = FormatNotification(
      R"({"idempotency_key": "test/ops/1", "rule": null, "event": "test", "time": "T",
          "channel": "ops", "message": "coinlake alerts test: this channel works"})");
  EXPECT_EQ(test.line, "TEST: coinlake alerts test: this channel works (channel ops, at T)");
  EXPECT_EQ(test.title, "coinlake TEST");

  // A dominance rule: the coin is in the words ("BTC dominance"), the share is rounded.
  NotificationText dominance = FormatNotification(
      R"({"rule": "btc-dom", "event": "firing", "time": "T",
          "values": {"metric": "btc_dominance", "value": 52.3041, "level": 52.0,
                     "direction": "above", "hysteresis": 0.5},
          "subject": {"cmc_id": 1, "symbol": "BTC", "name": "Bitcoin"},
          "condition": "dominance BTC above 52 hysteresis=0.5"})");
  EXPECT_EQ(dominance.line,
            "FIRING btc-dom: BTC dominance 52.3 % crossed above 52 % (condition: dominance BTC "
            "above 52 hysteresis=0.5; at T)");
  EXPECT_EQ(dominance.title, "coinlake FIRING btc-dom (BTC)");
  NotificationText back = FormatNotification(
      R"({"rule": "eth-dom", "event": "resolved", "time": "T",
          "values": {"metric": "eth_dominance", "value": 10.004, "level": 10,
                     "direction": "below", "hysteresis": 0},
          "subject": {"cmc_id": 1027, "symbol": "ETH", "name": "Ethereum"},
          "condition": "dominance ETH below 10"})");
  EXPECT_EQ(back.line,
            "RESOLVED eth-dom: ETH dominance 10.004 % back above 10 % (condition: dominance ETH "
            "below 10; at T)")
      << "rounded to 10, the share would read as the level: it is shown in full";

  // A pipeline rule: its summary is the sentence, not its values (found reading a Slack message
  // that said "FIRING etl-stale:  is  %").
  NotificationText stale = FormatNotification(
      R"json({"rule": "etl-stale", "kind": "pipeline", "check": "stale", "event": "firing",
          "time": "T", "subject": {"pipeline": true},
          "summary": "no live snapshot loaded for 15 min (3 intervals of 300 s)",
          "values": {"seconds_since_last_load": 900, "interval_seconds": 300, "intervals": 3},
          "condition": "pipeline stale 3", "channel": "ops"})json");
  EXPECT_EQ(stale.line,
            "FIRING etl-stale: no live snapshot loaded for 15 min (3 intervals of 300 s) "
            "(condition: pipeline stale 3; at T)");
  EXPECT_EQ(stale.title, "coinlake FIRING etl-stale");
  NotificationText stopped = FormatNotification(
      R"({"rule": "stopped", "kind": "pipeline", "check": "endpoint-stopped", "event": "resolved",
          "time": "T", "subject": {"endpoint": "listings_latest"},
          "summary": "CMC answers listings_latest again", "values": {},
          "condition": "pipeline endpoint-stopped"})");
  EXPECT_EQ(stopped.line,
            "RESOLVED stopped: listings_latest: CMC answers listings_latest again (condition: "
            "pipeline endpoint-stopped; at T)");

  NotificationText odd = FormatNotification("not json");
  EXPECT_EQ(odd.line, "coinlake notification: not json");
}

}  // namespace
}  // namespace coinlake::alerts
