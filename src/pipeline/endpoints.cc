#include "pipeline/endpoints.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "cmc/parser.h"
#include "cmc/plan.h"
#include "lake/keys.h"

namespace coinlake::pipeline {
namespace {

using Params = std::map<std::string, std::string>;

// Stored size estimates (gzip'd body, measured on sim and real payloads, rounded up) and the
// .meta.json beside every body.
constexpr double kMetaBytes = 450;
constexpr double kGzipBytesPerCoin = 200;     // a listings or quotes coin, per currency
constexpr double kGzipBytesPerMapCoin = 100;  // a map entry
constexpr double kGzipBytesGlobalMetrics = 1500;
constexpr double kGzipBytesKeyInfo = 600;
// The map call: the 5000 best-ranked active coins (CMC's largest page; one call, one object).
constexpr int kMapLimit = 5000;

int64_t Free(const EndpointConfig&) { return 0; }

// Parses `json` with `Parse` into the ParsedObject field `Field`, and sets the ledger's data time:
// the exact status.timestamp (the key has it to the second only).
template <auto Parse, auto Field>
Status ParseInto(std::string_view json, ParsedObject& parsed) {
  ASSIGN_OR_RETURN(auto payload, Parse(json));
  parsed.ref.data_ts = payload.status.timestamp;
  parsed.*Field = std::move(payload);
  return Status::Ok();
}

// For a historical endpoint the ledger's data time is the key's: the start of the window asked
// for (ParseRawObject sets it), not when CMC answered.
template <auto Parse, auto Field>
Status ParseHistoricalInto(std::string_view json, ParsedObject& parsed) {
  ASSIGN_OR_RETURN(auto payload, Parse(json));
  if (parsed.ref.data_ts == TimePoint{}) parsed.ref.data_ts = payload.status.timestamp;
  parsed.*Field = std::move(payload);
  return Status::Ok();
}

// A historical endpoint: loads, never scheduled.
Endpoint Historical(std::string_view name, std::string_view path,
                    Status (*parse)(std::string_view, ParsedObject&)) {
  return {name,
          path,
          nullptr,
          nullptr,
          nullptr,
          nullptr,
          parse,
          /*loads=*/true,
          /*fetch_order=*/9,
          /*historical=*/true};
}

const std::vector<Endpoint>& Table() {
  static const std::vector<Endpoint> table = {
      {lake::kListingsLatest, "/v1/cryptocurrency/listings/latest",
       [](const EndpointConfig& c) {
         return Params{
             {"start", "1"}, {"limit", std::to_string(c.listings_limit)}, {"convert", c.convert}};
       },
       [](const EndpointConfig& c) {
         return cmc::ListingsCredits(c.listings_limit, c.convert_count());
       },
       [](const EndpointConfig& c) {
         return kGzipBytesPerCoin * c.listings_limit * c.convert_count() + kMetaBytes;
       },
       [](const EndpointConfig& c) {
         return fmt::format("top {}, {}", c.listings_limit, c.convert);
       },
       &ParseInto<cmc::ParseListings, &ParsedObject::quotes>, /*loads=*/true, /*fetch_order=*/2},
      {lake::kQuotesLatest, "/v2/cryptocurrency/quotes/latest",
       [](const EndpointConfig& c) {
         return Params{{"id", fmt::format("{}", fmt::join(c.quote_ids, ","))},
                       {"convert", c.convert}};
       },
       [](const EndpointConfig& c) {
         return cmc::QuotesCredits(static_cast<int>(c.quote_ids.size()), c.convert_count());
       },
       [](const EndpointConfig& c) {
         return kGzipBytesPerCoin * static_cast<double>(c.quote_ids.size()) * c.convert_count() +
                kMetaBytes;
       },
       [](const EndpointConfig& c) {
         return fmt::format("watchlist of {}, {}", c.quote_ids.size(), c.convert);
       },
       &ParseInto<cmc::ParseQuotes, &ParsedObject::quotes>, true, 3},
      {lake::kGlobalMetricsLatest, "/v1/global-metrics/quotes/latest",
       [](const EndpointConfig& c) {
         return Params{{"convert", c.convert}};
       },
       [](const EndpointConfig& c) { return cmc::GlobalMetricsCredits(c.convert_count()); },
       [](const EndpointConfig& c) {
         return kGzipBytesGlobalMetrics * c.convert_count() + kMetaBytes;
       },
       [](const EndpointConfig& c) { return fmt::format("whole market, {}", c.convert); },
       &ParseInto<cmc::ParseGlobalMetrics, &ParsedObject::global_metrics>, true, 4},
      {lake::kMap, "/v1/cryptocurrency/map",
       [](const EndpointConfig&) {
         return Params{{"listing_status", "active"},
                       {"sort", "cmc_rank"},
                       {"limit", std::to_string(kMapLimit)}};
       },
       &Free, [](const EndpointConfig&) { return kGzipBytesPerMapCoin * kMapLimit + kMetaBytes; },
       [](const EndpointConfig&) {
         return fmt::format("ids of the {} best-ranked active coins", kMapLimit);
       },
       &ParseInto<cmc::ParseMap, &ParsedObject::map>, true, 1},
      {lake::kKeyInfo, "/v1/key/info", [](const EndpointConfig&) { return Params{}; }, &Free,
       [](const EndpointConfig&) { return kGzipBytesKeyInfo + kMetaBytes; },
       [](const EndpointConfig&) { return std::string("plan and usage (sets the governor)"); },
       &ParseInto<cmc::ParseKeyInfo, &ParsedObject::key_info>, false, 0},
      Historical(lake::kQuotesHistorical, "/v2/cryptocurrency/quotes/historical",
                 &ParseHistoricalInto<cmc::ParseQuotesHistorical, &ParsedObject::quotes>),
      Historical(lake::kListingsHistorical, "/v1/cryptocurrency/listings/historical",
                 &ParseHistoricalInto<cmc::ParseListings, &ParsedObject::quotes>),
      Historical(lake::kOhlcvHistorical, "/v2/cryptocurrency/ohlcv/historical",
                 &ParseHistoricalInto<cmc::ParseOhlcvHistorical, &ParsedObject::ohlcv>),
      Historical(
          lake::kGlobalMetricsHistorical, "/v1/global-metrics/quotes/historical",
          &ParseHistoricalInto<cmc::ParseGlobalMetricsHistorical, &ParsedObject::global_metrics>),
  };
  return table;
}

}  // namespace

int EndpointConfig::convert_count() const {
  return 1 + static_cast<int>(std::count(convert.begin(), convert.end(), ','));
}

const std::vector<Endpoint>& Endpoints() { return Table(); }

const Endpoint* FindEndpoint(std::string_view name) {
  for (const Endpoint& e : Table()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

EndpointRequest MakeRequest(const Endpoint& endpoint, const EndpointConfig& config) {
  return {std::string(endpoint.path), endpoint.params(config)};
}

StatusOr<std::vector<int64_t>> ResolveSymbols(const std::vector<std::string>& symbols,
                                              const cmc::MapPayload& map) {
  std::vector<int64_t> ids;
  std::vector<std::string> missing;
  for (const std::string& symbol : symbols) {
    const cmc::MapRow* best = nullptr;
    for (const cmc::MapRow& row : map.rows) {
      if (row.symbol != symbol || row.is_active.value_or(1) != 1) continue;
      // A ranked coin beats an unranked one; then the better rank, then the older id.
      auto key = [](const cmc::MapRow& r) {
        return std::make_tuple(!r.rank.has_value(), r.rank.value_or(0), r.cmc_id);
      };
      if (best == nullptr || key(row) < key(*best)) best = &row;
    }
    if (best == nullptr) {
      missing.push_back(symbol);
    } else if (std::find(ids.begin(), ids.end(), best->cmc_id) == ids.end()) {
      ids.push_back(best->cmc_id);
    }
  }
  if (!missing.empty()) {
    return InvalidArgumentError(
        fmt::format("symbols not in the map's {} best-ranked active coins: {} (give their CMC "
                    "ids with --quotes-ids instead)",
                    kMapLimit, fmt::join(missing, ",")));
  }
  return ids;
}

}  // namespace coinlake::pipeline
