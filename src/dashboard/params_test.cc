#include "dashboard/params.h"

#include <gtest/gtest.h>

#include "dashboard/api.h"
#include "tests/status_matchers.h"

namespace coinlake::dashboard {
namespace {

using Params = std::multimap<std::string, std::string>;

TEST(QueryParamsTest, DefaultsAndValues) {
  Params raw{{"limit", "5"}, {"ids", "1,1027,1"}, {"window", "6h"}, {"from", "0"}};
  QueryParams p(raw);
  EXPECT_EQ(*p.Int("limit", 1, 10, 3), 5);
  EXPECT_EQ(*p.Int("absent", 1, 10, 3), 3);
  EXPECT_EQ(*p.Ids("ids", 5), (std::vector<int64_t>{1, 1027}));
  EXPECT_EQ(**p.Duration("window", 60, 86400), 6 * 3600);
  EXPECT_EQ(**p.Time("from"), 0);
  EXPECT_FALSE(p.Time("to")->has_value());
  EXPECT_OK(p.Finish());
}

TEST(QueryParamsTest, IsoTimes) {
  Params raw{{"from", "2026-11-27T21:50:00Z"}};
  QueryParams p(raw);
  EXPECT_EQ(**p.Time("from"), 1795816200);
}

TEST(QueryParamsTest, RejectsBadInput) {
  auto bad = [](Params raw, auto read) {
    QueryParams p(raw);
    Status s = read(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << raw.begin()->second;
    EXPECT_FALSE(s.message().empty());
  };
  auto ids = [](QueryParams& p) { return p.Ids("ids", 3).status(); };
  bad({{"ids", ""}}, ids);
  bad({{"ids", "1,,2"}}, ids);
  bad({{"ids", "1,-2"}}, ids);
  bad({{"ids", "1,2,3,4"}}, ids);
  bad({{"ids", "1;DROP TABLE quotes"}}, ids);
  auto time = [](QueryParams& p) { return p.Time("from").status(); };
  bad({{"from", "yesterday"}}, time);
  bad({{"from", "-5"}}, time);
  bad({{"from", "99999999999"}}, time);
  auto duration = [](QueryParams& p) { return p.Duration("window", 60, 86400).status(); };
  bad({{"window", "5"}}, duration);
  bad({{"window", "2d"}}, duration);
  bad({{"window", "10s"}}, duration);
  bad({{"window", "h"}}, duration);
  auto text = [](QueryParams& p) { return p.Text("q", 4).status(); };
  bad({{"q", "abcde"}}, text);
  bad({{"q", std::string("a\nb")}}, text);
  auto one_of = [](QueryParams& p) { return p.OneOf("interval", {"1h", "1d"}, "1h").status(); };
  bad({{"interval", "1w"}}, one_of);
  auto twice = [](QueryParams& p) { return p.Int("limit", 1, 9, 1).status(); };
  bad({{"limit", "1"}, {"limit", "2"}}, twice);
  Params unknown{{"colour", "red"}};
  QueryParams p(unknown);
  EXPECT_EQ(p.Finish().code(), StatusCode::kInvalidArgument);
}

TEST(DownsamplingTest, NeverMoreBucketsThanWidth) {
  for (int64_t range : {1, 59, 60, 3600, 86400, 86400 * 365}) {
    for (int64_t width : {1, 7, 500, 2000}) {
      int64_t bucket = BucketSeconds(0, range, width);
      EXPECT_GE(bucket, 1);
      EXPECT_LT(range / bucket, width) << range << " " << width;  // last index < width
    }
  }
  EXPECT_EQ(BucketSeconds(0, 86400, 2000), 44);
}

TEST(CsvTest, QuotesFieldsAndFlattensSeries) {
  nlohmann::json series = {{"series",
                            {{{"cmc_id", 1},
                              {"symbol", "A,\"B\""},
                              {"points",
                               {{{"t", "2026-11-27T00:00:00.000Z"},
                                 {"price", 1.5},
                                 {"min", 1},
                                 {"max", 2},
                                 {"volume_24h", nullptr},
                                 {"market_cap", 3},
                                 {"samples", 4}}}}}}}};
  EXPECT_EQ(SeriesCsv(series),
            "cmc_id,symbol,t,price,min,max,volume_24h,market_cap,samples\r\n"
            "1,\"A,\"\"B\"\"\",2026-11-27T00:00:00.000Z,1.5,1,2,,3,4\r\n");
}

}  // namespace
}  // namespace coinlake::dashboard
