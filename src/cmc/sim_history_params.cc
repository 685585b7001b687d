#include "cmc/sim_history_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace coinlake::cmc::sim {
namespace {

using std::chrono::minutes;

int64_t MinuteOf(TimePoint t) {
  return std::chrono::floor<minutes>(t).time_since_epoch() / minutes(1);
}

TimePoint AtMinute(int64_t minute) { return TimePoint(minutes(minute)); }

int64_t FloorTo(int64_t minute, int64_t step) {
  int64_t k = minute / step - ((minute % step != 0) && (minute < 0));
  return k * step;
}

int64_t CeilTo(int64_t minute, int64_t step) { return -FloorTo(-minute, step); }

}  // namespace

StatusOr<TimePoint> ParseSimTime(std::string_view text) {
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && ptr == text.data() + text.size() && seconds < (int64_t{1} << 40)) {
      return TimePoint(std::chrono::seconds(seconds));
    }
  }
  if (text.size() == 10) return ParseIso8601(fmt::format("{}T00:00:00Z", text));
  return ParseIso8601(text);
}

std::optional<int64_t> IntervalMinutes(std::string_view text) {
  if (text == "hourly") return 60;
  if (text == "daily") return 1440;
  if (text == "weekly") return 7 * 1440;
  if (text == "monthly") return 30 * 1440;
  if (text == "yearly") return 365 * 1440;
  static constexpr std::string_view kMinutes[] = {"5m", "10m", "15m", "30m", "45m"};
  static constexpr std::string_view kHours[] = {"1h", "2h", "3h", "4h", "6h", "12h", "24h"};
  static constexpr std::string_view kDays[] = {"1d",  "2d",  "3d",  "7d",  "14d",
                                               "15d", "30d", "60d", "90d", "365d"};
  auto number = [&] {
    int64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size() - 1, n);
    return n;
  };
  if (std::find(std::begin(kMinutes), std::end(kMinutes), text) != std::end(kMinutes)) {
    return number();
  }
  if (std::find(std::begin(kHours), std::end(kHours), text) != std::end(kHours)) {
    return number() * 60;
  }
  if (std::find(std::begin(kDays), std::end(kDays), text) != std::end(kDays)) {
    return number() * 1440;
  }
  return std::nullopt;
}

std::vector<TimePoint> SampleTimes(const SampleRequest& request, TimePoint now) {
  const int64_t step = request.interval_minutes;
  const int64_t end = FloorTo(MinuteOf(std::min(request.time_end.value_or(now), now)), step);
  std::vector<TimePoint> times;
  if (request.time_start) {
    int64_t count = request.count.value_or(kMaxHistoricalCount);
    for (int64_t t = CeilTo(MinuteOf(*request.time_start) +
                                (*request.time_start > AtMinute(MinuteOf(*request.time_start))),
                            step);
         t <= end && static_cast<int64_t>(times.size()) < count; t += step) {
      times.push_back(AtMinute(t));
    }
    return times;
  }
  int64_t count = request.count.value_or(10);
  for (int64_t i = count - 1; i >= 0; --i) times.push_back(AtMinute(end - i * step));
  return times;
}

std::vector<TimePoint> BarOpenings(const SampleRequest& request, int64_t period_minutes,
                                   TimePoint now) {
  const int64_t period = period_minutes;
  const int64_t step = std::max(period, CeilTo(request.interval_minutes, period));
  const int64_t now_minute = MinuteOf(now);
  // The period containing time_end, on the interval's grid.
  const int64_t last = FloorTo(MinuteOf(request.time_end.value_or(now)), step);
  std::vector<int64_t> opens;
  if (request.time_start) {
    int64_t count = request.count.value_or(kMaxHistoricalCount);
    int64_t first = CeilTo(FloorTo(MinuteOf(*request.time_start), period) + period, step);
    for (int64_t b = first; b <= last && static_cast<int64_t>(opens.size()) < count; b += step) {
      opens.push_back(b);
    }
  } else {
    int64_t count = request.count.value_or(10);
    for (int64_t i = count - 1; i >= 0; --i) opens.push_back(last - i * step);
  }
  std::vector<TimePoint> bars;
  for (int64_t b : opens) {
    if (b + period <= now_minute) bars.push_back(AtMinute(b));
  }
  return bars;
}

}  // namespace coinlake::cmc::sim
