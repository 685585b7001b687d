#include "common/crash_point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

namespace coinlake {
namespace {

void Arm(const char* spec) {
  setenv("COINLAKE_CRASH_AT", spec, 1);
  ResetCrashPointForTest();
}

class CrashPointTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("COINLAKE_CRASH_AT");
    ResetCrashPointForTest();
  }
};

TEST_F(CrashPointTest, UnsetIsANoOp) {
  unsetenv("COINLAKE_CRASH_AT");
  ResetCrashPointForTest();
  for (const char* p : {"after_spool", "after_lake_put", "mid_load", "after_load_commit"}) {
    CrashPoint(p);
  }
  SUCCEED();
}

TEST_F(CrashPointTest, KillsAtTheNamedPoint) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Arm("after_lake_put");
        CrashPoint("after_spool");  // another point: survives
        CrashPoint("after_lake_put");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
}

TEST_F(CrashPointTest, KillsOnTheNthHitOnly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Arm("mid_load:3");
        CrashPoint("mid_load");
        CrashPoint("mid_load");
        std::exit(7);  // two hits: still alive
      },
      ::testing::ExitedWithCode(7), "");
  EXPECT_EXIT(
      {
        Arm("mid_load:3");
        for (int i = 0; i < 3; ++i) CrashPoint("mid_load");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
}

TEST_F(CrashPointTest, UnknownPointIsIgnored) {
  Arm("after_spooll");
  CrashPoint("after_spooll");
  CrashPoint("after_spool");
  SUCCEED();
}

}  // namespace
}  // namespace coinlake
