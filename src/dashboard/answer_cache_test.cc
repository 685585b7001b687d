#include "dashboard/answer_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace coinlake::dashboard {
namespace {

using Clock = AnswerCache::Clock;
using std::chrono::milliseconds;

// A clock the test moves by hand.
struct FakeClock {
  Clock::time_point now{};
  std::function<Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

AnswerCache::Limits Ttl(int ms) {
  AnswerCache::Limits limits;
  limits.ttl = milliseconds(ms);
  return limits;
}

// A compute that counts its calls and answers `answer`.
struct Counted {
  std::string answer;
  std::atomic<int> calls{0};
  std::function<StatusOr<std::string>()> fn() {
    return [this]() -> StatusOr<std::string> {
      ++calls;
      return answer;
    };
  }
};

TEST(AnswerCacheTest, FreshAnswerIsReusedUntilItExpires) {
  FakeClock clock;
  AnswerCache cache(Ttl(1000), clock.fn());
  Counted v{"v1"};
  EXPECT_EQ(*cache.Get("k", v.fn()), "v1");
  clock.now += milliseconds(999);
  EXPECT_EQ(*cache.Get("k", v.fn()), "v1");
  EXPECT_EQ(v.calls, 1);
  Counted other{"o"};
  EXPECT_EQ(*cache.Get("other", other.fn()), "o");  // keys are separate
  clock.now += milliseconds(1);
  v.answer = "v2";
  EXPECT_EQ(*cache.Get("k", v.fn()), "v2");  // expired, nobody refreshing: this call refreshes
  EXPECT_EQ(v.calls, 2);
}

TEST(AnswerCacheTest, ZeroTtlAlwaysComputes) {
  AnswerCache cache(Ttl(0));
  Counted v{"v"};
  cache.Get("k", v.fn()).value();
  cache.Get("k", v.fn()).value();
  EXPECT_EQ(v.calls, 2);
}

TEST(AnswerCacheTest, ErrorsAreNotCached) {
  AnswerCache cache(Ttl(1000));
  int calls = 0;
  auto failing = [&]() -> StatusOr<std::string> {
    ++calls;
    return UnavailableError("database down");
  };
  EXPECT_EQ(cache.Get("k", failing).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(cache.Get("k", failing).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 2);
  Counted v{"v"};
  EXPECT_EQ(*cache.Get("k", v.fn()), "v");
  EXPECT_EQ(v.calls, 1);
}

// Runs Get("k") on a thread whose compute blocks until released; returns once it computes.
struct BlockedRefresh {
  std::promise<void> started, release;
  std::future<StatusOr<std::string>> result;
  BlockedRefresh(AnswerCache& cache, std::string answer) {
    result = std::async(std::launch::async, [this, &cache, answer] {
      return cache.Get("k", [this, answer]() -> StatusOr<std::string> {
        started.set_value();
        release.get_future().wait();
        return answer;
      });
    });
    started.get_future().wait();
  }
};

TEST(AnswerCacheTest, ConcurrentRequestsShareOneComputation) {
  AnswerCache cache(Ttl(1000));
  BlockedRefresh first(cache, "v1");
  // Requests arriving during the computation wait for it (or, if scheduled after it, find its
  // answer fresh): either way none of them computes.
  Counted other{"must not be computed"};
  std::vector<std::future<StatusOr<std::string>>> waiting;
  for (int i = 0; i < 8; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] { return cache.Get("k", other.fn()); }));
  }
  std::this_thread::sleep_for(milliseconds(20));  // lets them reach the wait (not asserted)
  first.release.set_value();
  EXPECT_EQ(*first.result.get(), "v1");
  for (auto& w : waiting) EXPECT_EQ(*w.get(), "v1");
  EXPECT_EQ(other.calls, 0);
}

