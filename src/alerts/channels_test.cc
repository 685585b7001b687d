// Each HTTP channel kind against a real HTTP server on 127.0.0.1 (cpp-httplib) standing in for
// the service: the exact request its API requires (path, headers, JSON shape), and how its
// answers read: 2xx, 429 with Retry-After or the service's retry_after, a permanent 4xx, 500,
// a receiver that is down, one that is too slow.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "alerts/chat_channels.h"
#include "alerts/sns_channel.h"
#include "alerts/webhook.h"
#include "aws/credentials.h"
#include "common/log.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kFiring =
    R"({"rule": "btc-100k", "time": "2026-12-06T14:05:00.000Z", "event": "firing", )"
    R"("values": {"level": 100000, "value": 100213.5, "metric": "price", "currency": "USD", )"
    R"("direction": "above", "hysteresis": 500}, "channel": "team", )"
    R"("subject": {"name": "Bitcoin", "cmc_id": 1, "symbol": "BTC"}, )"
    R"("condition": "price BTC above 100000 USD <b>&</b>", )"
    R"("idempotency_key": "btc-100k/1/firing/1796565900/team"})";
constexpr std::string_view kLine =
    "FIRING btc-100k: Bitcoin (BTC) price is 100213.5 USD, above 100000 USD (condition: price "
    "BTC above 100000 USD <b>&</b>; at 2026-12-06T14:05:00.000Z)";

const Notification kNotification{"btc-100k/1/firing/1796565900/team", std::string(kFiring)};

struct Reply {
  int status = 200;
  std::string body = "ok";
  std::string retry_after;
  milliseconds delay{0};
};

// Any POST: kept, answered from a script (then 200 "ok").
class Service {
 public:
  Service() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Reply reply;
      {
        std::lock_guard lock(mu_);
        got_.push_back(req);
        if (!script_.empty()) {
          reply = script_.front();
          script_.erase(script_.begin());
        }
      }
      std::this_thread::sleep_for(reply.delay);
      res.status = reply.status;
      if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
      res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~Service() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Script(std::vector<Reply> replies) {
    std::lock_guard lock(mu_);
    script_ = std::move(replies);
  }
  std::vector<httplib::Request> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Reply> script_;
  std::vector<httplib::Request> got_;
};

// A channel made from its configuration line, the secret in an environment variable.
std::unique_ptr<Channel> Make(const std::string& line, const std::string& secret) {
  setenv("COINLAKE_CHANNELS_TEST_SECRET", secret.c_str(), 1);
  auto config = ParseChannel(line);
  EXPECT_OK(config);
  if (!config.ok()) return nullptr;
  auto channel = MakeChannel(*config);
  EXPECT_OK(channel);
  return channel.ok() ? std::move(channel).value() : nullptr;
}

TEST(SlackChannelTest, PostsTextToTheSecretUrl) {
  Service slack;
  const std::string url = slack.url() + "/services/T0001/B0002/XXXXXXXXsecret";
  auto channel = Make("team: slack secret-env=COINLAKE_CHANNELS_TEST_SECRET", url);
  ASSERT_NE(channel, nullptr);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered);
  EXPECT_EQ(answer.code, "HTTP 200");
  auto got = slack.got();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/services/T0001/B0002/XXXXXXXXsecret");
  EXPECT_EQ(got[0].get_header_value("Content-Type"), "application/json; charset=utf-8");
  // Slack's three escapes, nothing else.
  std::string escaped = std::string(kLine);
  escaped.replace(escaped.find("<b>&</b>"), 8, "&lt;b&gt;&amp;&lt;/b&gt;");
  EXPECT_EQ(nlohmann::json::parse(got[0].body), (nlohmann::json{{"text", escaped}}));
}

