#include "common/strings.h"

#include <gtest/gtest.h>

namespace coinlake {
namespace {

TEST(SplitCommaListTest, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitCommaList(" BTC, ,eth ,"), (std::vector<std::string>{"BTC", "eth"}));
  EXPECT_EQ(SplitCommaList("1"), (std::vector<std::string>{"1"}));
  EXPECT_TRUE(SplitCommaList("").empty());
  EXPECT_TRUE(SplitCommaList(" , ").empty());
}

}  // namespace
}  // namespace coinlake
