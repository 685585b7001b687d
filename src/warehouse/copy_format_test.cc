#include "warehouse/copy_format.h"

#include <gtest/gtest.h>

#include <limits>

namespace coinlake::warehouse {
namespace {

TEST(CopyFormatTest, EscapesExactlyWhatCopyTextNeeds) {
  std::string out;
  CopyRowWriter w(out);
  w.Text("a\tb\nc\\d\re");
  w.Text("Æternity ☠");
  w.Null();
  w.Int(-42);
  w.End();
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re\tÆternity ☠\t\\N\t-42\n");
}

TEST(CopyFormatTest, DoublesRoundTripAndNonFiniteIsNull) {
  std::string out;
  CopyRowWriter w(out);
  w.Double(0.1);
  w.Double(8.622024843438671e-07);
  w.Double(1669902418592.1555);
  w.Double(std::nullopt);
  w.Double(std::numeric_limits<double>::infinity());
  w.OptionalInt(std::nullopt);
  w.Time(*ParseIso8601("2026-09-29T03:55:03.728Z"));
  w.End();
  EXPECT_EQ(
      out,
      "0.1\t8.622024843438671e-07\t1669902418592.1555\t\\N\t\\N\t\\N\t2026-09-29T03:55:03.728Z\n");
}

TEST(BinaryCopyWriterTest, EncodesHeaderRowsAndTrailerBigEndian) {
  std::string out;
  BinaryCopyWriter w(out);
  const std::string header("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
  ASSERT_EQ(out, header);
  w.Row(6);
  w.Int8(1027);
  w.Int4(-2);
  w.OptionalInt4(std::nullopt);
  w.Float8(1.5);
  w.Timestamptz(*ParseIso8601("2000-01-01T00:00:00.001Z"));
  w.Text("Æ");
  w.Finish();
  const std::string row(
      "\0\6"
      "\0\0\0\x08\0\0\0\0\0\0\x04\x03"  // bigint 1027
      "\0\0\0\x04\xff\xff\xff\xfe"      // integer -2
      "\xff\xff\xff\xff"                // NULL
      "\0\0\0\x08\x3f\xf8\0\0\0\0\0\0"  // 1.5 (IEEE 754)
      "\0\0\0\x08\0\0\0\0\0\0\x03\xe8"  // 1000 us after 2000-01-01
      "\0\0\0\x02\xc3\x86"              // UTF-8 bytes as they are
      "\xff\xff",                       // trailer
      2 + 12 + 8 + 4 + 12 + 12 + 6 + 2);
  EXPECT_EQ(out.substr(header.size()), row);
}

TEST(BinaryCopyWriterTest, NonFiniteDoubleAndMissingValuesAreNull) {
  std::string out;
  BinaryCopyWriter w(out);
  out.clear();
  w.Float8(std::numeric_limits<double>::quiet_NaN());
  w.Float8(std::nullopt);
  w.OptionalTimestamptz(std::nullopt);
  w.Null();
  EXPECT_EQ(out, std::string(16, '\xff'));
}

}  // namespace
}  // namespace coinlake::warehouse
