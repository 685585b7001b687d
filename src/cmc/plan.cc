#include "cmc/plan.h"

#include <fmt/format.h>

#include <algorithm>

namespace coinlake::cmc {
namespace {

// An average month (365.25 / 12 days).
constexpr double kSecondsPerMonth = 365.25 / 12 * 86'400;
// S3 Standard, us-east-1: storage per GB-month and PUT requests per 1,000.
constexpr double kS3UsdPerGbMonth = 0.023;
constexpr double kS3UsdPerThousandPuts = 0.005;

int64_t Extra(int convert_count) { return std::max(convert_count - 1, 0); }

}  // namespace

int64_t ListingsCredits(int coins, int convert_count) {
  return std::max((coins + 199) / 200, 1) + Extra(convert_count);
}

int64_t QuotesCredits(int coins, int convert_count) {
  return std::max((coins + 99) / 100, 1) + Extra(convert_count);
}

int64_t HistoricalCredits(int64_t points, int convert_count) {
  return std::max<int64_t>((points + 99) / 100, 1) + Extra(convert_count);
}

int64_t GlobalMetricsCredits(int convert_count) { return 1 + Extra(convert_count); }

PlanEstimate EstimatePlan(const PlanInput& in) {
  PlanEstimate e;
  for (const PlanCall& call : in.calls) {
    PlanLine line;
    if (call.interval.count() > 0) {
      line.calls_per_month = kSecondsPerMonth / static_cast<double>(call.interval.count());
    }
    line.credits_per_month = line.calls_per_month * static_cast<double>(call.credits_per_call);
    line.lake_bytes_per_month = line.calls_per_month * call.stored_bytes_per_call;
    e.calls_per_month += line.calls_per_month;
    e.credits_per_month += line.credits_per_month;
    e.lake_bytes_per_month += line.lake_bytes_per_month;
    e.lines.push_back(line);
  }
  e.s3_put_requests_per_month = e.calls_per_month * 2;  // body + meta
  double gb_per_month = e.lake_bytes_per_month / 1e9;
  e.s3_storage_usd_first_month = gb_per_month * kS3UsdPerGbMonth;
  e.s3_storage_usd_after_year = gb_per_month * 12 * kS3UsdPerGbMonth;
  e.s3_requests_usd_per_month = e.s3_put_requests_per_month / 1000 * kS3UsdPerThousandPuts;
  e.exceeds_plan = e.credits_per_month > static_cast<double>(in.credits_per_month);
  return e;
}

std::string FormatPlan(const PlanInput& in, const PlanEstimate& e) {
  std::string out = fmt::format("{:<22} {:>9} {:>7} {:>8} {:>10}  {}\n", "endpoint", "every",
                                "credits", "calls/mo", "credits/mo", "what");
  for (size_t i = 0; i < in.calls.size(); ++i) {
    const PlanCall& c = in.calls[i];
    out += fmt::format("{:<22} {:>8}s {:>7} {:>8.0f} {:>10.0f}  {}\n", c.endpoint,
                       c.interval.count(), c.credits_per_call, e.lines[i].calls_per_month,
                       e.lines[i].credits_per_month, c.detail);
  }
  out += fmt::format("calls / month       {:.0f}\n", e.calls_per_month);
  out += fmt::format("credits / month     {:.0f} of {} ({:.0f}%; plan: {})\n", e.credits_per_month,
                     in.credits_per_month,
                     e.credits_per_month / static_cast<double>(in.credits_per_month) * 100,
                     in.credits_source);
  out += fmt::format("lake growth / month {:.1f} MB\n", e.lake_bytes_per_month / 1e6);
  out += fmt::format(
      "S3 storage          ${:.4f} / month after one month, ${:.4f} / month after a year\n",
      e.s3_storage_usd_first_month, e.s3_storage_usd_after_year);
  out += fmt::format("S3 PUT requests     {:.0f} / month, ${:.4f}\n", e.s3_put_requests_per_month,
                     e.s3_requests_usd_per_month);
  return out;
}

}  // namespace coinlake::cmc
