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

// One bar of /v1 or /v2 cryptocurrency/ohlcv/historical: CMC's own OHLC of one coin over one
// period (hour or day), in one currency: a row of `candles_hourly`/`candles_daily` marked 'cmc'.
struct OhlcvRow {
  int64_t cmc_id = 0;
  std::string symbol;
  std::string name;
  std::string slug;
  std::string quote_currency;
  TimePoint time_open{};   // the bar's period: [time_open, time_close]
  TimePoint time_close{};  // CMC sends the period's last millisecond (…:59:59.999Z)
  std::optional<double> open;
  std::optional<double> high;
  std::optional<double> low;
  std::optional<double> close;
  std::optional<double> volume;
  std::optional<double> market_cap;
};

struct OhlcvPayload {
  ResponseStatus status;
  std::vector<OhlcvRow> rows;
};

// Whole-market figures in one currency: a row of the `global_metrics` table.
struct GlobalMetricsRow {
  TimePoint ts{};  // quote.<CUR>.last_updated, else data.last_updated; historical: the point's
                   // timestamp, else its quote's
  std::string quote_currency;  // "USD"
  std::optional<double> total_market_cap;
  std::optional<double> total_volume_24h;
  std::optional<double> btc_dominance;
  std::optional<double> eth_dominance;
  std::optional<int64_t> active_cryptocurrencies;
  std::optional<int64_t> active_exchanges;
  std::optional<int64_t> active_market_pairs;
  std::optional<double> defi_market_cap;        // in quote_currency
  std::optional<double> stablecoin_market_cap;  // in quote_currency
};

struct GlobalMetricsPayload {
  ResponseStatus status;
  std::vector<GlobalMetricsRow> rows;  // one per quote currency
};

// /v1/key/info: the plan and what is used of it. Fields CMC stopped sending stay empty.
struct KeyInfo {
  ResponseStatus status;
  std::optional<int64_t> credit_limit_monthly;
  std::optional<TimePoint> credit_limit_monthly_reset;  // credit_limit_monthly_reset_timestamp
  std::optional<int64_t> credit_limit_daily;
  std::optional<TimePoint> credit_limit_daily_reset;
  std::optional<int64_t> rate_limit_minute;
  std::optional<int64_t> minute_requests_made;
  std::optional<int64_t> minute_requests_left;
  std::optional<int64_t> day_credits_used;
  std::optional<int64_t> day_credits_left;
  std::optional<int64_t> month_credits_used;
  std::optional<int64_t> month_credits_left;
};

// One entry of /v1/cryptocurrency/map. platform_id there is a *platform* id, not a coin id.
struct MapRow {
  int64_t cmc_id = 0;
  std::optional<int64_t> rank;  // null for inactive coins
  std::string name;
  std::string symbol;
  std::string slug;
  std::optional<int64_t> is_active;
  std::optional<TimePoint> first_historical_data;  // absent for inactive coins
  std::optional<TimePoint> last_historical_data;
  bool has_platform = false;
  std::optional<int64_t> platform_id;
  std::string platform_name;
  std::string platform_symbol;
  std::string platform_slug;
  std::string token_address;
};

struct MapPayload {
  ResponseStatus status;
  std::vector<MapRow> rows;
};

}  // namespace coinlake::cmc
