// The bodies of the sim's reference endpoints: coin metadata, categories, the fiat and
// exchange maps, exchange metadata and price conversion. Each fills `body` ("data", and
// "total_count" for the status) from the market as of `now` and returns the credits the call
// costs, or answers the error itself (400) and returns nullopt. Every plan covers them.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>

#include "cmc/market.h"
#include "cmc/sim_http.h"

namespace coinlake::cmc::sim {

// /v1 and /v2 /cryptocurrency/info by id, slug, symbol or address (contract address). By id,
// slug or address, data is keyed by id; by symbol, v1 keys one coin per symbol (the
// best-ranked) and v2 an array of every coin with that symbol. 1 credit per 100 coins.
std::optional<int64_t> Info(const httplib::Request& req, httplib::Response& res, SimMarket& market,
                            TimePoint now, Json& body, int version);

// /v1/cryptocurrency/categories: start, limit, and id | slug | symbol (the categories holding
// any of those coins). 1 credit.
std::optional<int64_t> Categories(const httplib::Request& req, httplib::Response& res,
                                  SimMarket& market, TimePoint now, Json& body);

// /v1/cryptocurrency/category: id (required), start, limit (over its coins), convert |
// convert_id. 1 credit, plus 1 per 200 coins listed and 1 per convert beyond the first.
std::optional<int64_t> Category(const httplib::Request& req, httplib::Response& res,
                                SimMarket& market, TimePoint now, Json& body);

// /v1/fiat/map: start, limit, sort (id | name), include_metals (gold, silver, platinum,
// palladium). 1 credit.
std::optional<int64_t> FiatMap(const httplib::Request& req, httplib::Response& res,
                               SimMarket& market, TimePoint now, Json& body);

// /v1/exchange/map: listing_status, slug, start, limit, sort (id | volume_24h), crypto_id.
// 1 credit.
std::optional<int64_t> ExchangeMap(const httplib::Request& req, httplib::Response& res,
                                   SimMarket& market, TimePoint now, Json& body);

// /v1/exchange/info by id or slug, keyed by id. 1 credit per 100 exchanges.
std::optional<int64_t> ExchangeInfo(const httplib::Request& req, httplib::Response& res,
                                    SimMarket& market, TimePoint now, Json& body);

// /v1 and /v2 /tools/price-conversion: amount, id | symbol, time (the market's price then),
// convert | convert_id. v1 answers one object; v2 an array by symbol, an object by id.
// 1 credit per convert.
std::optional<int64_t> PriceConversion(const httplib::Request& req, httplib::Response& res,
                                       SimMarket& market, TimePoint now, Json& body, int version);

}  // namespace coinlake::cmc::sim
