// Everything coinlake knows about each CoinMarketCap endpoint, in one table: its lake name
// (lake/keys.h), the request a configuration makes, what one call costs and stores, how its body
// parses into rows, and whether those rows load into the database. The fetch cycle, loading,
// reprocess, audit and `coinlake plan` all read this table; adding an endpoint is one entry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/load_object.h"

namespace coinlake::pipeline {

// What the requests depend on.
struct EndpointConfig {
  int listings_limit = 100;        // top N by market cap, 1..5000 (one call: CMC's maximum)
  std::string convert = "USD";     // comma list of quote currencies
  std::vector<int64_t> quote_ids;  // the quotes_latest watchlist, CMC ids
  int convert_count() const;       // currencies in `convert`
};

struct EndpointRequest {
  std::string path;
  std::map<std::string, std::string> params;
};

struct Endpoint {
  std::string_view name;  // lake name: listings_latest, quotes_latest, ...
  std::string_view path;
  std::map<std::string, std::string> (*params)(const EndpointConfig&);
  int64_t (*credits)(const EndpointConfig&);       // what CMC charges for one call
  double (*stored_bytes)(const EndpointConfig&);   // gzip'd body + .meta.json, for `plan`
  std::string (*describe)(const EndpointConfig&);  // what one call asks for, for `plan`
  // Parses a body completely (a body that fails goes to quarantine, never to raw/), filling
  // the rows ParsedObject carries for this endpoint, and ref.data_ts.
  Status (*parse)(std::string_view json, ParsedObject& parsed);
  bool loads;       // its rows go to the database (and so to reprocess and audit)
  int fetch_order;  // key_info first (it sets the credit governor's plan), map before quotes
                    // (it resolves watchlist symbols to ids)
  // Asked for only by `backfill` and `audit --fill`, each call with a request of its own
  // (backfill_plan.h), never on the schedule: params, credits, stored_bytes and describe are
  // null, and the lake key is made from the request (lake/keys.h).
  bool historical = false;
};

// Every endpoint, listings first (audit checks the schedule of the first loadable one), the
// historical ones last.
const std::vector<Endpoint>& Endpoints();
// nullptr for a name that is not in the table.
const Endpoint* FindEndpoint(std::string_view name);

EndpointRequest MakeRequest(const Endpoint& endpoint, const EndpointConfig& config);

// The largest watchlist one quotes_latest call carries (a URL of a few KB).
inline constexpr size_t kMaxQuoteIds = 1000;

// Resolves watchlist symbols with the map: for each symbol, the active coin with the best rank
// (symbols repeat; ids do not). INVALID_ARGUMENT names the symbols the map does not have.
StatusOr<std::vector<int64_t>> ResolveSymbols(const std::vector<std::string>& symbols,
                                              const cmc::MapPayload& map);

}  // namespace coinlake::pipeline
