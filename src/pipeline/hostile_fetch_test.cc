// Hostile answers from the API, end to end through a real fetch cycle (sim -> client -> spool ->
// lake -> PostgreSQL): a gigabyte body, a body that never ends, a gzip bomb, JSON nested a
// hundred thousand levels deep and a slow drip. Each must end the cycle with a clear error in
// bounded time and memory, load nothing, quarantine what has a body, and leave the next cycle
// working. Figures for docs/reliability.md are printed as "[figures] ..." lines.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <string>

#include "cmc/sim.h"
#include "lake/object_store.h"
#include "pipeline/fetch.h"
#include "tests/sanitizers.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using coinlake::testing::ExpectMemoryBelow;
using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;
constexpr char kKey[] = "hostile-sim-key-5e1f";
constexpr int64_t kMiB = 1 << 20;

// A field of /proc/self/status in kB ("VmHWM", "VmRSS").
int64_t ProcStatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  ADD_FAILURE() << "no " << field << " in /proc/self/status";
  return 0;
}

// Resets the peak RSS (VmHWM) to the current RSS, so a scenario's peak is its own.
void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

class HostileFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    cmc::SimOptions sim;
    sim.port = 0;
    sim.coins = 300;
    sim.api_key = kKey;
    sim_ = std::move(cmc::Simulator::Start(sim)).value();
    options_.database_url = db_.url();
    options_.lake_url = "file://" + dir_.path() + "/lake";
    options_.spool_dir = dir_.path() + "/spool";
    options_.cmc.base_url = sim_->base_url();
    options_.cmc.api_key = kKey;
    options_.cmc.total_timeout = std::chrono::seconds(20);
    options_.listings_limit = 100;
  }

  // Puts `fault` (JSON fields, e.g. "\"fault\":\"huge\"") on every attempt of the listings
  // call (5), so the cycle must fail rather than a retry succeed.
  void Inject(const std::string& fault) {
    httplib::Client control("127.0.0.1", sim_->port());
    auto r = control.Post(
        "/__sim/faults",
        fmt::format(R"([{{{},"path":"/v1/cryptocurrency/listings/latest","count":5}}])", fault),
        "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  struct Outcome {
    Status status;
    double seconds = 0;
    double peak_growth_mib = 0;  // VmHWM during the cycle minus VmRSS before it
  };

  // One `coinlake fetch` cycle, timed and with its peak memory.
  Outcome Cycle() {
    ResetPeakRss();
    int64_t before_kb = ProcStatusKb("VmRSS");
    auto start = std::chrono::steady_clock::now();
    Outcome out;
    out.status = RunFetch(options_, stop_);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.peak_growth_mib = static_cast<double>(ProcStatusKb("VmHWM") - before_kb) / 1024.0;
    return out;
  }

  std::vector<std::string> Keys(const std::string& prefix) {
    auto lake = std::move(lake::OpenObjectStore(options_.lake_url)).value();
    auto objects = lake->ListAll(prefix);
    EXPECT_OK(objects);
    std::vector<std::string> keys;
    if (objects.ok()) {
      for (const auto& o : *objects) keys.push_back(o.key);
    }
    return keys;
  }

  // The failed cycle loaded nothing, left nothing behind in the spool, and the next cycle,
  // without the fault, works.
  void ExpectNothingLoadedAndRecovery(const std::string& scenario, const Outcome& bad) {
    EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "0") << scenario;
    EXPECT_EQ(db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'"),
              "0")
        << scenario;
    EXPECT_TRUE(Keys("raw/cmc/listings_latest/").empty()) << scenario;
    EXPECT_EQ(db_.Scalar("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1"), "failed")
        << scenario;
    auto spool = std::move(lake::OpenObjectStore("file://" + options_.spool_dir)).value();
    EXPECT_EQ(spool->ListAll("")->size(), 0u) << scenario;

    httplib::Client control("127.0.0.1", sim_->port());
    ASSERT_TRUE(control.Delete("/__sim/faults"));
    Outcome next = Cycle();
    ASSERT_TRUE(next.status.ok()) << scenario << ": " << next.status.ToString();
    EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "100") << scenario;
    std::cout << fmt::format(
                     "[figures] scenario={} outcome=\"{}\" seconds={:.2f} "
                     "peak_rss_growth_mib={:.1f} next_cycle_seconds={:.2f}",
                     scenario, bad.status.ToString().substr(0, 120), bad.seconds,
                     bad.peak_growth_mib, next.seconds)
              << std::endl;
  }

  // Peak growth allowed for a body cut at max_body_bytes: the body's one buffer (the client
  // reserves the cap once, so nothing is copied while it grows), plus a quarter of the cap for
  // the rest of the process (the sim streams in it, libcurl, libpq). Growing by doubling cost
  // 2x to 3x (docs/reliability.md).
  double BodyBoundMib() const {
    return 1.25 * static_cast<double>(options_.cmc.max_body_bytes) / kMiB;
  }

  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<cmc::Simulator> sim_;
  FetchOptions options_;
  StopSignal stop_;
};

