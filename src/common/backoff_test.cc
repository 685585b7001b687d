#include "common/backoff.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DelaysGrowAndStayCapped) {
  BackoffPolicy policy{milliseconds(100), milliseconds(1000), 10};
  std::mt19937_64 rng(7);
  for (int retry = 0; retry < 10; ++retry) {
    int64_t cap = std::min<int64_t>(100LL << retry, 1000);
    for (int i = 0; i < 200; ++i) {
      auto d = BackoffDelay(policy, retry, rng);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), cap);
    }
  }
}

TEST(BackoffTest, RetriesOnlyTransientErrors) {
  StopSignal stop;
  BackoffPolicy policy{milliseconds(1), milliseconds(2), 4};
  int calls = 0;
  Status s = RetryWithBackoff(
      policy, stop, "test",
      [&] {
        ++calls;
        return UnavailableError("down");
      },
      IsTransient);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);

  calls = 0;
  s = RetryWithBackoff(
      policy, stop, "test",
      [&] {
        ++calls;
        return PermissionDeniedError("bad key");
      },
      IsTransient);
  EXPECT_EQ(calls, 1);

  calls = 0;
  s = RetryWithBackoff(
      policy, stop, "test", [&] { return ++calls < 3 ? UnavailableError("flaky") : Status::Ok(); },
      IsTransient);
  EXPECT_OK(s);
  EXPECT_EQ(calls, 3);
}

TEST(BackoffTest, StopInterruptsTheWait) {
  StopSignal stop;
  stop.Stop();
  BackoffPolicy policy{milliseconds(60000), milliseconds(60000), 0};
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  Status s = RetryWithBackoff(
      policy, stop, "test",
      [&] {
        ++calls;
        return UnavailableError("down");
      },
      IsTransient);
  EXPECT_EQ(calls, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace coinlake
