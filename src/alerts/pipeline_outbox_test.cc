// Pipeline rules recorded in the outbox against a real PostgreSQL: a transition is recorded
// once (state and one row per channel in one transaction), asking again records nothing, and a
// database outage is recorded on recovery with keys stamped from the outage, not the clock.
#include "alerts/pipeline_outbox.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using std::chrono::minutes;

AlertConfig Config(std::vector<std::string> rules) {
  auto config = ParseAlertConfig(
      rules, {"ops: http://127.0.0.1:9/a secret-env=X", "chat: http://127.0.0.1:9/b secret-env=Y"},
      {}, /*pipeline_defaults=*/false);
  EXPECT_OK(config);
  return *config;
}

class PipelineOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    conn_ = db_.Connect();
  }
  coinlake::testing::TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
  const TimePoint t0_ = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);
};

TEST_F(PipelineOutboxTest, ATransitionIsRecordedOncePerChannelAndResolvesOnce) {
  AlertConfig config = Config({"failing: pipeline failed-cycles 2", "mine: price BTC above 1"});
  PipelineObservation o;
  o.now = t0_;
  o.failed_cycles_in_row = 2;
  ASSERT_OK_AND_ASSIGN(PipelineRecorded first, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(first.transitions, 1);
  EXPECT_EQ(first.notifications, 2);
  EXPECT_EQ(db_.Scalar("SELECT string_agg(idempotency_key, ' ' ORDER BY id) FROM alert_outbox"),
            "failing/pipeline/firing/1796515200/ops failing/pipeline/firing/1796515200/chat");
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state WHERE rule = 'failing' AND "
                       "subject = 'pipeline'"),
            "t");
  auto body = nlohmann::json::parse(
      db_.Scalar("SELECT payload::text FROM alert_outbox WHERE channel = 'ops'"));
  EXPECT_EQ(body["kind"], "pipeline");
  EXPECT_EQ(body["check"], "failed-cycles");
  EXPECT_EQ(body["event"], "firing");
  EXPECT_EQ(body["subject"]["pipeline"], true);
  EXPECT_EQ(body["values"]["failed_cycles_in_row"], 2);
  EXPECT_EQ(body["summary"], "2 failed cycles in a row");

  o.now = t0_ + minutes(1);
  o.failed_cycles_in_row = 3;
  ASSERT_OK_AND_ASSIGN(PipelineRecorded again, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(again.transitions, 0) << "still firing: the state in the database says so";
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox"), "2");

  o.now = t0_ + minutes(2);
  o.failed_cycles_in_row = 0;
  ASSERT_OK_AND_ASSIGN(PipelineRecorded resolved, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(resolved.notifications, 2);
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox WHERE event = 'resolved'"), "2");
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state WHERE rule = 'failing'"), "f");
  ASSERT_OK_AND_ASSIGN(PipelineRecorded quiet, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(quiet.transitions, 0);
}

TEST_F(PipelineOutboxTest, AnEndedDatabaseOutageIsRecordedWithKeysFromTheOutage) {
  AlertConfig config = Config({"db: pipeline database-outage 15m channels=ops"});
  PipelineObservation o;
  o.now = t0_ + minutes(90);
  o.database_outage_ended = PipelineObservation::Outage{t0_, t0_ + minutes(60)};
  ASSERT_OK_AND_ASSIGN(PipelineRecorded recorded, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(recorded.transitions, 2);
  EXPECT_EQ(db_.Scalar("SELECT string_agg(idempotency_key, ' ' ORDER BY id) FROM alert_outbox"),
            "db/pipeline/firing/1796516100/ops db/pipeline/resolved/1796518800/ops");
  // The caller forgets the outage once recorded; if it asked again, nothing more is recorded.
  ASSERT_OK_AND_ASSIGN(PipelineRecorded again, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(again.transitions, 0);
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox"), "2");
}

// The journal sent the firing to ops while the database was down, and tried chat in vain: on
// recovery ops's row is recorded delivered (not sent again), chat's waits for the sender, both
// with the bytes the journal sent; the resolved goes to both as usual.
TEST_F(PipelineOutboxTest, FiringsTheJournalDeliveredAreRecordedAsDelivered) {
  AlertConfig config = Config({"db: pipeline database-outage 15m"});
  std::vector<JournalDelivery> journaled(2);
  journaled[0].channel = "ops";
  journaled[0].idempotency_key = "db/pipeline/firing/1796516100/ops";
  journaled[0].payload = R"({"sent": "by the journal", "channel": "ops"})";
  journaled[0].attempts = 1;
  journaled[0].delivered_at = t0_ + minutes(16);
  journaled[1].channel = "chat";
  journaled[1].idempotency_key = "db/pipeline/firing/1796516100/chat";
  journaled[1].payload = R"({"sent": "by the journal", "channel": "chat"})";
  journaled[1].attempts = 3;
  journaled[1].last_error = "HTTP 500";
  PipelineObservation o;
  o.now = t0_ + minutes(90);
  o.database_outage_ended = PipelineObservation::Outage{t0_, t0_ + minutes(60)};
  ASSERT_OK_AND_ASSIGN(PipelineRecorded recorded,
                       RecordPipelineAlerts(*conn_, config, o, journaled));
  EXPECT_EQ(recorded.transitions, 2);
  EXPECT_EQ(recorded.notifications, 4);
  EXPECT_EQ(recorded.journaled, 1);
  EXPECT_EQ(db_.Scalar("SELECT string_agg(channel || ' ' || event || ' ' || "
                       "(delivered_at IS NOT NULL)::text || ' ' || attempts, ', ' ORDER BY id) "
                       "FROM alert_outbox"),
            "ops firing true 1, chat firing false 3, ops resolved false 0, chat resolved false 0");
  EXPECT_EQ(db_.Scalar("SELECT payload->>'sent' FROM alert_outbox WHERE channel = 'chat' AND "
                       "event = 'firing'"),
            "by the journal");
  EXPECT_EQ(db_.Scalar("SELECT last_error FROM alert_outbox WHERE channel = 'chat' AND "
                       "event = 'firing'"),
            "HTTP 500");
  const AlertState& state = recorded.states.at({"db", "pipeline"});
  EXPECT_FALSE(state.firing);
  EXPECT_EQ(state.last_notified, t0_ + minutes(15));
}

TEST_F(PipelineOutboxTest, WithoutPipelineRulesNothingIsRecorded) {
  AlertConfig config = Config({"mine: price BTC above 1"});
  PipelineObservation o;
  o.now = t0_;
  o.failed_cycles_in_row = 100;
  ASSERT_OK_AND_ASSIGN(PipelineRecorded recorded, RecordPipelineAlerts(*conn_, config, o));
  EXPECT_EQ(recorded.transitions, 0);
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_state"), "0");
}

}  // namespace
}  // namespace coinlake::alerts
