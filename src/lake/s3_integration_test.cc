// The S3 store against real servers started by scripts/test (scripts/lib-s3.sh):
// - the strict fake S3 (tests/s3/fake_s3.mjs, COINLAKE_TEST_S3_ENDPOINT): the conformance suite,
//   fault injection, the credential chain over its fake IMDSv2 and container endpoints;
// - s3rver 3.7.1 (COINLAKE_TEST_S3RVER_ENDPOINT): a round trip with an independent server;
// - Debian's awscli (/usr/bin/aws): an independent client reads what coinlake wrote and back.
// A missing server is a failure, never a skip.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "lake/object_store_conformance.h"
#include "lake/s3_object_store.h"
#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

const aws::AwsCredentials kTestKeys{"COINLAKETESTKEYID", "coinlake-test-secret-0123456789", "",
                                    std::nullopt, "test"};

std::string RequireEnv(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << name << " is not set: run the tests through scripts/test, which starts the "
                  << "fake S3 servers (scripts/lib-s3.sh)";
    return "http://127.0.0.1:1";
  }
  return v;
}

std::string FakeEndpoint() { return RequireEnv("COINLAKE_TEST_S3_ENDPOINT"); }

// A prefix no other test uses, so tests share the fake's bucket safely.
std::string UniquePrefix() {
  static std::mt19937_64 rng(std::random_device{}());
  return fmt::format("t{:016x}", rng());
}

BackoffPolicy FastRetry(int attempts = 6) {
  return BackoffPolicy{std::chrono::milliseconds(5), std::chrono::milliseconds(50), attempts};
}

// Tests that inject faults use a bucket of their own: ctest runs test processes in parallel,
// and the fake scopes faults to a bucket.
std::string UniqueBucket() { return "b" + UniquePrefix(); }

std::unique_ptr<S3ObjectStore> FakeStore(const std::string& prefix,
                                         std::shared_ptr<aws::CredentialProvider> creds = nullptr,
                                         BackoffPolicy retry = FastRetry(),
                                         const std::string& bucket = "lake") {
  S3Location loc{bucket, prefix, "eu-west-3", FakeEndpoint(), true};
  auto store =
      S3ObjectStore::Open(loc, creds ? creds : aws::MakeStaticCredentials(kTestKeys), retry);
  EXPECT_OK(store);
  return std::move(store).value();
}

nlohmann::json Control(const std::string& path, const nlohmann::json& body = nullptr) {
  httplib::Client client(FakeEndpoint());
  auto res = body.is_null() ? client.Get(path) : client.Post(path, body.dump(), "application/json");
  EXPECT_TRUE(res && res->status == 200) << "fake S3 control " << path;
  return res ? nlohmann::json::parse(res->body, nullptr, false) : nlohmann::json();
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformance,
                         ::testing::Values(Backend{
                             "fake_s3",
                             [](const std::string&) -> std::unique_ptr<ObjectStore> {
                               return FakeStore(UniquePrefix());
                             }}),
                         [](const auto& info) { return info.param.name; });

