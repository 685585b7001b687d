// The bodies of the sim's latest endpoints: listings, quotes (v1 and v2), global metrics and
// the map. Each fills `body` ("data", and "total_count" for the status) from the market as of
// `now` and returns the credits the call costs, or answers the error itself (400) and returns
// nullopt.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>

#include "cmc/market.h"
#include "cmc/sim_http.h"

namespace coinlake::cmc::sim {

// /v1/cryptocurrency/listings/latest: start, limit, sort, sort_dir, cryptocurrency_type, the
// price/market_cap/volume_24h/circulating_supply/percent_change_24h min and max filters,
// convert/convert_id.
std::optional<int64_t> Listings(const httplib::Request& req, httplib::Response& res,
                                SimMarket& market, TimePoint now, Json& body);

// /v1 and /v2 /cryptocurrency/quotes/latest by id, slug or symbol. By id or slug, data is keyed
// by id; by symbol, v1 keys one coin per symbol (the best-ranked) and v2 an array of every coin
// with that symbol.
std::optional<int64_t> Quotes(const httplib::Request& req, httplib::Response& res,
                              SimMarket& market, TimePoint now, Json& body, int version);

// /v1/global-metrics/quotes/latest.
std::optional<int64_t> GlobalMetrics(const httplib::Request& req, httplib::Response& res,
                                     SimMarket& market, TimePoint now, Json& body);

}  // namespace coinlake::cmc::sim
