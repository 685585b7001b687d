// Delivery of the outbox to a real HTTP receiver on 127.0.0.1 (cpp-httplib) from a real
// PostgreSQL: signed, in order, once; through a receiver that is down, answers 429 or 500, or is
// too slow; and after a crash between recording and sending.
#include "alerts/sender.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/chat_channels.h"
#include "alerts/outbox.h"
#include "alerts/webhook.h"
#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using coinlake::testing::ReadFixture;
using coinlake::testing::TestDatabase;
using std::chrono::milliseconds;

constexpr std::string_view kSecret = "correct horse battery staple";

// HMAC-SHA256 written out from its definition (RFC 2104) over the project's plain SHA-256, so
// the receiver checks the signature without the sender's code.
std::string IndependentHmacHex(std::string_view key, std::string_view message) {
  std::string k(key);
  if (k.size() > 64) k = Sha256(k);
  k.resize(64, '\0');
  std::string inner = k, outer = k;
  for (char& c : inner) c = static_cast<char>(c ^ 0x36);
  for (char& c : outer) c = static_cast<char>(c ^ 0x5c);
  return HexEncode(Sha256(outer + Sha256(inner + std::string(message))));
}

// What the receiver answers to one request.
struct Answer {
  int status = 200;
  std::string retry_after;
  milliseconds delay{0};  // before answering
};

// A webhook receiver: checks each request's signature, answers from a script (then 200).
class Receiver {
 public:
  struct Got {
    std::string key;  // Idempotency-Key
    std::string body;
    bool signed_ok = false;
    int answered = 0;
  };

  explicit Receiver(int port = 0) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Answer answer;
      {
        std::lock_guard lock(mu_);
        if (!script_.empty()) {
          answer = script_.front();
          script_.erase(script_.begin());
        }
      }
      std::this_thread::sleep_for(answer.delay);
      Got got{req.get_header_value("Idempotency-Key"), req.body,
              req.get_header_value("X-Coinlake-Signature") ==
                  "sha256=" + IndependentHmacHex(kSecret, req.body),
              answer.status};
      {
        std::lock_guard lock(mu_);
        got_.push_back(got);
      }
      res.status = answer.status;
      if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
      res.set_content(answer.status < 300 ? "{\"ok\":true}" : "try later", "application/json");
    });
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1")
                      : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void Script(std::vector<Answer> answers) {
    std::lock_guard lock(mu_);
    script_ = std::move(answers);
  }
  std::vector<Got> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  // The keys of the requests it answered 2xx, in arrival order.
  std::vector<std::string> accepted() {
    std::vector<std::string> keys;
    for (const Got& g : got())
      if (g.answered < 300) keys.push_back(g.key);
    return keys;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Answer> script_;
  std::vector<Got> got_;
};

// The sender's channels (before the helper below, whose name hides the class).
using Channels = std::vector<std::unique_ptr<Channel>>;

