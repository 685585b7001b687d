// Market rules evaluated in the load transaction, against a real PostgreSQL (scripts/test
// starts one): a snapshot loaded once notifies once, a replay notifies nothing, and a load that
// fails leaves no notification behind.
#include "alerts/outbox.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alerts/notification_text.h"
#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/reference_loader.h"

namespace coinlake::alerts {
namespace {

using coinlake::testing::ReadFixture;
using coinlake::testing::TestDatabase;
using std::chrono::minutes;

const std::vector<std::string> kLive = {std::string(lake::kListingsLatest),
                                        std::string(lake::kQuotesLatest)};

warehouse::LakeObjectRef RefFor(const cmc::QuotesPayload& payload, std::string_view endpoint) {
  std::string key = lake::RawBodyKey(endpoint, payload.status.timestamp);
  return {key, Sha256Hex(key), 100, std::string(endpoint), payload.status.timestamp};
}

// The fixture's top 100 (BTC at about 96,000 USD), moved to `at` with BTC at `btc`.
cmc::QuotesPayload Listings(TimePoint at, std::optional<double> btc = std::nullopt) {
  auto payload =
      cmc::ParseListings(ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json"));
  EXPECT_OK(payload);
  payload->status.timestamp = at;
  for (cmc::QuoteRow& row : payload->rows) {
    row.ts = at;
    if (row.cmc_id == 1 && btc) row.price = *btc;
  }
  return *payload;
}

// A real global metrics answer (BTC dominance 58.65 %, ETH 11.44 %), moved to `at`, with BTC's
// share set to `btc`.
cmc::GlobalMetricsPayload Global(TimePoint at, std::optional<double> btc = std::nullopt) {
  auto payload = cmc::ParseGlobalMetrics(
      ReadFixture("global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json"));
  EXPECT_OK(payload);
  payload->status.timestamp = at;
  for (cmc::GlobalMetricsRow& row : payload->rows) {
    row.ts = at;
    if (btc) row.btc_dominance = *btc;
  }
  return *payload;
}

warehouse::LakeObjectRef GlobalRef(TimePoint at, std::string_view endpoint) {
  std::string key = lake::RawBodyKey(endpoint, at);
  return {key, Sha256Hex(key), 100, std::string(endpoint), at};
}

std::shared_ptr<const AlertConfig> Config(std::vector<std::string> rules) {
  auto config = ParseAlertConfig(
      rules, {"ops: http://127.0.0.1:9/a secret-env=X", "chat: http://127.0.0.1:9/b secret-env=Y"});
  EXPECT_OK(config);
  return std::make_shared<const AlertConfig>(*config);
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    conn_ = db_.Connect();
  }
  // Loads `payload` as `endpoint` with the rules' hook, as the drain does.
  StatusOr<warehouse::LoadResult> Load(const std::shared_ptr<const AlertConfig>& config,
                                       const cmc::QuotesPayload& payload,
                                       std::string_view endpoint = lake::kListingsLatest) {
    warehouse::Loader loader(*conn_);
    loader.SetInTransaction(MarketAlertsHook(config, kLive));
    return loader.LoadQuotes(RefFor(payload, endpoint), payload);
  }
  // Loads a global metrics snapshot as `endpoint` with the dominance rules' hook, as the drain
  // does (pipeline/load_object.cc passes the loader's hook to LoadGlobalMetrics).
  StatusOr<warehouse::LoadResult> LoadGlobal(
      const std::shared_ptr<const AlertConfig>& config, const cmc::GlobalMetricsPayload& payload,
      std::string_view endpoint = lake::kGlobalMetricsLatest) {
    warehouse::Loader loader(*conn_);
    loader.SetGlobalMetricsInTransaction(
        DominanceAlertsHook(config, std::string(lake::kGlobalMetricsLatest)));
    return warehouse::LoadGlobalMetrics(*conn_, GlobalRef(payload.status.timestamp, endpoint),
                                        payload, loader.global_metrics_in_transaction());
  }
  std::string Count(const std::string& table) {
    return db_.Scalar("SELECT count(*) FROM " + table);
  }

  TestDatabase db_;
  std::unique_ptr<warehouse::Connection> conn_;
  const TimePoint t0_ = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);
};

TEST_F(OutboxTest, ASnapshotLoadedOnceNotifiesOnceAndAReplayNotifiesNothing) {
  auto config =
      Config({"btc-up: price BTC above 1000 cooldown=0", "btc-moon: price BTC above 10000000",
              "eth-pager: price ETH above 1 "
              "channels=ops"});
  cmc::QuotesPayload snapshot = Listings(t0_);
  ASSERT_OK_AND_ASSIGN(auto loaded, Load(config, snapshot));
  EXPECT_FALSE(loaded.already_loaded);
  // btc-up to both channels, eth-pager to ops only; btc-moon says nothing.
  EXPECT_EQ(Count("alert_outbox"), "3");
  EXPECT_EQ(db_.Scalar("SELECT string_agg(rule || '>' || channel, ' ' ORDER BY id) "
                       "FROM alert_outbox"),
            "btc-up>ops btc-up>chat eth-pager>ops");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_state WHERE firing"), "2");
  EXPECT_EQ(db_.Scalar("SELECT since = $$2026-12-06T00:00:00Z$$::timestamptz FROM alert_state "
                       "WHERE rule = 'btc-up'"),
            "t");

  // The stored body is the notification: rule, subject, event, values, time, key.
  auto body = nlohmann::json::parse(
      db_.Scalar("SELECT payload::text FROM alert_outbox WHERE rule = 'btc-up' AND "
                 "channel = 'ops'"));
  EXPECT_EQ(body["rule"], "btc-up");
  EXPECT_EQ(body["event"], "firing");
  EXPECT_EQ(body["subject"]["cmc_id"], 1);
  EXPECT_EQ(body["subject"]["symbol"], "BTC");
  EXPECT_EQ(body["values"]["level"], 1000);
  EXPECT_EQ(body["values"]["currency"], "USD");
  EXPECT_EQ(body["time"], "2026-12-06T00:00:00.000Z");
  EXPECT_EQ(body["idempotency_key"], "btc-up/1/firing/1796515200/ops");
  EXPECT_EQ(body["idempotency_key"],
            db_.Scalar("SELECT idempotency_key FROM alert_outbox WHERE rule = 'btc-up' AND "
                       "channel = 'ops'"));
  double btc = 0;
  for (const cmc::QuoteRow& row : snapshot.rows)
    if (row.cmc_id == 1) btc = *row.price;
  EXPECT_EQ(body["values"]["value"].get<double>(), btc);

  // The same object again: the ledger has it, the rules are not even asked.
  ASSERT_OK_AND_ASSIGN(auto replay, Load(config, snapshot));
  EXPECT_TRUE(replay.already_loaded);
  EXPECT_EQ(Count("alert_outbox"), "3");

  // The next snapshot: BTC fell below the level, it resolves, after the firing in id order.
  ASSERT_OK(Load(config, Listings(t0_ + minutes(5), 900)).status());
  EXPECT_EQ(db_.Scalar("SELECT string_agg(event, ' ' ORDER BY id) FROM alert_outbox "
                       "WHERE rule = 'btc-up' AND channel = 'ops'"),
            "firing resolved");
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state WHERE rule = 'btc-up'"), "f");
}

// The notifications are part of the load: when the load fails after they were written, neither
// the snapshot nor its notifications are kept, and loading it again notifies once.
TEST_F(OutboxTest, AFailedLoadKeepsNoNotification) {
  auto config = Config({"btc-up: price BTC above 1000"});
  cmc::QuotesPayload snapshot = Listings(t0_);
  warehouse::Loader loader(*conn_);
  warehouse::Loader::InTransaction record = MarketAlertsHook(config, kLive);
  loader.SetInTransaction([&](warehouse::Connection& db, const warehouse::LakeObjectRef& object,
                              const cmc::QuotesPayload& payload) -> Status {
    RETURN_IF_ERROR(record(db, object, payload));
    EXPECT_EQ(db.Query("SELECT count(*) FROM alert_outbox")->text(0, 0), "2")
        << "written inside the transaction";
    return UnavailableError("the database went away before the commit");
  });
  EXPECT_EQ(loader.LoadQuotes(RefFor(snapshot, lake::kListingsLatest), snapshot).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(Count("alert_outbox"), "0");
  EXPECT_EQ(Count("alert_state"), "0");
  EXPECT_EQ(Count("lake_objects"), "0");
  EXPECT_EQ(Count("quotes"), "0");

  ASSERT_OK(Load(config, snapshot).status());
  EXPECT_EQ(Count("alert_outbox"), "2");
}

TEST_F(OutboxTest, OnlyLiveSnapshotsInTimeOrderAreEvaluated) {
  auto config = Config({"btc-up: price BTC above 1000 cooldown=0"});
  // History (a backfill) is not news.
  ASSERT_OK(Load(config, Listings(t0_), lake::kQuotesHistorical).status());
  EXPECT_EQ(Count("alert_outbox"), "0");
  // A live snapshot at t0 + 10 min, then one of t0 + 5 min loaded late (after a database
  // outage): the late one would take the state back in time, so it is not evaluated.
  ASSERT_OK(Load(config, Listings(t0_ + minutes(10))).status());
  EXPECT_EQ(Count("alert_outbox"), "2");
  ASSERT_OK_AND_ASSIGN(auto late, Load(config, Listings(t0_ + minutes(5), 900)));
  EXPECT_FALSE(late.already_loaded);
  EXPECT_EQ(Count("alert_outbox"), "2") << "the late snapshot resolved nothing";
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state"), "t");
  // The quotes endpoint's snapshots count as live too.
  ASSERT_OK(Load(config, Listings(t0_ + minutes(15), 900), lake::kQuotesLatest).status());
  EXPECT_EQ(Count("alert_outbox"), "4");
}

// The ETL's role records and delivers (migration 0016's grants); the dashboard's only reads.
TEST_F(OutboxTest, TheEtlRoleWritesTheOutboxAndTheReaderOnlyReadsIt) {
  ASSERT_OK_AND_ASSIGN(auto etl, warehouse::Connection::Open(db_.LoginUrl("coinlake_writer")));
  auto config = Config({"btc-up: price BTC above 1000"});
  {
    warehouse::Loader loader(*etl);
    loader.SetInTransaction(MarketAlertsHook(config, kLive));
    cmc::QuotesPayload snapshot = Listings(t0_);
    ASSERT_OK(loader.LoadQuotes(RefFor(snapshot, lake::kListingsLatest), snapshot).status());
  }
  EXPECT_EQ(Count("alert_outbox"), "2");
  ASSERT_OK(etl->Execute("UPDATE alert_outbox SET attempts = attempts + 1, delivered_at = now()"));

  ASSERT_OK_AND_ASSIGN(auto reader, warehouse::Connection::Open(db_.LoginUrl("coinlake_reader")));
  ASSERT_OK_AND_ASSIGN(auto seen, reader->Query("SELECT count(*) FROM alert_outbox, alert_state"));
  EXPECT_EQ(seen.text(0, 0), "2");
  EXPECT_EQ(reader->Execute("UPDATE alert_outbox SET delivered_at = NULL").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(reader->Execute("DELETE FROM alert_state").code(), StatusCode::kPermissionDenied);
}

TEST_F(OutboxTest, NoRulesNoHook) {
  EXPECT_FALSE(MarketAlertsHook(nullptr, kLive));
  auto channels_only = ParseAlertConfig({}, {"ops: http://127.0.0.1:9/a secret-env=X"});
  ASSERT_OK(channels_only);
  EXPECT_FALSE(MarketAlertsHook(std::make_shared<const AlertConfig>(*channels_only), kLive));
}

// A top rule's baseline is state without notification; a quotes snapshot ranks nothing; the
// move on a later listings snapshot is one notification per channel, saying which move.
TEST_F(OutboxTest, TopRulesBaselineThenNotifyAMoveOnListingsOnly) {
  auto config = Config({"top3: top 3 any cooldown=0 channels=ops"});
  ASSERT_OK(Load(config, Listings(t0_)));
  EXPECT_EQ(Count("alert_outbox"), "0");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_state WHERE rule = 'top3' AND firing"), "3");

  // The same coins, re-ranked: the coin at rank 4 swaps with the one at rank 3.
  cmc::QuotesPayload moved = Listings(t0_ + minutes(5));
  int64_t third = 0, fourth = 0;
  for (cmc::QuoteRow& row : moved.rows) {
    if (row.cmc_rank == 3) {
      third = row.cmc_id;
      row.cmc_rank = 4;
    } else if (row.cmc_rank == 4) {
      fourth = row.cmc_id;
      row.cmc_rank = 3;
    }
  }
  ASSERT_NE(third, 0);
  // A quotes snapshot carrying only two coins says nothing about the rest.
  cmc::QuotesPayload watchlist = Listings(t0_ + minutes(3));
  watchlist.rows.resize(2);
  ASSERT_OK(Load(config, watchlist, lake::kQuotesLatest));
  EXPECT_EQ(Count("alert_outbox"), "0");

  ASSERT_OK(Load(config, moved));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(subject || ' ' || event || ' ' || "
                       "(payload->'values'->>'move'), ', ' ORDER BY id) FROM alert_outbox"),
            std::to_string(fourth) + " firing enter, " + std::to_string(third) + " resolved leave");
}

// A dominance rule is evaluated inside the global metrics load: the notification commits with
// the global metrics rows and their ledger row, a replay records nothing, and a later snapshot
// resolves it.
TEST_F(OutboxTest, ADominanceRuleFiresWithItsGlobalMetricsAndALaterSnapshotResolvesIt) {
  auto config = Config({"btc-dom: dominance BTC above 55 cooldown=0",
                        "eth-dom: dominance ETH above 50 channels=ops"});
  cmc::GlobalMetricsPayload snapshot = Global(t0_);
  ASSERT_OK_AND_ASSIGN(auto loaded, LoadGlobal(config, snapshot));
  EXPECT_FALSE(loaded.already_loaded);
  EXPECT_EQ(loaded.rows, 1);
  EXPECT_EQ(Count("global_metrics"), "1");
  // btc-dom (58.65 % > 55) to both channels; eth-dom (11.44 %) says nothing.
  EXPECT_EQ(db_.Scalar("SELECT string_agg(rule || '>' || channel || '>' || subject || '>' || "
                       "event, ' ' ORDER BY id) FROM alert_outbox"),
            "btc-dom>ops>1>firing btc-dom>chat>1>firing");
  EXPECT_EQ(db_.Scalar("SELECT rule || ' ' || subject || ' ' || firing FROM alert_state"),
            "btc-dom 1 true");

  auto body = nlohmann::json::parse(
      db_.Scalar("SELECT payload::text FROM alert_outbox WHERE channel = 'ops'"));
  EXPECT_EQ(body["rule"], "btc-dom");
  EXPECT_EQ(body["event"], "firing");
  EXPECT_EQ(body["time"], "2026-12-06T00:00:00.000Z") << "the snapshot's status.timestamp";
  EXPECT_EQ(body["subject"],
            (nlohmann::json{{"cmc_id", 1}, {"symbol", "BTC"}, {"name", "Bitcoin"}}));
  EXPECT_EQ(body["values"]["metric"], "btc_dominance");
  EXPECT_EQ(body["values"]["value"].get<double>(), 58.651310358919);
  EXPECT_EQ(body["values"]["level"], 55);
  EXPECT_EQ(body["values"]["direction"], "above");
  EXPECT_FALSE(body["values"].contains("currency")) << "a share of the market has none";
  EXPECT_EQ(body["condition"], "dominance BTC above 55 cooldown=0");
  EXPECT_EQ(body["snapshot"], GlobalRef(t0_, lake::kGlobalMetricsLatest).key);
  EXPECT_EQ(body["idempotency_key"], "btc-dom/1/firing/1796515200/ops");
  // What Slack, Telegram, e-mail... say of it.
  EXPECT_EQ(FormatNotification(body.dump()).line,
            "FIRING btc-dom: BTC dominance 58.65 % crossed above 55 % (condition: dominance BTC "
            "above 55 cooldown=0; at 2026-12-06T00:00:00.000Z)");

  // The same object again: the ledger has it, the rules are not asked.
  ASSERT_OK_AND_ASSIGN(auto replay, LoadGlobal(config, snapshot));
  EXPECT_TRUE(replay.already_loaded);
  EXPECT_EQ(Count("alert_outbox"), "2");

  // The next snapshot: BTC's share fell to 54 %, it resolves.
  ASSERT_OK(LoadGlobal(config, Global(t0_ + minutes(15), 54)).status());
  EXPECT_EQ(db_.Scalar("SELECT string_agg(event, ' ' ORDER BY id) FROM alert_outbox "
                       "WHERE channel = 'ops'"),
            "firing resolved");
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state WHERE rule = 'btc-dom'"), "f");
  EXPECT_EQ(FormatNotification(db_.Scalar("SELECT payload::text FROM alert_outbox WHERE "
                                          "channel = 'ops' AND event = 'resolved'"))
                .line,
            "RESOLVED btc-dom: BTC dominance 54 % back below 55 % (condition: dominance BTC "
            "above 55 cooldown=0; at 2026-12-06T00:15:00.000Z)");

  // A listings snapshot loaded with the market hook: no quote rule, so no hook at all.
  EXPECT_FALSE(MarketAlertsHook(config, kLive));
  ASSERT_OK(Load(config, Listings(t0_ + minutes(20))).status());
  EXPECT_EQ(Count("alert_outbox"), "4");
}

// The notifications are part of the global metrics load: a load that fails after they were
// written keeps neither the rows nor the notifications, and loading it again notifies once.
TEST_F(OutboxTest, AFailedGlobalMetricsLoadKeepsNoNotification) {
  auto config = Config({"btc-dom: dominance BTC above 55"});
  cmc::GlobalMetricsPayload snapshot = Global(t0_);
  warehouse::Loader::GlobalMetricsInTransaction record =
      DominanceAlertsHook(config, std::string(lake::kGlobalMetricsLatest));
  ASSERT_TRUE(record);
  auto failing = [&](warehouse::Connection& db, const warehouse::LakeObjectRef& object,
                     const cmc::GlobalMetricsPayload& payload) -> Status {
    RETURN_IF_ERROR(record(db, object, payload));
    EXPECT_EQ(db.Query("SELECT count(*) FROM alert_outbox")->text(0, 0), "2")
        << "written inside the transaction";
    EXPECT_EQ(db.Query("SELECT count(*) FROM global_metrics")->text(0, 0), "1");
    return UnavailableError("the database went away before the commit");
  };
  EXPECT_EQ(warehouse::LoadGlobalMetrics(*conn_, GlobalRef(t0_, lake::kGlobalMetricsLatest),
                                         snapshot, failing)
                .status()
                .code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(Count("alert_outbox"), "0");
  EXPECT_EQ(Count("alert_state"), "0");
  EXPECT_EQ(Count("lake_objects"), "0");
  EXPECT_EQ(Count("global_metrics"), "0");

  ASSERT_OK(LoadGlobal(config, snapshot).status());
  EXPECT_EQ(Count("alert_outbox"), "2");
  EXPECT_EQ(Count("global_metrics"), "1");
}

TEST_F(OutboxTest, OnlyLiveGlobalMetricsInTimeOrderAreEvaluated) {
  auto config = Config({"btc-dom: dominance BTC above 55 cooldown=0"});
  // History (a backfill of global metrics) is not news.
  ASSERT_OK_AND_ASSIGN(auto history,
                       LoadGlobal(config, Global(t0_), lake::kGlobalMetricsHistorical));
  EXPECT_FALSE(history.already_loaded);
  EXPECT_EQ(Count("alert_outbox"), "0");
  EXPECT_EQ(Count("alert_state"), "0");
  // A live snapshot at t0 + 30 min, then one of t0 + 15 min loaded late: not evaluated.
  ASSERT_OK(LoadGlobal(config, Global(t0_ + minutes(30))).status());
  EXPECT_EQ(Count("alert_outbox"), "2");
  ASSERT_OK_AND_ASSIGN(auto late, LoadGlobal(config, Global(t0_ + minutes(15), 50)));
  EXPECT_FALSE(late.already_loaded);
  EXPECT_EQ(Count("alert_outbox"), "2") << "the late snapshot resolved nothing";
  EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state"), "t");
  // A newer live listings snapshot does not make global metrics late: each kind of snapshot is
  // in time order against its own endpoint.
  ASSERT_OK(Load(config, Listings(t0_ + minutes(60))).status());
  ASSERT_OK(LoadGlobal(config, Global(t0_ + minutes(45), 50)).status());
  EXPECT_EQ(db_.Scalar("SELECT string_agg(event, ' ' ORDER BY id) FROM alert_outbox "
                       "WHERE channel = 'ops'"),
            "firing resolved");
}

TEST_F(OutboxTest, NoDominanceRuleNoGlobalMetricsHook) {
  EXPECT_FALSE(DominanceAlertsHook(nullptr, std::string(lake::kGlobalMetricsLatest)));
  EXPECT_FALSE(DominanceAlertsHook(Config({"btc-up: price BTC above 1000"}),
                                   std::string(lake::kGlobalMetricsLatest)));
  EXPECT_TRUE(DominanceAlertsHook(Config({"btc-dom: dominance BTC above 1"}),
                                  std::string(lake::kGlobalMetricsLatest)));
}

}  // namespace
}  // namespace coinlake::alerts
