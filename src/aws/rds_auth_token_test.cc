// RDS IAM tokens: a pinned known answer, and byte-for-byte agreement with AWS's own signer
// (@aws-sdk/rds-signer, run by node from deploy/aws, whose `npm ci` scripts/test runs) over
// credentials with and without a session token, odd user names, ports and regions.
#include "aws/rds_auth_token.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/time_util.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::aws {
namespace {

using std::chrono::system_clock;

system_clock::time_point At(const char* iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? system_clock::time_point(*t) : system_clock::time_point();
}

const AwsCredentials kKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "",
                           std::nullopt, "test"};

// What @aws-sdk/rds-signer 3.1175.0 printed for these inputs (deploy/aws/tools/rds-auth-token.js).
TEST(RdsAuthTokenTest, KnownAnswer) {
  EXPECT_EQ(PresignRdsConnect(kKeys, "eu-west-3", "db.abc.eu-west-3.rds.amazonaws.com", 5432,
                              "coinlake_etl", At("2026-11-28T04:00:00Z")),
            "db.abc.eu-west-3.rds.amazonaws.com:5432/?Action=connect&DBUser=coinlake_etl"
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20261128%2Feu-west-3%2Frds-db%2Faws4_request"
            "&X-Amz-Date=20261128T040000Z&X-Amz-Expires=900"
            "&X-Amz-Signature=a61f6279e9aa7c335d7cba1c3ccf60afa492b4a82634ee0dc73640a55eb7332d"
            "&X-Amz-SignedHeaders=host");
}

TEST(RdsAuthTokenTest, SubSecondClockDoesNotChangeTheToken) {
  EXPECT_EQ(PresignRdsConnect(kKeys, "eu-west-3", "h", 5432, "u", At("2026-11-28T04:00:00.999Z")),
            PresignRdsConnect(kKeys, "eu-west-3", "h", 5432, "u", At("2026-11-28T04:00:00Z")));
}

// Runs AWS's signer on the same inputs; "" (and a test failure) if it cannot run.
std::string ReferenceToken(const AwsCredentials& c, const std::string& region,
                           const std::string& host, int port, const std::string& user,
                           const std::string& time) {
  const std::string dir = std::string(COINLAKE_SOURCE_DIR) + "/deploy/aws";
  nlohmann::json input = {{"accessKeyId", c.access_key_id},
                          {"secretAccessKey", c.secret_access_key},
                          {"sessionToken", c.session_token},
                          {"region", region},
                          {"hostname", host},
                          {"port", port},
                          {"username", user},
                          {"time", time}};
  std::string quoted = input.dump();
  // Single-quote for the shell: the JSON holds no single quote (asserted).
  EXPECT_EQ(quoted.find('\''), std::string::npos);
  auto r = testing::RunCommand("cd '" + dir + "' && node tools/rds-auth-token.js '" + quoted + "'");
  EXPECT_EQ(r.exit_code, 0) << "node deploy/aws/tools/rds-auth-token.js failed (run 'npm ci' in "
                            << "deploy/aws; scripts/test does): " << r.err;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

TEST(RdsAuthTokenTest, MatchesAwsSdkRdsSigner) {
  struct Case {
    AwsCredentials credentials;
    std::string region, host;
    int port;
    std::string user, time;
  };
  const AwsCredentials session{
      "ASIAEXAMPLEEXAMPLE", "secret/with+chars=",
      "IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMyJHMEUCIQ+a/b=", std::nullopt, "test"};
  const std::vector<Case> cases = {
      {kKeys, "eu-west-3", "db.abc.eu-west-3.rds.amazonaws.com", 5432, "coinlake_etl",
       "2026-11-28T04:00:00Z"},
      // A leap day at the last second (2028; 2026 has no 29 February, which JavaScript's Date
      // quietly turns into 1 March while ParseIso8601 refuses it).
      {session, "eu-west-3", "coinlake.cxyz.eu-west-3.rds.amazonaws.com", 5432, "coinlake_web",
       "2028-02-29T23:59:59Z"},
      {session, "us-east-1", "10.0.0.7", 6543, "user with space+plus@x~y.z",
       "2025-01-01T00:00:00Z"},
      {kKeys, "cn-north-1", "db.cn-north-1.rds.amazonaws.com.cn", 1, "\xc3\xa9t\xc3\xa9",
       "2030-12-31T12:34:56Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host + " " + c.user);
    std::string expected = ReferenceToken(c.credentials, c.region, c.host, c.port, c.user, c.time);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(
        PresignRdsConnect(c.credentials, c.region, c.host, c.port, c.user, At(c.time.c_str())),
        expected);
  }
}

TEST(RdsAuthTokenTest, RegionOfRdsHost) {
  EXPECT_EQ(RegionOfRdsHost("coinlake.cabc123.eu-west-3.rds.amazonaws.com"), "eu-west-3");
  EXPECT_EQ(RegionOfRdsHost("db.c1.cn-north-1.rds.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(RegionOfRdsHost("localhost"), "");
  EXPECT_EQ(RegionOfRdsHost("rds.amazonaws.com"), "");
  EXPECT_EQ(RegionOfRdsHost("db.example.com"), "");
}

// A provider that counts calls and can fail, to see the generator ask it for every token.
class CountingCredentials : public CredentialProvider {
 public:
  StatusOr<AwsCredentials> Get() override {
    ++calls;
    if (fail) return UnavailableError("imds: unreachable");
    return kKeys;
  }
  void Invalidate() override {}
  std::atomic<int> calls{0};
  bool fail = false;
};

TEST(RdsAuthTokenTest, GeneratorSignsAtTheClockWithTheChainsCredentials) {
  auto credentials = std::make_shared<CountingCredentials>();
  auto now = At("2026-11-28T04:00:00Z");
  auto generator = MakeRdsAuthTokenGenerator(credentials, "", [&] { return now; });
  const std::string host = "db.abc.eu-west-3.rds.amazonaws.com";
  auto first = generator->Generate(host, 5432, "coinlake_etl");
  ASSERT_OK(first);
  EXPECT_EQ(*first, PresignRdsConnect(kKeys, "eu-west-3", host, 5432, "coinlake_etl", now));
  now += std::chrono::minutes(20);  // a later connection gets a new token, never the old one
  auto second = generator->Generate(host, 5432, "coinlake_etl");
  ASSERT_OK(second);
  EXPECT_NE(*second, *first);
  EXPECT_NE(second->find("X-Amz-Date=20261128T042000Z"), std::string::npos) << *second;
  EXPECT_EQ(credentials->calls, 2);

  credentials->fail = true;
  EXPECT_EQ(generator->Generate(host, 5432, "coinlake_etl").status().code(),
            StatusCode::kUnavailable);
}

TEST(RdsAuthTokenTest, GeneratorNeedsARegion) {
  auto generator = MakeRdsAuthTokenGenerator(std::make_shared<CountingCredentials>(), "",
                                             [] { return At("2026-11-28T04:00:00Z"); });
  auto token = generator->Generate("127.0.0.1", 5432, "u");
  EXPECT_EQ(token.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(token.status().message().find("AWS_REGION"), std::string::npos);
  auto explicit_region =
      MakeRdsAuthTokenGenerator(std::make_shared<CountingCredentials>(), "eu-west-3",
                                [] { return At("2026-11-28T04:00:00Z"); });
  EXPECT_OK(explicit_region->Generate("127.0.0.1", 5432, "u"));
}

}  // namespace
}  // namespace coinlake::aws