TEST(SlackChannelTest, AnswersReadAsSlackMeansThem) {
  Service slack;
  const std::string url = slack.url() + "/services/T/B/secretpart";
  auto channel = Make("team: slack secret-env=COINLAKE_CHANNELS_TEST_SECRET", url);
  ASSERT_NE(channel, nullptr);
  slack.Script({{429, "rate_limited", "30"}, {404, "no_service"}, {500, "oops"}});
  ASSERT_OK_AND_ASSIGN(ChannelAnswer limited, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(limited.delivered);
  EXPECT_EQ(limited.retry_after, seconds(30));
  EXPECT_EQ(limited.error, "HTTP 429: rate_limited");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer gone, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(gone.delivered);
  EXPECT_FALSE(gone.retry_after);
  EXPECT_TRUE(
      gone.error.starts_with("HTTP 404: no_service (permanent until the channel's "
                             "configuration or secret is fixed"))
      << gone.error;
  ASSERT_OK_AND_ASSIGN(ChannelAnswer broken, channel->Send(kNotification, nullptr));
  EXPECT_EQ(broken.error, "HTTP 500: oops");
}

TEST(SlackChannelTest, ASecretThatIsNotAUrlIsRefusedWithoutShowingIt) {
  setenv("COINLAKE_CHANNELS_TEST_SECRET", "xoxb-not-a-url-123", 1);
  ASSERT_OK_AND_ASSIGN(ChannelConfig config,
                       ParseChannel("team: slack secret-env=COINLAKE_CHANNELS_TEST_SECRET"));
  auto channel = MakeChannel(config);
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(channel.status().message(),
            "channel team: its secret is not a slack webhook URL (https://...)");
}

TEST(DiscordChannelTest, PostsContentWithoutMentionsAndReadsRetryAfterFromJson) {
  Service discord;
  const std::string url = discord.url() + "/api/webhooks/123/tokenpart";
  auto channel = Make("dc: discord secret-env=COINLAKE_CHANNELS_TEST_SECRET", url);
  ASSERT_NE(channel, nullptr);
  // Discord's rate limit answer: the wait is in the JSON (seconds, fractional).
  discord.Script({{429, R"({"message": "You are being rate limited.", "retry_after": 1.2,
                            "global": false})"},
                  {204, ""}});
  ASSERT_OK_AND_ASSIGN(ChannelAnswer limited, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(limited.delivered);
  EXPECT_EQ(limited.retry_after, seconds(2)) << "1.2 s rounded up";
  ASSERT_OK_AND_ASSIGN(ChannelAnswer ok, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(ok.delivered);
  EXPECT_EQ(ok.code, "HTTP 204");
  auto got = discord.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].path, "/api/webhooks/123/tokenpart");
  EXPECT_EQ(got[1].body, got[0].body);
  EXPECT_EQ(nlohmann::json::parse(got[1].body),
            (nlohmann::json{{"content", kLine},
                            {"allowed_mentions", {{"parse", nlohmann::json::array()}}}}));
}

TEST(TelegramChannelTest, SendMessageWithTheTokenInThePath) {
  Service telegram;
  auto channel = Make("tg: telegram chat=-1001234567890 api=" + telegram.url() +
                          " secret-env=COINLAKE_CHANNELS_TEST_SECRET",
                      "123456:ABC-DEF_secret");
  ASSERT_NE(channel, nullptr);
  telegram.Script(
      {{429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",)"
             R"("parameters":{"retry_after":7}})"},
       {400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})"},
       {200, R"({"ok":true,"result":{"message_id":1}})"}});
  ASSERT_OK_AND_ASSIGN(ChannelAnswer limited, channel->Send(kNotification, nullptr));
  EXPECT_EQ(limited.retry_after, seconds(7));
  ASSERT_OK_AND_ASSIGN(ChannelAnswer not_found, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(not_found.delivered);
  EXPECT_NE(not_found.error.find("chat not found"), std::string::npos);
  EXPECT_NE(not_found.error.find("permanent"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer ok, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(ok.delivered);
  auto got = telegram.got();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].path, "/bot123456:ABC-DEF_secret/sendMessage");
  EXPECT_EQ(got[2].get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(
      nlohmann::json::parse(got[2].body),
      (nlohmann::json{
          {"chat_id", "-1001234567890"}, {"text", kLine}, {"disable_web_page_preview", true}}));
}

TEST(TelegramChannelTest, ATransportErrorDoesNotShowTheToken) {
  coinlake::testing::RefusingPort down;
  auto channel = Make("tg: telegram chat=1 api=http://127.0.0.1:" + std::to_string(down.port()) +
                          " secret-env=COINLAKE_CHANNELS_TEST_SECRET",
                      "987654:tokensecretXYZ");
  ASSERT_NE(channel, nullptr);
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(std::string(answer.status().message()).find("tokensecretXYZ"), std::string::npos);
}

TEST(NtfyChannelTest, PostsTheLineWithTitlePriorityTagsAndToken) {
  Service ntfy;
  auto channel = Make("push: ntfy " + ntfy.url() +
                          "/coinlake-alerts tags=chart secret-env=COINLAKE_CHANNELS_TEST_SECRET",
                      "tk_ntfytoken");
  ASSERT_NE(channel, nullptr);
  ntfy.Script({{200, R"({"id":"abc","event":"message"})"}});
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered);
  auto got = ntfy.got();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/coinlake-alerts");
  EXPECT_EQ(got[0].body, kLine);
  EXPECT_EQ(got[0].get_header_value("Title"), "coinlake FIRING btc-100k (BTC)");
  EXPECT_EQ(got[0].get_header_value("Priority"), "high");
  EXPECT_EQ(got[0].get_header_value("Tags"), "rotating_light,chart");
  EXPECT_EQ(got[0].get_header_value("Authorization"), "Bearer tk_ntfytoken");
}

