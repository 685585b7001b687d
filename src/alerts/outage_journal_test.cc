// The database-outage journal file: written atomically and read back as written, absent is
// empty, and a file that is not a journal is set aside with one error line, not fatal.
#include "alerts/outage_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

const TimePoint kT0 = std::chrono::sys_days(std::chrono::year(2026) / 12 / 6);

OutageJournal Sample() {
  OutageJournal journal;
  journal.since = kT0;
  JournalEntry entry{"db", kT0 + std::chrono::minutes(15), {}};
  JournalDelivery delivered;
  delivered.channel = "ops";
  delivered.idempotency_key = "db/pipeline/firing/1796516100/ops";
  delivered.payload = R"({"rule":"db","event":"firing"})";
  delivered.attempts = 2;
  delivered.delivered_at = kT0 + std::chrono::minutes(16);
  JournalDelivery waiting;
  waiting.channel = "pager";
  waiting.idempotency_key = "db/pipeline/firing/1796516100/pager";
  waiting.payload = R"({"rule":"db","event":"firing","channel":"pager"})";
  waiting.attempts = 1;
  waiting.next_attempt_at = kT0 + std::chrono::minutes(17);
  waiting.last_error = "HTTP 500";
  entry.deliveries = {delivered, waiting};
  journal.entries.push_back(entry);
  return journal;
}

TEST(OutageJournalTest, WrittenThenReadBackAsWritten) {
  coinlake::testing::TempDir dir;
  const std::string path = dir.path() + "/journal/database-outage.json";
  ASSERT_OK(WriteJournal(path, Sample()));
  OutageJournal read = ReadJournal(path);
  ASSERT_TRUE(read.since.has_value());
  EXPECT_EQ(*read.since, kT0);
  ASSERT_EQ(read.entries.size(), 1u);
  const JournalEntry& entry = read.entries[0];
  EXPECT_EQ(entry.rule, "db");
  EXPECT_EQ(entry.fired_at, kT0 + std::chrono::minutes(15));
  ASSERT_EQ(entry.deliveries.size(), 2u);
  EXPECT_EQ(entry.deliveries[0].channel, "ops");
  EXPECT_EQ(entry.deliveries[0].payload, R"({"rule":"db","event":"firing"})");
  EXPECT_EQ(entry.deliveries[0].attempts, 2);
  EXPECT_EQ(entry.deliveries[0].delivered_at, kT0 + std::chrono::minutes(16));
  EXPECT_FALSE(entry.deliveries[0].next_attempt_at.has_value());
  EXPECT_FALSE(entry.deliveries[1].delivered_at.has_value());
  EXPECT_EQ(entry.deliveries[1].next_attempt_at, kT0 + std::chrono::minutes(17));
  EXPECT_EQ(entry.deliveries[1].last_error, "HTTP 500");
  EXPECT_EQ(read.Find("db"), &read.entries[0]);
  EXPECT_EQ(read.Find("other"), nullptr);
  // Nothing but the journal is left in its folder: the temporary file was renamed.
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path() + "/journal")) {
    EXPECT_EQ(f.path().filename(), "database-outage.json");
    ++files;
  }
  EXPECT_EQ(files, 1);

  ASSERT_OK(RemoveJournal(path));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_OK(RemoveJournal(path));  // gone already is fine
}

TEST(OutageJournalTest, NoFileIsAnEmptyJournal) {
  coinlake::testing::TempDir dir;
  EXPECT_TRUE(ReadJournal(dir.path() + "/journal/database-outage.json").empty());
}

TEST(OutageJournalTest, ACorruptedFileIsSetAsideWithAnErrorLineAndReadsAsEmpty) {
  coinlake::testing::TempDir dir;
  const std::string path = dir.path() + "/database-outage.json";
  std::string text = JournalToJson(Sample());
  text.resize(text.size() / 2);  // a torn write, as a disk that lied about fsync leaves
  std::ofstream(path) << text;
  log::Configure(log::Level::kInfo, log::Sink::kStdout);
  ::testing::internal::CaptureStdout();
  OutageJournal read = ReadJournal(path);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(read.empty());
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  auto line = nlohmann::json::parse(out);
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["journal"], path);
  const std::string aside = line["set_aside_as"].get<std::string>();
  EXPECT_TRUE(aside.starts_with(path + ".corrupt-")) << aside;
  EXPECT_EQ(coinlake::testing::ReadFile(aside), text) << "kept as it was, for a person to read";
  EXPECT_TRUE(ReadJournal(path).empty()) << "and the next read starts afresh";
}

TEST(OutageJournalTest, OnlyAJournalThisCodeWroteIsRead) {
  EXPECT_FALSE(JournalFromJson("[]").ok());
  EXPECT_FALSE(JournalFromJson(R"({"version": 2, "entries": []})").ok());
  EXPECT_FALSE(JournalFromJson(R"({"version": 1, "since": null,
      "entries": [{"rule": "db", "fired_at": "2026-12-06T00:15:00.000Z", "deliveries": []}]})")
                   .ok())
      << "entries without the outage's start";
  EXPECT_FALSE(JournalFromJson(R"({"version": 1, "since": "2026-12-06T00:00:00.000Z",
      "entries": [{"rule": "db", "fired_at": "2026-12-06T00:15:00.000Z",
                   "deliveries": [{"channel": "ops"}]}]})")
                   .ok());
  EXPECT_TRUE(JournalFromJson(JournalToJson(Sample())).ok());
}

}  // namespace
}  // namespace coinlake::alerts
