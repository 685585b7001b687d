// retention against a real PostgreSQL, as the ETL's writer login: a partition beyond retention
// (a week, or a month made before migration 21) is dropped only when the lake's manifests prove
// every day of it equal to the database, else it stays and the reason names the day; audit then
// expects its quotes in the lake alone.
#include "pipeline/retention.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "lake/file_object_store.h"
#include "lake/keys.h"
#include "pipeline/audit.h"
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

// The test lake (test_lake.h) holds 2026-03-31 22:30 to 2026-04-01 00:25, in the ISO week of
// Monday 2026-03-30. Here the database is one deployed before weekly partitions: it has a March
// partition (as migrations before 21 made them), so the lake's quotes fall in that month and in
// the week after it, cut short at its start (quotes_w2026_04_01, 2026-04-01 to 2026-04-06), whose
// first snapshot (00:00) carries quotes stamped 23:59 in March. WeeklyRetentionTest has weeks
// only.
class RetentionTest : public ::testing::Test {
 protected:
  explicit RetentionTest(bool monthly_march = true) : monthly_march_(monthly_march) {}
  void SetUp() override {
    testing::MakeLake(lake_.path(), 1);
    db_.Migrate();
    if (monthly_march_) {
      db_.Scalar(
          "CREATE TABLE quotes_2026_03 PARTITION OF quotes FOR VALUES FROM "
          "('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00')");
    }
    ReprocessOptions options;
    options.database_url = db_.url();
    options.lake_url = lake_.path();
    ASSERT_OK(RunReprocess(options, stop_));
    // As the ETL signs in on a deployment: a login in coinlake_writer, owning no table.
    writer_url_ = db_.LoginUrl("coinlake_writer");
  }
  // Compacts the closed days in [from, to] (empty: all).
  void Compact(const std::string& from = "", const std::string& to = "") {
    CompactOptions compact;
    compact.lake_url = lake_.path();
    compact.from_date = from;
    compact.to_date = to;
    ASSERT_OK(RunCompact(compact, stop_));
  }
  StatusOr<RetentionReport> Retain(int days, const char* now, bool dry_run = false) {
    RetentionOptions options;
    options.database_url = writer_url_;
    options.lake_url = lake_.path();
    options.retention_days = days;
    options.dry_run = dry_run;
    TimePoint at = *ParseIso8601(now);
    options.clock = [at] { return at; };
    return RunRetention(options, stop_);
  }
  AuditReport Audit(int retention_days = 0) {
    AuditOptions options;
    options.quotes_retention_days = retention_days;
    options.database_url = db_.url();
    options.lake_url = lake_.path();
    auto report = RunAudit(options, stop_);
    EXPECT_OK(report);
    return report.ok() ? *report : AuditReport{};
  }
  bool Exists(const std::string& table) {
    return db_.Scalar("SELECT to_regclass('public." + table + "') IS NOT NULL") == "t";
  }
  // Candles, global metrics, assets and the ledger: what retention never touches.
  std::string KeptForever() {
    return db_.Scalar(
        "SELECT (SELECT count(*) FROM candles_hourly) || ',' || (SELECT count(*) FROM "
        "candles_daily) || ',' || (SELECT count(*) FROM assets) || ',' || (SELECT count(*) FROM "
        "lake_objects) || ',' || (SELECT count(*) FROM global_metrics)");
  }

  const bool monthly_march_;
  TempDir lake_;
  TestDatabase db_;
  StopSignal stop_;
  std::string writer_url_;
};

