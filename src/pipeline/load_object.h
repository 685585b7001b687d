// Loads raw lake objects into the database: the step `fetch`, `run` and `reprocess` share.
// Each loadable endpoint has one parse function in load_object.cc that turns its JSON body into
// typed rows; adding a kind (quotes_latest, global_metrics_latest) is one entry there (and a
// field in ParsedObject plus its loader call if it carries a new kind of row).
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

// A raw object parsed and ready to load. `quotes` is empty for sidecars (.meta.json) and
// endpoints that carry no rows: loading those writes nothing.
struct ParsedObject {
  warehouse::LakeObjectRef ref;
  std::optional<cmc::QuotesPayload> quotes;
};

// `stored` is the object's bytes as kept in the lake (gzip'd or plain JSON).
// INVALID_ARGUMENT: the object does not parse.
StatusOr<ParsedObject> ParseRawObject(const std::string& key, std::string_view stored);

// Loads parsed objects in one transaction (warehouse::Loader::LoadQuotesBatch); results follow
// `objects`. DATA_LOSS: one differs from what was loaded (nothing of the batch is written).
StatusOr<std::vector<warehouse::LoadResult>> LoadParsedObjects(
    warehouse::Loader& loader, const std::vector<ParsedObject>& objects);

// Parse + load of one object.
StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored);

}  // namespace coinlake::pipeline
