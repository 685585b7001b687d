#include "dashboard/api.h"

#include <gtest/gtest.h>

namespace coinlake::dashboard {
namespace {

using Params = std::multimap<std::string, std::string>;

TEST(ApiTest, LatestQueryDefaultsAndValidation) {
  auto q = ParseLatestQuery({});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, 100);
  EXPECT_EQ(q->sort, "rank");
  EXPECT_FALSE(q->descending);
  auto by_cap = ParseLatestQuery(Params{{"sort", "market_cap"}, {"limit", "5"}});
  ASSERT_TRUE(by_cap.ok());
  EXPECT_TRUE(by_cap->descending);
  EXPECT_EQ(by_cap->limit, 5);
  for (const Params& bad :
       {Params{{"limit", "0"}}, Params{{"limit", "5001"}}, Params{{"limit", "1x"}},
        Params{{"sort", "price; DROP TABLE quotes"}}, Params{{"order", "up"}},
        Params{{"currency", "usd"}}, Params{{"currency", "USD'--"}}, Params{{"colour", "red"}},
        Params{{"ids", "1,x"}}, Params{{"ids", "0"}}, Params{{"ids", "1"}, {"ids", "2"}}}) {
    auto r = ParseLatestQuery(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad.begin()->second;
  }
  auto by_id = ParseLatestQuery(Params{{"ids", "1027,1,1027"}});
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->ids, (std::vector<int64_t>{1027, 1}));
}

}  // namespace
}  // namespace coinlake::dashboard
