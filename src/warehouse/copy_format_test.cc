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

}  // namespace
}  // namespace coinlake::warehouse
