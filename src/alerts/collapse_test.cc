// Backlog collapsing on a real PostgreSQL, and through the sender to a real HTTP receiver on
// 127.0.0.1: a firing and its resolved that waited behind a channel that was down go out as one
// notification, in order; a healthy channel's fresh firing is never held back.
#include "alerts/collapse.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/chat_channels.h"
#include "alerts/sender.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using coinlake::testing::RefusingPort;
using coinlake::testing::TestDatabase;
using nlohmann::json;
using std::chrono::milliseconds;

class CollapseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
  }
  // A row as a load writes it, on channel `channel`; returns its id.
  std::string Record(const std::string& rule, const std::string& event, int epoch, double value,
                     const std::string& channel = "ops") {
    std::string key = fmt::format("{}/1/{}/{}/{}", rule, event, epoch, channel);
    json body = {{"idempotency_key", key},
                 {"rule", rule},
                 {"event", event},
                 {"time", fmt::format("2026-12-06T14:{:02}:00.000Z", epoch % 60)},
                 {"values", {{"value", value}}}};
    auto rows = conn_->Query(
        "INSERT INTO alert_outbox (rule, subject, event, channel, payload, idempotency_key) "
        "VALUES ($1, '1', $2, $3, $4::jsonb, $5) RETURNING id",
        {rule, event, channel, body.dump(), key});
    EXPECT_OK(rows);
    return rows.ok() ? rows->text(0, 0) : "";
  }
  // What a failed attempt leaves on a row: the channel is down.
  void Failed(const std::string& id) {
    ASSERT_OK(conn_->Execute(
        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = 'connection refused', "
        "next_attempt_at = clock_timestamp() + interval '1 hour' WHERE id = $1",
        {id}));
  }
  std::string Scalar(const std::string& sql) { return db_.Scalar(sql); }

  TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
};

TEST_F(CollapseTest, AFiringAndItsResolvedBehindAFailedHeadBecomeOne) {
  std::string firing = Record("btc", "firing", 1, 100213.5);
  Failed(firing);
  std::string other = Record("eth", "firing", 2, 2100);
  std::string resolved = Record("btc", "resolved", 3, 99400);

  ASSERT_OK_AND_ASSIGN(int collapsed, CollapseBacklog(*conn_, "ops"));
  EXPECT_EQ(collapsed, 1);
  // The firing is settled and points at the resolved row, which carries its news and backoff.
  EXPECT_EQ(Scalar("SELECT collapsed_into FROM alert_outbox WHERE id = " + firing), resolved);
  EXPECT_EQ(Scalar("SELECT delivered_at IS NOT NULL FROM alert_outbox WHERE id = " + firing), "t");
  json payload = json::parse(Scalar("SELECT payload FROM alert_outbox WHERE id = " + resolved));
  EXPECT_EQ(payload["event"], "resolved");
  EXPECT_EQ(payload["fired_at"], "2026-12-06T14:01:00.000Z");
  EXPECT_EQ(payload["fired_value"], 100213.5);
  EXPECT_EQ(payload["collapsed"], "btc/1/firing/1/ops");
  EXPECT_EQ(payload["idempotency_key"], "btc/1/resolved/3/ops");  // keys do not change
  EXPECT_EQ(Scalar("SELECT attempts || ' ' || (next_attempt_at > clock_timestamp() + "
                   "interval '50 minutes') || ' ' || last_error FROM alert_outbox WHERE id = " +
                   resolved),
            "1 true connection refused");
  // The other rule's row still waits in its place, and is now the channel's head: it takes the
  // failed head's wait, so the channel that just failed is not asked again before its backoff.
  EXPECT_EQ(Scalar("SELECT collapsed_into IS NULL AND delivered_at IS NULL FROM alert_outbox "
                   "WHERE id = " +
                   other),
            "t");
  EXPECT_EQ(Scalar("SELECT attempts || ' ' || (next_attempt_at > clock_timestamp() + "
                   "interval '50 minutes') || ' ' || last_error FROM alert_outbox WHERE id = " +
                   other),
            "1 true connection refused");

  // Decided once: a second pass (or a restarted sender) finds nothing more to do.
  ASSERT_OK_AND_ASSIGN(int again, CollapseBacklog(*conn_, "ops"));
  EXPECT_EQ(again, 0);
  EXPECT_EQ(json::parse(Scalar("SELECT payload FROM alert_outbox WHERE id = " + resolved)),
            payload);
}