TEST(S3FakeTest, OpenObjectStoreFromAnS3UrlWithEnvironmentCredentials) {
  setenv("AWS_ACCESS_KEY_ID", kTestKeys.access_key_id.c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", kTestKeys.secret_access_key.c_str(), 1);
  auto store = OpenObjectStore(
      fmt::format("s3://lake/{}?region=ap-south-1&endpoint={}", UniquePrefix(), FakeEndpoint()));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_OK(store);
  EXPECT_TRUE((*store)->url().starts_with("s3://lake/t"));
  Status put = (*store)->Put("raw/k=v/x", "bytes");
  ASSERT_OK(put);
  EXPECT_EQ(*(*store)->Get("raw/k=v/x"), "bytes");
}

TEST(S3FakeTest, TransientFaultsAreRetried) {
  std::string bucket = UniqueBucket();
  auto store = FakeStore(UniquePrefix(), nullptr, FastRetry(), bucket);
  Control(
      "/__fault",
      {{"bucket", bucket},
       {"queue", {{{"kind", "503"}}, {{"kind", "500"}}, {{"kind", "reset"}}, {{"kind", "409"}}}}});
  int before = Control("/__stats")["faults_applied"];
  ASSERT_OK(store->Put("raw/a", "A"));
  EXPECT_EQ(Control("/__stats")["faults_applied"].get<int>() - before, 4);
  Control("/__fault", {{"bucket", bucket}, {"queue", {{{"kind", "badxml"}}}}});
  auto all = store->ListAll("raw/");
  ASSERT_OK(all);  // an unparsable 200 listing is retried
  EXPECT_EQ(all->size(), 1u);
  EXPECT_EQ(Control("/__stats")["faults_applied"].get<int>() - before, 5);
}

TEST(S3FakeTest, RetriesGiveUpAsUnavailable) {
  std::string bucket = UniqueBucket();
  auto store = FakeStore(UniquePrefix(), nullptr, FastRetry(3), bucket);
  Control("/__fault", {{"bucket", bucket}, {"down", true}});
  Status put = store->Put("raw/a", "A");
  Control("/__fault", {{"bucket", bucket}, {"down", false}});
  EXPECT_EQ(put.code(), StatusCode::kUnavailable) << put.ToString();
  EXPECT_OK(store->Put("raw/a", "A"));
}

TEST(S3FakeTest, RefusedCredentialsAreNotRetried) {
  aws::AwsCredentials wrong = kTestKeys;
  wrong.secret_access_key = "not-the-secret-0000";
  std::string bucket = UniqueBucket();
  auto store = FakeStore(UniquePrefix(), aws::MakeStaticCredentials(wrong), FastRetry(), bucket);
  Status put = store->Put("raw/a", "A");
  EXPECT_EQ(put.code(), StatusCode::kPermissionDenied) << put.ToString();
  EXPECT_NE(put.message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(Control("/__stats")["requests_by_bucket"][bucket], 1);  // never retried
  aws::AwsCredentials unknown = kTestKeys;
  unknown.access_key_id = "AKIDUNKNOWN";
  EXPECT_EQ(
      FakeStore(UniquePrefix(), aws::MakeStaticCredentials(unknown))->Get("raw/a").status().code(),
      StatusCode::kPermissionDenied);
}

aws::AwsEnvironment MetadataOnlyEnvironment(const std::string& dir) {
  aws::AwsEnvironment env;
  env.credentials_file = dir + "/none";
  env.config_file = dir + "/none";
  env.imds_endpoint = FakeEndpoint();
  return env;
}

TEST(S3CredentialsTest, Imdsv2SessionCredentialsSignRequestsAndRefreshBeforeExpiry) {
  coinlake::testing::TempDir dir;
  Control("/__imds", {{"expires_in_s", 3600}, {"fail", false}});
  auto chain = aws::MakeDefaultCredentialChain(MetadataOnlyEnvironment(dir.path()));
  nlohmann::json before = Control("/__stats");
  auto store = FakeStore(UniquePrefix(), chain);
  ASSERT_OK(store->Put("raw/imds", "signed with a session token"));
  ASSERT_OK(store->Get("raw/imds"));
  nlohmann::json after = Control("/__stats");
  EXPECT_EQ(
      after["imds_credential_fetches"].get<int>() - before["imds_credential_fetches"].get<int>(),
      1);
  EXPECT_EQ(after["imds_v1_attempts"], before["imds_v1_attempts"]);  // never without a token

  // Credentials 6 minutes from expiry are refreshed on every use...
  Control("/__imds", {{"expires_in_s", 360}});
  chain->Invalidate();
  ASSERT_OK(chain->Get());
  int fetches = Control("/__stats")["imds_credential_fetches"];
  auto c = chain->Get();
  ASSERT_OK(c);
  EXPECT_EQ(Control("/__stats")["imds_credential_fetches"].get<int>(), fetches + 1);
  // ...but while IMDS fails the cached ones are used until they really expire.
  Control("/__imds", {{"fail", true}});
  auto cached = chain->Get();
  Control("/__imds", {{"fail", false}, {"expires_in_s", 3600}});
  ASSERT_OK(cached);
  EXPECT_EQ(cached->access_key_id, c->access_key_id);
  EXPECT_TRUE(cached->source.starts_with("imds role coinlake-role"));
}

TEST(S3CredentialsTest, ContainerCredentialsAndOneRefreshOnExpiredToken) {
  coinlake::testing::TempDir dir;
  aws::AwsEnvironment env = MetadataOnlyEnvironment(dir.path());
  env.container_full_uri = FakeEndpoint() + "/__container/creds";
  std::ofstream(dir.path() + "/token") << "container-token-1234\n";
  env.container_token_file = dir.path() + "/token";
  auto chain = aws::MakeDefaultCredentialChain(env);
  std::string bucket = UniqueBucket();
  auto store = FakeStore(UniquePrefix(), chain, FastRetry(), bucket);
  int before = Control("/__stats")["container_fetches"];
  ASSERT_OK(store->Put("raw/c", "C"));
  Control("/__fault", {{"bucket", bucket}, {"queue", {{{"kind", "expired"}}}}});
  ASSERT_OK(store->Get("raw/c"));
  // One load and one forced refresh (more only if the IMDS test shortens lifetimes meanwhile).
  EXPECT_GE(Control("/__stats")["container_fetches"].get<int>() - before, 2);
  env.container_token_file.clear();
  env.container_token = "wrong-token-0000";
  EXPECT_FALSE(aws::MakeDefaultCredentialChain(env)->Get().ok());
}

TEST(S3RverTest, RoundTripAgainstAnIndependentServer) {
  S3Location loc{"coinlake", UniquePrefix(), "us-east-1",
                 RequireEnv("COINLAKE_TEST_S3RVER_ENDPOINT"), true};
  auto store = S3ObjectStore::Open(
      loc, aws::MakeStaticCredentials({"S3RVER", "S3RVER", "", {}, "t"}), FastRetry());
  ASSERT_OK(store);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK((*store)->Put(fmt::format("raw/dt=2026-01-0{}/o+{}.json.gz", i + 1, i),
                            std::string(100 + i, 'x')));
  }
  EXPECT_EQ((*store)->Get("raw/dt=2026-01-03/o+2.json.gz")->size(), 102u);
  EXPECT_EQ((*store)->Head("raw/dt=2026-01-05/o+4.json.gz")->size, 104);
  auto page = (*store)->List("raw/", std::nullopt, 2);  // s3rver's own continuation tokens
  ASSERT_OK(page);
  EXPECT_EQ(page->objects.size(), 2u);
  EXPECT_EQ((*store)->ListAll("raw/")->size(), 5u);
}

TEST(S3AwsCliTest, AwscliReadsWhatCoinlakeWroteAndBack) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/aws")) << "install Debian's awscli";
  coinlake::testing::TempDir dir;
  std::string prefix = UniquePrefix();
  auto store = FakeStore(prefix);
  ASSERT_OK(store->Put("raw/cmc/dt=2026-01-01/a+b.json.gz", "coinlake wrote this"));
  std::string aws = fmt::format(
      "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION=eu-west-3 "
      "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
      "/usr/bin/aws --endpoint-url {} s3api ",
      kTestKeys.access_key_id, kTestKeys.secret_access_key, FakeEndpoint());
  auto listed = coinlake::testing::RunCommand(
      aws + fmt::format("list-objects-v2 --bucket lake --prefix {}/raw/ --output json", prefix));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto json = nlohmann::json::parse(listed.out);
  ASSERT_EQ(json["Contents"].size(), 1u);
  EXPECT_EQ(json["Contents"][0]["Key"], prefix + "/raw/cmc/dt=2026-01-01/a+b.json.gz");
  auto got = coinlake::testing::RunCommand(
      aws + fmt::format("get-object --bucket lake --key '{}/raw/cmc/dt=2026-01-01/a+b.json.gz' {}",
                        prefix, dir.path() + "/out"));
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(coinlake::testing::ReadFile(dir.path() + "/out"), "coinlake wrote this");

  std::ofstream(dir.path() + "/in") << "awscli wrote this";
  auto put = coinlake::testing::RunCommand(
      aws + fmt::format("put-object --bucket lake --key '{}/raw/from cli/x=1' --body {}", prefix,
                        dir.path() + "/in"));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(*store->Get("raw/from cli/x=1"), "awscli wrote this");
  EXPECT_EQ(store->ListAll("raw/")->size(), 2u);
}

