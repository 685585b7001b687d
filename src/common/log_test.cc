#include "common/log.h"

#include <gtest/gtest.h>

namespace coinlake {
namespace {

TEST(LogTest, RedactsRegisteredSecrets) {
  log::RegisterSecret("b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c");
  EXPECT_EQ(log::Redact("key=b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c and again "
                        "b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c"),
            "key=*** and again ***");
  log::RegisterSecret("ab");  // too short to mask safely: ignored
  EXPECT_EQ(log::Redact("about abba"), "about abba");
}

// Every client that starts registers its key again: the list must not grow with each one.
TEST(LogTest, RegisteringASecretAgainAddsNothing) {
  EXPECT_TRUE(log::RegisterSecret("repeated-secret-7c1f"));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(log::RegisterSecret("repeated-secret-7c1f"));
  EXPECT_FALSE(log::RegisterSecret("abc"));  // too short: never registered
  EXPECT_EQ(log::Redact("x repeated-secret-7c1f y"), "x *** y");
}

// A secret that contains a shorter registered one is masked whole, whatever the order of
// registration.
TEST(LogTest, ALongerSecretIsMaskedWhole) {
  log::RegisterSecret("hunter22");
  log::RegisterSecret("hunter22-and-more-9d");
  EXPECT_EQ(log::Redact("pw=hunter22-and-more-9d or hunter22"), "pw=*** or ***");
}

TEST(LogTest, WritesOneJsonObjectPerLine) {
  log::Configure(log::Level::kInfo, log::Sink::kStdout);
  ::testing::internal::CaptureStdout();
  log::Info("hello \"world\"\n", {{"rows", 5}});
  log::Debug("hidden");
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  auto line = nlohmann::json::parse(out);
  EXPECT_EQ(line["msg"], "hello \"world\"\n");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["rows"], 5);
  EXPECT_TRUE(line["ts"].get<std::string>().ends_with("Z"));
}

}  // namespace
}  // namespace coinlake
