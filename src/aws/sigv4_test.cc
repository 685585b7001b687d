// Byte-for-byte checks of the canonical forms curl 7.88.1 signs as given, including the worked
// examples of AWS's "Signature Calculations for the Authorization Header" (S3, single chunk).
#include "aws/sigv4.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "common/bytes.h"

namespace coinlake::aws {
namespace {

TEST(AwsUriEncodeTest, KeepsOnlyUnreservedAndOptionallySlash) {
  EXPECT_EQ(AwsUriEncode("raw/cmc/dt=2024-01-01/a b+c:d~e_f.g-h", true),
            "raw/cmc/dt%3D2024-01-01/a%20b%2Bc%3Ad~e_f.g-h");
  EXPECT_EQ(AwsUriEncode("raw/cmc/", false), "raw%2Fcmc%2F");
  EXPECT_EQ(AwsUriEncode("test$file.text", true), "test%24file.text");
  EXPECT_EQ(AwsUriEncode("\xc3\xa9*'()!", true), "%C3%A9%2A%27%28%29%21");  // uppercase hex
  EXPECT_EQ(AwsUriEncode("", true), "");
}

TEST(CanonicalQueryTest, SortsEncodesAndAlwaysWritesEquals) {
  EXPECT_EQ(CanonicalQuery({{"prefix", "raw/cmc/"},
                            {"list-type", "2"},
                            {"max-keys", "1000"},
                            {"continuation-token", "1/a+b=="}}),
            "continuation-token=1%2Fa%2Bb%3D%3D&list-type=2&max-keys=1000&prefix=raw%2Fcmc%2F");
  EXPECT_EQ(CanonicalQuery({{"versioning", ""}}), "versioning=");
  EXPECT_EQ(CanonicalQuery({}), "");
  EXPECT_EQ(CanonicalQuery({{"b", "2"}, {"a", "z"}, {"a", "y"}}), "a=y&a=z&b=2");
}

// SigV4 over a canonical request, with the encoders above: enough to reproduce AWS's examples.
std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sign(const std::string& method, const std::string& key, const std::string& query,
                 const std::string& headers, const std::string& signed_headers,
                 const std::string& payload_sha) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  std::string canonical = method + "\n" + AwsUriEncode(key, true) + "\n" + query + "\n" + headers +
                          "\n" + signed_headers + "\n" + payload_sha;
  std::string to_sign = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
                        Sha256Hex(canonical);
  std::string k = Hmac("AWS4" + secret, "20130524");
  k = Hmac(k, "us-east-1");
  k = Hmac(k, "s3");
  k = Hmac(k, "aws4_request");
  return HexEncode(Hmac(k, to_sign));
}

TEST(SigV4ExamplesTest, GetObject) {
  EXPECT_EQ(Sign("GET", "/test.txt", "",
                 "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                 "x-amz-content-sha256:" +
                     std::string(kEmptyPayloadSha256) + "\nx-amz-date:20130524T000000Z\n",
                 "host;range;x-amz-content-sha256;x-amz-date", std::string(kEmptyPayloadSha256)),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4ExamplesTest, PutObjectWithAnEncodedKeyAndARealPayloadHash) {
  std::string payload_sha = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(Sign("PUT", "/test$file.text", "",
                 "date:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
                 "x-amz-content-sha256:" +
                     payload_sha +
                     "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n",
                 "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", payload_sha),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4ExamplesTest, ValuelessParameterAndSortedListQuery) {
  std::string headers = "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" +
                        std::string(kEmptyPayloadSha256) + "\nx-amz-date:20130524T000000Z\n";
  EXPECT_EQ(Sign("GET", "/", CanonicalQuery({{"lifecycle", ""}}), headers,
                 "host;x-amz-content-sha256;x-amz-date", std::string(kEmptyPayloadSha256)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  EXPECT_EQ(Sign("GET", "/", CanonicalQuery({{"prefix", "J"}, {"max-keys", "2"}}), headers,
                 "host;x-amz-content-sha256;x-amz-date", std::string(kEmptyPayloadSha256)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

}  // namespace
}  // namespace coinlake::aws