WebhookChannel Channel(int port, milliseconds timeout = milliseconds(2000)) {
  WebhookChannel channel;
  channel.name = "ops";
  channel.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  channel.secret_env = "COINLAKE_SENDER_TEST_SECRET";
  channel.timeout = timeout;
  return channel;
}

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("COINLAKE_SENDER_TEST_SECRET", std::string(kSecret).c_str(), 1);
    db_.Migrate();
    conn_ = db_.Connect();
    options_.database_url = db_.url();
    options_.initial_backoff = milliseconds(100);
    options_.max_backoff = milliseconds(400);
    options_.poll = milliseconds(50);
  }
  // Outbox rows as a load would write them; returns their keys in id order.
  std::vector<std::string> Record(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
      std::string key = "r" + std::to_string(next_) + "/1/firing/0/ops";
      std::string body = nlohmann::json{{"idempotency_key", key}, {"n", next_}}.dump();
      EXPECT_OK(conn_->Execute(
          "INSERT INTO alert_outbox (rule, subject, event, channel, payload, idempotency_key) "
          "VALUES ($1, '1', 'firing', 'ops', $2::jsonb, $3)",
          {"r" + std::to_string(next_), body, key}));
      keys.push_back(key);
      ++next_;
    }
    return keys;
  }
  StatusOr<DeliveryPass> Pass(const WebhookChannel& channel) {
    Channels channels;
    channels.push_back(MakeWebhookChannel(FromWebhook(channel), std::string(kSecret)));
    return DeliverDue(*conn_, channels, options_, stop_);
  }
  // Passes until `n` rows are delivered in all, for at most `limit`.
  int DeliverUntil(const WebhookChannel& channel, int n, milliseconds limit = milliseconds(8000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int delivered = 0;
    while (delivered < n && std::chrono::steady_clock::now() < deadline) {
      auto pass = Pass(channel);
      EXPECT_OK(pass);
      if (pass.ok()) delivered += pass->delivered;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return delivered;
  }
  std::string Scalar(const std::string& sql) { return db_.Scalar(sql); }

  TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
  SenderOptions options_;
  StopSignal stop_;
  int next_ = 1;
};

TEST(SignatureTest, KnownAnswers) {
  // RFC 4231, test case 2.
  EXPECT_EQ(SignatureOf("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(SignatureOf(kSecret, "{\"a\":1}"), IndependentHmacHex(kSecret, "{\"a\":1}"));
  std::string long_key(100, 'k');  // longer than a block: hashed first
  EXPECT_EQ(SignatureOf(long_key, "x"), IndependentHmacHex(long_key, "x"));
}

TEST_F(SenderTest, DeliversInIdOrderSignedAndOnce) {
  Receiver receiver;
  std::vector<std::string> keys = Record(3);
  ASSERT_OK_AND_ASSIGN(DeliveryPass pass, Pass(Channel(receiver.port())));
  EXPECT_EQ(pass.delivered, 3);
  EXPECT_EQ(pass.failed, 0);
  EXPECT_EQ(receiver.accepted(), keys);
  for (const Receiver::Got& got : receiver.got()) {
    EXPECT_TRUE(got.signed_ok) << got.body;
    // The body is the stored payload as PostgreSQL prints it, carrying the same key.
    EXPECT_EQ(nlohmann::json::parse(got.body)["idempotency_key"], got.key);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL AND "
                   "attempts = 1 AND last_error IS NULL"),
            "3");
  ASSERT_OK_AND_ASSIGN(pass, Pass(Channel(receiver.port())));
  EXPECT_EQ(pass.delivered, 0);
  EXPECT_EQ(receiver.got().size(), 3u) << "a delivered row is never sent again";
}

TEST_F(SenderTest, AReceiverDownGetsTheBacklogInOrderOnceItIsUp) {
  coinlake::testing::RefusingPort down;  // the receiver is down: connections are refused
  const int port = down.port();
  std::vector<std::string> keys = Record(2);
  options_.initial_backoff = milliseconds(1000);  // longer than starting the receiver takes
  options_.max_backoff = milliseconds(1000);
  ASSERT_OK_AND_ASSIGN(DeliveryPass pass, Pass(Channel(port)));
  EXPECT_EQ(pass.delivered, 0);
  EXPECT_EQ(pass.failed, 1) << "the first failure stops the channel's pass: order is kept";
  EXPECT_EQ(Scalar("SELECT attempts FROM alert_outbox ORDER BY id LIMIT 1"), "1");
  EXPECT_EQ(Scalar("SELECT attempts FROM alert_outbox ORDER BY id DESC LIMIT 1"), "0");
  EXPECT_NE(Scalar("SELECT last_error FROM alert_outbox ORDER BY id LIMIT 1"), "");
  EXPECT_EQ(Scalar("SELECT next_attempt_at > now() FROM alert_outbox ORDER BY id LIMIT 1"), "t");

  down.Release();
  Receiver receiver(port);
  ASSERT_EQ(receiver.port(), port);
  ASSERT_OK_AND_ASSIGN(pass, Pass(Channel(port)));
  EXPECT_EQ(pass.delivered, 0) << "the backoff is kept even though the receiver is back";
  EXPECT_EQ(DeliverUntil(Channel(port), 2), 2);
  EXPECT_EQ(receiver.accepted(), keys);
  EXPECT_EQ(receiver.got().size(), 2u);
  EXPECT_EQ(Scalar("SELECT string_agg(attempts::text, ',' ORDER BY id) FROM alert_outbox"), "2,1");
}

TEST_F(SenderTest, TooManyRequestsWaitsForRetryAfter) {
  Receiver receiver;
  receiver.Script({{429, "1"}});
  std::vector<std::string> keys = Record(2);
  ASSERT_OK_AND_ASSIGN(DeliveryPass pass, Pass(Channel(receiver.port())));
  EXPECT_EQ(pass.failed, 1);
  // Retry-After: 1 s, not the 100 ms backoff. Measured from the row's recording, which came
  // before the attempt, not from now: a loaded machine may take a while to ask (a CI flake).
  EXPECT_EQ(Scalar("SELECT next_attempt_at >= created_at + interval '1 second' FROM "
                   "alert_outbox ORDER BY id LIMIT 1"),
            "t");
  EXPECT_EQ(Scalar("SELECT last_error FROM alert_outbox ORDER BY id LIMIT 1"),
            "HTTP 429: try later");
  EXPECT_EQ(DeliverUntil(Channel(receiver.port()), 2), 2);
  EXPECT_EQ(receiver.accepted(), keys) << "each delivered once, in order";
  std::vector<Receiver::Got> got = receiver.got();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].key, keys[0]);
  EXPECT_EQ(got[0].answered, 429);
  EXPECT_EQ(got[1].key, keys[0]);
  EXPECT_EQ(got[1].body, got[0].body) << "a retry sends the same bytes";
}

