// One coin of a sim answer, in the shape of each CMC endpoint that lists coins.
#pragma once

#include <cstdint>
#include <vector>

#include "cmc/market.h"
#include "cmc/sim_convert.h"
#include "cmc/sim_http.h"

namespace coinlake::cmc::sim {

// listings/latest and v1 quotes carry tags as strings; v2 quotes as {slug, name, category}
// objects, with is_active and is_fiat.
enum class CoinStyle { kListings, kQuotesV1, kQuotesV2 };

// One of a coin's tags: its slug, display name and CMC's tag group (CATEGORY, PLATFORM, ...).
struct Tag {
  const char* slug;
  const char* name;
  const char* category;
};

// The coin's tags, the same in every answer.
std::vector<Tag> Tags(const SimCoin& coin);

// True for a token: a coin issued on another chain, with a `platform` object.
bool IsToken(const SimCoin& coin);

// The coin's `platform` object, or null for a coin with its own chain. `map_ids`: the map's
// platform ids (Ethereum = 1) instead of the listings' (Ethereum's coin id, 1027).
Json PlatformJson(const SimCoin& coin, bool map_ids);

// The coin with its quote in each currency. `rank` is its market-cap rank; `total_cap` the
// market's total (USD), for its dominance.
Json CoinJson(const SimQuote& q, int64_t rank, double total_cap,
              const std::vector<Currency>& converts, CoinStyle style);

}  // namespace coinlake::cmc::sim
