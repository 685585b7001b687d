#include "dashboard/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

// Coin names and symbols are whatever a coin's issuer listed on CMC: a CSV download must not
// hand a spreadsheet a formula to run, while numbers, negative ones included, stay numbers.
TEST(ApiTest, CsvNeutralisesFormulasInTextCellsOnly) {
  auto latest = nlohmann::json::parse(R"json({"data":[
    {"rank":1,"cmc_id":7,"symbol":"@SUM(1+1)","name":"=HYPERLINK(\"http://x\",\"y\")",
     "slug":"-2+3","price":-1.5,"market_cap":1e+20,"volume_24h":null,
     "percent_change_1h":-0.25,"percent_change_24h":3,"percent_change_7d":0,
     "circulating_supply":12,"last_updated":"2026-11-27T21:50:00.000Z"},
    {"rank":2,"cmc_id":8,"symbol":"+CMD","name":"\tTAB","slug":"\rcr","price":2,
     "market_cap":null,"volume_24h":null,"percent_change_1h":null,"percent_change_24h":null,
     "percent_change_7d":null,"circulating_supply":null,"last_updated":null},
    {"rank":3,"cmc_id":9,"symbol":"OK","name":"a;b","slug":"ok","price":1,
     "market_cap":null,"volume_24h":null,"percent_change_1h":null,"percent_change_24h":null,
     "percent_change_7d":null,"circulating_supply":null,"last_updated":null}]})json");
  std::string csv = LatestCsv(latest);
  EXPECT_EQ(csv.substr(csv.find("\r\n") + 2),
            "1,7,'@SUM(1+1),\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'-2+3,-1.5,1e+20,,-0.25,3,"
            "0,12,2026-11-27T21:50:00.000Z\r\n"
            "2,8,'+CMD,'\tTAB,\"'\rcr\",2,,,,,,,\r\n"
            "3,9,OK,\"a;b\",ok,1,,,,,,,\r\n");
}

}  // namespace
}  // namespace coinlake::dashboard