TEST(NtfyChannelTest, ASlowServerTimesOut) {
  Service ntfy;
  ntfy.Script({{200, "{}", "", milliseconds(2500)}});
  auto channel = Make("push: ntfy " + ntfy.url() + "/t timeout=1s", "");
  ASSERT_NE(channel, nullptr);
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.status().message().find("Timeout"), std::string::npos)
      << answer.status().message();
}

// The generic webhook through the Channel interface: the same request as PostWebhook's.
TEST(WebhookChannelTest, TheStoredPayloadGoesAsIsAndSigned) {
  Service receiver;
  auto channel =
      Make("ops: webhook " + receiver.url() + "/hook secret-env=COINLAKE_CHANNELS_TEST_SECRET",
           "hmac-key");
  ASSERT_NE(channel, nullptr);
  receiver.Script({{503, "later", "5"}, {200, "{\"ok\":true}"}});
  ASSERT_OK_AND_ASSIGN(ChannelAnswer later, channel->Send(kNotification, nullptr));
  EXPECT_EQ(later.error, "HTTP 503: later");
  EXPECT_FALSE(later.retry_after) << "Retry-After counts only on a 429, as before";
  ASSERT_OK_AND_ASSIGN(ChannelAnswer ok, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(ok.delivered);
  EXPECT_EQ(ok.said, "{\"ok\":true}");
  auto got = receiver.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, kFiring);
  EXPECT_EQ(got[1].get_header_value("Idempotency-Key"), kNotification.idempotency_key);
  EXPECT_EQ(got[1].get_header_value("X-Coinlake-Signature"),
            "sha256=" + SignatureOf("hmac-key", kFiring));
}

