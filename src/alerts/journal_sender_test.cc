// The journal's delivery to real webhook receivers on 127.0.0.1 (cpp-httplib): each outcome
// lands in the journal file, a receiver that is down gets the outbox sender's backoff, and a
// sender started again from the file (a `run` killed and restarted) sends only to the channels
// that do not have the firing yet.
#include "alerts/journal_sender.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using std::chrono::milliseconds;

// Counts the requests it accepted per Idempotency-Key.
class Receiver {
 public:
  explicit Receiver(int port = 0) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++keys_[req.get_header_value("Idempotency-Key")];
      res.set_content("{}", "application/json");
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
  std::map<std::string, int> keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::map<std::string, int> keys_;
};

ChannelConfig Webhook(const std::string& name, int port) {
  WebhookChannel channel;
  channel.name = name;
  channel.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  channel.secret_env = "COINLAKE_JOURNAL_TEST_SECRET";
  channel.timeout = milliseconds(2000);
  return FromWebhook(channel);
}

JournalEntry Firing(const std::vector<std::string>& channels) {
  JournalEntry entry{"db", std::chrono::sys_days(std::chrono::year(2026) / 12 / 6), {}};
  for (const std::string& channel : channels) {
    JournalDelivery d;
    d.channel = channel;
    d.idempotency_key = "db/pipeline/firing/1796515200/" + channel;
    d.payload = R"({"rule":"db","event":"firing","channel":")" + channel + "\"}";
    entry.deliveries.push_back(d);
  }
  return entry;
}

bool Eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(milliseconds(50));
  return condition();
}

const JournalDelivery& Of(const OutageJournal& journal, const std::string& channel) {
  for (const JournalDelivery& d : journal.entries.at(0).deliveries) {
    if (d.channel == channel) return d;
  }
  throw std::out_of_range(channel);
}

TEST(JournalSenderTest, DeliversEachChannelOnceAndKeepsTheOutcomesAcrossARestart) {
  setenv("COINLAKE_JOURNAL_TEST_SECRET", "journal-test-secret", 1);
  coinlake::testing::TempDir dir;
  const std::string path = dir.path() + "/journal/database-outage.json";
  Receiver ops;
  coinlake::testing::RefusingPort pager_port;  // the pager's receiver is down at first
  std::vector<ChannelConfig> channels = {Webhook("ops", ops.port()),
                                         Webhook("pager", pager_port.port())};
  SenderOptions policy;
  policy.initial_backoff = milliseconds(100);
  policy.max_backoff = milliseconds(200);
  OutageJournal start;
  start.since = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);
  {
    JournalSender sender(path, start, channels, policy);
    sender.Start();
    ASSERT_OK(sender.Add(Firing({"ops", "pager"})));
    ASSERT_TRUE(Eventually([&] {
      OutageJournal now = ReadJournal(path);
      return !now.entries.empty() && Of(now, "ops").delivered_at && Of(now, "pager").attempts >= 2;
    }));
    sender.Stop();  // as a `run` killed: what the file says is all the next one knows
  }
  OutageJournal kept = ReadJournal(path);
  EXPECT_TRUE(Of(kept, "ops").delivered_at.has_value());
  EXPECT_EQ(Of(kept, "ops").attempts, 1);
  EXPECT_FALSE(Of(kept, "pager").delivered_at.has_value());
  EXPECT_FALSE(Of(kept, "pager").last_error.empty());
  EXPECT_TRUE(Of(kept, "pager").next_attempt_at.has_value()) << "backing off";
  EXPECT_EQ(ops.keys(), (std::map<std::string, int>{{"db/pipeline/firing/1796515200/ops", 1}}));

  pager_port.Release();
  Receiver pager(pager_port.port());
  JournalSender again(path, kept, channels, policy);
  again.Start();
  ASSERT_TRUE(Eventually([&] { return Of(again.journal(), "pager").delivered_at.has_value(); }));
  std::this_thread::sleep_for(milliseconds(300));  // time enough for a wrong second send
  again.Stop();
  EXPECT_EQ(pager.keys(), (std::map<std::string, int>{{"db/pipeline/firing/1796515200/pager", 1}}));
  EXPECT_EQ(ops.keys(), (std::map<std::string, int>{{"db/pipeline/firing/1796515200/ops", 1}}))
      << "not sent again to the channel that had it";
  EXPECT_TRUE(Of(ReadJournal(path), "pager").delivered_at.has_value());
}

}  // namespace
}  // namespace coinlake::alerts