TEST_F(RetentionTest, DropsAFullyCompactedMatchingMonthAndAuditStaysClean) {
  Compact();
  const std::string march_rows =
      db_.Scalar("SELECT count(*) FROM quotes WHERE ts < '2026-04-01T00:00:00Z'");
  const std::string april_rows =
      db_.Scalar("SELECT count(*) FROM quotes WHERE ts >= '2026-04-01T00:00:00Z'");
  ASSERT_NE(march_rows, "0");
  const std::string kept = KeptForever();

  // A dry run proves the month and changes nothing.
  ASSERT_OK_AND_ASSIGN(RetentionReport dry, Retain(30, "2026-05-03T00:00:00Z", true));
  ASSERT_EQ(dry.partitions.size(), 1u) << dry.ToText();
  EXPECT_EQ(dry.partitions[0].outcome, "would_drop") << dry.ToText();
  EXPECT_TRUE(Exists("quotes_2026_03"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes_retention_status"), "0");

  // 30 days before 2026-05-03 is 2026-04-03: March is wholly beyond it, the week from April 1st
  // is not.
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u) << report.ToText();
  const RetentionPartition& march = report.partitions[0];
  EXPECT_EQ(march.partition, "quotes_2026_03");
  EXPECT_EQ(march.outcome, "dropped") << report.ToText();
  EXPECT_EQ(std::to_string(march.rows), march_rows);
  EXPECT_EQ(march.days, 2);  // its own day, and the next (the 00:00 snapshot) by its manifest
  EXPECT_FALSE(Exists("quotes_2026_03"));
  EXPECT_EQ(march.start, "2026-03-01T00:00:00.000Z");
  EXPECT_EQ(march.end, "2026-04-01T00:00:00.000Z");
  EXPECT_TRUE(Exists("quotes_w2026_04_01"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), april_rows);
  EXPECT_EQ(KeptForever(), kept);
  EXPECT_EQ(db_.Scalar("SELECT partition_name || ' ' || to_char(range_start AT TIME ZONE 'UTC', "
                       "'YYYY-MM-DD') || ' ' || to_char(range_end AT TIME ZONE 'UTC', "
                       "'YYYY-MM-DD') || ' ' || rows FROM quotes_retention_dropped"),
            "quotes_2026_03 2026-03-01 2026-04-01 " + march_rows);
  EXPECT_EQ(db_.Scalar("SELECT retention_days || ' ' || dropped::text || ' ' || "
                       "coalesce(blocked_reason, '-') FROM quotes_retention_status"),
            "30 {quotes_2026_03} -");

  // The month's quotes are expected in the lake, not in the database.
  AuditReport audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
  ASSERT_EQ(audit.days.size(), 2u);
  EXPECT_EQ(audit.days[0].lake_only_rows, audit.days[0].lake_rows);
  EXPECT_GT(audit.days[1].lake_only_rows, 0);
  EXPECT_LT(audit.days[1].lake_only_rows, audit.days[1].lake_rows);

  // Nothing left beyond retention: nothing looked at.
  ASSERT_OK_AND_ASSIGN(RetentionReport again, Retain(30, "2026-05-03T00:00:00Z"));
  EXPECT_TRUE(again.partitions.empty()) << again.ToText();

  // Later the week goes too: its first day's snapshot at 00:00 carries March's quotes, which only
  // the lake holds now, and that does not keep the week.
  ASSERT_OK_AND_ASSIGN(RetentionReport june, Retain(30, "2026-06-15T00:00:00Z"));
  ASSERT_EQ(june.partitions.size(), 1u) << june.ToText();
  EXPECT_EQ(june.partitions[0].outcome, "dropped") << june.ToText();
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "0");
  audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
}

// CMC lists coins it has not updated for days with their old last_updated: such a quote lands on
// a day that may have no snapshot (and so no Parquet file) of its own. It is proved by the
// manifest of the snapshot that brought it, and does not keep its month.
TEST_F(RetentionTest, AQuoteStampedOnADayWithoutSnapshotsIsProvedByItsSnapshotsDay) {
  auto lake = std::move(lake::FileObjectStore::Open(lake_.path())).value();
  const TimePoint first = *ParseIso8601("2026-03-31T22:30:00Z");
  auto stored = lake->Get(lake::RawBodyKey(lake::kListingsLatest, first));
  ASSERT_OK(stored);
  auto body = nlohmann::json::parse(*GzipDecompress(*stored));
  nlohmann::json coin = body["data"][0];
  coin["id"] = 77777777;  // a coin of its own: its quote is stored by this snapshot
  coin["last_updated"] = "2026-03-20T12:00:00.000Z";
  for (auto& [currency, quote] : coin["quote"].items())
    quote["last_updated"] = coin["last_updated"];
  body["data"] = nlohmann::json::array({coin});
  const TimePoint late = *ParseIso8601("2026-03-31T23:57:30Z");
  body["status"]["timestamp"] = FormatIso8601(late);
  ASSERT_OK(lake->Put(lake::RawBodyKey(lake::kListingsLatest, late), *GzipCompress(body.dump())));
  ReprocessOptions options;
  options.database_url = db_.url();
  options.lake_url = lake_.path();
  ASSERT_OK(RunReprocess(options, stop_));
  ASSERT_EQ(db_.Scalar("SELECT count(*) FROM quotes WHERE ts < '2026-03-21T00:00:00Z'"), "1");
  Compact();
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "dropped") << report.ToText();
  AuditReport audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
}