TEST_F(SenderTest, ServerErrorsAreRetriedWithBackoff) {
  Receiver receiver;
  receiver.Script({{500}, {503}});
  std::vector<std::string> keys = Record(2);
  EXPECT_EQ(DeliverUntil(Channel(receiver.port()), 2), 2);
  EXPECT_EQ(receiver.accepted(), keys);
  std::vector<Receiver::Got> got = receiver.got();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].answered, 500);
  EXPECT_EQ(got[1].answered, 503);
  EXPECT_EQ(got[0].key, keys[0]);
  EXPECT_EQ(got[1].key, keys[0]);
  EXPECT_EQ(got[2].key, keys[0]);
  EXPECT_EQ(got[3].key, keys[1]);
  EXPECT_EQ(Scalar("SELECT string_agg(attempts::text, ',' ORDER BY id) FROM alert_outbox"), "3,1");
}

// A receiver slower than the channel's timeout: the attempt counts as failed and is made again.
// The receiver then holds the notification twice under one key, which it drops as a repeat:
// delivery is at least once, the key makes it once.
TEST_F(SenderTest, ASlowReceiverTimesOutAndGetsItAgain) {
  Receiver receiver;
  receiver.Script({{200, "", milliseconds(1500)}});
  std::vector<std::string> keys = Record(1);
  WebhookChannel channel = Channel(receiver.port(), milliseconds(400));
  ASSERT_OK_AND_ASSIGN(DeliveryPass pass, Pass(channel));
  EXPECT_EQ(pass.failed, 1);
  EXPECT_NE(Scalar("SELECT last_error FROM alert_outbox").find("Timeout"), std::string::npos)
      << Scalar("SELECT last_error FROM alert_outbox");
  EXPECT_EQ(DeliverUntil(channel, 1), 1);
  EXPECT_EQ(Scalar("SELECT attempts FROM alert_outbox WHERE delivered_at IS NOT NULL"), "2");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (receiver.got().size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
  std::vector<Receiver::Got> got = receiver.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].key, keys[0]);
  EXPECT_EQ(got[1].key, keys[0]);
  EXPECT_EQ(got[0].body, got[1].body);
}

