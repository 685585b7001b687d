// The body of the sim's /v1/cryptocurrency/map: the market's active coins, and synthetic
// inactive (delisted) and untracked ones, which have a null rank.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>

#include "cmc/market.h"
#include "cmc/sim_http.h"

namespace coinlake::cmc::sim {

// Honours listing_status (active, inactive, untracked; comma-separated), symbol
// (comma-separated), sort (id, cmc_rank), start and limit. Costs nothing.
std::optional<int64_t> Map(const httplib::Request& req, httplib::Response& res, SimMarket& market,
                           TimePoint now, Json& body);

}  // namespace coinlake::cmc::sim