TEST_F(RetentionTest, KeepsAMonthWithADayNotCompactedAndSaysWhich) {
  Compact("2026-04-01", "2026-04-01");  // 2026-03-31 has no Parquet file
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "blocked");
  EXPECT_NE(report.partitions[0].reason.find("day 2026-03-31: not compacted"), std::string::npos)
      << report.partitions[0].reason;
  EXPECT_TRUE(report.blocked());
  EXPECT_TRUE(Exists("quotes_2026_03"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes_retention_dropped"), "0");
  // audit says it too once told the retention (a notice without it: `run` compacts closed days).
  AuditReport audit = Audit(30);
  ASSERT_EQ(audit.findings.size(), 1u) << audit.ToText();
  EXPECT_EQ(audit.findings[0].kind, "not_compacted_beyond_retention");
  EXPECT_EQ(audit.findings[0].date, "2026-03-31");
  audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
  ASSERT_EQ(audit.notices.size(), 1u) << audit.ToText();
  EXPECT_EQ(audit.notices[0].kind, "not_compacted");
  // Shown on the pipeline page.
  EXPECT_EQ(db_.Scalar("SELECT to_char(blocked_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' ' || "
                       "to_char(blocked_end AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' ' || "
                       "dropped::text FROM quotes_retention_status"),
            "2026-03-01 2026-04-01 {}");
  EXPECT_NE(db_.Scalar("SELECT blocked_reason FROM quotes_retention_status")
                .find("day 2026-03-31: not compacted"),
            std::string::npos);
  // Once compacted, the month goes, and the page no longer says it was kept.
  Compact();
  ASSERT_OK_AND_ASSIGN(report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "dropped") << report.ToText();
  EXPECT_EQ(db_.Scalar("SELECT blocked_start IS NULL FROM quotes_retention_status"), "t");
}

TEST_F(RetentionTest, KeepsAMonthWhoseDatabaseRowsDifferFromTheManifest) {
  Compact();
  // A row lost from the database after compaction: the manifest's checksum no longer matches.
  db_.Scalar(
      "DELETE FROM quotes WHERE ctid = (SELECT ctid FROM quotes_2026_03 ORDER BY cmc_id LIMIT 1)");
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "blocked");
  EXPECT_NE(report.partitions[0].reason.find("the database holds"), std::string::npos)
      << report.partitions[0].reason;
  EXPECT_TRUE(Exists("quotes_2026_03"));

  // A manifest that says other rows than the database holds (the lake's object too, here).
  auto lake = std::move(lake::FileObjectStore::Open(lake_.path())).value();
  auto manifest = ReadCurrentManifest(*lake, "quotes", "2026-03-31");
  ASSERT_TRUE(manifest.ok() && manifest->has_value());
  DayManifest wrong = **manifest;
  wrong.version = (*manifest)->version + 1;
  wrong.sources[0].checksum = std::string(32, '0');
  ASSERT_OK(
      lake->Put(lake::ManifestKey("quotes", "2026-03-31", wrong.version), wrong.ToJson().dump()));
  ASSERT_OK_AND_ASSIGN(report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "blocked");
  EXPECT_NE(report.partitions[0].reason.find("day 2026-03-31: " + wrong.sources[0].key),
            std::string::npos)
      << report.partitions[0].reason;
  EXPECT_TRUE(Exists("quotes_2026_03"));
}