// kill -9 after the load committed its notifications and before any was sent: the next
// process's sender finds them in the outbox and delivers each once; a sender after it sends
// nothing more.
TEST_F(SenderTest, NotificationsRecordedBeforeACrashAreSentOnceAfterRestart) {
  Receiver receiver;
  auto config = ParseAlertConfig({"btc-up: price BTC above 1000", "eth-up: price ETH above 1"},
                                 {"ops: http://127.0.0.1:" + std::to_string(receiver.port()) +
                                  "/hook secret-env=COINLAKE_SENDER_TEST_SECRET"});
  ASSERT_OK(config);
  auto shared = std::make_shared<const AlertConfig>(*config);
  ASSERT_OK_AND_ASSIGN(
      cmc::QuotesPayload snapshot,
      cmc::ParseListings(ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json")));
  {
    warehouse::Loader loader(*conn_);
    loader.SetInTransaction(MarketAlertsHook(shared, {std::string(lake::kListingsLatest)}));
    std::string key = lake::RawBodyKey(lake::kListingsLatest, snapshot.status.timestamp);
    ASSERT_OK(loader
                  .LoadQuotes({key, Sha256Hex(key), 1, std::string(lake::kListingsLatest),
                               snapshot.status.timestamp},
                              snapshot)
                  .status());
  }  // ...and the process dies here: no sender ever ran.
  ASSERT_EQ(Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"), "2");

  options_.channels = config->channels;
  for (int process = 0; process < 2; ++process) {
    ASSERT_OK_AND_ASSIGN(auto sender, OutboxSender::Make(options_));
    sender->Start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL") != "0" &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::this_thread::sleep_for(milliseconds(300));  // several polls: nothing more is sent
    sender->Stop();
  }
  std::vector<Receiver::Got> got = receiver.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["rule"], "btc-up");
  EXPECT_EQ(nlohmann::json::parse(got[1].body)["rule"], "eth-up");
  for (const Receiver::Got& g : got) EXPECT_TRUE(g.signed_ok);
}

// A woken sender looks at once, not at its next poll (`run` wakes it after each cycle).
TEST_F(SenderTest, WakeDeliversWithoutWaitingForThePoll) {
  Receiver receiver;
  options_.channels = {FromWebhook(Channel(receiver.port()))};
  options_.poll = std::chrono::seconds(30);
  ASSERT_OK_AND_ASSIGN(auto sender, OutboxSender::Make(options_));
  sender->Start();  // its first pass finds nothing; the next poll is 30 s away
  std::this_thread::sleep_for(milliseconds(200));
  std::vector<std::string> keys = Record(1);
  auto woken = std::chrono::steady_clock::now();
  sender->Wake();
  while (receiver.got().empty() && std::chrono::steady_clock::now() - woken < milliseconds(5000))
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(receiver.accepted(), keys);
  EXPECT_LT(std::chrono::steady_clock::now() - woken, milliseconds(5000));
  auto stopping = std::chrono::steady_clock::now();
  sender->Stop();  // wakes it from its 30 s wait at once
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, milliseconds(2000));
}

TEST_F(SenderTest, AMissingSecretStopsTheSenderBeforeItStarts) {
  unsetenv("COINLAKE_SENDER_TEST_SECRET");
  options_.channels = {FromWebhook(Channel(1))};
  auto sender = OutboxSender::Make(options_);
  EXPECT_EQ(sender.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(sender.status().message().find("$COINLAKE_SENDER_TEST_SECRET"), std::string::npos);
}

// A kind other than the webhook through the same sender: Telegram's 429 carries its wait in the
// JSON (parameters.retry_after), which the sender honours as it does a Retry-After; the row then
// goes through, formatted for Telegram from the stored payload.
TEST_F(SenderTest, AChatChannelsOwnRetryAfterIsHonoured) {
  httplib::Server telegram;
  std::mutex mu;
  std::vector<std::string> bodies;
  telegram.Post(
      R"(/bot[^/]+/sendMessage)", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu);
        bodies.push_back(req.body);
        if (bodies.size() == 1) {
          res.status = 429;
          res.set_content(R"({"ok":false,"error_code":429,"parameters":{"retry_after":1}})",
                          "application/json");
        } else {
          res.set_content(R"({"ok":true})", "application/json");
        }
      });
  int port = telegram.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { telegram.listen_after_bind(); });
  while (!telegram.is_running()) std::this_thread::sleep_for(milliseconds(1));

  Record(1);
  setenv("COINLAKE_SENDER_TEST_BOT_TOKEN", "42:bot-token", 1);
  ASSERT_OK_AND_ASSIGN(
      ChannelConfig config,
      ParseChannel("ops: telegram chat=7 secret-env=COINLAKE_SENDER_TEST_BOT_TOKEN "
                   "api=http://127.0.0.1:" +
                   std::to_string(port)));
  ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(config));
  Channels channels;
  channels.push_back(std::move(channel));
  ASSERT_OK_AND_ASSIGN(DeliveryPass pass, DeliverDue(*conn_, channels, options_, stop_));
  EXPECT_EQ(pass.failed, 1);
  // 1 s from the JSON, not the 100 ms backoff (from the row's recording, as above).
  EXPECT_EQ(Scalar("SELECT next_attempt_at >= created_at + interval '1 second' FROM alert_outbox"),
            "t");
  EXPECT_TRUE(Scalar("SELECT last_error FROM alert_outbox").starts_with("HTTP 429: "));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int delivered = 0;
  while (delivered == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_OK_AND_ASSIGN(pass, DeliverDue(*conn_, channels, options_, stop_));
    delivered += pass.delivered;
    std::this_thread::sleep_for(milliseconds(50));
  }
  telegram.stop();
  thread.join();
  EXPECT_EQ(delivered, 1);
  std::lock_guard lock(mu);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], bodies[1]);
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["chat_id"], "7");
}

}  // namespace
}  // namespace coinlake::alerts
