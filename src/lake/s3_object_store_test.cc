// Pure parts of the S3 store: URL parsing, request URLs, error classification. The store itself
// runs against the fake S3 in s3_integration_test.cc.
#include "lake/s3_object_store.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

TEST(S3UrlTest, ParsesBucketPrefixAndParameters) {
  auto loc = ParseS3Url("s3://my-lake/coinlake/prod/?region=eu-west-1");
  ASSERT_OK(loc);
  EXPECT_EQ(loc->bucket, "my-lake");
  EXPECT_EQ(loc->prefix, "coinlake/prod");
  EXPECT_EQ(loc->region, "eu-west-1");
  EXPECT_EQ(loc->endpoint, "");
  EXPECT_FALSE(loc->path_style);

  loc = ParseS3Url("s3://lake?endpoint=http://127.0.0.1:9000/&region=us-east-1");
  ASSERT_OK(loc);
  EXPECT_EQ(loc->prefix, "");
  EXPECT_EQ(loc->endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(loc->path_style);  // the default with a custom endpoint

  loc = ParseS3Url("s3://lake/p?endpoint=https%3A%2F%2Fminio.local&path_style=false");
  ASSERT_OK(loc);
  EXPECT_EQ(loc->endpoint, "https://minio.local");
  EXPECT_FALSE(loc->path_style);
}

TEST(S3UrlTest, RejectsBadUrls) {
  for (const char* bad :
       {"s3://", "s3://Upper/x", "s3://ab", "s3://lake/a/../b", "s3://lake?colour=blue",
        "s3://lake?endpoint=ftp://x", "s3://lake?path_style=yes", "file:///x"}) {
    EXPECT_EQ(ParseS3Url(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(S3UrlTest, RequestUrlsForEachAddressingStyle) {
  S3Location aws{"lake", "p", "ap-southeast-2", "", false};
  EXPECT_EQ(S3RequestUrl(aws, "p/raw/dt=2026-01-01/a b+c.json.gz", ""),
            "https://lake.s3.ap-southeast-2.amazonaws.com/p/raw/dt%3D2026-01-01/a%20b%2Bc.json.gz");
  EXPECT_EQ(S3RequestUrl(aws, "", "list-type=2&prefix=p%2F"),
            "https://lake.s3.ap-southeast-2.amazonaws.com/?list-type=2&prefix=p%2F");
  S3Location local{"lake", "", "us-east-1", "http://127.0.0.1:9000", true};
  EXPECT_EQ(S3RequestUrl(local, "k:1", ""), "http://127.0.0.1:9000/lake/k%3A1");
  S3Location path_on_aws{"lake", "", "eu-west-1", "", true};
  EXPECT_EQ(S3RequestUrl(path_on_aws, "k", ""), "https://s3.eu-west-1.amazonaws.com/lake/k");
}

TEST(S3ErrorTest, RetriesOnlyWhatIsTransient) {
  EXPECT_EQ(ClassifyS3Error(503, "SlowDown", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyS3Error(500, "InternalError", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyS3Error(502, "", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyS3Error(400, "RequestTimeout", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyS3Error(409, "ConditionalRequestConflict", "").code(),
            StatusCode::kUnavailable);
  for (const char* code : {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"}) {
    EXPECT_EQ(ClassifyS3Error(403, code, "").code(), StatusCode::kPermissionDenied) << code;
  }
  Status skew = ClassifyS3Error(403, "RequestTimeTooSkewed", "");
  EXPECT_EQ(skew.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(skew.message().find("clock"), std::string::npos);
  EXPECT_EQ(ClassifyS3Error(404, "NoSuchKey", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(ClassifyS3Error(404, "", "").code(), StatusCode::kNotFound);  // HEAD has no body
  EXPECT_EQ(ClassifyS3Error(404, "NoSuchBucket", "").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ClassifyS3Error(400, "XAmzContentSHA256Mismatch", "").code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coinlake::lake
