#include "common/bytes.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake {
namespace {

TEST(BytesTest, GzipRoundTripIsDeterministic) {
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  auto a = GzipCompress(text);
  auto b = GzipCompress(text);
  ASSERT_OK(a);
  EXPECT_EQ(*a, *b);  // same response, same lake bytes, same key: idempotent writes rely on it
  EXPECT_TRUE(LooksGzipped(*a));
  EXPECT_LT(a->size(), text.size());
  EXPECT_EQ(*GzipDecompress(*a), text);
}

TEST(BytesTest, GzipErrorsAreReported) {
  auto packed = GzipCompress("hello world, hello world");
  ASSERT_OK(packed);
  EXPECT_FALSE(GzipDecompress(packed->substr(0, packed->size() / 2)).ok());
  EXPECT_FALSE(GzipDecompress("not gzip at all").ok());
}

TEST(BytesTest, GzipDecompressesWhateverTheRatioAndTrailer) {
  // The output is sized from the gzip trailer, trusted up to 16x the input: these cross that
  // bound both ways, and a trailer that lies is an error, not a short or long result.
  std::string text(1 << 20, 'x');
  for (size_t i = 0; i < text.size(); i += 3) text[i] = static_cast<char>('a' + (i * 7919) % 26);
  for (const std::string& t : {std::string(3 << 20, 'a'), text, std::string("x")}) {
    auto packed = GzipCompress(t);
    ASSERT_OK(packed);
    auto out = GzipDecompress(*packed);
    ASSERT_OK(out);
    EXPECT_EQ(*out, t);
    std::string lying = *packed;
    lying[lying.size() - 4] = static_cast<char>(lying[lying.size() - 4] ^ 0x10);
    EXPECT_FALSE(GzipDecompress(lying).ok());
  }
}

TEST(BytesTest, GzipBombIsRefused) {
  auto bomb = GzipCompress(std::string(10 << 20, '\0'));
  ASSERT_OK(bomb);
  auto out = GzipDecompress(*bomb, 1 << 20);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(BytesTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
}

}  // namespace
}  // namespace coinlake
