#include "cmc/sim_plans.h"

#include <fmt/format.h>

#include <array>
#include <chrono>

namespace coinlake::cmc::sim {
namespace {

// CMC's plans: credits a month, calls a minute and historical depth (docs/cmc.md, "Plans",
// says where the figures come from). Basic's 15,000 credits and 50 calls a minute are what a
// real free key's /v1/key/info said (tests/fixtures/cmc/key_info_v1_*.json).
constexpr std::array<PlanFigures, 6> kPlans = {{
    {"basic", 15'000, 500, 50, 0, false},
    {"hobbyist", 110'000, 3'667, 30, 12, true},
    {"startup", 300'000, 10'000, 30, 24, true},
    {"standard", 1'200'000, 40'000, 60, 60, true},
    {"professional", 3'000'000, 100'000, 90, std::nullopt, true},
    {"enterprise", 30'000'000, 1'000'000, 120, std::nullopt, true},
}};

// The first day CMC has data for.
constexpr std::chrono::sys_days kFirstData =
    std::chrono::year{2013} / std::chrono::April / std::chrono::day{28};

bool NeedsPaidPlan(std::string_view path) {
  return path.find("/historical") != std::string_view::npos ||
         path.find("/ohlcv/") != std::string_view::npos ||
         path.find("/market-pairs/") != std::string_view::npos;
}

}  // namespace

StatusOr<Plan> ParsePlan(std::string_view name) {
  for (size_t i = 0; i < kPlans.size(); ++i) {
    if (kPlans[i].name == name) return static_cast<Plan>(i);
  }
  return InvalidArgumentError(fmt::format(
      "unknown plan '{}' (basic, hobbyist, startup, standard, professional, enterprise)", name));
}

const PlanFigures& Figures(Plan plan) { return kPlans[static_cast<size_t>(plan)]; }

std::vector<std::string_view> PlanNames() {
  std::vector<std::string_view> names;
  for (const PlanFigures& p : kPlans) names.push_back(p.name);
  return names;
}

bool PlanCovers(Plan plan, std::string_view path) {
  return Figures(plan).historical_access || !NeedsPaidPlan(path);
}

StatusOr<TimePoint> HistoricalWindowStart(Plan plan, std::string_view path, TimePoint now) {
  const PlanFigures& figures = Figures(plan);
  if (!PlanCovers(plan, path)) {
    return PermissionDeniedError(fmt::format("the {} plan does not cover {}", figures.name, path));
  }
  TimePoint first = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(kFirstData));
  if (!figures.history_months) return first;
  auto day = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day ymd{day};
  std::chrono::year_month_day back = ymd - std::chrono::months(*figures.history_months);
  if (!back.ok()) back = back.year() / back.month() / std::chrono::last;
  TimePoint start = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_days(back) + (now - day));
  return std::max(start, first);
}

HistoricalWindow PlanWindow(Plan plan, std::string_view path, TimePoint now) {
  HistoricalWindow window;
  const std::optional<int>& months = Figures(plan).history_months;
  StatusOr<TimePoint> start = HistoricalWindowStart(plan, path, now);
  if (months && start.ok()) {
    window.earliest = *start;
    window.refusal = fmt::format("Your plan allows {} months of historical access.", *months);
  }
  return window;
}

}  // namespace coinlake::cmc::sim
