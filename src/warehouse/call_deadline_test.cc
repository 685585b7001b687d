// A database server that stops answering (its backend frozen with SIGSTOP, the host alive and
// ACKing) against the connection's client-side deadline: the call returns UNAVAILABLE instead of
// waiting forever, and a fresh connection works once the server answers again.
#include "warehouse/call_deadline.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

using coinlake::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Resumes a stopped backend however the test ends, so the test database can be dropped.
class FrozenBackend {
 public:
  explicit FrozenBackend(pid_t pid) : pid_(pid) { EXPECT_EQ(kill(pid_, SIGSTOP), 0); }
  ~FrozenBackend() { kill(pid_, SIGCONT); }

 private:
  pid_t pid_;
};

pid_t BackendPid(Connection& db) {
  auto rows = db.Query("SELECT pg_backend_pid()");
  EXPECT_OK(rows);
  return std::stoi(rows->text(0, 0));
}

TEST(CallDeadlineTest, FrozenServerFailsTheCallInsteadOfHanging) {
  TestDatabase test_db;
  auto db = test_db.Connect();
  db->SetCallTimeout(milliseconds(1500));
  ASSERT_TRUE(db->Query("SELECT 1").ok()) << "a call within its deadline is untouched";

  auto started = steady_clock::now();
  Status status;
  {
    FrozenBackend frozen(BackendPid(*db));
    status = db->Query("SELECT 1").status();
  }
  auto waited = steady_clock::now() - started;
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_NE(status.message().find("did not answer within 1500 ms"), std::string::npos)
      << status.ToString();
  EXPECT_LT(waited, std::chrono::seconds(30)) << "the watchdog must cut the call";
  EXPECT_FALSE(db->healthy());

  auto again = test_db.Connect();
  auto rows = again->Query("SELECT 2");
  ASSERT_OK(rows);
  EXPECT_EQ(rows->text(0, 0), "2");
}

TEST(CallDeadlineTest, SlowStatementPastTheDeadlineIsCutAndNamed) {
  TestDatabase test_db;
  auto db = test_db.Connect();
  db->SetCallTimeout(milliseconds(300));
  Status status = db->Execute("SELECT pg_sleep(20)");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_NE(status.message().find("did not answer within 300 ms"), std::string::npos)
      << status.ToString();
}

TEST(CallDeadlineTest, WithoutATimeoutNothingIsArmed) {
  TestDatabase test_db;
  auto db = test_db.Connect();
  Status status = db->Execute("SELECT pg_sleep(1)");
  EXPECT_OK(status);
  CallDeadline none(-1, milliseconds(10));
  EXPECT_FALSE(none.expired());
}

// The watchdog sleeps until the earliest deadline it knows: a shorter one armed while it waits
// for a longer one still fires on time, and the longer one has not fired.
TEST(CallDeadlineTest, AnEarlierDeadlineArmedLaterFiresOnTime) {
  int slow[2], fast[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, slow), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fast), 0);
  {
    CallDeadline later(slow[0], milliseconds(60'000));
    std::this_thread::sleep_for(milliseconds(50));  // the watchdog now sleeps for a minute
    auto start = steady_clock::now();
    CallDeadline sooner(fast[0], milliseconds(200));
    while (!sooner.expired() && steady_clock::now() - start < milliseconds(5000)) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_TRUE(sooner.expired());
    EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
    EXPECT_FALSE(later.expired());
    char byte = 0;
    EXPECT_EQ(recv(fast[0], &byte, 1, 0), 0) << "the socket was shut down";
  }
  for (int fd : {slow[0], slow[1], fast[0], fast[1]}) close(fd);
}

}  // namespace
}  // namespace coinlake::warehouse
