// audit against a real PostgreSQL: a clean load audits clean; each kind of damage is found and
// named, and the binary exits 1 with a JSON report.
#include "pipeline/audit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cmc/sim.h"
#include "lake/file_object_store.h"
#include "lake/keys.h"
#include "pipeline/audit_schedule.h"
#include "pipeline/audit_store.h"
#include "pipeline/backfill.h"
#include "pipeline/compact.h"
#include "pipeline/day_manifest.h"
#include "pipeline/reprocess.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

class AuditTest : public ::testing::Test {
 protected:
  void Load(const std::string& lake) {
    db_.Migrate();
    ReprocessOptions options;
    options.database_url = db_.url();
    options.lake_url = lake;
    StopSignal stop;
    auto loaded = RunReprocess(options, stop);
    ASSERT_OK(loaded);
  }
  AuditReport Audit(const std::string& lake,
                    std::chrono::seconds interval = std::chrono::seconds(300)) {
    AuditOptions options;
    options.interval = interval;
    options.database_url = db_.url();
    options.lake_url = lake;
    StopSignal stop;
    auto report = RunAudit(options, stop);
    EXPECT_OK(report);
    return report.ok() ? *report : AuditReport{};
  }
  // The one finding of the report, which must be of `kind`.
  AuditFinding Only(const AuditReport& report, const std::string& kind) {
    EXPECT_EQ(report.findings.size(), 1u) << report.ToText();
    if (report.findings.empty()) return {};
    EXPECT_EQ(report.findings[0].kind, kind) << report.ToText();
    return report.findings[0];
  }
  std::string FirstKey() { return db_.Scalar("SELECT min(key) FROM lake_objects"); }

  TempDir lake_;
  TestDatabase db_;
};

// Compacted days: each manifest names the lake's objects with the rows and checksums the audit
// compares with the database, so lake, manifests and database are proved equal; each kind of
// damage to the analytics layer is named.
TEST_F(AuditTest, CompactedDaysAuditCleanAndDamageToThemIsNamed) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  CompactOptions compact;
  compact.lake_url = lake_.path();
  StopSignal stop;
  ASSERT_OK(RunCompact(compact, stop));
  AuditReport report = Audit(lake_.path());
  EXPECT_TRUE(report.clean()) << report.ToText();
  EXPECT_TRUE(report.notices.empty()) << report.ToText();
  ASSERT_EQ(report.days.size(), 2u);
  EXPECT_EQ(report.days[0].curated_rows, 1800);
  EXPECT_EQ(report.days[1].curated_rows, 600);

  auto lake = std::move(lake::FileObjectStore::Open(lake_.path())).value();
  auto manifest = ReadCurrentManifest(*lake, "quotes", "2026-03-31");
  ASSERT_TRUE(manifest.ok() && manifest->has_value());
  // A manifest whose checksum of one object is not what the lake's object gives.
  DayManifest wrong = **manifest;
  wrong.version = 2;
  wrong.sources[3].checksum = std::string(32, '0');
  ASSERT_OK(lake->Put(lake::ManifestKey("quotes", "2026-03-31", 2), wrong.ToJson().dump()));
  EXPECT_EQ(Only(Audit(lake_.path()), "manifest_differs").key, wrong.sources[3].key);
  // The file it names gone, another in its place.
  wrong.sources[3].checksum = (*manifest)->sources[3].checksum;
  wrong.version = 3;
  ASSERT_OK(lake->Put(lake::ManifestKey("quotes", "2026-03-31", 3), wrong.ToJson().dump()));
  ASSERT_OK(lake->Delete(wrong.file_key));
  ASSERT_OK(lake->Put(lake::CuratedFileKey("quotes", "2026-03-31", "0123456789ab"), "PAR1"));
  report = Audit(lake_.path());
  ASSERT_EQ(report.findings.size(), 2u) << report.ToText();
  EXPECT_EQ(report.findings[0].kind, "curated_extra");
  EXPECT_EQ(report.findings[1].kind, "curated_missing");
  // A compaction repairs it: the day was not up to date, its file being gone.
  ASSERT_OK(RunCompact(compact, stop));
  // A late object: the manifest no longer names the day's objects.
  EXPECT_TRUE(Audit(lake_.path()).clean());
  std::string body = *lake->Get(wrong.sources[0].key);
  ASSERT_OK(lake->Put(
      lake::RawBodyKey(lake::kListingsLatest, *ParseIso8601("2026-03-31T23:58:00Z")), body));
  // (A copy of another snapshot's body: its rows are in the database already, without a ledger
  // row for this key.)
  report = Audit(lake_.path());
  EXPECT_TRUE(std::any_of(report.findings.begin(), report.findings.end(),
                          [](const AuditFinding& f) { return f.kind == "manifest_stale"; }))
      << report.ToText();
}

