// IAM database authentication against a real PostgreSQL, without AWS: with a fixed clock and
// fixed credentials a token is deterministic, so the test sets it as the login role's password
// and shows that coinlake signs in with IAM auth on, fails with it off or with a stale token,
// makes a new token for every new connection (the dashboard pool's reconnect included), and
// refuses URLs that would send a token without TLS.
//
// Run by tests/integration/iam_auth.sh, which starts a private TLS-only server that checks
// passwords (scram-sha-256) and sets COINLAKE_TEST_DATABASE_URL (its admin, over the Unix
// socket), COINLAKE_TEST_IAM_HOSTPORT (localhost:PORT) and COINLAKE_TEST_IAM_CA_DIR (ca.crt,
// which signed the server's certificate for "localhost", and other-ca.crt, which did not).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "aws/rds_auth_token.h"
#include "common/time_util.h"
#include "dashboard/db_pool.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

using std::chrono::system_clock;

const aws::AwsCredentials kKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                "session/token+", std::nullopt, "test"};
constexpr char kRegion[] = "eu-west-3";

class IamAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hostport = std::getenv("COINLAKE_TEST_IAM_HOSTPORT");
    const char* ca_dir = std::getenv("COINLAKE_TEST_IAM_CA_DIR");
    ASSERT_TRUE(hostport && *hostport && ca_dir && *ca_dir)
        << "COINLAKE_TEST_IAM_HOSTPORT or COINLAKE_TEST_IAM_CA_DIR is not set: run "
           "tests/integration/iam_auth.sh";
    ca_dir_ = ca_dir;
    std::string hp = hostport;
    host_ = hp.substr(0, hp.find(':'));
    port_ = std::stoi(hp.substr(hp.find(':') + 1));
    now_ = system_clock::time_point(*ParseIso8601("2026-11-28T04:00:00Z"));
    generator_ = aws::MakeRdsAuthTokenGenerator(aws::MakeStaticCredentials(kKeys), kRegion,
                                                [this] { return Now(); });
    admin_ = db_.Connect();
    ASSERT_NE(admin_, nullptr);
    // Roles are global to the server; this binary is its only client.
    ASSERT_OK(
        admin_->Execute("DROP ROLE IF EXISTS coinlake_iam_test; "
                        "CREATE ROLE coinlake_iam_test LOGIN"));
  }
  void TearDown() override {
    UseIamAuthentication(nullptr);
    if (admin_) (void)admin_->Execute("DROP OWNED BY coinlake_iam_test");
    admin_.reset();
  }

  system_clock::time_point Now() {
    ++clock_reads_;
    return now_;
  }
  // The token coinlake makes at the current clock, as the role's password.
  void SetPasswordToTokenAt(system_clock::time_point when) {
    std::string token =
        aws::PresignRdsConnect(kKeys, kRegion, host_, port_, "coinlake_iam_test", when);
    auto sql = admin_->Query("SELECT format('ALTER ROLE coinlake_iam_test PASSWORD %L', $1::text)",
                             {token});
    ASSERT_OK(sql);
    ASSERT_OK(admin_->Execute(sql->text(0, 0)));
  }
  // sslmode=verify-full against the test CA, unless told otherwise.
  std::string Url(const std::string& sslmode = "verify-full",
                  const std::string& ca = "ca.crt") const {
    return fmt::format("postgresql://coinlake_iam_test@{}:{}/{}?sslmode={}&sslrootcert={}/{}",
                       host_, port_, DatabaseName(), sslmode, ca_dir_, ca);
  }
  // postgresql://postgres@/NAME?host=... -> NAME
  std::string DatabaseName() const {
    const std::string& url = db_.url();
    size_t start = url.find('/', url.find("://") + 3) + 1;
    return url.substr(start, url.find('?', start) - start);
  }

  testing::TestDatabase db_;
  std::unique_ptr<Connection> admin_;
  std::string host_;
  int port_ = 0;
  std::string ca_dir_;
  system_clock::time_point now_;
  std::atomic<int> clock_reads_{0};
  std::shared_ptr<aws::RdsAuthTokenGenerator> generator_;
};

