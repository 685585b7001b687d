// Loads raw lake objects into the database: the step `fetch`, `run` and `reprocess` share.
// Each endpoint's parse function and whether it loads are in the endpoint table
// (endpoints.h); a new kind of row is a field in ParsedObject plus its loader call here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {

// The endpoints whose raw objects load into the database, in load order.
const std::vector<std::string_view>& LoadableEndpoints();
bool IsLoadableEndpoint(std::string_view endpoint);

// A raw object parsed and ready to load: at most one payload is set, by its endpoint. None is
// set for sidecars (.meta.json) and endpoints that do not load (key_info): loading those writes
// nothing.
struct ParsedObject {
  warehouse::LakeObjectRef ref;
  // listings_latest, quotes_latest, quotes_historical, listings_historical
  std::optional<cmc::QuotesPayload> quotes;
  // global_metrics_latest, global_metrics_historical
  std::optional<cmc::GlobalMetricsPayload> global_metrics;
  std::optional<cmc::OhlcvPayload> ohlcv;  // ohlcv_historical
  std::optional<cmc::MapPayload> map;      // map
  std::optional<cmc::KeyInfo> key_info;    // key_info: read by the fetch cycle, never loaded
};

// `stored` is the object's bytes as kept in the lake (gzip'd or plain JSON).
// INVALID_ARGUMENT: the object does not parse.
StatusOr<ParsedObject> ParseRawObject(const std::string& key, std::string_view stored);

// Loads parsed objects; results follow `objects`. The quotes load in one transaction
// (warehouse::Loader::LoadQuotesBatch: DATA_LOSS if one differs from what was loaded, and then
// nothing of them is written); global metrics and maps each in their own (reference_loader.h).
// `loader` works on `db`; its in-transaction hooks run in the quotes' and the global metrics'
// load transactions.
StatusOr<std::vector<warehouse::LoadResult>> LoadParsedObjects(
    warehouse::Connection& db, warehouse::Loader& loader, const std::vector<ParsedObject>& objects);

// Parse + load of one object.
StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Connection& db, warehouse::Loader& loader,
                                              const std::string& key, std::string_view stored);

}  // namespace coinlake::pipeline
