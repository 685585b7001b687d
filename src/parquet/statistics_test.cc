#include "parquet/statistics.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>

namespace coinlake::parquet {
namespace {

double DoubleOf(const std::string& plain) {
  double d;
  std::memcpy(&d, plain.data(), 8);
  return d;
}

TEST(StatisticsTest, Int64IsSignedLittleEndian) {
  Int64Stats s;
  for (int64_t v : {int64_t{5}, int64_t{-3}, std::numeric_limits<int64_t>::max()}) s.Add(v);
  const format::Statistics t = ToThrift(s, 2);
  EXPECT_EQ(t.null_count, 2);
  EXPECT_EQ(*t.min_value, std::string("\xfd\xff\xff\xff\xff\xff\xff\xff", 8));
  EXPECT_EQ(*t.max_value, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
  EXPECT_EQ(t.min, t.min_value);  // the deprecated fields agree
  EXPECT_EQ(t.max, t.max_value);
}

TEST(StatisticsTest, NoValuesNoBounds) {
  const format::Statistics t = ToThrift(Int64Stats{}, 4);
  EXPECT_EQ(t.null_count, 4);
  EXPECT_FALSE(t.min_value || t.max_value || t.min || t.max);
}

TEST(StatisticsTest, NaNTakesNoPartInDoubleBounds) {
  DoubleStats s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.Add(nan);
  s.Add(2.5);
  s.Add(nan);
  s.Add(-1.0);
  const format::Statistics t = ToThrift(s, 0);
  EXPECT_EQ(DoubleOf(*t.min_value), -1.0);
  EXPECT_EQ(DoubleOf(*t.max_value), 2.5);

  DoubleStats only_nan;
  only_nan.Add(nan);
  EXPECT_FALSE(ToThrift(only_nan, 0).min_value);
}

TEST(StatisticsTest, ZeroBoundsAreMinusZeroAndPlusZero) {
  DoubleStats s;
  s.Add(0.0);
  s.Add(0.0);
  format::Statistics t = ToThrift(s, 0);
  EXPECT_TRUE(std::signbit(DoubleOf(*t.min_value)));
  EXPECT_FALSE(std::signbit(DoubleOf(*t.max_value)));

  DoubleStats negative;
  negative.Add(-0.0);
  negative.Add(-5.0);
  t = ToThrift(negative, 0);
  EXPECT_EQ(DoubleOf(*t.min_value), -5.0);
  EXPECT_FALSE(std::signbit(DoubleOf(*t.max_value)));  // -0.0 max is written +0.0
}

TEST(StatisticsTest, InfinitiesAreOrdinaryBounds) {
  DoubleStats s;
  s.Add(std::numeric_limits<double>::infinity());
  s.Add(-std::numeric_limits<double>::infinity());
  const format::Statistics t = ToThrift(s, 0);
  EXPECT_EQ(DoubleOf(*t.min_value), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(DoubleOf(*t.max_value), std::numeric_limits<double>::infinity());
}

TEST(StatisticsTest, StringsCompareAsUnsignedBytes) {
  StringStats s;
  const std::string high = "\xc3\xa9";  // é: a byte past 0x7f, negative as a signed char
  for (std::string_view v : {std::string_view("b"), std::string_view(high), std::string_view("ab"),
                             std::string_view("")}) {
    s.Add(v);
  }
  const format::Statistics t = ToThrift(s, 1);
  EXPECT_EQ(*t.min_value, "");
  EXPECT_EQ(*t.max_value, high);
  EXPECT_FALSE(t.min || t.max);  // no deprecated bounds for byte arrays
}

TEST(StatisticsTest, MergeKeepsTheOuterBounds) {
  Int64Stats a, b;
  a.Add(3);
  b.Add(-7);
  b.Add(10);
  a.Merge(b);
  a.Merge(Int64Stats{});
  EXPECT_EQ(a.min, -7);
  EXPECT_EQ(a.max, 10);
}

}  // namespace
}  // namespace coinlake::parquet