TEST_F(RetentionTest, NeverDropsAMonthInsideRetention) {
  Compact();
  // 45 days before 2026-05-03 is 2026-03-19: March has not wholly passed it.
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(45, "2026-05-03T00:00:00Z"));
  EXPECT_TRUE(report.partitions.empty()) << report.ToText();
  EXPECT_TRUE(Exists("quotes_2026_03"));
  // Off: nothing looked at, and the page says it is off.
  ASSERT_OK_AND_ASSIGN(report, Retain(0, "2030-01-01T00:00:00Z"));
  EXPECT_TRUE(report.partitions.empty());
  EXPECT_TRUE(Exists("quotes_2026_03"));
  EXPECT_EQ(db_.Scalar("SELECT retention_days || ' ' || (boundary IS NULL) FROM "
                       "quotes_retention_status"),
            "0 true");
  // Out of range: a clear error, nothing done.
  auto bad = Retain(-1, "2026-05-03T00:00:00Z");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // The database refuses to drop a partition that has not ended, whoever asks (migrate made the
  // weeks ahead).
  auto writer = std::move(warehouse::Connection::Open(writer_url_)).value();
  Status refused = writer->Execute(
      "SELECT coinlake_quotes_drop_partition((SELECT max(range_start) FROM "
      "coinlake_quote_partitions()))");
  EXPECT_NE(refused.message().find("has not ended"), std::string::npos) << refused.ToString();
}

TEST_F(RetentionTest, AuditFindsADroppedDayMissingFromTheLake) {
  Compact();
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  ASSERT_EQ(report.partitions[0].outcome, "dropped");
  // The day's Parquet layer gone: its quotes are neither in the database nor compacted.
  auto lake = std::move(lake::FileObjectStore::Open(lake_.path())).value();
  for (const std::string& prefix : {lake::CuratedDayPrefix("quotes", "2026-03-31"),
                                    std::string("curated/_manifests/quotes/dt=2026-03-31/")}) {
    auto objects = lake->ListAll(prefix);
    ASSERT_OK(objects);
    ASSERT_FALSE(objects->empty()) << prefix;
    for (const lake::ObjectInfo& o : *objects) ASSERT_OK(lake->Delete(o.key));
  }
  AuditReport audit = Audit();
  ASSERT_EQ(audit.findings.size(), 1u) << audit.ToText();
  EXPECT_EQ(audit.findings[0].kind, "dropped_not_compacted");
  EXPECT_EQ(audit.findings[0].date, "2026-03-31");
  // A day whose partition is made again (a backfill of it: a week, cut short by the next
  // partition) is the database's again: audit compares it, and finds its rows missing.
  db_.Scalar("SELECT coinlake_ensure_quote_partitions('2026-03-31', '2026-03-31')");
  ASSERT_TRUE(Exists("quotes_w2026_03_30"));
  audit = Audit();
  EXPECT_TRUE(std::any_of(audit.findings.begin(), audit.findings.end(), [](const AuditFinding& f) {
    return f.kind == "rows_differ";
  })) << audit.ToText();
}

