#include "pipeline/test_lake.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "lake/file_object_store.h"
#include "lake/keys.h"

namespace coinlake::pipeline::testing {

void MakeLake(const std::string& root, int copies, const std::set<int>& skip, const char* start) {
  auto store = lake::FileObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  auto base = nlohmann::json::parse(
      coinlake::testing::ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json"));
  const TimePoint first = *ParseIso8601(start);
  for (int s = 0; s < kSnapshots; ++s) {
    if (skip.count(s)) continue;
    TimePoint now = first + std::chrono::minutes(5 * s);
    std::string updated = FormatIso8601(now - std::chrono::minutes(1));
    nlohmann::json body = base;
    body["status"]["timestamp"] = FormatIso8601(now);
    body["data"] = nlohmann::json::array();
    for (int c = 0; c < copies; ++c) {
      for (nlohmann::json coin : base["data"]) {
        coin["id"] = coin["id"].get<int64_t>() + 1'000'000 * c;
        coin["last_updated"] = updated;
        for (auto& [currency, quote] : coin["quote"].items()) {
          quote["last_updated"] = updated;
          if (quote["price"].is_number()) {
            quote["price"] = quote["price"].get<double>() * (1 + 0.001 * ((s * 7 + c) % 11));
          }
        }
        body["data"].push_back(coin);
      }
    }
    auto gz = GzipCompress(body.dump());
    ASSERT_TRUE(gz.ok());
    ASSERT_TRUE((*store)->Put(lake::RawBodyKey(lake::kListingsLatest, now), *gz).ok());
  }
}

std::string TablesChecksum(const coinlake::testing::TestDatabase& db) {
  std::string out;
  // A quote names its lake object by the ledger's id, which each database numbers in the order
  // it loaded them: quotes are compared with their object's key in its place.
  const char* quotes =
      "(SELECT to_jsonb(q) - 'lake_object_id' || jsonb_build_object('lake_key', l.key) AS t "
      "FROM quotes q LEFT JOIN lake_objects l ON l.id = q.lake_object_id) s";
  for (const char* source :
       {quotes, "assets t", "asset_names t", "candles_hourly t", "candles_daily t"}) {
    out += db.Scalar(std::string("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' "
                                 "ORDER BY t::text)), '') FROM ") +
                     source) +
           "\n";
  }
  out += db.Scalar(
      "SELECT count(*) || ':' || coalesce(md5(string_agg(concat_ws(',', key, sha256, size, "
      "endpoint, data_ts, rows, carried_ids), '|' ORDER BY key)), '') FROM lake_objects");
  return out;
}

}  // namespace coinlake::pipeline::testing
