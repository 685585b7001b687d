// Paces CoinMarketCap calls so the plan's credits last the whole month, and calls stay under
// the per-minute rate limit.
//
// Pure logic with an injected clock (every method takes `now`), so tests drive a month in
// microseconds. The plan comes from /v1/key/info (free of credits); spending is counted from
// each response's status.credit_count, the only figure that matches CMC's own dashboard.
//
// Pacing rule: by time t in the month the governor allows at most
//   min(limit, limit * (elapsed(t) + burst) / month_length)
// credits in all (used before the governor started included). Spending can run ahead of an even
// pace by `burst` worth of credits, never beyond the monthly limit, so the plan cannot run dry
// before the reset however often the caller asks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "cmc/types.h"
#include "common/time_util.h"

namespace coinlake::cmc {

struct CreditPlan {
  int64_t credits_per_month = 15'000;  // CMC's free (Basic) plan, when key info is unavailable
  std::optional<int64_t> credits_per_day;
  int64_t calls_per_minute = 30;
  std::optional<TimePoint> month_reset;  // next reset; default: the 1st of next month, UTC
};

// The plan key/info describes, with defaults for what it leaves out.
CreditPlan PlanFromKeyInfo(const KeyInfo& info);

struct Admission {
  bool allowed = false;
  TimePoint not_before{};  // when !allowed: the earliest time the call fits
  std::string reason;      // when !allowed: which budget is short
};

class CreditGovernor {
 public:
  // `burst`: how far ahead of an even pace spending may run (a day by default).
  explicit CreditGovernor(CreditPlan plan,
                          std::chrono::milliseconds burst = std::chrono::hours(24));

  // Replaces the plan and the month's spending with what /v1/key/info says.
  void Update(const KeyInfo& info, TimePoint now);

  // May a call costing `credits` start at `now`?
  Admission Admit(int64_t credits, TimePoint now);

  // Records a call made at `now` that CMC charged `credits` for (status.credit_count).
  void Record(int64_t credits, TimePoint now);

  int64_t month_used() const { return month_used_; }
  int64_t day_used() const { return day_used_; }
  const CreditPlan& plan() const { return plan_; }

 private:
  void Roll(TimePoint now);  // starts a new day or month when `now` crossed into it
  TimePoint MonthStart(TimePoint now) const;
  TimePoint MonthEnd(TimePoint now) const;
  int64_t Allowance(TimePoint t) const;

  CreditPlan plan_;
  std::chrono::milliseconds burst_;
  int64_t month_used_ = 0;
  int64_t day_used_ = 0;
  TimePoint month_end_{};  // the reset this month's spending runs up to
  TimePoint day_end_{};
  std::deque<TimePoint> recent_calls_;  // calls in the last minute
};

}  // namespace coinlake::cmc
