#include "pipeline/backfill_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "cmc/plan.h"
#include "common/bytes.h"
#include "lake/keys.h"

namespace coinlake::pipeline {
namespace {

using std::chrono::minutes;

int ConvertCount(std::string_view convert) {
  return 1 + static_cast<int>(std::count(convert.begin(), convert.end(), ','));
}

std::string_view FirstCurrency(std::string_view convert) {
  return convert.substr(0, convert.find(','));
}

// CMC's name of an interval, as the request and the key carry it.
std::string IntervalName(int64_t interval_minutes) {
  if (interval_minutes % 1440 == 0) return fmt::format("{}d", interval_minutes / 1440);
  if (interval_minutes % 60 == 0) return fmt::format("{}h", interval_minutes / 60);
  return fmt::format("{}m", interval_minutes);
}

TimePoint AlignDown(TimePoint t, int64_t interval_minutes) {
  auto since_epoch = std::chrono::duration_cast<minutes>(t.time_since_epoch()).count();
  return TimePoint(minutes(since_epoch - since_epoch % interval_minutes));
}

// "1h-10c-0123456789ab": readable where it can be, and a digest of the whole request, so two
// different requests never share a key and the same request always makes the same one.
std::string Digest(const EndpointRequest& request, std::string_view readable) {
  std::string canonical = request.path;
  for (const auto& [name, value] : request.params) {
    canonical += fmt::format("&{}={}", name, value);
  }
  return fmt::format("{}-{}", readable, Sha256Hex(canonical).substr(0, 12));
}

std::string Iso(TimePoint t) { return FormatIso8601(t); }

// CMC reads time_end inclusively; a window is half-open, so it ends a second before `end`.
std::string LastSecond(TimePoint end) { return Iso(end - std::chrono::seconds(1)); }

BackfillCall MakeCall(std::string_view endpoint_name, TimePoint start, TimePoint end,
                      std::vector<int64_t> ids, int64_t points_per_coin, int64_t interval_minutes,
                      std::string_view convert) {
  BackfillCall call;
  call.endpoint = FindEndpoint(endpoint_name);
  call.window_start = start;
  call.window_end = end;
  call.ids = std::move(ids);
  const int64_t coins = std::max<int64_t>(1, static_cast<int64_t>(call.ids.size()));
  call.points = points_per_coin * coins;
  call.credits = cmc::HistoricalCredits(call.points, ConvertCount(convert));
  auto& params = call.request.params;
  call.request.path = std::string(call.endpoint->path);
  if (!call.ids.empty()) params["id"] = fmt::format("{}", fmt::join(call.ids, ","));
  params["count"] = std::to_string(points_per_coin);
  params["convert"] = std::string(convert);
  params["time_end"] = LastSecond(end);
  if (endpoint_name == lake::kOhlcvHistorical) {
    // Bars open after time_start's period: a second before the window names the one before it.
    const char* period = interval_minutes == 1440 ? "daily" : "hourly";
    params["time_period"] = period;
    params["interval"] = period;
    params["time_start"] = LastSecond(start);
  } else {
    params["interval"] = IntervalName(interval_minutes);
    params["time_start"] = Iso(start);
  }
  std::string readable = call.ids.empty()
                             ? IntervalName(interval_minutes)
                             : fmt::format("{}-{}c", IntervalName(interval_minutes), coins);
  call.digest = Digest(call.request, readable);
  return call;
}

// How many coins one call of a window with `points` points per coin carries: a multiple of
// 100 / gcd(points, 100) when that fits (its points are then whole hundreds: no credit paid for
// a rounded-up part), else as many as fit.
size_t CoinsPerCall(int64_t points) {
  const int64_t whole = 100 / std::gcd(points, int64_t{100});
  int64_t coins = whole * points <= kMaxPointsPerCall
                      ? whole * (kMaxPointsPerCall / (whole * points))
                      : std::max<int64_t>(1, kMaxPointsPerCall / points);
  return std::min(static_cast<size_t>(coins), kMaxIdsPerCall);
}

}  // namespace

std::string BackfillCall::key() const {
  return lake::RawBodyKey(endpoint->name, window_start, digest);
}

StatusOr<int64_t> BackfillIntervalMinutes(std::string_view text) {
  if (text == "5m") return 5;
  if (text == "1h") return 60;
  if (text == "1d") return 1440;
  return InvalidArgumentError(
      fmt::format("--interval '{}': a backfill takes 5m, 1h or 1d (CMC's intervals)", text));
}

StatusOr<std::vector<BackfillCall>> PlanBackfill(const BackfillSpec& spec) {
  const int64_t step = spec.interval_minutes;
  if (step != 5 && step != 60 && step != 1440) {
    return InvalidArgumentError("the interval must be 5, 60 or 1440 minutes");
  }
  const TimePoint from = AlignDown(spec.from, step);
  const TimePoint to = AlignDown(spec.to, step);
  const int64_t total = std::chrono::duration_cast<minutes>(to - from).count() / step;
  if (total <= 0) {
    return InvalidArgumentError(fmt::format("the window {} .. {} holds no {} point", Iso(spec.from),
                                            Iso(spec.to), IntervalName(step)));
  }
  if ((spec.quotes || spec.ohlcv) && spec.ids.empty()) {
    return InvalidArgumentError("no coins to backfill: give --ids, --symbols or --top");
  }
  if (spec.ohlcv && step == 5) {
    return InvalidArgumentError(
        "CMC's OHLCV comes in hourly and daily bars: use --interval 1h or 1d");
  }
  std::vector<int64_t> ids = spec.ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

  // Windows of equal size (the last takes the rest), each at most CMC's count limit per coin.
  const int64_t windows = (total + kMaxPointsPerCoin - 1) / kMaxPointsPerCoin;
  const int64_t per_window = (total + windows - 1) / windows;
  std::vector<BackfillCall> calls;
  auto add_endpoint = [&](std::string_view endpoint, bool per_coin) {
    for (int64_t w = 0; w < windows; ++w) {
      const int64_t first = w * per_window;
      const int64_t points = std::min(per_window, total - first);
      const TimePoint start = from + minutes(first * step);
      const TimePoint end = start + minutes(points * step);
      if (!per_coin) {
        calls.push_back(MakeCall(endpoint, start, end, {}, points, step, spec.convert));
        continue;
      }
      const size_t group = CoinsPerCall(points);
      for (size_t i = 0; i < ids.size(); i += group) {
        std::vector<int64_t> part(ids.begin() + i, ids.begin() + std::min(ids.size(), i + group));
        calls.push_back(
            MakeCall(endpoint, start, end, std::move(part), points, step, spec.convert));
      }
    }
  };
  if (spec.quotes) add_endpoint(lake::kQuotesHistorical, true);
  if (spec.ohlcv) add_endpoint(lake::kOhlcvHistorical, true);
  if (spec.global_metrics) add_endpoint(lake::kGlobalMetricsHistorical, false);
  return calls;
}

BackfillCall ProbeCall(const BackfillCall& first, int64_t interval_minutes,
                       std::string_view convert) {
  if (first.endpoint->name == lake::kListingsHistorical) {
    return ListingsHistoricalCall(first.window_start, 1, FirstCurrency(convert));
  }
  std::vector<int64_t> ids;
  if (!first.ids.empty()) ids.push_back(first.ids.front());
  return MakeCall(first.endpoint->name, first.window_start,
                  first.window_start + minutes(interval_minutes), std::move(ids), 1,
                  interval_minutes, FirstCurrency(convert));
}

BackfillCall ListingsHistoricalCall(TimePoint at, int limit, std::string_view convert) {
  BackfillCall call;
  call.endpoint = FindEndpoint(lake::kListingsHistorical);
  call.window_start = at;
  call.window_end = at;
  call.points = limit;
  call.credits = cmc::HistoricalCredits(limit, ConvertCount(convert));
  call.request.path = std::string(call.endpoint->path);
  call.request.params = {{"date", Iso(at)},
                         {"start", "1"},
                         {"limit", std::to_string(limit)},
                         {"convert", std::string(convert)}};
  call.digest = Digest(call.request, fmt::format("top{}", limit));
  return call;
}

}  // namespace coinlake::pipeline