// A file of random bytes of `size`, for the multipart uploads.
std::string RandomFile(const coinlake::testing::TempDir& dir, const std::string& name, size_t size,
                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::unique_ptr<S3ObjectStore> FakeStoreOfParts(const std::string& bucket, size_t part_bytes) {
  S3Location loc{bucket, UniquePrefix(), "eu-west-3", FakeEndpoint(), true};
  loc.part_bytes = part_bytes;
  auto store = S3ObjectStore::Open(loc, aws::MakeStaticCredentials(kTestKeys), FastRetry());
  EXPECT_OK(store);
  return std::move(store).value();
}

int StatOf(const char* counter, const std::string& name) {
  nlohmann::json stats = Control("/__stats")[counter];
  return stats.contains(name) ? stats[name].get<int>() : 0;
}

// PutFile of a file larger than a part is one multipart upload (parts of 5 MiB here, S3's
// least), with Put's rules: the same bytes again are a no-op that sends no part, different bytes
// are DATA_LOSS and the stored object stays.
TEST(S3MultipartTest, ALargeFileIsPutInPartsWithPutsRules) {
  coinlake::testing::TempDir dir;
  const std::string bucket = UniqueBucket();
  auto store = FakeStoreOfParts(bucket, 5 << 20);
  const std::string file = RandomFile(dir, "day.parquet", (12 << 20) + 3, 1);
  const std::string key = "curated/quotes/dt=2026-01-01/quotes_2026-01-01_abc.parquet";
  const std::string name = store->url().substr(5) + "/" + key;  // the fake counts bucket/key
  ASSERT_OK(store->PutFile(key, file));
  EXPECT_EQ(*store->Get(key), coinlake::testing::ReadFile(file));
  EXPECT_EQ(StatOf("parts", name), 3);
  EXPECT_EQ(StatOf("puts", name), 1);
  EXPECT_EQ(StatOf("uploads_open", name), 0);

  ASSERT_OK(store->PutFile(key, file));  // the same bytes: compared, not sent
  EXPECT_EQ(StatOf("parts", name), 3);
  const std::string other = RandomFile(dir, "other.parquet", (12 << 20) + 3, 2);
  EXPECT_EQ(store->PutFile(key, other).code(), StatusCode::kDataLoss);
  EXPECT_EQ(*store->Get(key), coinlake::testing::ReadFile(file));
  EXPECT_EQ(StatOf("puts", name), 1);
  // Outside curated/ a file goes up in one PUT, with If-None-Match as the bucket policy wants
  // of every write to raw/ and quarantine/ (parts cannot carry it).
  const std::string raw = store->url().substr(5) + "/raw/cmc/big.json.gz";
  ASSERT_OK(store->PutFile("raw/cmc/big.json.gz", other));
  EXPECT_EQ(StatOf("parts", raw), 0);
  EXPECT_EQ(StatOf("puts", raw), 1);
}

// The key appears between the HEAD and the completion (the fake's HEAD says 404 once): the
// completion's If-None-Match gets 412, the upload is aborted and the stored bytes compared.
TEST(S3MultipartTest, AKeyPutMeanwhileIsNotOverwrittenAndTheUploadIsAborted) {
  coinlake::testing::TempDir dir;
  const std::string bucket = UniqueBucket();
  auto store = FakeStoreOfParts(bucket, 5 << 20);
  const std::string key = "curated/quotes/dt=2026-01-02/q.parquet";
  const std::string name = store->url().substr(5) + "/" + key;  // the fake counts bucket/key
  const std::string file = RandomFile(dir, "a", (10 << 20) + 1, 3);
  ASSERT_OK(store->PutFile(key, file));
  Control("/__fault", {{"bucket", bucket}, {"queue", {{{"kind", "head404"}}}}});
  ASSERT_OK(store->PutFile(key, file));  // uploaded again, 412, equal: OK
  EXPECT_EQ(StatOf("uploads_aborted", name), 1);
  Control("/__fault", {{"bucket", bucket}, {"queue", {{{"kind", "head404"}}}}});
  EXPECT_EQ(store->PutFile(key, RandomFile(dir, "b", (10 << 20) + 1, 4)).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(StatOf("uploads_aborted", name), 2);
  EXPECT_EQ(StatOf("uploads_open", name), 0);
  EXPECT_EQ(StatOf("puts", name), 1);
  EXPECT_EQ(*store->Get(key), coinlake::testing::ReadFile(file));
}

// Faults on the way (a 503 on a part, a reset, S3's InternalError inside a 200 completion) are
// retried: one object, the file's bytes.
TEST(S3MultipartTest, FaultsDuringAnUploadAreRetried) {
  coinlake::testing::TempDir dir;
  const std::string bucket = UniqueBucket();
  auto store = FakeStoreOfParts(bucket, 5 << 20);
  const std::string file = RandomFile(dir, "f", (11 << 20), 5);
  Control("/__fault", {{"bucket", bucket},
                       {"queue",
                        {{{"kind", "error200"}},
                         {{"kind", "503"}},
                         {{"kind", "503"}},
                         {{"kind", "reset"}},
                         {{"kind", "503"}}}}});
  int before = Control("/__stats")["faults_applied"];
  ASSERT_OK(store->PutFile("curated/x/dt=2026-01-03/f.parquet", file));
  EXPECT_EQ(Control("/__stats")["faults_applied"].get<int>() - before, 5);
  EXPECT_EQ(*store->Get("curated/x/dt=2026-01-03/f.parquet"), coinlake::testing::ReadFile(file));
}

// An independent server, and AWS's own client: s3rver completes coinlake's upload; awscli reads
// it back, and its own multipart upload (above its 8 MB threshold) is one the fake accepts.
TEST(S3MultipartTest, IndependentServerAndClientAgree) {
  coinlake::testing::TempDir dir;
  const std::string file = RandomFile(dir, "big", (11 << 20) + 7, 6);
  S3Location rver{"coinlake", UniquePrefix(), "us-east-1",
                  RequireEnv("COINLAKE_TEST_S3RVER_ENDPOINT"), true};
  rver.part_bytes = 5 << 20;
  auto s3rver = S3ObjectStore::Open(
      rver, aws::MakeStaticCredentials({"S3RVER", "S3RVER", "", {}, "t"}), FastRetry());
  ASSERT_OK(s3rver);
  ASSERT_OK((*s3rver)->PutFile("curated/q/dt=2026-01-04/big.parquet", file));
  EXPECT_EQ(*(*s3rver)->Get("curated/q/dt=2026-01-04/big.parquet"),
            coinlake::testing::ReadFile(file));

  ASSERT_TRUE(std::filesystem::exists("/usr/bin/aws")) << "install Debian's awscli";
  const std::string prefix = UniquePrefix();
  S3Location loc{"lake", prefix, "eu-west-3", FakeEndpoint(), true};
  loc.part_bytes = 5 << 20;
  auto fake = S3ObjectStore::Open(loc, aws::MakeStaticCredentials(kTestKeys), FastRetry());
  ASSERT_OK(fake);
  ASSERT_OK((*fake)->PutFile("curated/q/dt=2026-01-04/big.parquet", file));
  const std::string aws = fmt::format(
      "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION=eu-west-3 "
      "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null /usr/bin/aws "
      "--endpoint-url {} ",
      kTestKeys.access_key_id, kTestKeys.secret_access_key, FakeEndpoint());
  auto got = coinlake::testing::RunCommand(
      aws + fmt::format(
                "s3api get-object --bucket lake --key '{}/curated/q/dt=2026-01-04/big.parquet' {}",
                prefix, dir.path() + "/back"));
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(coinlake::testing::ReadFile(dir.path() + "/back"), coinlake::testing::ReadFile(file));
  const std::string cli_file = RandomFile(dir, "cli", (20 << 20) + 5, 7);
  auto put = coinlake::testing::RunCommand(
      aws +
      fmt::format("s3 cp {} 's3://lake/{}/curated/q/dt=2026-01-05/cli.parquet'", cli_file, prefix));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(*(*fake)->Get("curated/q/dt=2026-01-05/cli.parquet"),
            coinlake::testing::ReadFile(cli_file));
  EXPECT_GE(StatOf("parts", "lake/" + prefix + "/curated/q/dt=2026-01-05/cli.parquet"), 2);
}

}  // namespace
}  // namespace coinlake::lake
