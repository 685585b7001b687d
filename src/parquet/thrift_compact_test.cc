// Byte strings derived by hand from the Thrift compact protocol spec
// (thrift/doc/specs/thrift-compact-protocol.md).
#include "parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace coinlake::parquet::thrift {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  AppendVarint(out, v);
  return out;
}

TEST(ThriftCompactTest, VarintIsLeb128) {
  EXPECT_EQ(Varint(0), std::string("\x00", 1));
  EXPECT_EQ(Varint(1), "\x01");
  EXPECT_EQ(Varint(127), "\x7f");
  EXPECT_EQ(Varint(128), "\x80\x01");
  EXPECT_EQ(Varint(300), "\xac\x02");  // 300 = 0b10'0101100
  EXPECT_EQ(Varint(UINT64_MAX), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
}

TEST(ThriftCompactTest, ZigZagInterleavesSigns) {
  EXPECT_EQ(ZigZag(0), 0u);
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_EQ(ZigZag(-2), 3u);
  EXPECT_EQ(ZigZag(std::numeric_limits<int64_t>::max()), UINT64_MAX - 1);
  EXPECT_EQ(ZigZag(std::numeric_limits<int64_t>::min()), UINT64_MAX);
}

TEST(ThriftCompactTest, ShortFieldHeaderIsDeltaAndType) {
  std::string out;
  CompactWriter w(out);
  w.I32(1, 5);   // delta 1, type 5 (i32): 0x15; zigzag(5) = 10
  w.I64(3, -1);  // delta 2, type 6 (i64): 0x26; zigzag(-1) = 1
  w.EndStruct();
  EXPECT_EQ(out, std::string("\x15\x0a\x26\x01\x00", 5));
}

TEST(ThriftCompactTest, LongFieldHeaderWhenDeltaPast15) {
  std::string out;
  CompactWriter w(out);
  w.I32(1, 1);
  w.I32(17, 1);  // delta 16: type byte 0x05, then zigzag(17) = 34 = 0x22
  EXPECT_EQ(out, "\x15\x02\x05\x22\x02");
}

TEST(ThriftCompactTest, BoolsLiveInTheTypeNibble) {
  std::string out;
  CompactWriter w(out);
  w.Bool(1, true);   // 0x11
  w.Bool(2, false);  // 0x12
  EXPECT_EQ(out, "\x11\x12");
}

TEST(ThriftCompactTest, BinaryIsLengthThenBytes) {
  std::string out;
  CompactWriter w(out);
  w.Binary(4, "ab");  // delta 4, type 8: 0x48
  EXPECT_EQ(out,
            "\x48\x02"
            "ab");
}

TEST(ThriftCompactTest, ListHeaders) {
  std::string out;
  CompactWriter w(out);
  w.BeginList(1, CType::kI32, 3);  // 0x19; size 3, elem 5: 0x35
  w.ListI32(1);
  w.ListI32(2);
  w.ListI32(-1);
  EXPECT_EQ(out, "\x19\x35\x02\x04\x01");

  std::string longer;
  CompactWriter l(longer);
  l.BeginList(2, CType::kBinary, 20);  // 0x29; 0xf8 (long form, elem 8), varint 20
  EXPECT_EQ(longer, "\x29\xf8\x14");
}

TEST(ThriftCompactTest, NestedStructsRestartFieldIds) {
  std::string out;
  CompactWriter w(out);
  w.I32(2, 0);
  w.BeginStruct(3);  // delta 1, type 12: 0x1c
  w.I32(1, 1);       // inside: ids restart from 0, so delta 1
  w.EndStruct();     // stop byte
  w.I32(4, 2);       // back outside: delta from 3 is 1
  w.BeginList(5, CType::kStruct, 1);
  w.BeginListStruct();
  w.I32(1, 3);
  w.EndStruct();
  w.EndStruct();
  EXPECT_EQ(out, std::string("\x25\x00\x1c\x15\x02\x00\x15\x04\x19\x1c\x15\x06\x00\x00", 14));
}

}  // namespace
}  // namespace coinlake::parquet::thrift