TEST_F(AuditTest, CleanLoadAuditsClean) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  AuditReport report = Audit(lake_.path());
  EXPECT_TRUE(report.clean()) << report.ToText();
  ASSERT_EQ(report.days.size(), 2u);
  // The text report labels its columns, then one line per day, then a notice per closed day
  // without its Parquet file (not a discrepancy: `run` compacts after the day closes).
  std::string text = report.ToText();
  EXPECT_TRUE(text.starts_with("date        objects   ledger")) << text;
  EXPECT_NE(text.find(report.days[0].date), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6) << text;
  ASSERT_EQ(report.notices.size(), 2u);
  EXPECT_EQ(report.notices[0].kind, "not_compacted");
  int64_t objects = 0;
  for (const AuditDay& d : report.days) {
    EXPECT_EQ(d.lake_objects, d.ledger_objects);
    EXPECT_EQ(d.lake_rows, d.db_rows);
    EXPECT_GT(d.db_rows, 0);
    EXPECT_EQ(d.snapshots, d.expected_snapshots);
    objects += d.lake_objects;
  }
  EXPECT_EQ(objects, testing::kSnapshots);
}

TEST_F(AuditTest, DeletedQuoteRowIsFound) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  std::string key = FirstKey();
  db_.Scalar(
      "DELETE FROM quotes WHERE lake_object_id = (SELECT id FROM lake_objects WHERE key = '" + key +
      "') AND cmc_id = (SELECT min(cmc_id) FROM quotes) RETURNING 1");
  AuditFinding f = Only(Audit(lake_.path()), "rows_differ");
  EXPECT_EQ(f.key, key);
}

TEST_F(AuditTest, ChangedValueIsFound) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  std::string key = FirstKey();
  db_.Scalar(
      "UPDATE quotes SET price = price * 1.0000001 WHERE cmc_id = 1 AND lake_object_id = "
      "(SELECT id FROM lake_objects WHERE key = '" +
      key + "') RETURNING 1");
  EXPECT_EQ(Only(Audit(lake_.path()), "rows_differ").key, key);
}

TEST_F(AuditTest, MissingLedgerRowIsFound) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  std::string key = FirstKey();
  db_.Scalar("DELETE FROM lake_objects WHERE key = '" + key + "' RETURNING 1");
  EXPECT_EQ(Only(Audit(lake_.path()), "ledger_missing").key, key);
}

TEST_F(AuditTest, ObjectNotLoadedIsFound) {
  testing::MakeLake(lake_.path(), 1, {5});
  Load(lake_.path());
  testing::MakeLake(lake_.path(), 1);  // snapshot 5 arrives after the load
  AuditFinding f = Only(Audit(lake_.path()), "not_loaded");
  EXPECT_NE(f.key.find("2026-03-31T22-55-00Z"), std::string::npos) << f.key;
}

TEST_F(AuditTest, GapIsNamedWithTheFailedRun) {
  testing::MakeLake(lake_.path(), 1, {5, 6});
  Load(lake_.path());
  db_.Scalar(
      "INSERT INTO runs (command, started_at, finished_at, outcome, error_class, error) VALUES "
      "('run', '2026-03-31T22:55:00Z', '2026-03-31T22:55:30Z', 'failed', 'UNAVAILABLE', "
      "'CMC answered 503') RETURNING 1");
  AuditReport report = Audit(lake_.path());
  AuditFinding f = Only(report, "gap");
  EXPECT_NE(f.detail.find("2 snapshot(s) missing from 2026-03-31T22:55:00"), std::string::npos)
      << f.detail;
  EXPECT_NE(f.detail.find("UNAVAILABLE"), std::string::npos) << f.detail;
  EXPECT_NE(f.detail.find("CMC answered 503"), std::string::npos) << f.detail;
  EXPECT_EQ(report.days[0].expected_snapshots, report.days[0].snapshots + 2);
}