TEST_F(IamAuthTest, SignsInWithATokenOverTls) {
  SetPasswordToTokenAt(now_);
  UseIamAuthentication(generator_);
  auto conn = Connection::Open(Url());
  ASSERT_OK(conn);
  auto who =
      (*conn)->Query("SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_OK(who);
  EXPECT_EQ(who->text(0, 0), "coinlake_iam_test");
  EXPECT_EQ(who->text(0, 1), "t");
  EXPECT_OK(Connection::Open(Url("verify-ca")));
  // A server whose certificate another CA signed never gets to see the token: TLS fails first.
  auto impostor = Connection::Open(Url("verify-full", "other-ca.crt"));
  ASSERT_FALSE(impostor.ok());
  EXPECT_NE(impostor.status().message().find("certificate verify failed"), std::string::npos)
      << impostor.status().ToString();
}

TEST_F(IamAuthTest, FailsWithoutIamAuthOrWithAStaleToken) {
  SetPasswordToTokenAt(now_);
  auto off = Connection::Open(Url());
  ASSERT_FALSE(off.ok());  // no password at all
  UseIamAuthentication(generator_);
  now_ += std::chrono::seconds(1);  // a token signed one second later is another password
  auto stale = Connection::Open(Url());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kPermissionDenied) << stale.status().ToString();
  EXPECT_EQ(stale.status().message().find("X-Amz-Signature"), std::string::npos)
      << "the token must never reach a message";
}

TEST_F(IamAuthTest, EveryNewConnectionGetsAFreshToken) {
  SetPasswordToTokenAt(now_);
  UseIamAuthentication(generator_);
  auto first = Connection::Open(Url());
  ASSERT_OK(first);
  // 15 minutes later (a reconnect after an outage): a cached token would still be the
  // password set above; a fresh one is not, until the server learns it.
  now_ += std::chrono::minutes(15);
  EXPECT_FALSE(Connection::Open(Url()).ok());
  SetPasswordToTokenAt(now_);
  auto again = Connection::Open(Url());
  ASSERT_OK(again);
}

TEST_F(IamAuthTest, DashboardPoolReconnectsWithAFreshToken) {
  SetPasswordToTokenAt(now_);
  UseIamAuthentication(generator_);
  dashboard::DbPool pool(Url(), 1);
  {
    auto lease = pool.Acquire(std::chrono::seconds(5));
    ASSERT_OK(lease);
    ASSERT_OK((**lease).Execute("SELECT 1"));
    // The server drops the pooled connection (an outage, a failover).
    ASSERT_OK(
        admin_->Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = 'coinlake_iam_test'"));
    EXPECT_FALSE((**lease).Execute("SELECT 1").ok());
  }
  now_ += std::chrono::minutes(16);
  SetPasswordToTokenAt(now_);
  int reads = clock_reads_;
  auto lease = pool.Acquire(std::chrono::seconds(5));
  ASSERT_OK(lease);
  EXPECT_OK((**lease).Execute("SELECT 1"));
  EXPECT_EQ(clock_reads_, reads + 1) << "one new token for the one new connection";
}

TEST_F(IamAuthTest, RefusesUrlsThatWouldSendATokenWithoutTls) {
  UseIamAuthentication(generator_);
  int reads = clock_reads_;
  // `require` encrypts but accepts any certificate: an impostor would receive the token.
  for (const std::string sslmode : {"disable", "allow", "prefer", "require"}) {
    auto conn = Connection::Open(Url(sslmode));
    ASSERT_FALSE(conn.ok()) << sslmode;
    EXPECT_EQ(conn.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(conn.status().message().find("sslmode=verify-full"), std::string::npos)
        << conn.status().message();
  }
  auto no_sslmode = Connection::Open(
      fmt::format("postgresql://coinlake_iam_test@{}:{}/{}", host_, port_, DatabaseName()));
  EXPECT_EQ(no_sslmode.status().code(), StatusCode::kInvalidArgument);
  auto socket = Connection::Open("postgresql://coinlake_iam_test@/x?host=/tmp&sslmode=verify-full");
  EXPECT_EQ(socket.status().code(), StatusCode::kInvalidArgument);
  auto no_user = Connection::Open(fmt::format("host={} port={} sslmode=verify-full", host_, port_));
  EXPECT_EQ(no_user.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(clock_reads_, reads) << "no token is made for a refused URL";
}

}  // namespace
}  // namespace coinlake::warehouse
