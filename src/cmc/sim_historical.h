// The simulator's historical endpoints, answered from the same history as the latest ones
// (SimMarket), so the answer for a time T equals what the latest endpoints answered at T:
//
//   /v1/cryptocurrency/quotes/historical, /v2/cryptocurrency/quotes/historical
//       id | symbol, time_start, time_end, count (10), interval (5m), convert, skip_invalid;
//       1 credit per 100 data points
//   /v2/cryptocurrency/ohlcv/historical
//       id | slug | symbol, time_period (daily | hourly), time_start (exclusive), time_end,
//       count (10), interval (daily), convert; 1 credit per 100 bars
//   /v1/global-metrics/quotes/historical
//       time_start, time_end, count (10), interval (1d), convert; 1 credit per 100 points
//   /v1/cryptocurrency/listings/historical
//       date, start, limit (100), convert, sort, sort_dir; 1 credit per 100 coins
//
// `convert`/`convert_id` as on the latest endpoints (sim_convert.h): quote objects keyed per
// currency, fiat at its fixed rate, a crypto currency at its coin's price at each point's time.
// Every answer costs at least 1 credit, plus 1 per convert beyond the first. Bad parameters answer
// HTTP 400 with error_code 400 and CMC's message.
#pragma once

#include <httplib.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cmc/market.h"
#include "cmc/sim_convert.h"
#include "cmc/sim_http.h"
#include "cmc/sim_plans.h"

namespace coinlake::cmc::sim {

// Fills `body` with "data" (and "total_count" if any) for the request at `now` and returns
// its credits, or answers the error itself and returns nullopt.
using SimBuild = std::function<std::optional<int64_t>(TimePoint now, Json& body)>;

struct HistoricalContext {
  const SimMarket* market;
  // One coin as /v1/cryptocurrency/listings/latest shows it in each currency (cmc_rank and
  // dominance are filled by the caller).
  std::function<Json(const SimQuote&, const std::vector<Currency>&)> coin_json;
  // Runs one API request: key, plan limits and faults, then `build`; answers and charges.
  std::function<void(const httplib::Request&, httplib::Response&, const SimBuild&)> serve;
  // The plan's window (sim_plans.h): the earliest time `path` may answer for at `now`, and what
  // a request reaching further back is told (HTTP 400, as CMC answers). Empty: any time.
  std::function<HistoricalWindow(std::string_view path, TimePoint now)> window;
};

// Registers the endpoints above on `server`; `context` must outlive it.
void RegisterHistoricalEndpoints(httplib::Server& server, HistoricalContext context);

}  // namespace coinlake::cmc::sim
