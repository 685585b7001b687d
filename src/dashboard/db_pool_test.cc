// The dashboard's connection pool over a real database: first come, first served.
#include "dashboard/db_pool.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <optional>
#include <thread>

#include "tests/test_support.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::TestDatabase;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Polls until `pool` has `n` requests waiting (a precondition of the next step, not a timing
// assertion).
void WaitForWaiting(DbPool& pool, int n) {
  while (pool.waiting() != n) std::this_thread::sleep_for(milliseconds(1));
}

TEST(DbPoolTest, WaitersAreServedInArrivalOrder) {
  TestDatabase db;
  DbPool pool(db.url(), 1);
  std::optional<DbPool::Lease> held = std::move(pool.Acquire(milliseconds(5000))).value();
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::future<void>> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.push_back(std::async(std::launch::async, [&, i] {
      auto lease = pool.Acquire(milliseconds(60'000));
      ASSERT_TRUE(lease.ok()) << lease.status().ToString();
      std::lock_guard lock(mu);
      order.push_back(i);
    }));
    WaitForWaiting(pool, i + 1);
  }
  held.reset();
  for (auto& w : waiters) w.get();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(DbPoolTest, AReleasedConnectionGoesToTheWaiterNotToALaterArrival) {
  TestDatabase db;
  DbPool pool(db.url(), 1);
  std::optional<DbPool::Lease> held = std::move(pool.Acquire(milliseconds(5000))).value();
  std::promise<void> release_waiter;
  auto waiter = std::async(std::launch::async, [&] {
    auto lease = pool.Acquire(milliseconds(60'000));
    release_waiter.get_future().wait();
    return lease.ok();
  });
  WaitForWaiting(pool, 1);
  // The releasing thread asks again at once, as a keep-alive client's next request does: the
  // connection is already the waiter's.
  held.reset();
  auto again = pool.Acquire(milliseconds(0));
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  release_waiter.set_value();
  EXPECT_TRUE(waiter.get());
  EXPECT_TRUE(pool.Acquire(milliseconds(5000)).ok());  // and back in the pool afterwards
}

TEST(DbPoolTest, AWaiterThatTimesOutLeavesTheQueue) {
  TestDatabase db;
  DbPool pool(db.url(), 1);
  std::optional<DbPool::Lease> held = std::move(pool.Acquire(milliseconds(5000))).value();
  EXPECT_EQ(pool.Acquire(milliseconds(10)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(pool.waiting(), 0);
  held.reset();
  EXPECT_TRUE(pool.Acquire(milliseconds(0)).ok());  // nobody left in front
}

TEST(DbPoolTest, AFailedOpenFreesItsSlot) {
  DbPool pool("postgresql://coinlake@127.0.0.1:1/nothing?connect_timeout=2", 1);
  auto first = pool.Acquire(milliseconds(0));
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.status().message(), "all database connections are busy");
  // Had the slot stayed taken, this would be "busy" instead of another attempt to connect.
  auto second = pool.Acquire(milliseconds(0));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message(), "all database connections are busy");
}

TEST(DbPoolTest, AFrozenDatabaseFailsTheCallAndTheNextLeaseIsFresh) {
  TestDatabase db;
  DbPool pool(db.url(), 1, {.call = milliseconds(1000)});
  int backend = 0;
  {
    auto lease = pool.Acquire(milliseconds(5000));
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    auto pid = (**lease).Query("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    backend = std::stoi(pid->text(0, 0));
    ASSERT_EQ(kill(backend, SIGSTOP), 0);
    Status frozen = (**lease).Execute("SELECT 1");
    kill(backend, SIGCONT);
    EXPECT_EQ(frozen.code(), StatusCode::kUnavailable) << frozen.ToString();
  }
  // The broken connection gave its slot back: the next request gets a new backend.
  auto lease = pool.Acquire(milliseconds(5000));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto pid = (**lease).Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_NE(std::stoi(pid->text(0, 0)), backend);
}

// A call cut by its client-side deadline (no statement_timeout here, so only the deadline acts)
// leaves its statement running in the backend, here waiting for a lock the test holds: the pool
// cancels it before the slot opens another connection, so no backend keeps running it.
TEST(DbPoolTest, ACallCutByItsDeadlineHasItsStatementCancelled) {
  TestDatabase db;
  db.Migrate();
  auto locker = db.Connect();
  ASSERT_TRUE(locker->Execute("BEGIN").ok());
  ASSERT_TRUE(locker->Execute("LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE").ok());
  DbPool pool(db.LoginUrl("coinlake_reader"), 1, {.call = milliseconds(1000)});
  std::string backend;
  {
    auto lease = pool.Acquire(milliseconds(5000));
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    auto pid = (**lease).Query("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    backend = pid->text(0, 0);
    Status blocked = (**lease).Execute("SELECT count(*) FROM quotes");
    EXPECT_EQ(blocked.code(), StatusCode::kUnavailable) << blocked.ToString();
  }
  // The next lease is a fresh connection, and the old backend no longer runs the statement,
  // although the lock it waited for is still held.
  auto lease = pool.Acquire(milliseconds(5000));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto running = [&] {
    return db.Scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + backend +
                     " AND state = 'active'");
  };
  auto until = Clock::now() + std::chrono::seconds(3);
  while (running() != "0" && Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(running(), "0") << "backend " << backend << " still runs the cut statement";
  EXPECT_TRUE((**lease).Execute("SELECT 1").ok());
  locker->Rollback();
}

// The pool's connections carry the server-side statement timeout: a statement that outlives it
// is ended by PostgreSQL itself (a lock wait included), the connection stays usable, and the
// error says the database was busy, not that it was down.
TEST(DbPoolTest, TheServerEndsAStatementAtTheStatementTimeout) {
  TestDatabase db;
  db.Migrate();
  auto locker = db.Connect();
  ASSERT_TRUE(locker->Execute("BEGIN").ok());
  ASSERT_TRUE(locker->Execute("LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE").ok());
  DbPool pool(db.LoginUrl("coinlake_reader"), 1,
              {.statement = milliseconds(300), .call = milliseconds(20'000)});
  auto lease = pool.Acquire(milliseconds(5000));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto start = Clock::now();
  Status blocked = (**lease).Execute("SELECT count(*) FROM quotes");
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(blocked.code(), StatusCode::kResourceExhausted) << blocked.ToString();
  EXPECT_LT(seconds, 5.0);
  EXPECT_TRUE((**lease).healthy());
  auto setting = (**lease).Query("SHOW statement_timeout");
  ASSERT_TRUE(setting.ok()) << setting.status().ToString();
  EXPECT_EQ(setting->text(0, 0), "300ms");
  locker->Rollback();
}

}  // namespace
}  // namespace coinlake::dashboard
