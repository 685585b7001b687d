#include "cmc/plan.h"

#include <fmt/format.h>

namespace coinlake::cmc {
namespace {

// An average month (365.25 / 12 days).
constexpr double kSecondsPerMonth = 365.25 / 12 * 86'400;
// Measured on sim listings payloads (bench/parse.sh): about 180 bytes a coin once gzip'd, plus
// the .meta.json beside every body. Real CMC coins carry a few more fields; round up.
constexpr double kGzipBytesPerCoin = 200;
constexpr double kMetaBytes = 450;
// S3 Standard, us-east-1: storage per GB-month and PUT requests per 1,000.
constexpr double kS3UsdPerGbMonth = 0.023;
constexpr double kS3UsdPerThousandPuts = 0.005;

}  // namespace

PlanEstimate EstimatePlan(const PlanInput& in) {
  PlanEstimate e;
  e.calls_per_month = kSecondsPerMonth / static_cast<double>(in.interval.count());
  e.credits_per_call = (in.listings_limit + 199) / 200 + std::max(in.convert_count - 1, 0);
  e.credits_per_month = e.calls_per_month * static_cast<double>(e.credits_per_call);
  double bytes_per_call =
      kGzipBytesPerCoin * in.listings_limit * std::max(in.convert_count, 1) + kMetaBytes;
  e.lake_bytes_per_month = e.calls_per_month * bytes_per_call;
  e.s3_put_requests_per_month = e.calls_per_month * 2;  // body + meta
  double gb_per_month = e.lake_bytes_per_month / 1e9;
  e.s3_storage_usd_first_month = gb_per_month * kS3UsdPerGbMonth;
  e.s3_storage_usd_after_year = gb_per_month * 12 * kS3UsdPerGbMonth;
  e.s3_requests_usd_per_month = e.s3_put_requests_per_month / 1000 * kS3UsdPerThousandPuts;
  e.exceeds_plan = e.credits_per_month > static_cast<double>(in.credits_per_month);
  return e;
}

std::string FormatPlan(const PlanInput& in, const PlanEstimate& e) {
  std::string out;
  out += fmt::format("configuration       --limit {} every {} s, {} convert currenc{}\n",
                     in.listings_limit, in.interval.count(), in.convert_count,
                     in.convert_count == 1 ? "y" : "ies");
  out += fmt::format("calls / month       {:.0f}\n", e.calls_per_month);
  out += fmt::format("credits / call      {}\n", e.credits_per_call);
  out += fmt::format("credits / month     {:.0f} of {} ({:.0f}%; plan: {})\n", e.credits_per_month,
                     in.credits_per_month,
                     e.credits_per_month / static_cast<double>(in.credits_per_month) * 100,
                     in.credits_source);
  out += fmt::format("lake growth / month {:.1f} MB\n", e.lake_bytes_per_month / 1e6);
  out += fmt::format("S3 storage          ${:.4f} / month after one month, ${:.4f} after a year\n",
                     e.s3_storage_usd_first_month, e.s3_storage_usd_after_year);
  out += fmt::format("S3 PUT requests     {:.0f} / month, ${:.4f}\n", e.s3_put_requests_per_month,
                     e.s3_requests_usd_per_month);
  return out;
}

}  // namespace coinlake::cmc
