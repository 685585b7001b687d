// The RLE/bit-packing hybrid, against the spec's own example and a decoder written here.
#include "parquet/rle.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace coinlake::parquet {
namespace {

std::string Encode(const std::vector<uint32_t>& values, int bit_width) {
  std::string out;
  AppendRleHybrid(out, values, bit_width);
  return out;
}

// A plain reading of Encodings.md, independent of the encoder.
std::vector<uint32_t> Decode(const std::string& in, int bit_width, size_t count) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  while (out.size() < count) {
    uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(in.at(pos++));
      header |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (header & 1) {
      const size_t n = (header >> 1) * 8;
      for (size_t i = 0; i < n; ++i) {
        uint32_t v = 0;
        for (int b = 0; b < bit_width; ++b) {
          const size_t bit = i * bit_width + b;
          v |= ((static_cast<uint8_t>(in.at(pos + bit / 8)) >> (bit % 8)) & 1u) << b;
        }
        if (out.size() < count) out.push_back(v);
      }
      pos += (header >> 1) * bit_width;
    } else {
      uint32_t v = 0;
      for (int i = 0; i < (bit_width + 7) / 8; ++i) {
        v |= static_cast<uint32_t>(static_cast<uint8_t>(in.at(pos++))) << (8 * i);
      }
      out.insert(out.end(), header >> 1, v);
    }
  }
  EXPECT_EQ(pos, in.size()) << "trailing bytes";
  return out;
}

TEST(RleTest, BitWidth) {
  EXPECT_EQ(BitWidthOf(0), 0);
  EXPECT_EQ(BitWidthOf(1), 1);
  EXPECT_EQ(BitWidthOf(2), 2);
  EXPECT_EQ(BitWidthOf(255), 8);
  EXPECT_EQ(BitWidthOf(256), 9);
}

TEST(RleTest, SpecExampleBitPacksZeroToSeven) {
  // Encodings.md: 0..7 at width 3 packs to 10001000 11000110 11111010.
  EXPECT_EQ(Encode({0, 1, 2, 3, 4, 5, 6, 7}, 3), "\x03\x88\xc6\xfa");
}

TEST(RleTest, RepeatsBecomeRleRuns) {
  // Eight 1s: header 8 << 1 = 0x10, then the value in one byte.
  EXPECT_EQ(Encode(std::vector<uint32_t>(8, 1), 1), "\x10\x01");
  // 300 copies of 258 at width 9: header varint(600) = 0xd8 0x04, value in two bytes.
  EXPECT_EQ(Encode(std::vector<uint32_t>(300, 258), 9), "\xd8\x04\x02\x01");
}

TEST(RleTest, LiteralsLendTheRepeatWholeGroups) {
  // 1,0,1 then twenty 1s: the literal group takes five of the repeat (11111101 = 0xfd), the
  // other fifteen are an RLE run (header 30 = 0x1e).
  std::vector<uint32_t> v = {1, 0, 1};
  v.insert(v.end(), 20, 1);
  EXPECT_EQ(Encode(v, 1), "\x03\xfd\x1e\x01");
}

TEST(RleTest, TheLastGroupIsPadded) {
  EXPECT_EQ(Encode({1, 0, 1}, 1), "\x03\x05");
  EXPECT_EQ(Encode({}, 1), "");
}

TEST(RleTest, RoundTripsRandomRunsAtEveryWidth) {
  std::mt19937 rng(7);
  for (int width = 1; width <= 20; ++width) {
    for (int trial = 0; trial < 30; ++trial) {
      std::vector<uint32_t> values;
      const size_t n = rng() % 500;
      while (values.size() < n) {
        const uint32_t v = rng() & ((1u << width) - 1);
        values.insert(values.end(), rng() % 4 == 0 ? rng() % 40 : 1, v);
      }
      values.resize(n);
      ASSERT_EQ(Decode(Encode(values, width), width, n), values) << "width " << width;
    }
  }
}

TEST(RleTest, DefinitionLevelsFromBytes) {
  const std::vector<uint8_t> defs = {1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::string out;
  AppendRleHybrid(out, defs, 1);
  // Group 1,1,0,1,0,0,0,0 = 0b00001011, then nine 0s as a run.
  EXPECT_EQ(out, std::string("\x03\x0b\x12\x00", 4));
}

}  // namespace
}  // namespace coinlake::parquet
