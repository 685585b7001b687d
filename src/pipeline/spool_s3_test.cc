// The spool against an S3 lake that goes away: with the fake S3 down for several fetch cycles
// (scripts/test starts it; COINLAKE_TEST_S3_ENDPOINT), every response waits in the spool and
// lands in the lake once it is back, in key order, each key written exactly once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "cmc/sim.h"
#include "lake/object_store.h"
#include "pipeline/fetch.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

TEST(SpoolS3Test, LakeOutageLosesNothingAndWritesEachKeyOnce) {
  const char* endpoint = std::getenv("COINLAKE_TEST_S3_ENDPOINT");
  ASSERT_TRUE(endpoint && *endpoint)
      << "COINLAKE_TEST_S3_ENDPOINT is not set: run through scripts/test (scripts/lib-s3.sh)";
  httplib::Client control(endpoint);
  // A bucket of its own: the fake scopes the outage to it, so parallel tests are unaffected.
  std::string bucket = fmt::format("spool{:016x}", std::random_device{}());
  auto set_down = [&](bool down) {
    auto res = control.Post("/__fault", nlohmann::json{{"bucket", bucket}, {"down", down}}.dump(),
                            "application/json");
    ASSERT_TRUE(res && res->status == 200);
  };
  coinlake::testing::TestDatabase db;
  db.Migrate();
  coinlake::testing::TempDir dir;
  cmc::SimOptions sim_options;
  sim_options.port = 0;
  sim_options.coins = 300;
  sim_options.api_key = "sim-key-0123456789";
  auto sim = std::move(cmc::Simulator::Start(sim_options)).value();
  setenv("AWS_ACCESS_KEY_ID", "COINLAKETESTKEYID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "coinlake-test-secret-0123456789", 1);
  std::string prefix = "coinlake";
  FetchOptions options;
  options.database_url = db.url();
  options.lake_url = fmt::format("s3://{}/{}?endpoint={}", bucket, prefix, endpoint);
  options.spool_dir = dir.path() + "/spool";
  options.cmc.base_url = sim->base_url();
  options.cmc.api_key = "sim-key-0123456789";
  options.listings_limit = 100;
  StopSignal stop;

  set_down(true);
  for (int i = 0; i < 3; ++i) {
    Status s = RunFetch(options, stop);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  }
  auto spool = std::move(lake::OpenObjectStore("file://" + options.spool_dir)).value();
  size_t spooled = spool->ListAll("")->size();
  EXPECT_GE(spooled, 2u);  // bodies and sidecars wait, fsync'd
  set_down(false);

  ASSERT_OK(RunFetch(options, stop));
  EXPECT_EQ(spool->ListAll("")->size(), 0u);
  auto lake = std::move(lake::OpenObjectStore(options.lake_url)).value();
  auto raw = lake->ListAll("raw/");
  ASSERT_OK(raw);
  EXPECT_GE(raw->size(), spooled);
  // The fake's audit log: every key written once, in key order.
  auto stats = control.Get("/__stats");
  ASSERT_TRUE(stats && stats->status == 200);
  auto puts = nlohmann::ordered_json::parse(stats->body)["puts"];
  std::vector<std::string> order;
  for (auto& [key, count] : puts.items()) {
    if (!key.starts_with(bucket + "/" + prefix + "/raw/")) continue;
    order.push_back(key);
    EXPECT_EQ(count.get<int>(), 1) << key;
  }
  EXPECT_EQ(order.size(), raw->size());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST(SpoolTest, AnUnwritableSpoolIsALoudError) {
  coinlake::testing::TestDatabase db;
  db.Migrate();
  coinlake::testing::TempDir dir;
  FetchOptions options;
  options.database_url = db.url();
  options.lake_url = "file://" + dir.path() + "/lake";
  options.spool_dir = "/proc/coinlake-spool";  // unwritable even for root
  options.cmc.base_url = "http://127.0.0.1:1";
  options.cmc.api_key = "sim-key-0123456789";
  StopSignal stop;
  Status s = RunFetch(options, stop);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("spool"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace coinlake::pipeline
