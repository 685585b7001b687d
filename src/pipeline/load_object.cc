#include "pipeline/load_object.h"

#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"

namespace coinlake::pipeline {

StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey parts, lake::ParseRawKey(key));
  if (parts.is_meta || (parts.endpoint != lake::kListingsLatest)) {
    return warehouse::LoadResult{};
  }
  std::string json;
  if (LooksGzipped(stored)) {
    ASSIGN_OR_RETURN(json, GzipDecompress(stored));
  } else {
    json = std::string(stored);
  }
  auto payload = cmc::ParseListings(json);
  if (!payload.ok()) return payload.status().WithContext(key);
  // The ledger keeps the exact status.timestamp (the key has it to the second only).
  warehouse::LakeObjectRef ref{key, Sha256Hex(stored), static_cast<int64_t>(stored.size()),
                               parts.endpoint, payload->status.timestamp};
  return loader.LoadQuotes(ref, *payload);
}

}  // namespace coinlake::pipeline
