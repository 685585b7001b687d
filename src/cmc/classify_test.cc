#include "cmc/classify.h"

#include <gtest/gtest.h>

#include <set>

namespace coinlake::cmc {
namespace {

using std::chrono::milliseconds;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class ClassifyTest : public ::testing::Test {
 protected:
  Decision Run(const Answer& a, int retry = 0, const char* now = "2026-09-29T03:55:03.728Z") {
    return Classify(a, retry, At(now), policy_, rng_);
  }
  static Answer Http(int status, std::optional<int64_t> code, std::optional<int> retry_after = {}) {
    Answer a;
    a.http_status = status;
    a.error_code = code;
    a.retry_after_seconds = retry_after;
    return a;
  }
  BackoffPolicy policy_{milliseconds(200), milliseconds(20'000), 5};
  std::mt19937_64 rng_{42};
};

TEST_F(ClassifyTest, SuccessIsOk) { EXPECT_EQ(Run(Http(200, 0)).action, Action::kOk); }

TEST_F(ClassifyTest, ErrorCodeOnHttp200IsAnError) {
  EXPECT_EQ(Run(Http(200, 1006)).action, Action::kStopEndpoint);
  EXPECT_EQ(Run(Http(200, 1010)).action, Action::kStopUntil);
  Decision unknown = Run(Http(200, 4001));
  EXPECT_EQ(unknown.action, Action::kRetry);
  EXPECT_NE(unknown.reason.find("4001"), std::string::npos);
}

TEST_F(ClassifyTest, UnreadableBodyOnHttp200IsRetried) {
  EXPECT_EQ(Run(Http(200, std::nullopt)).action, Action::kRetry);
}

TEST_F(ClassifyTest, RateLimitHonoursRetryAfter) {
  for (int64_t code : {1008, 1011}) {
    Decision d = Run(Http(429, code, 7));
    EXPECT_EQ(d.action, Action::kRetry) << code;
    EXPECT_EQ(d.delay, milliseconds(7'000)) << code;
  }
  Decision bare = Run(Http(429, std::nullopt, 3));  // a proxy's 429 without a CMC body
  EXPECT_EQ(bare.action, Action::kRetry);
  EXPECT_EQ(bare.delay, milliseconds(3'000));
}

TEST_F(ClassifyTest, RateLimitWithoutRetryAfterWaitsForTheNextMinutePlusJitter) {
  // 03:55:03.728 -> 03:56:00.000 is 56.272 s away; jitter adds at most 2 s.
  for (int i = 0; i < 50; ++i) {
    Decision d = Run(Http(429, 1008));
    EXPECT_EQ(d.action, Action::kRetry);
    EXPECT_GE(d.delay, milliseconds(56'272));
    EXPECT_LE(d.delay, milliseconds(58'272));
  }
  // Exactly on a boundary: wait for the next one, not zero.
  Decision d = Run(Http(429, 1008), 0, "2026-09-29T03:56:00.000Z");
  EXPECT_GE(d.delay, milliseconds(60'000));
}

TEST_F(ClassifyTest, ServerErrorsAndTransportFailuresBackOffExponentially) {
  for (int status : {500, 502, 503, 504}) {
    for (int retry = 0; retry < 8; ++retry) {
      Decision d = Run(Http(status, std::nullopt), retry);
      EXPECT_EQ(d.action, Action::kRetry) << status;
      int64_t cap = std::min<int64_t>(200LL << retry, 20'000);
      EXPECT_LE(d.delay.count(), cap) << status << " retry " << retry;
    }
  }
  Answer reset;
  reset.transport = UnavailableError("connection reset by peer");
  Decision d = Run(reset, 3);
  EXPECT_EQ(d.action, Action::kRetry);
  EXPECT_LE(d.delay, milliseconds(1'600));
  EXPECT_NE(d.reason.find("reset"), std::string::npos);
}

TEST_F(ClassifyTest, JitterActuallyVaries) {
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i) seen.insert(Run(Http(503, std::nullopt), 6).delay.count());
  EXPECT_GT(seen.size(), 10u);
}

TEST_F(ClassifyTest, KeyAndPlanErrorsStopTheEndpointForGood) {
  for (int64_t code = 1001; code <= 1007; ++code) {
    int http = code <= 1002 ? 401 : code <= 1004 ? 402 : 403;
    Decision d = Run(Http(http, code));
    EXPECT_EQ(d.action, Action::kStopEndpoint) << code;
    EXPECT_NE(d.reason.find(std::to_string(code)), std::string::npos);
  }
  EXPECT_EQ(Run(Http(400, 400)).action, Action::kStopEndpoint);
  EXPECT_EQ(Run(Http(400, std::nullopt)).action, Action::kStopEndpoint);
  EXPECT_EQ(Run(Http(404, std::nullopt)).action, Action::kStopEndpoint);
}

TEST_F(ClassifyTest, DailyLimitStopsUntilUtcMidnight) {
  Decision d = Run(Http(429, 1009), 0, "2026-09-29T23:59:59.999Z");
  EXPECT_EQ(d.action, Action::kStopUntil);
  EXPECT_EQ(FormatIso8601(d.until), "2026-09-30T00:00:00.000Z");
  EXPECT_NE(d.reason.find("daily"), std::string::npos);
}

TEST_F(ClassifyTest, MonthlyLimitStopsUntilTheFirstOfNextMonth) {
  Decision d = Run(Http(429, 1010), 0, "2026-12-15T10:00:00.000Z");
  EXPECT_EQ(d.action, Action::kStopUntil);
  EXPECT_EQ(FormatIso8601(d.until), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(NextUtcMonthStart(At("2026-01-31T23:00:00Z"))),
            "2026-02-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(NextUtcMidnight(At("2026-02-28T00:00:00Z"))), "2026-03-01T00:00:00.000Z");
}

TEST_F(ClassifyTest, NonTransientTransportErrorStops) {
  Answer a;
  a.transport = InvalidArgumentError("bad URL");
  EXPECT_EQ(Run(a).action, Action::kStopEndpoint);
}

}  // namespace
}  // namespace coinlake::cmc
