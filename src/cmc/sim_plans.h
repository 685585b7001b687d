// CoinMarketCap's API plans as `coinlake sim --plan` enforces them: credits a month and a day,
// calls a minute, which endpoints each plan may call, and how far back its historical endpoints
// reach.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::cmc::sim {

enum class Plan { kBasic, kHobbyist, kStartup, kStandard, kProfessional, kEnterprise };

struct PlanFigures {
  std::string_view name;  // as given to --plan
  int64_t credits_per_month;
  int64_t credits_per_day;  // a thirtieth of the month, rounded up, as CMC's key info states it
  int64_t calls_per_minute;
  // Months of history the historical endpoints reach back; nullopt: since CMC's first data
  // (2013-04-28). Ignored for a plan without historical access.
  std::optional<int> history_months;
  bool historical_access;  // basic: none (403/1006)
};

// The plan `coinlake sim` enforces without --plan: enterprise, the plan no test or demo load
// reaches and which offers every endpoint and all history.
inline constexpr Plan kDefaultPlan = Plan::kEnterprise;

// "basic", "hobbyist", "startup", "standard", "professional" or "enterprise".
StatusOr<Plan> ParsePlan(std::string_view name);
const PlanFigures& Figures(Plan plan);
std::vector<std::string_view> PlanNames();

// True when the plan may call the endpoint at `path`. Basic lacks the historical endpoints,
// OHLCV and market pairs (CMC answers 403 with error code 1006).
bool PlanCovers(Plan plan, std::string_view path);

// The earliest time the plan lets the historical endpoint at `path` answer for, as of `now`:
// now minus the plan's window, or CMC's first data for the plans with all history.
// PERMISSION_DENIED when the plan does not cover the endpoint (answer 403/1006).
StatusOr<TimePoint> HistoricalWindowStart(Plan plan, std::string_view path, TimePoint now);

// What the historical endpoints enforce: the earliest time a request may reach, and what CMC
// tells one that reaches further (HTTP 400). A plan with all history, or without the endpoint
// (refused before this is asked), limits nothing.
struct HistoricalWindow {
  TimePoint earliest = TimePoint::min();
  std::string refusal;  // "Your plan allows 12 months of historical access."
};
HistoricalWindow PlanWindow(Plan plan, std::string_view path, TimePoint now);

}  // namespace coinlake::cmc::sim
