// The analytics tables `coinlake compact` writes (docs/lake.md, "The analytics layer"): each
// table's Parquet schema and the raw endpoints whose objects feed it.
//
// A table's day holds one row per row of every source object that lands on that day:
// - snapshot endpoints (listings, quotes, global metrics, and the listings of a past date):
//   the whole object lands on its key's day, every row with the snapshot's time;
// - point endpoints (the historical quotes and global metrics of `backfill`): a window of
//   points that may span many days; each row lands on the day of its own time, which is then
//   also its snapshot time.
#pragma once

#include <string_view>
#include <vector>

#include "parquet/writer.h"

namespace coinlake::pipeline {

struct CuratedTable {
  std::string_view name;  // "quotes": curated/quotes/dt=.../quotes_<date>_<sha12>.parquet
  std::vector<std::string_view> snapshot_endpoints;
  std::vector<std::string_view> point_endpoints;
  const parquet::Schema& (*schema)();
};

inline constexpr std::string_view kQuotesTable = "quotes";
inline constexpr std::string_view kGlobalMetricsTable = "global_metrics";

// quotes first.
const std::vector<CuratedTable>& CuratedTables();
// nullptr for a name that is not a table.
const CuratedTable* FindCuratedTable(std::string_view name);

// snapshot_ts, cmc_id, symbol, name, slug, quote_currency, ts, cmc_rank, num_market_pairs, the
// 15 numbers of QuotedNumbers() in order, date_added, lake_key.
const parquet::Schema& QuotesSchema();
// snapshot_ts, ts, quote_currency, total_market_cap, total_volume_24h, btc_dominance,
// eth_dominance, active_cryptocurrencies, active_exchanges, active_market_pairs,
// defi_market_cap, stablecoin_market_cap, lake_key.
const parquet::Schema& GlobalMetricsSchema();

}  // namespace coinlake::pipeline
