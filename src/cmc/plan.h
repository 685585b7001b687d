// `coinlake plan`: what the current configuration costs per month, in CMC credits, calls,
// lake growth and AWS money, endpoint by endpoint. Pure arithmetic, so it is tested exactly.
// The credit rules of each endpoint live here too: the fetch cycle asks the credit governor
// for the same figures before each call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace coinlake::cmc {

// CMC's credit rules (docs/coinmarketcap-api.md §6); `convert_count` >= 1.
// listings/latest: 1 per 200 coins (rounded up, at least 1), +1 per extra convert currency.
int64_t ListingsCredits(int coins, int convert_count);
// quotes/latest: 1 per 100 coins (rounded up, at least 1), +1 per extra convert currency.
int64_t QuotesCredits(int coins, int convert_count);
// global-metrics/quotes/latest: 1, +1 per extra convert currency.
int64_t GlobalMetricsCredits(int convert_count);
// quotes/historical, ohlcv/historical, global-metrics/quotes/historical: 1 per 100 data points
// returned (all coins of the call together; rounded up, at least 1), +1 per extra convert.
// listings/historical: 1 per 100 coins, the same way.
int64_t HistoricalCredits(int64_t points, int convert_count);
// key/info and map cost nothing (they still count toward the minute rate limit).

// One configured endpoint: a call every `interval`.
struct PlanCall {
  std::string endpoint;  // lake name, e.g. listings_latest
  std::chrono::seconds interval{300};
  int64_t credits_per_call = 0;
  double stored_bytes_per_call = 0;  // gzip'd body and its .meta.json
  std::string detail;                // "top 100, USD", for the table
};

struct PlanInput {
  std::vector<PlanCall> calls;
  int64_t credits_per_month = 15'000;  // the CMC plan
  std::string credits_source = "default (free plan)";
};

struct PlanLine {
  double calls_per_month = 0;
  double credits_per_month = 0;
  double lake_bytes_per_month = 0;
};

struct PlanEstimate {
  std::vector<PlanLine> lines;  // follows input.calls
  double calls_per_month = 0;
  double credits_per_month = 0;
  double lake_bytes_per_month = 0;
  double s3_put_requests_per_month = 0;
  double s3_storage_usd_first_month = 0;  // the lake after one month, stored one month
  double s3_storage_usd_after_year = 0;   // the monthly bill once a year of data is stored
  double s3_requests_usd_per_month = 0;
  bool exceeds_plan = false;
};

PlanEstimate EstimatePlan(const PlanInput& input);

// The estimate as a human-readable table: one line per endpoint, then the totals.
std::string FormatPlan(const PlanInput& input, const PlanEstimate& estimate);

}  // namespace coinlake::cmc
