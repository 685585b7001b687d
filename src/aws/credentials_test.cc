// The credential chain's file and environment sources. Container and IMDS sources run against
// the fake metadata server in s3_integration_test.cc.
#include "aws/credentials.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/log.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::aws {
namespace {

constexpr char kCredentials[] = R"(# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default-1234

[ci]
aws_access_key_id=AKIDCI
aws_secret_access_key=secret-ci-1234
aws_session_token = token-ci-1234
)";

constexpr char kConfig[] = R"([default]
region = eu-central-1
[profile ci]
region = ap-northeast-1
[profile keys-in-config]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config-1234
)";

TEST(AwsProfileTest, ReadsCredentialsAndConfigStyleSections) {
  auto c = CredentialsFromProfile(kCredentials, "ci", false);
  ASSERT_OK(c);
  EXPECT_EQ(c->access_key_id, "AKIDCI");
  EXPECT_EQ(c->secret_access_key, "secret-ci-1234");
  EXPECT_EQ(c->session_token, "token-ci-1234");
  EXPECT_EQ(CredentialsFromProfile(kCredentials, "nope", false).status().code(),
            StatusCode::kNotFound);
  c = CredentialsFromProfile(kConfig, "keys-in-config", true);
  ASSERT_OK(c);
  EXPECT_EQ(c->access_key_id, "AKIDCONFIG");
  // In the config file a named profile is "[profile NAME]", never "[NAME]".
  EXPECT_FALSE(
      CredentialsFromProfile("[ci]\naws_access_key_id=a\naws_secret_access_key=b\n", "ci", true)
          .ok());
}

class AwsChainTest : public ::testing::Test {
 protected:
  AwsEnvironment EnvWithFiles() {
    AwsEnvironment env;
    env.credentials_file = dir_.path() + "/credentials";
    env.config_file = dir_.path() + "/config";
    std::ofstream(env.credentials_file) << kCredentials;
    std::ofstream(env.config_file) << kConfig;
    env.profile = "default";
    env.imds_disabled = true;
    return env;
  }
  coinlake::testing::TempDir dir_;
};

TEST_F(AwsChainTest, EnvironmentWinsOverFiles) {
  AwsEnvironment env = EnvWithFiles();
  env.access_key_id = "AKIDENV";
  env.secret_access_key = "secret-env-1234";
  env.session_token = "token-env-1234";
  auto c = MakeDefaultCredentialChain(env)->Get();
  ASSERT_OK(c);
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->session_token, "token-env-1234");
  EXPECT_EQ(c->source, "environment");
  // Secrets never reach a log line.
  EXPECT_EQ(log::Redact("key secret-env-1234 token token-env-1234"), "key *** token ***");
}

TEST_F(AwsChainTest, ProfilesFromTheSharedFiles) {
  AwsEnvironment env = EnvWithFiles();
  auto c = MakeDefaultCredentialChain(env)->Get();
  ASSERT_OK(c);
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(ResolveRegion(env), "eu-central-1");
  env.profile = "ci";
  EXPECT_EQ(MakeDefaultCredentialChain(env)->Get()->access_key_id, "AKIDCI");
  EXPECT_EQ(ResolveRegion(env), "ap-northeast-1");
  env.profile = "keys-in-config";
  EXPECT_EQ(MakeDefaultCredentialChain(env)->Get()->access_key_id, "AKIDCONFIG");
  env.region = "us-west-2";
  EXPECT_EQ(ResolveRegion(env), "us-west-2");
}

TEST_F(AwsChainTest, NothingConfiguredIsPermissionDenied) {
  AwsEnvironment env;
  env.credentials_file = dir_.path() + "/missing";
  env.config_file = dir_.path() + "/missing";
  env.imds_disabled = true;
  auto c = MakeDefaultCredentialChain(env)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(AwsChainTest, ContainerFullUriMustBeHttpsOrLocal) {
  AwsEnvironment env;
  env.credentials_file = dir_.path() + "/missing";
  env.config_file = dir_.path() + "/missing";
  // Plain http to any other host, however the URL dresses it up: user info that looks like an
  // allowed host and port, a subdomain, an allowed address as a prefix, another scheme.
  for (const char* url :
       {"http://attacker.example/creds", "http://127.0.0.1:1@attacker.example/creds",
        "http://localhost@attacker.example/", "http://169.254.170.2.attacker.example/",
        "http://127.0.0.1.nip.io/", "http://[::1]@attacker.example/", "ftp://127.0.0.1/creds",
        "file:///etc/passwd", "not a url"}) {
    env.container_full_uri = url;
    auto c = MakeDefaultCredentialChain(env)->Get();
    EXPECT_EQ(c.status().code(), StatusCode::kPermissionDenied) << url;
    EXPECT_NE(c.status().message().find("FULL_URI"), std::string::npos) << url;
  }
  // The relative URI is appended to the ECS host: it cannot turn that host into user info.
  env.container_full_uri.clear();
  env.container_relative_uri = "@attacker.example/creds";
  auto relative = MakeDefaultCredentialChain(env)->Get();
  EXPECT_EQ(relative.status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace coinlake::aws
