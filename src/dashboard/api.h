// The JSON API under /api/v1 (docs/api.md). Each handler takes validated parameters and a
// database connection and returns a JSON document or an error status.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

// GET /api/v1/health: database reachable, latest snapshot and its age.
StatusOr<nlohmann::json> Health(warehouse::Connection& db);

struct LatestQuery {
  int limit = 100;            // 1..5000
  std::string sort = "rank";  // rank | market_cap | price | volume_24h | percent_change_24h
  bool descending = false;    // default per sort: rank ascending, the others descending
  std::string currency = "USD";
};

// Parses and validates the query string of /api/v1/latest; INVALID_ARGUMENT names the problem.
StatusOr<LatestQuery> ParseLatestQuery(const std::multimap<std::string, std::string>& params);

// GET /api/v1/latest: the latest snapshot's quotes, top N.
StatusOr<nlohmann::json> Latest(warehouse::Connection& db, const LatestQuery& query);

}  // namespace coinlake::dashboard
