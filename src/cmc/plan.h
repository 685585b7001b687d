// `coinlake plan`: what the current configuration costs per month, in CMC credits, calls,
// lake growth and AWS money. Pure arithmetic, so it is tested exactly.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace coinlake::cmc {

struct PlanInput {
  int listings_limit = 100;            // coins per listings call
  int convert_count = 1;               // currencies in --convert
  std::chrono::seconds interval{300};  // time between cycles
  int64_t credits_per_month = 15'000;  // the CMC plan
  std::string credits_source = "default (free plan)";
};

struct PlanEstimate {
  double calls_per_month = 0;
  int64_t credits_per_call = 0;
  double credits_per_month = 0;
  double lake_bytes_per_month = 0;  // gzip'd bodies and their .meta.json
  double s3_put_requests_per_month = 0;
  double s3_storage_usd_first_month = 0;  // the lake after one month, stored one month
  double s3_storage_usd_after_year = 0;   // the monthly bill once a year of data is stored
  double s3_requests_usd_per_month = 0;
  bool exceeds_plan = false;
};

// CMC: listings cost 1 credit per 200 coins (rounded up), +1 per extra convert currency.
PlanEstimate EstimatePlan(const PlanInput& input);

// The estimate as a human-readable table, one figure per line.
std::string FormatPlan(const PlanInput& input, const PlanEstimate& estimate);

}  // namespace coinlake::cmc
