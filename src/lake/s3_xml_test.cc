#include "lake/s3_xml.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lake</Name>
<Prefix>raw/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>raw/a&amp;b dt=1</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>raw/c</Key><Size>0</Size></Contents>
<NextContinuationToken>1/a+b==</NextContinuationToken></ListBucketResult>)";

TEST(S3XmlTest, ParsesAListingPage) {
  auto page = ParseListBucketResult(kPage);
  ASSERT_OK(page);
  ASSERT_EQ(page->contents.size(), 2u);
  EXPECT_EQ(page->contents[0].key, "raw/a&b dt=1");
  EXPECT_EQ(page->contents[0].size, 12);
  EXPECT_EQ(page->contents[1].size, 0);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1/a+b==");
}

TEST(S3XmlTest, LastPageAndEmptyListing) {
  auto page = ParseListBucketResult(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_OK(page);
  EXPECT_TRUE(page->contents.empty());
  EXPECT_FALSE(page->next_continuation_token);
}

TEST(S3XmlTest, RejectsMalformedOrIncompleteListings) {
  for (const char* bad : {
           "",
           "<ListBucketResult><IsTruncated>false</IsTruncated>",  // truncated document
           "<html>503</html>",
           "<ListBucketResult></ListBucketResult>",  // no IsTruncated
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",  // no token
           "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>"
           "</Contents></ListBucketResult>",  // no Size
           "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>"
           "<Size>1x</Size></Contents></ListBucketResult>",
       }) {
    EXPECT_EQ(ParseListBucketResult(bad).status().code(), StatusCode::kInternal) << bad;
  }
}

TEST(S3XmlTest, ParsesErrors) {
  auto error = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Reduce your rate</Message>"
      "<RequestId>R1</RequestId><HostId>H</HostId></Error>");
  ASSERT_OK(error);
  EXPECT_EQ(error->code, "SlowDown");
  EXPECT_EQ(error->message, "Reduce your rate");
  EXPECT_EQ(error->request_id, "R1");
  EXPECT_FALSE(ParseS3Error("<Error><Message>x</Message></Error>").ok());
  EXPECT_FALSE(ParseS3Error("not xml").ok());
}

// AWS's documented examples of the two multipart answers, and the Error S3 may put in a 200
// completion.
TEST(S3XmlTest, ParsesMultipartAnswers) {
  auto id = ParseInitiateMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>example-bucket</Bucket>"
      "<Key>example-object</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9h"
      "ZA</UploadId></InitiateMultipartUploadResult>");
  ASSERT_OK(id);
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_FALSE(ParseInitiateMultipartUpload(
                   "<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>")
                   .ok());
  EXPECT_OK(ParseCompleteMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://Example-Bucket.s3."
      "amazonaws.com/Example-Object</Location><Bucket>Example-Bucket</Bucket><Key>Example-Object"
      "</Key><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>"));
  const std::string in_a_200 =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We "
      "encountered an internal error. Please try again.</Message></Error>";
  EXPECT_EQ(ParseCompleteMultipartUpload(in_a_200).code(), StatusCode::kInternal);
  EXPECT_EQ(ParseS3Error(in_a_200)->code, "InternalError");
}

}  // namespace
}  // namespace coinlake::lake