constexpr int kAttempts = 5;

// The Content-Length says 1 GiB: refused from the header, before any of the body is read.
TEST_F(HostileFetchTest, GigabyteResponseIsRefusedFromItsLength) {
  Inject(fmt::format(R"("fault":"huge","bytes":{})", int64_t{1} << 30));
  Outcome bad = Cycle();
  EXPECT_EQ(bad.status.code(), StatusCode::kUnavailable) << bad.status.ToString();
  EXPECT_NE(bad.status.message().find("exceeds 67108864 bytes"), std::string::npos)
      << bad.status.ToString();
  EXPECT_LT(bad.seconds, 10);
  ExpectMemoryBelow(bad.peak_growth_mib, 16, "peak RSS growth");
  ExpectNothingLoadedAndRecovery("gigabyte_response", bad);
}

TEST_F(HostileFetchTest, NeverEndingBodyIsCutAtMaxBodyBytes) {
  Inject(R"("fault":"endless")");
  Outcome bad = Cycle();
  EXPECT_EQ(bad.status.code(), StatusCode::kUnavailable) << bad.status.ToString();
  EXPECT_NE(bad.status.message().find("exceeds 67108864 bytes"), std::string::npos)
      << bad.status.ToString();
  EXPECT_LT(bad.seconds, 60);
  ExpectMemoryBelow(bad.peak_growth_mib, BodyBoundMib(), "peak RSS growth");
  ExpectNothingLoadedAndRecovery("endless_body", bad);
}

// The limit applies to the decoded size: ~1 MB of gzip on the wire would inflate to 1 GiB.
TEST_F(HostileFetchTest, GzipBombIsCutAtDecodedSize) {
  Inject(fmt::format(R"("fault":"gzip_bomb","bytes":{})", int64_t{1} << 30));
  Outcome bad = Cycle();
  EXPECT_EQ(bad.status.code(), StatusCode::kUnavailable) << bad.status.ToString();
  EXPECT_NE(bad.status.message().find("exceeds 67108864 bytes"), std::string::npos)
      << bad.status.ToString();
  EXPECT_LT(bad.seconds, 60);
  ExpectMemoryBelow(bad.peak_growth_mib, BodyBoundMib(), "peak RSS growth");
  ExpectNothingLoadedAndRecovery("gzip_bomb", bad);
}

// A body exists and is well-formed JSON, but not a listing: it is kept in quarantine, byte for
// byte, and never loaded.
TEST_F(HostileFetchTest, DeeplyNestedJsonIsQuarantined) {
  Inject(R"("fault":"deep_nesting","depth":100000)");
  Outcome bad = Cycle();
  EXPECT_FALSE(bad.status.ok());
  EXPECT_LT(bad.seconds, 30);
  ExpectMemoryBelow(bad.peak_growth_mib, 64, "peak RSS growth");
  auto quarantined = Keys("quarantine/cmc/listings_latest/");
  ASSERT_EQ(quarantined.size(), 2u) << "body and sidecar";
  EXPECT_TRUE(quarantined[0].ends_with(".json.gz")) << quarantined[0];
  ExpectNothingLoadedAndRecovery("deep_nesting", bad);
}

// The real answer, 64 bytes every 250 ms: only the client's total deadline ends it.
TEST_F(HostileFetchTest, SlowDripHitsTheTotalDeadline) {
  options_.cmc.total_timeout = std::chrono::seconds(2);
  Inject(R"("fault":"drip","chunk_bytes":64,"interval_ms":250)");
  Outcome bad = Cycle();
  EXPECT_EQ(bad.status.code(), StatusCode::kUnavailable) << bad.status.ToString();
  EXPECT_NE(bad.status.message().find("imeout"), std::string::npos) << bad.status.ToString();
  // Five attempts of 2 s each, plus backoff (at most 0.2 + 0.4 + 0.8 + 1.6 s).
  EXPECT_LT(bad.seconds, kAttempts * 2 + 3 + 5);
  ExpectMemoryBelow(bad.peak_growth_mib, 64, "peak RSS growth");
  ExpectNothingLoadedAndRecovery("slow_drip", bad);
}

}  // namespace
}  // namespace coinlake::pipeline
