#include "pipeline/curated_tables.h"

#include "lake/keys.h"

namespace coinlake::pipeline {

using parquet::Type;

const parquet::Schema& QuotesSchema() {
  static const parquet::Schema schema = {
      {"snapshot_ts", Type::kTimestampMicros, false},
      {"cmc_id", Type::kInt64, false},
      {"symbol", Type::kString, false},
      {"name", Type::kString, false},
      {"slug", Type::kString, false},
      {"quote_currency", Type::kString, false},
      {"ts", Type::kTimestampMicros, false},
      {"cmc_rank", Type::kInt64},
      {"num_market_pairs", Type::kInt64},
      {"price", Type::kDouble},
      {"volume_24h", Type::kDouble},
      {"volume_change_24h", Type::kDouble},
      {"market_cap", Type::kDouble},
      {"market_cap_dominance", Type::kDouble},
      {"fully_diluted_market_cap", Type::kDouble},
      {"percent_change_1h", Type::kDouble},
      {"percent_change_24h", Type::kDouble},
      {"percent_change_7d", Type::kDouble},
      {"percent_change_30d", Type::kDouble},
      {"percent_change_60d", Type::kDouble},
      {"percent_change_90d", Type::kDouble},
      {"circulating_supply", Type::kDouble},
      {"total_supply", Type::kDouble},
      {"max_supply", Type::kDouble},
      {"date_added", Type::kTimestampMicros},
      {"lake_key", Type::kString, false},
  };
  return schema;
}

const parquet::Schema& GlobalMetricsSchema() {
  static const parquet::Schema schema = {
      {"snapshot_ts", Type::kTimestampMicros, false},
      {"ts", Type::kTimestampMicros, false},
      {"quote_currency", Type::kString, false},
      {"total_market_cap", Type::kDouble},
      {"total_volume_24h", Type::kDouble},
      {"btc_dominance", Type::kDouble},
      {"eth_dominance", Type::kDouble},
      {"active_cryptocurrencies", Type::kInt64},
      {"active_exchanges", Type::kInt64},
      {"active_market_pairs", Type::kInt64},
      {"defi_market_cap", Type::kDouble},
      {"stablecoin_market_cap", Type::kDouble},
      {"lake_key", Type::kString, false},
  };
  return schema;
}

const std::vector<CuratedTable>& CuratedTables() {
  static const std::vector<CuratedTable> tables = {
      {kQuotesTable,
       {lake::kListingsLatest, lake::kQuotesLatest, lake::kListingsHistorical},
       {lake::kQuotesHistorical},
       &QuotesSchema},
      {kGlobalMetricsTable,
       {lake::kGlobalMetricsLatest},
       {lake::kGlobalMetricsHistorical},
       &GlobalMetricsSchema},
  };
  return tables;
}

const CuratedTable* FindCuratedTable(std::string_view name) {
  for (const CuratedTable& t : CuratedTables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace coinlake::pipeline
