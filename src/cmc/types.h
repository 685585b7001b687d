// Typed rows that CoinMarketCap payloads yield. Every numeric field is optional: CMC sends null
// for many of them, and older or newer payloads leave some out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace coinlake::cmc {

// The `status` envelope every CMC response carries.
struct ResponseStatus {
  TimePoint timestamp{};               // server time of the response: the lake key's data time
  int64_t error_code = 0;              // 0 on success; CMC sends a number (v1/v2) or a string (v3+)
  std::string error_message;           // empty when null
  int64_t credit_count = 0;            // credits this call cost
  std::optional<int64_t> total_count;  // listings: number of active coins, for paging
};

// One coin quoted in one currency at one time: a row of the `quotes` table.
struct QuoteRow {
  int64_t cmc_id = 0;
  std::string symbol;
  std::string name;
  std::string slug;
  std::string quote_currency;  // "USD"
  TimePoint ts{};              // the quote's own last_updated
  std::optional<int64_t> cmc_rank;
  std::optional<int64_t> num_market_pairs;
  std::optional<double> price;
  std::optional<double> volume_24h;
  std::optional<double> volume_change_24h;
  std::optional<double> market_cap;
  std::optional<double> market_cap_dominance;
  std::optional<double> fully_diluted_market_cap;
  std::optional<double> percent_change_1h;
  std::optional<double> percent_change_24h;
  std::optional<double> percent_change_7d;
  std::optional<double> percent_change_30d;
  std::optional<double> percent_change_60d;
  std::optional<double> percent_change_90d;
  std::optional<double> circulating_supply;
  std::optional<double> total_supply;
  std::optional<double> max_supply;
  std::optional<TimePoint> date_added;
};

// A parsed listings or quotes response.
struct QuotesPayload {
  ResponseStatus status;
  std::vector<QuoteRow> rows;
};

}  // namespace coinlake::cmc