// tests/s3/fake_sns.mjs, started for one test and killed (by its pid) at the end. Its node
// modules are tests/s3's, which scripts/test installs for the fake S3.
class FakeSns {
 public:
  FakeSns() {
    port_file_ = dir_.path() + "/port";
    const std::string script = std::string(COINLAKE_SOURCE_DIR) + "/tests/s3/fake_sns.mjs";
    pid_ = fork();
    if (pid_ == 0) {
      execlp("node", "node", script.c_str(), port_file_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::ifstream in(port_file_);
      if (!(in >> port_)) port_ = 0;
      if (port_ == 0) std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_GT(port_, 0) << "fake_sns.mjs did not start (npm ci in tests/s3?)";
  }
  ~FakeSns() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Fault(const std::string& queue_json) {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Post("/__fault", "{\"queue\":" + queue_json + "}", "application/json");
    EXPECT_TRUE(res && res->status == 200);
  }
  nlohmann::json Published() {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/__published");
    EXPECT_TRUE(res && res->status == 200);
    return res ? nlohmann::json::parse(res->body) : nlohmann::json();
  }

 private:
  coinlake::testing::TempDir dir_;
  std::string port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::unique_ptr<Channel> SnsChannel(const FakeSns& sns, const std::string& arn,
                                    const std::string& secret = "coinlake-test-secret-0123456789") {
  auto config = ParseChannel("aws: sns " + arn + " endpoint=" + sns.url() + " timeout=5s");
  EXPECT_OK(config);
  aws::AwsCredentials credentials;
  credentials.access_key_id = "COINLAKETESTKEYID";
  credentials.secret_access_key = secret;
  credentials.source = "test";
  return MakeSnsChannel(*config, aws::MakeStaticCredentials(credentials));
}

TEST(SnsChannelTest, PublishesSignedWithSubjectAndMessage) {
  FakeSns sns;
  auto channel = SnsChannel(sns, "arn:aws:sns:eu-west-1:123456789012:coinlake-alerts");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered) << answer.error;
  EXPECT_TRUE(answer.said.starts_with("MessageId ")) << answer.said;
  nlohmann::json published = sns.Published();
  EXPECT_EQ(published["signature_failures"], 0);
  ASSERT_EQ(published["published"].size(), 1u);
  nlohmann::json params = published["published"][0]["params"];
  EXPECT_EQ(params["TopicArn"], "arn:aws:sns:eu-west-1:123456789012:coinlake-alerts");
  EXPECT_EQ(params["Subject"], "coinlake FIRING btc-100k (BTC)");
  EXPECT_EQ(params["Message"], std::string(kLine) + "\n\n" + std::string(kFiring));
  EXPECT_FALSE(params.contains("MessageDeduplicationId")) << "a standard topic refuses it";
}

// An instance role's credentials are temporary: the session token goes with them, signed.
TEST(SnsChannelTest, TemporaryCredentialsSendTheirSessionToken) {
  FakeSns sns;
  auto config = ParseChannel(
      "aws: sns arn:aws:sns:eu-west-1:123456789012:coinlake-alerts endpoint=" + sns.url() +
      " timeout=5s");
  ASSERT_OK(config);
  aws::AwsCredentials credentials{"COINLAKETESTTEMPKEY", "coinlake-test-temp-secret-0123",
                                  "coinlake-test-session-token", std::nullopt, "test"};
  auto channel = MakeSnsChannel(*config, aws::MakeStaticCredentials(credentials));
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered) << answer.error;
  EXPECT_EQ(sns.Published()["signature_failures"], 0);

  credentials.session_token = "another-token";
  auto wrong = MakeSnsChannel(*config, aws::MakeStaticCredentials(credentials));
  ASSERT_OK_AND_ASSIGN(ChannelAnswer refused, wrong->Send(kNotification, nullptr));
  EXPECT_FALSE(refused.delivered) << "the fake checks the token";
}

TEST(SnsChannelTest, AFifoTopicDropsARepeatByItsDeduplicationId) {
  FakeSns sns;
  auto channel = SnsChannel(sns, "arn:aws:sns:eu-west-1:123456789012:alerts.fifo");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer first, channel->Send(kNotification, nullptr));
  ASSERT_OK_AND_ASSIGN(ChannelAnswer again, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(first.delivered) << first.error;
  EXPECT_TRUE(again.delivered) << again.error;
  EXPECT_EQ(first.said, again.said) << "the repeat is answered with the first MessageId";
  nlohmann::json published = sns.Published();
  ASSERT_EQ(published["published"].size(), 1u);
  nlohmann::json params = published["published"][0]["params"];
  EXPECT_EQ(params["MessageGroupId"], "aws");
  EXPECT_EQ(params["MessageDeduplicationId"], kNotification.idempotency_key);
}

TEST(SnsChannelTest, ErrorsReadAsSnsMeansThem) {
  FakeSns sns;
  auto channel = SnsChannel(sns, "arn:aws:sns:eu-west-1:123456789012:coinlake-alerts");
  sns.Fault(R"(["Throttling", "AuthorizationError", "500"])");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer throttled, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(throttled.delivered);
  EXPECT_EQ(throttled.error, "SNS Throttling (HTTP 400): Rate exceeded");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer denied, channel->Send(kNotification, nullptr));
  EXPECT_FALSE(denied.delivered);
  EXPECT_TRUE(
      denied.error.starts_with("SNS AuthorizationError (HTTP 403): User is not authorized "
                               "to perform: SNS:Publish (permanent"))
      << denied.error;
  ASSERT_OK_AND_ASSIGN(ChannelAnswer broken, channel->Send(kNotification, nullptr));
  EXPECT_EQ(broken.error, "SNS InternalError (HTTP 500): internal");
  EXPECT_EQ(sns.Published()["published"].size(), 0u);

  // A wrong secret key: the independent verifier refuses the signature.
  auto forged =
      SnsChannel(sns, "arn:aws:sns:eu-west-1:123456789012:coinlake-alerts", "not-the-secret-key");
  ASSERT_OK_AND_ASSIGN(ChannelAnswer refused, forged->Send(kNotification, nullptr));
  EXPECT_FALSE(refused.delivered);
  EXPECT_TRUE(refused.error.starts_with("SNS SignatureDoesNotMatch (HTTP 403)")) << refused.error;
  EXPECT_EQ(sns.Published()["signature_failures"], 1);
}

TEST(SnsChannelTest, AnEndpointThatIsDownIsUnavailable) {
  coinlake::testing::RefusingPort down;
  auto config = ParseChannel("aws: sns arn:aws:sns:eu-west-1:1:t endpoint=http://127.0.0.1:" +
                             std::to_string(down.port()));
  ASSERT_OK(config);
  aws::AwsCredentials credentials{"COINLAKETESTKEYID", "x", "", std::nullopt, "test"};
  auto channel = MakeSnsChannel(*config, aws::MakeStaticCredentials(credentials));
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace coinlake::alerts