// reprocess with a retention rebuilds the database `run` keeps: the quotes of the retention, the
// candles of every hour, and loads a partition beyond it at a time, dropping each before the next.
TEST_F(RetentionTest, ReprocessWithARetentionRebuildsWhatRetentionKeeps) {
  // An earlier week: 2026-02-28 22:30 to 2026-03-01 00:25, beside 2026-03-31 to 2026-04-01. Its
  // partition here is the week of Monday 2026-02-23, cut short at the March partition.
  testing::MakeLake(lake_.path(), 1, {}, "2026-02-28T22:30:00Z");
  ReprocessOptions options;
  options.database_url = writer_url_;
  options.lake_url = lake_.path();
  ASSERT_OK(RunReprocess(options, stop_));
  Compact();
  const std::string candles_of_every_hour =
      db_.Scalar("SELECT count(*) || ' ' || min(bucket) FROM candles_hourly");
  // What `run` keeps on 2026-05-03 with 30 days: February's week and March dropped, April's days
  // kept.
  ASSERT_OK_AND_ASSIGN(RetentionReport kept_by_run, Retain(30, "2026-05-03T00:00:00Z"));
  ASSERT_EQ(kept_by_run.partitions.size(), 2u) << kept_by_run.ToText();
  EXPECT_EQ(kept_by_run.partitions[0].partition, "quotes_w2026_02_23");
  EXPECT_EQ(kept_by_run.partitions[0].end, "2026-03-01T00:00:00.000Z");
  const std::string expected = testing::TablesChecksum(db_);

  options.force = true;
  options.quotes_retention_days = 30;
  options.clock = [] { return *ParseIso8601("2026-05-03T00:00:00Z"); };
  ASSERT_OK_AND_ASSIGN(ReprocessReport report, RunReprocess(options, stop_));
  // The dropped March partition is not made again: the loads make weeks (the one of February
  // 28th whole, the one of March 31st cut short at the April 1st partition that stayed), each
  // dropped in its turn. A batch whose objects span both ends also makes the empty weeks between
  // (which objects share a batch depends on the workers' timing): those go too, holding nothing.
  ASSERT_GE(report.partitions_dropped.size(), 2u);
  EXPECT_EQ(report.partitions_dropped.front(), "quotes_w2026_02_23");
  EXPECT_EQ(report.partitions_dropped.back(), "quotes_w2026_03_30");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes_retention_dropped WHERE range_start > "
                       "'2026-03-01Z' AND range_start < '2026-03-30Z' AND rows > 0"),
            "0");
  EXPECT_TRUE(report.partitions_kept.empty());
  EXPECT_EQ(testing::TablesChecksum(db_), expected);
  EXPECT_EQ(db_.Scalar("SELECT count(*) || ' ' || min(bucket) FROM candles_hourly"),
            candles_of_every_hour);
  EXPECT_FALSE(Exists("quotes_w2026_02_23"));
  EXPECT_FALSE(Exists("quotes_w2026_03_30"));
  EXPECT_FALSE(Exists("quotes_2026_03"));
  // A partition at a time: February's week (to 2026-03-02) was gone on 2026-04-01, before the
  // objects of April were loaded.
  EXPECT_EQ(db_.Scalar("SELECT (SELECT dropped_at FROM quotes_retention_dropped WHERE range_start "
                       "= '2026-02-23Z' AND range_end = '2026-03-02Z') < (SELECT min(loaded_at) "
                       "FROM lake_objects WHERE data_ts >= '2026-04-01')"),
            "t");
  // The month between the lake's two ends has no snapshot: that gap is audit's only finding.
  AuditReport audit = Audit(30);
  ASSERT_EQ(audit.findings.size(), 1u) << audit.ToText();
  EXPECT_EQ(audit.findings[0].kind, "gap") << audit.ToText();

  // Again, nothing to load: nothing changes.
  options.force = false;
  ASSERT_OK_AND_ASSIGN(report, RunReprocess(options, stop_));
  EXPECT_EQ(report.objects_loaded, 0);
  EXPECT_TRUE(report.partitions_dropped.empty());
  EXPECT_EQ(testing::TablesChecksum(db_), expected);
}

// A lake that cannot prove a partition (not compacted) gets the whole database, and says why.
TEST_F(RetentionTest, ReprocessKeepsWhatTheLakeCannotProve) {
  const std::string everything = testing::TablesChecksum(db_);
  ReprocessOptions options;
  options.database_url = writer_url_;
  options.lake_url = lake_.path();
  options.force = true;
  options.quotes_retention_days = 30;
  options.clock = [] { return *ParseIso8601("2026-05-03T00:00:00Z"); };
  ASSERT_OK_AND_ASSIGN(ReprocessReport report, RunReprocess(options, stop_));
  EXPECT_TRUE(report.partitions_dropped.empty());
  ASSERT_EQ(report.partitions_kept.size(), 1u);
  EXPECT_TRUE(report.partitions_kept[0].starts_with("quotes_2026_03: "))
      << report.partitions_kept[0];
  EXPECT_NE(report.partitions_kept[0].find("day 2026-03-31: not compacted"), std::string::npos)
      << report.partitions_kept[0];
  EXPECT_EQ(testing::TablesChecksum(db_), everything);
}

// A database made since migration 21: weekly partitions only.
class WeeklyRetentionTest : public RetentionTest {
 protected:
  WeeklyRetentionTest() : RetentionTest(/*monthly_march=*/false) {}
  std::string Range(const std::string& start, const std::string& end, const std::string& table) {
    return db_.Scalar("SELECT to_char(" + start + " AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' ' || " +
                      "to_char(" + end + " AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM " + table);
  }
};

