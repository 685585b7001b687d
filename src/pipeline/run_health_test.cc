#include "pipeline/run_health.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/atomic_file.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

// name{labels} -> value, from a Prometheus text exposition; fails on a malformed line.
std::map<std::string, double> ParsePrometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    EXPECT_TRUE(line.starts_with("coinlake_")) << line;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

RunHealth Sample() {
  RunHealth h;
  h.host = "etl-1";
  h.pid = 42;
  h.started = *ParseIso8601("2026-11-27T10:00:00Z");
  CycleReport report;
  report.rows = 5000;
  report.credits = 25;
  report.objects = 1;
  report.stages.extract = std::chrono::milliseconds(420);
  report.stages.load = std::chrono::milliseconds(180);
  h.Record(report, "ok", *ParseIso8601("2026-11-27T10:00:00.5Z"),
           *ParseIso8601("2026-11-27T10:00:01.5Z"));
  // An endpoint stopped (a bad key, say) while listings loaded: partial, not failed, and not a
  // success either (the stopped endpoint needs a person).
  h.Record(CycleReport{}, "partial", *ParseIso8601("2026-11-27T10:02:30Z"),
           *ParseIso8601("2026-11-27T10:02:31Z"));
  h.Record(CycleReport{}, "failed", *ParseIso8601("2026-11-27T10:05:00Z"),
           *ParseIso8601("2026-11-27T10:05:02Z"));
  h.skipped_slots = 3;
  h.lag_seconds = 0.25;
  h.next_cycle = *ParseIso8601("2026-11-27T10:10:00Z");
  h.lock_held = true;
  h.rss_bytes = 12345678;
  return h;
}

TEST(RunHealthTest, RecordKeepsTotalsAndTheLastSuccess) {
  RunHealth h = Sample();
  EXPECT_EQ(h.cycles, 3);
  EXPECT_EQ(h.failed_cycles, 1);
  EXPECT_EQ(h.partial_cycles, 1);
  EXPECT_EQ(h.rows_total, 5000);
  EXPECT_EQ(h.credits_total, 25);
  EXPECT_EQ(h.last_outcome, "failed");
  EXPECT_EQ(h.last_success, *ParseIso8601("2026-11-27T10:00:01.5Z"));
}

TEST(RunHealthTest, TextfileIsWrittenAtomicallyAndReadsBack) {
  testing::TempDir dir;
  std::string path = dir.path() + "/coinlake.prom";
  ASSERT_OK(WriteFileAtomically(path, "stale\n", 0644, false));
  ASSERT_TRUE(WriteFileAtomically(path, PrometheusText(Sample()), 0644, false).ok());
  // Only the final file remains: no temporary left for node_exporter to trip on.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto m = ParsePrometheus(text.str());
  EXPECT_EQ(m["coinlake_cycles_total{outcome=\"ok\"}"], 1);
  EXPECT_EQ(m["coinlake_cycles_total{outcome=\"partial\"}"], 1);
  EXPECT_EQ(m["coinlake_cycles_total{outcome=\"failed\"}"], 1);
  EXPECT_EQ(m["coinlake_rows_loaded_total"], 5000);
  EXPECT_EQ(m["coinlake_credits_used_total"], 25);
  EXPECT_EQ(m["coinlake_skipped_slots_total"], 3);
  EXPECT_EQ(m["coinlake_last_cycle_ok"], 0);
  EXPECT_DOUBLE_EQ(m["coinlake_last_success_timestamp_seconds"], 1795773601.5);
  EXPECT_DOUBLE_EQ(m["coinlake_last_cycle_duration_seconds"], 2.0);
  EXPECT_DOUBLE_EQ(m["coinlake_schedule_lag_seconds"], 0.25);
  EXPECT_DOUBLE_EQ(m["coinlake_next_cycle_timestamp_seconds"], 1795774200);
  EXPECT_EQ(m["coinlake_run_lock_held"], 1);
  EXPECT_EQ(m["coinlake_resident_memory_bytes"], 12345678);
  EXPECT_EQ(m.count("coinlake_last_cycle_stage_seconds{stage=\"spool\"}"), 1u);
}

TEST(RunHealthTest, UnwritableTextfileIsAnError) {
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/coinlake.prom", "x", 0644, false).ok());
}

TEST(RunHealthTest, ResidentSetIsRead) { EXPECT_GT(ResidentSetBytes(), 1 << 20); }

}  // namespace
}  // namespace coinlake::pipeline
