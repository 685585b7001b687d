#include "cmc/credit_governor.h"

#include <fmt/format.h>

#include <algorithm>

#include "cmc/classify.h"

namespace coinlake::cmc {

using std::chrono::milliseconds;

CreditPlan PlanFromKeyInfo(const KeyInfo& info) {
  CreditPlan plan;
  if (info.credit_limit_monthly) plan.credits_per_month = *info.credit_limit_monthly;
  plan.credits_per_day = info.credit_limit_daily;
  if (info.rate_limit_minute) plan.calls_per_minute = *info.rate_limit_minute;
  plan.month_reset = info.credit_limit_monthly_reset;
  return plan;
}

CreditGovernor::CreditGovernor(CreditPlan plan, milliseconds burst)
    : plan_(std::move(plan)), burst_(burst) {}

void CreditGovernor::Update(const KeyInfo& info, TimePoint now) {
  plan_ = PlanFromKeyInfo(info);
  month_end_ = TimePoint{};
  Roll(now);
  if (info.month_credits_used) month_used_ = *info.month_credits_used;
  if (info.day_credits_used) day_used_ = *info.day_credits_used;
}

TimePoint CreditGovernor::MonthEnd(TimePoint now) const {
  if (plan_.month_reset && *plan_.month_reset > now) return *plan_.month_reset;
  return NextUtcMonthStart(now);
}

TimePoint CreditGovernor::MonthStart(TimePoint now) const {
  // The period before a reset is one calendar month long.
  std::chrono::year_month_day end{std::chrono::floor<std::chrono::days>(MonthEnd(now))};
  auto start = std::chrono::sys_days(end - std::chrono::months(1));
  auto time_of_day = MonthEnd(now) - std::chrono::floor<std::chrono::days>(MonthEnd(now));
  return std::chrono::time_point_cast<milliseconds>(start + time_of_day);
}

void CreditGovernor::Roll(TimePoint now) {
  if (month_end_ == TimePoint{}) {
    month_end_ = MonthEnd(now);
  } else if (now >= month_end_) {
    month_used_ = 0;
    plan_.month_reset.reset();
    month_end_ = MonthEnd(now);
  }
  if (now >= day_end_) {
    if (day_end_ != TimePoint{}) day_used_ = 0;
    day_end_ = NextUtcMidnight(now);
  }
  while (!recent_calls_.empty() && now - recent_calls_.front() >= std::chrono::minutes(1)) {
    recent_calls_.pop_front();
  }
}

int64_t CreditGovernor::Allowance(TimePoint t) const {
  TimePoint start = MonthStart(t);
  double length = static_cast<double>((month_end_ - start).count());
  double elapsed = static_cast<double>((t - start + burst_).count());
  double share = std::clamp(elapsed / length, 0.0, 1.0);
  return static_cast<int64_t>(static_cast<double>(plan_.credits_per_month) * share);
}

Admission CreditGovernor::Admit(int64_t credits, TimePoint now) {
  Roll(now);
  if (!recent_calls_.empty() &&
      static_cast<int64_t>(recent_calls_.size()) >= plan_.calls_per_minute) {
    return {false, recent_calls_.front() + std::chrono::minutes(1),
            fmt::format("rate limit: {} calls a minute", plan_.calls_per_minute)};
  }
  if (month_used_ + credits > plan_.credits_per_month) {
    return {false, month_end_,
            fmt::format("monthly credits: {} of {} used", month_used_, plan_.credits_per_month)};
  }
  if (plan_.credits_per_day && day_used_ + credits > *plan_.credits_per_day) {
    return {false, day_end_,
            fmt::format("daily credits: {} of {} used", day_used_, *plan_.credits_per_day)};
  }
  if (month_used_ + credits > Allowance(now)) {
    // The allowance grows linearly: find when it covers this call.
    TimePoint start = MonthStart(now);
    double length = static_cast<double>((month_end_ - start).count());
    double needed = static_cast<double>(month_used_ + credits) /
                    static_cast<double>(plan_.credits_per_month) * length;
    TimePoint when = start + milliseconds(static_cast<int64_t>(needed) + 1) - burst_;
    return {false, std::max(when, now),
            fmt::format("pacing: {} of {} credits used this month, ahead of an even pace",
                        month_used_, plan_.credits_per_month)};
  }
  return {true, now, ""};
}

void CreditGovernor::Record(int64_t credits, TimePoint now) {
  Roll(now);
  month_used_ += credits;
  day_used_ += credits;
  recent_calls_.push_back(now);
}

}  // namespace coinlake::cmc
