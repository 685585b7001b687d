// Loads one raw lake object into the database: the step `fetch`, `run` and `reprocess` share.
#pragma once

#include <string>

#include "common/status.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {

// `stored` is the object's bytes as kept in the lake (gzip'd JSON). Sidecars (.meta.json) and
// endpoints that carry no quotes are skipped (rows = 0, nothing written).
// INVALID_ARGUMENT: the object does not parse. DATA_LOSS: it differs from what was loaded.
StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored);

}  // namespace coinlake::pipeline
