// Connection against a real PostgreSQL (scripts/test starts one).
#include "warehouse/db.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/log.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;

// Server notices reach coinlake's JSON log (a WARNING as a warning), never libpq's bare stderr.
TEST(ConnectionTest, ServerNoticesGoToTheJsonLog) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  log::Configure(log::Level::kDebug, log::Sink::kStdout);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Status run = conn->Execute(
      "DO $$ BEGIN RAISE NOTICE 'routine %', 1; RAISE WARNING 'careful %', 2; END $$");
  std::string err = ::testing::internal::GetCapturedStderr();
  std::string out = ::testing::internal::GetCapturedStdout();
  log::Configure(log::Level::kInfo, log::Sink::kStderr);
  ASSERT_OK(run);
  EXPECT_EQ(err, "");
  std::vector<nlohmann::json> lines;
  for (size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(nlohmann::json::parse(out.substr(start, end - start)));
  }
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["level"], "debug");
  EXPECT_EQ(lines[0]["msg"], "database notice: routine 1");
  EXPECT_EQ(lines[1]["level"], "warn");
  EXPECT_EQ(lines[1]["msg"], "database notice: careful 2");
  EXPECT_EQ(lines[1]["severity"], "WARNING");
  EXPECT_EQ(lines[1]["sqlstate"], "01000");
}

}  // namespace
}  // namespace coinlake::warehouse