TEST_F(CollapseTest, AHealthyChannelsFreshFiringIsNeverHeldBack) {
  // Nothing has failed: the pair goes out as two notifications, as it happened.
  Record("btc", "firing", 1, 100213.5);
  Record("btc", "resolved", 3, 99400);
  ASSERT_OK_AND_ASSIGN(int collapsed, CollapseBacklog(*conn_, "ops"));
  EXPECT_EQ(collapsed, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"), "2");
}

TEST_F(CollapseTest, OnlyAFiringDirectlyFollowedByItsResolvedPerChannel) {
  std::string head = Record("btc", "resolved", 1, 99000);  // an older resolved, failing
  Failed(head);
  std::string f1 = Record("btc", "firing", 2, 100100);
  std::string r1 = Record("btc", "resolved", 3, 99100);
  std::string f2 = Record("btc", "firing", 4, 100300);  // still firing: nothing to pair with
  // Another channel, healthy: its pair stays two rows.
  Record("btc", "firing", 2, 100100, "chat");
  Record("btc", "resolved", 3, 99100, "chat");

  ASSERT_OK_AND_ASSIGN(int collapsed, CollapseBacklog(*conn_, "ops"));
  EXPECT_EQ(collapsed, 1);
  EXPECT_EQ(Scalar("SELECT string_agg(id || ':' || coalesce(collapsed_into::text, '-'), ' ' "
                   "ORDER BY id) FROM alert_outbox WHERE channel = 'ops'"),
            fmt::format("{}:- {}:{} {}:- {}:-", head, f1, r1, r1, f2));
  ASSERT_OK_AND_ASSIGN(int chat, CollapseBacklog(*conn_, "chat"));
  EXPECT_EQ(chat, 0);
}

// The whole way: the receiver is down while a rule fires and resolves; once it is back, it gets
// the other rule's row and then one resolved notification carrying the firing, in that order.
TEST_F(CollapseTest, TheSenderDeliversTheCollapsedBacklogInOrder) {
  setenv("COINLAKE_COLLAPSE_TEST_SECRET", "s3cret", 1);
  RefusingPort down;
  WebhookChannel channel;
  channel.name = "ops";
  channel.url = "http://127.0.0.1:" + std::to_string(down.port()) + "/hook";
  channel.secret_env = "COINLAKE_COLLAPSE_TEST_SECRET";
  channel.timeout = milliseconds(2000);
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(MakeWebhookChannel(FromWebhook(channel), "s3cret"));
  SenderOptions options;
  options.initial_backoff = milliseconds(50);
  options.max_backoff = milliseconds(50);
  StopSignal stop;

  Record("btc", "firing", 1, 100213.5);
  ASSERT_OK_AND_ASSIGN(DeliveryPass first, DeliverDue(*conn_, channels, options, stop));
  EXPECT_EQ(first.failed, 1);
  Record("eth", "firing", 2, 2100);
  Record("btc", "resolved", 3, 99400);

  std::mutex mu;
  std::vector<json> got;
  httplib::Server server;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got.push_back(json::parse(req.body));
    res.set_content("{}", "application/json");
  });
  down.Release();
  ASSERT_TRUE(server.bind_to_port("127.0.0.1", down.port()));
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));

  int delivered = 0;
  for (int i = 0; i < 100 && delivered < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    auto pass = DeliverDue(*conn_, channels, options, stop);
    ASSERT_OK(pass);
    delivered += pass->delivered;
  }
  server.stop();
  thread.join();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["idempotency_key"], "eth/1/firing/2/ops");
  EXPECT_EQ(got[1]["idempotency_key"], "btc/1/resolved/3/ops");
  EXPECT_EQ(got[1]["fired_at"], "2026-12-06T14:01:00.000Z");
  EXPECT_EQ(Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"), "0");
}

}  // namespace
}  // namespace coinlake::alerts