// The week of Monday 2026-03-30 goes as soon as all of it is beyond the retention: on 2026-05-06
// with 30 days, not a month later as its month would have.
TEST_F(WeeklyRetentionTest, DropsAWeekAsSoonAsItIsWhollyBeyondTheRetention) {
  Compact();
  ASSERT_TRUE(Exists("quotes_w2026_03_30"));
  // A second earlier, the week's last second is still inside the retention.
  ASSERT_OK_AND_ASSIGN(RetentionReport early, Retain(30, "2026-05-05T23:59:59Z"));
  EXPECT_TRUE(early.partitions.empty()) << early.ToText();
  EXPECT_TRUE(Exists("quotes_w2026_03_30"));

  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-06T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u) << report.ToText();
  const RetentionPartition& week = report.partitions[0];
  EXPECT_EQ(week.partition, "quotes_w2026_03_30");
  EXPECT_EQ(week.outcome, "dropped") << report.ToText();
  EXPECT_EQ(week.days, 2);
  EXPECT_FALSE(Exists("quotes_w2026_03_30"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "0");
  EXPECT_EQ(Range("range_start", "range_end", "quotes_retention_dropped"), "2026-03-30 2026-04-06");
  // `coinlake retention --json` names the partition by its range.
  const nlohmann::json json = report.ToJson();
  EXPECT_EQ(json["partitions"][0]["start"], "2026-03-30T00:00:00.000Z");
  EXPECT_EQ(json["partitions"][0]["end"], "2026-04-06T00:00:00.000Z");
  EXPECT_NE(report.ToText().find("quotes_w2026_03_30  2026-03-30 to 2026-04-06  dropped"),
            std::string::npos)
      << report.ToText();

  // audit after the weekly drop: every quote is the lake's, and that is clean.
  AuditReport audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
  ASSERT_EQ(audit.days.size(), 2u);
  EXPECT_EQ(audit.days[0].lake_only_rows, audit.days[0].lake_rows);
  EXPECT_GT(audit.days[1].lake_only_rows, 0);
}

TEST_F(WeeklyRetentionTest, KeepsAWeekWithADayNotCompactedAndSaysWhich) {
  Compact("2026-03-31", "2026-03-31");  // 2026-04-01 has no Parquet file
  ASSERT_OK_AND_ASSIGN(RetentionReport report, Retain(30, "2026-05-06T00:00:00Z"));
  ASSERT_EQ(report.partitions.size(), 1u);
  EXPECT_EQ(report.partitions[0].outcome, "blocked");
  EXPECT_NE(report.partitions[0].reason.find("day 2026-04-01: not compacted"), std::string::npos)
      << report.partitions[0].reason;
  EXPECT_TRUE(Exists("quotes_w2026_03_30"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes_retention_dropped"), "0");
  EXPECT_EQ(Range("blocked_start", "blocked_end", "quotes_retention_status"),
            "2026-03-30 2026-04-06");
}

// reprocess after a weekly drop rebuilds what retention kept, and without a retention loads the
// week again: then audit compares it with the database as any other.
TEST_F(WeeklyRetentionTest, ReprocessAfterAWeeklyDrop) {
  Compact();
  ASSERT_OK_AND_ASSIGN(RetentionReport kept, Retain(30, "2026-05-06T00:00:00Z"));
  ASSERT_EQ(kept.partitions.size(), 1u) << kept.ToText();
  const std::string expected = testing::TablesChecksum(db_);

  ReprocessOptions options;
  options.database_url = writer_url_;
  options.lake_url = lake_.path();
  options.force = true;
  options.quotes_retention_days = 30;
  options.clock = [] { return *ParseIso8601("2026-05-06T00:00:00Z"); };
  ASSERT_OK_AND_ASSIGN(ReprocessReport report, RunReprocess(options, stop_));
  EXPECT_EQ(report.partitions_dropped, std::vector<std::string>{"quotes_w2026_03_30"});
  EXPECT_TRUE(report.partitions_kept.empty());
  EXPECT_EQ(testing::TablesChecksum(db_), expected);
  EXPECT_FALSE(Exists("quotes_w2026_03_30"));
  AuditReport audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();

  options.quotes_retention_days = 0;
  ASSERT_OK(RunReprocess(options, stop_));
  EXPECT_TRUE(Exists("quotes_w2026_03_30"));
  EXPECT_NE(db_.Scalar("SELECT count(*) FROM quotes"), "0");
  audit = Audit();
  EXPECT_TRUE(audit.clean()) << audit.ToText();
  ASSERT_EQ(audit.days.size(), 2u);
  EXPECT_EQ(audit.days[0].lake_only_rows, 0);
  EXPECT_EQ(audit.days[1].lake_only_rows, 0);
}

}  // namespace
}  // namespace coinlake::pipeline
