// The JSON API under /api/v1 (docs/api.md). Each handler takes validated parameters and a
// database connection and returns a JSON document or an error status.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "dashboard/params.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

// GET /api/v1/health: database reachable, latest snapshot and its age.
StatusOr<nlohmann::json> Health(warehouse::Connection& db);

struct LatestQuery {
  int limit = 100;            // 1..5000
  std::string sort = "rank";  // rank | market_cap | price | volume_24h | percent_change_24h
  bool descending = false;    // default per sort: rank ascending, the others descending
  std::string currency = "USD";
  std::vector<int64_t> ids;  // only these coins (at most 100); empty: every coin
};

// Parses and validates the query string of /api/v1/latest; INVALID_ARGUMENT names the problem.
StatusOr<LatestQuery> ParseLatestQuery(const std::multimap<std::string, std::string>& params);

// GET /api/v1/latest: the latest snapshot's quotes, top N, as JSON text (the busiest endpoint:
// one prepared statement, written without a document tree).
StatusOr<std::string> Latest(warehouse::Connection& db, const LatestQuery& query);

// The handlers below read their parameters from `params` (validated, unknown ones rejected:
// INVALID_ARGUMENT) before they touch the database. docs/api.md describes each.

// GET /api/v1/assets?q=prefix | ids=1,1027: assets by symbol/name/slug prefix, or by id.
StatusOr<nlohmann::json> Assets(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/series?ids=...: price series, downsampled server-side to at most `width` points
// per asset (last price, min and max per time bucket), with the gaps in the data, where live
// polling began and the ranges after it still missing snapshots, as JSON text (one prepared
// statement when from and to are given). Past two days it reads hourly candles ("interval").
StatusOr<std::string> Series(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/candles?id=...&interval=1h|1d: OHLC from candles_hourly / candles_daily, each
// candle's source (quotes or CMC's own bar), where live polling began and the missing ranges.
StatusOr<nlohmann::json> Candles(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/sparklines?ids=...: 7 days of hourly closes per asset (candles_hourly; a day
// without hourly candles gives its daily close).
StatusOr<nlohmann::json> Sparklines(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/movers?window=24h: gainers and losers of the latest snapshot over a window.
StatusOr<nlohmann::json> Movers(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/global: whole-market figures, from global_metrics or computed from the latest
// snapshot when global_metrics is empty ("source" says which).
StatusOr<nlohmann::json> Global(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/global/series?range=30d: total market cap, 24h volume, BTC and ETH dominance over
// time from global_metrics, the last figures of each of at most `width` time buckets.
StatusOr<std::string> GlobalSeries(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/currencies: the quote currencies the database holds (USD first).
StatusOr<nlohmann::json> Currencies(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/pipeline: freshness, last runs, credits this month, errors by class, gaps.
StatusOr<nlohmann::json> Pipeline(warehouse::Connection& db, QueryParams& params);

// GET /api/v1/alerts?limit=50&before=ID: the configured alert rules (as `coinlake run` lists
// them in alert_rules) with how many subjects each has firing, the channels and what waits for
// them, what fires now, and the notifications recorded, newest first (docs/api.md).
StatusOr<nlohmann::json> Alerts(warehouse::Connection& db, QueryParams& params);

// Time buckets for downsampling [from, to] into at most `width` buckets: the bucket length in
// seconds (>= 1) such that floor((t - from) / length) < width for every t in [from, to].
int64_t BucketSeconds(int64_t from, int64_t to, int64_t width);

// Renders the JSON of series, candles or latest as CSV (RFC 4180, header row first).
std::string SeriesCsv(const nlohmann::json& series);
std::string CandlesCsv(const nlohmann::json& candles);
std::string LatestCsv(const nlohmann::json& latest);

}  // namespace coinlake::dashboard
