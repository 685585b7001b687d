// Loads one raw lake object into the database: the step `fetch`, `run` and `reprocess` share.
// Each loadable endpoint has one function that parses its payload and hands it to the loader;
// adding a kind (quotes_latest, global_metrics_latest) is one entry in load_object.cc.
#pragma once

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

// `stored` is the object's bytes as kept in the lake (gzip'd JSON). Sidecars (.meta.json) and
// endpoints that carry no rows are skipped (rows = 0, nothing written).
// INVALID_ARGUMENT: the object does not parse. DATA_LOSS: it differs from what was loaded.
StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored);

// The quote rows a raw object yields, as LoadRawObject would load them (none for a sidecar or
// a kind without quotes): what `audit` compares with the database.
StatusOr<std::vector<cmc::QuoteRow>> QuoteRowsOf(const std::string& key, std::string_view stored);

}  // namespace coinlake::pipeline