// audit --fill: each missing slot is fetched from listings/historical at the slot's time, and
// the audit after it is clean and counts the slots as filled from history.
TEST_F(AuditTest, FillFetchesTheMissingSlotsFromHistory) {
  testing::MakeLake(lake_.path(), 1, {5, 6, 12});
  Load(lake_.path());
  AuditReport before = Audit(lake_.path());
  ASSERT_EQ(before.missing_slots.size(), 3u) << before.ToText();
  EXPECT_EQ(before.findings.size(), 2u) << before.ToText();  // two runs of missing slots

  cmc::SimOptions sim_options;
  sim_options.port = 0;
  sim_options.coins = 200;
  sim_options.api_key = "sim-key-fill";
  ASSERT_OK_AND_ASSIGN(auto sim, cmc::Simulator::Start(sim_options));
  TempDir spool;
  FetchOptions fetch;
  fetch.database_url = db_.url();
  fetch.lake_url = lake_.path();
  fetch.spool_dir = spool.path();
  fetch.cmc.base_url = sim->base_url();
  fetch.cmc.api_key = sim_options.api_key;
  fetch.listings_limit = 20;
  StopSignal stop;
  std::ostringstream out;
  ::testing::internal::CaptureStdout();
  auto filled = FillSlots(fetch, before.missing_slots, stop, out);
  ::testing::internal::GetCapturedStdout();
  ASSERT_OK(filled);
  EXPECT_EQ(filled->calls_fetched, 3) << out.str();

  AuditReport after = Audit(lake_.path());
  EXPECT_TRUE(after.clean()) << after.ToText();
  EXPECT_TRUE(after.missing_slots.empty());
  int64_t from_history = 0;
  for (const AuditDay& d : after.days) from_history += d.filled_snapshots;
  EXPECT_EQ(from_history, 3) << after.ToText();
  // The snapshots from history loaded: 20 coins at each slot (a coin whose quote an earlier
  // snapshot stored is carried, not stored twice).
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_historical' "
                       "AND rows + coalesce(cardinality(carried_ids), 0) >= 1"),
            "4");  // three slots and the probe (one coin at the first slot)
  // A second fill asks for nothing: the lake holds every slot.
  ::testing::internal::CaptureStdout();
  auto again = FillSlots(fetch, before.missing_slots, stop, out);
  ::testing::internal::GetCapturedStdout();
  ASSERT_OK(again);
  EXPECT_EQ(again->calls_fetched, 0);
  EXPECT_EQ(again->calls_held, 3);
}

TEST_F(AuditTest, GapWithoutRunsSaysNoRunStarted) {
  testing::MakeLake(lake_.path(), 1, {10});
  Load(lake_.path());
  EXPECT_NE(Only(Audit(lake_.path()), "gap").detail.find("no run started in that time"),
            std::string::npos);
}

// Without --interval, the schedule is the one the ETL reports in its heartbeat.
TEST_F(AuditTest, DefaultScheduleIsTheEtlHeartbeats) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  EXPECT_TRUE(Audit(lake_.path(), std::chrono::seconds(0)).clean()) << "no heartbeat: 300 s";
  db_.Scalar(
      "INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at, "
      "listings_interval_seconds) VALUES ('etl', 1, 'v', 'running', now(), now(), 60) "
      "RETURNING 1");
  AuditReport every_minute = Audit(lake_.path(), std::chrono::seconds(0));
  ASSERT_EQ(every_minute.findings.size(), static_cast<size_t>(testing::kSnapshots - 1));
  EXPECT_EQ(every_minute.findings[0].kind, "gap");
  EXPECT_TRUE(every_minute.findings[0].detail.starts_with("4 snapshot(s) missing"))
      << every_minute.findings[0].detail;
}