TEST(AnswerCacheTest, WaitersOfAFailedRefreshComputeThemselves) {
  AnswerCache cache(Ttl(1000));
  std::promise<void> started, release;
  auto failed = std::async(std::launch::async, [&] {
    return cache.Get("k", [&]() -> StatusOr<std::string> {
      started.set_value();
      release.get_future().wait();
      return UnavailableError("database down");
    });
  });
  started.get_future().wait();
  Counted v{"v"};
  auto waiter = std::async(std::launch::async, [&] { return cache.Get("k", v.fn()); });
  std::this_thread::sleep_for(milliseconds(20));
  release.set_value();
  EXPECT_FALSE(failed.get().ok());
  EXPECT_EQ(*waiter.get(), "v");  // never the other request's error
  EXPECT_EQ(v.calls, 1);
}

TEST(AnswerCacheTest, PreviousAnswerServedWhileOneRequestRefreshes) {
  FakeClock clock;
  AnswerCache cache(Ttl(1000), clock.fn());
  Counted v1{"v1"};
  cache.Get("k", v1.fn()).value();
  clock.now += milliseconds(1500);  // expired, within the second ttl
  BlockedRefresh refresh(cache, "v2");
  Counted other{"must not be computed"};
  EXPECT_EQ(*cache.Get("k", other.fn()), "v1");
  EXPECT_EQ(other.calls, 0);
  refresh.release.set_value();
  EXPECT_EQ(*refresh.result.get(), "v2");
  EXPECT_EQ(*cache.Get("k", other.fn()), "v2");
  EXPECT_EQ(other.calls, 0);
}

TEST(AnswerCacheTest, NoAnswerOlderThanTwoTtlIsServed) {
  FakeClock clock;
  AnswerCache cache(Ttl(1000), clock.fn());
  Counted v1{"v1"};
  cache.Get("k", v1.fn()).value();
  clock.now += milliseconds(1500);
  BlockedRefresh refresh(cache, "v2");
  clock.now += milliseconds(500);  // v1 is now 2 ttl old: a request waits for v2 instead
  Counted other{"must not be computed"};
  auto late = std::async(std::launch::async, [&] { return cache.Get("k", other.fn()); });
  std::this_thread::sleep_for(milliseconds(20));
  refresh.release.set_value();
  EXPECT_EQ(*late.get(), "v2");
  EXPECT_EQ(other.calls, 0);
}

TEST(AnswerCacheTest, EntryCountIsBounded) {
  FakeClock clock;
  AnswerCache::Limits limits = Ttl(1000);
  limits.max_entries = 2;
  AnswerCache cache(limits, clock.fn());
  Counted a{"a"}, b{"b"}, c{"c"};
  cache.Get("a", a.fn()).value();
  cache.Get("b", b.fn()).value();
  EXPECT_EQ(*cache.Get("c", c.fn()), "c");  // served, not kept
  EXPECT_EQ(*cache.Get("c", c.fn()), "c");
  EXPECT_EQ(c.calls, 2);
  cache.Get("a", a.fn()).value();  // what was cached stays cached
  EXPECT_EQ(a.calls, 1);
  // Once a and b are past their 2 ttl they make room.
  clock.now += milliseconds(2000);
  cache.Get("c", c.fn()).value();
  cache.Get("c", c.fn()).value();
  EXPECT_EQ(c.calls, 3);
}

TEST(AnswerCacheTest, BytesAreBounded) {
  AnswerCache::Limits limits = Ttl(1000);
  limits.max_bytes = 100;
  AnswerCache cache(limits);
  Counted big{std::string(200, 'x')};
  EXPECT_EQ(cache.Get("big", big.fn())->size(), 200u);  // served, too big to keep
  cache.Get("big", big.fn()).value();
  EXPECT_EQ(big.calls, 2);
  Counted small{"small"};
  cache.Get("small", small.fn()).value();
  cache.Get("small", small.fn()).value();
  EXPECT_EQ(small.calls, 1);
}

}  // namespace
}  // namespace coinlake::dashboard
