// What a backfill asks CoinMarketCap for: pure arithmetic from (window, coins, interval, endpoints)
// to the exact list of calls, their credits and their lake keys, so `coinlake plan --backfill`,
// `backfill --dry-run` and the backfill itself print and fetch the same thing, and a rerun of
// the same backfill makes the same keys (docs/history.md).
//
// Credits: CMC charges 1 credit per 100 data points a call returns (all its coins together,
// rounded up). A call's points are its coins times the points of its window, so the planner
// groups coins so that each call's points are a multiple of 100 where it can: 100 coins x 720
// hourly points cost 720 credits, the documented minimum, and not 100 x 8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"
#include "pipeline/endpoints.h"

namespace coinlake::pipeline {

struct BackfillSpec {
  TimePoint from{};  // the window [from, to); the planner aligns both down to the interval
  TimePoint to{};
  std::vector<int64_t> ids;  // CMC ids (quotes and OHLCV); global metrics need none
  int64_t interval_minutes = 60;
  std::string convert = "USD";  // comma list: every currency the ETL converts
  bool quotes = true;           // /v2/cryptocurrency/quotes/historical
  bool ohlcv = false;           // /v2/cryptocurrency/ohlcv/historical (hourly or daily bars)
  bool global_metrics = false;  // /v1/global-metrics/quotes/historical
};

struct BackfillCall {
  const Endpoint* endpoint = nullptr;
  EndpointRequest request;
  TimePoint window_start{};  // [window_start, window_end)
  TimePoint window_end{};
  std::vector<int64_t> ids;
  int64_t points = 0;  // data points (or bars) the call returns, all coins together
  int64_t credits = 0;
  std::string digest;  // the request's digest: the lake key's last part
  std::string key() const;
};

// CMC's interval names for the ones a backfill offers: 5m, 1h, 1d.
StatusOr<int64_t> BackfillIntervalMinutes(std::string_view text);

// The calls, endpoint by endpoint, window by window, coins in ascending id order. A window holds
// at most CMC's 10,000 points per coin; a call at most kMaxPointsPerCall points (its answer is
// parsed whole: this bounds memory) and kMaxIdsPerCall coins. INVALID_ARGUMENT for an empty
// window, no coins where some are needed, or OHLCV at an interval CMC has no bars for.
StatusOr<std::vector<BackfillCall>> PlanBackfill(const BackfillSpec& spec);

// The first request of an endpoint, which tells whether the key's plan serves it at all: its
// first coin, one point at the window's start (a listings snapshot: its first coin); at most
// one credit.
BackfillCall ProbeCall(const BackfillCall& first, int64_t interval_minutes,
                       std::string_view convert);

// A listings snapshot as of `at` (audit --fill): the top `limit` coins, 1 credit per 100.
BackfillCall ListingsHistoricalCall(TimePoint at, int limit, std::string_view convert);

inline constexpr int64_t kMaxPointsPerCall = 20'000;
inline constexpr size_t kMaxIdsPerCall = 100;
inline constexpr int64_t kMaxPointsPerCoin = 10'000;  // CMC's `count` limit

}  // namespace coinlake::pipeline