// The ETL took a snapshot every 10 minutes until 23:30, then every 5, and its heartbeat now says
// 5: the older part is judged by the interval its cycles recorded, not by today's. One real miss
// under the new schedule (23:50, a failed cycle) is still found.
TEST_F(AuditTest, ScheduleChangesFollowTheIntervalEachCycleRecorded) {
  // Snapshot s is at 22:30 + 5 s minutes: the odd ones before 23:30 were never scheduled.
  testing::MakeLake(lake_.path(), 1, {1, 3, 5, 7, 9, 11, 16});
  Load(lake_.path());
  std::string runs =
      "INSERT INTO runs (command, started_at, outcome, listings_interval_seconds) "
      "SELECT 'run', t, 'ok', CASE WHEN t < '2026-03-31T23:30:00Z' THEN 600 ELSE 300 END "
      "FROM generate_series(timestamptz '2026-03-31T22:30:00Z', '2026-04-01T00:25:00Z', "
      "'5 minutes') t WHERE t >= '2026-03-31T23:30:00Z' OR extract(minute FROM t)::int % 10 = 0";
  db_.Scalar(runs + " RETURNING 1");
  db_.Scalar(
      "UPDATE runs SET outcome = 'failed', error_class = 'UNAVAILABLE' "
      "WHERE started_at = '2026-03-31T23:50:00Z' RETURNING 1");
  db_.Scalar(
      "INSERT INTO pipeline_heartbeat (host, pid, version, state, started_at, beat_at, "
      "listings_interval_seconds) VALUES ('etl', 1, 'v', 'running', now(), now(), 300) "
      "RETURNING 1");
  AuditReport report = Audit(lake_.path(), std::chrono::seconds(0));
  AuditFinding gap = Only(report, "gap");
  EXPECT_TRUE(gap.detail.starts_with("1 snapshot(s) missing from 2026-03-31T23:50:00"))
      << gap.detail;
  EXPECT_NE(gap.detail.find("UNAVAILABLE"), std::string::npos) << gap.detail;
  // 22:30-23:25 every 10 minutes (6 slots), then 23:30-23:55 every 5 (6), one of them missed.
  EXPECT_EQ(report.days[0].expected_snapshots, 12);
  EXPECT_EQ(report.days[0].snapshots, 11);

  // --interval still judges the whole range by one interval: the 10-minute past shows as gaps.
  EXPECT_EQ(Audit(lake_.path(), std::chrono::seconds(300)).findings.size(), 7u);
}

// The closed days' results are stored, one row per day; the open day is not. A day audited
// again replaces its row: once repaired, its row is clean and the rule's read finds no day.
TEST_F(AuditTest, ClosedDaysAreStoredAndARepairedDayReplacesItsRow) {
  testing::MakeLake(lake_.path(), 1, {5});
  Load(lake_.path());
  testing::MakeLake(lake_.path(), 1);  // snapshot 5 (2026-03-31T22:55Z) arrives after the load
  AuditOptions options;
  options.database_url = db_.url();
  options.lake_url = lake_.path();
  options.interval = std::chrono::seconds(300);
  options.store_as = "audit";
  // 2026-04-01 is still open: audited and reported, not stored.
  options.clock = [] { return *ParseIso8601("2026-04-01T12:00:00Z"); };
  StopSignal stop;
  auto report = RunAudit(options, stop);
  ASSERT_OK(report);
  EXPECT_EQ(report->store_error, "");
  EXPECT_EQ(Only(*report, "not_loaded").date, "2026-03-31");
  auto rows = [&] {
    return db_.Scalar(
        "SELECT string_agg(day || ' ' || audited_by || ' ' || findings_count || ' ' || "
        "array_to_string(kinds, ',') || ' ' || jsonb_array_length(findings), '|' ORDER BY day) "
        "FROM audit_results");
  };
  EXPECT_EQ(rows(), "2026-03-31 audit 1 not_loaded 1");
  EXPECT_NE(db_.Scalar("SELECT findings->0->>'key' FROM audit_results").find("22-55-00Z"),
            std::string::npos);
  auto db = std::move(warehouse::Connection::Open(db_.url())).value();
  auto with_findings = ReadAuditDaysWithFindings(*db);
  ASSERT_OK(with_findings);
  ASSERT_EQ(with_findings->size(), 1u);
  EXPECT_EQ((*with_findings)[0].day, "2026-03-31");
  EXPECT_EQ((*with_findings)[0].findings, 1);
  EXPECT_EQ((*with_findings)[0].kinds, std::vector<std::string>{"not_loaded"});

  // Repaired (the object loaded), the day audited again by `run`: a clean row replaces it.
  Load(lake_.path());
  options.store_as = "run";
  options.from_date = options.to_date = "2026-03-31";
  options.clock = [] { return *ParseIso8601("2026-04-02T01:00:00Z"); };
  report = RunAudit(options, stop);
  ASSERT_OK(report);
  EXPECT_TRUE(report->clean()) << report->ToText();
  EXPECT_EQ(rows(), "2026-03-31 run 0  0");
  EXPECT_EQ(db_.Scalar("SELECT audited_at = '2026-04-02T01:00:00Z' FROM audit_results"), "t");
  with_findings = ReadAuditDaysWithFindings(*db);
  ASSERT_OK(with_findings);
  EXPECT_TRUE(with_findings->empty());
}

// A day with more findings than a row keeps: all are counted, the first 50 kept, kinds once.
TEST_F(AuditTest, AStoredDayKeepsItsFirstFindingsAndCountsThemAll) {
  db_.Migrate();
  AuditReport report;
  for (int i = 0; i < 60; ++i) {
    report.findings.push_back({i % 2 ? "rows_differ" : "gap", "2026-05-02", "k" + std::to_string(i),
                               "detail " + std::to_string(i)});
  }
  auto db = std::move(warehouse::Connection::Open(db_.url())).value();
  const std::vector<std::string> days = {"2026-05-01", "2026-05-02"};
  ASSERT_OK(StoreAuditResults(*db, report, days, "audit", *ParseIso8601("2026-05-03T00:00:00Z")));
  EXPECT_EQ(db_.Scalar("SELECT string_agg(day || ' ' || findings_count || ' ' || "
                       "array_to_string(kinds, ',') || ' ' || jsonb_array_length(findings), '|' "
                       "ORDER BY day) FROM audit_results"),
            "2026-05-01 0  0|2026-05-02 60 gap,rows_differ 50");
  EXPECT_EQ(
      db_.Scalar("SELECT findings->49->>'detail' FROM audit_results WHERE findings_count > 0"),
      "detail 49");
}

// What `run` audits next: the closed days of the last week never audited, newest first; then a
// day with findings once its result is 6 hours old; a clean day is not audited again.
TEST_F(AuditTest, RunAuditsUnauditedClosedDaysNewestFirstThenDaysWithFindings) {
  db_.Migrate();
  StopSignal stop;
  AuditSchedule schedule(db_.url(), lake_.path(), SystemNow, stop);
  auto db = std::move(warehouse::Connection::Open(db_.url())).value();
  const TimePoint now = *ParseIso8601("2026-05-10T12:00:00Z");
  auto next = [&](TimePoint at) {
    auto day = schedule.NextDay(*db, at);
    EXPECT_OK(day);
    return day.ok() && day->has_value() ? **day : std::string("none");
  };
  EXPECT_EQ(next(now), "2026-05-09");
  AuditReport clean;
  std::vector<std::string> week;
  for (int d = 3; d <= 9; ++d) week.push_back(fmt::format("2026-05-{:02}", d));
  const std::vector<std::string> two = {"2026-05-09", "2026-05-07"};
  ASSERT_OK(StoreAuditResults(*db, clean, two, "run", now));
  EXPECT_EQ(next(now), "2026-05-08");
  ASSERT_OK(StoreAuditResults(*db, clean, week, "run", now));
  EXPECT_EQ(next(now), "none") << "a week audited, clean: nothing until a day closes";
  EXPECT_EQ(next(now + std::chrono::hours(24)), "2026-05-10");
  // An old day with findings (stored by the command) is audited again every 6 hours.
  AuditReport dirty;
  dirty.findings.push_back({"gap", "2026-04-01", "", "1 snapshot(s) missing"});
  const std::vector<std::string> old_day = {"2026-04-01"};
  ASSERT_OK(StoreAuditResults(*db, dirty, old_day, "audit", now));
  EXPECT_EQ(next(now + std::chrono::hours(5)), "none");
  EXPECT_EQ(next(now + std::chrono::hours(6)), "2026-04-01");
}

TEST_F(AuditTest, BinaryExitsOneWithAJsonReport) {
  testing::MakeLake(lake_.path(), 1);
  Load(lake_.path());
  std::string command = "COINLAKE_DATABASE_URL='" + db_.url() + "' COINLAKE_LAKE_URL='" +
                        lake_.path() + "' " + COINLAKE_BINARY + " audit --json";
  auto clean = coinlake::testing::RunCommand(command);
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(nlohmann::json::parse(clean.out)["clean"], true);
  db_.Scalar("DELETE FROM lake_objects WHERE key = '" + FirstKey() + "' RETURNING 1");
  auto dirty = coinlake::testing::RunCommand(command);
  EXPECT_EQ(dirty.exit_code, 1);
  auto json = nlohmann::json::parse(dirty.out);
  EXPECT_EQ(json["clean"], false);
  EXPECT_EQ(json["findings"][0]["kind"], "ledger_missing");
  EXPECT_NE(dirty.err.find("audit: 1 discrepancies"), std::string::npos) << dirty.err;
}

}  // namespace
}  // namespace coinlake::pipeline
