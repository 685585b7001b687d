#include "pipeline/load_object.h"

#include <algorithm>

#include "common/bytes.h"
#include "lake/keys.h"
#include "pipeline/endpoints.h"
#include "warehouse/reference_loader.h"

namespace coinlake::pipeline {
namespace {

// Past this a thread's inflate buffer is given back after use.
constexpr size_t kKeptInflatedBytes = 64 << 20;

}  // namespace

const std::vector<std::string_view>& LoadableEndpoints() {
  static const std::vector<std::string_view> endpoints = [] {
    std::vector<std::string_view> out;
    for (const Endpoint& e : Endpoints()) {
      if (e.loads) out.push_back(e.name);
    }
    return out;
  }();
  return endpoints;
}

bool IsLoadableEndpoint(std::string_view endpoint) {
  const auto& e = LoadableEndpoints();
  return std::find(e.begin(), e.end(), endpoint) != e.end();
}

StatusOr<ParsedObject> ParseRawObject(const std::string& key, std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey parts, lake::ParseRawKey(key));
  ParsedObject parsed;
  parsed.ref = {key, Sha256Hex(stored), static_cast<int64_t>(stored.size()), parts.endpoint,
                parts.data_time};
  const Endpoint* endpoint = FindEndpoint(parts.endpoint);
  if (parts.is_meta || endpoint == nullptr || !endpoint->loads) return parsed;
  std::string_view json = stored;
  // Reused per thread (a 5000-coin listing inflates to about 5 MB): compaction and reprocess
  // parse object after object, and a fresh buffer each time was paid in page faults. One
  // outsized object does not stay held by the thread.
  thread_local std::string inflated;
  struct ReleaseOutsized {
    ~ReleaseOutsized() {
      if (inflated.capacity() > kKeptInflatedBytes) std::string().swap(inflated);
    }
  } release_outsized;
  if (LooksGzipped(stored)) {
    RETURN_IF_ERROR(GzipDecompressInto(stored, inflated));
    json = inflated;
  }
  Status s = endpoint->parse(json, parsed);
  if (!s.ok()) return s.WithContext(key);
  return parsed;
}

StatusOr<std::vector<warehouse::LoadResult>> LoadParsedObjects(
    warehouse::Connection& db, warehouse::Loader& loader,
    const std::vector<ParsedObject>& objects) {
  std::vector<warehouse::LoadResult> results(objects.size());
  std::vector<warehouse::Loader::BatchItem> batch;
  std::vector<size_t> where;
  for (size_t i = 0; i < objects.size(); ++i) {
    const ParsedObject& o = objects[i];
    if (o.quotes) {
      batch.push_back({o.ref, &*o.quotes});
      where.push_back(i);
    } else if (o.global_metrics) {
      ASSIGN_OR_RETURN(results[i],
                       warehouse::LoadGlobalMetrics(db, o.ref, *o.global_metrics,
                                                    loader.global_metrics_in_transaction()));
    } else if (o.ohlcv) {
      ASSIGN_OR_RETURN(results[i], warehouse::LoadOhlcv(db, o.ref, *o.ohlcv));
    } else if (o.map) {
      ASSIGN_OR_RETURN(results[i], warehouse::LoadMap(db, o.ref, *o.map));
    }
  }
  if (batch.empty()) return results;
  ASSIGN_OR_RETURN(std::vector<warehouse::LoadResult> loaded, loader.LoadQuotesBatch(batch));
  for (size_t j = 0; j < where.size(); ++j) results[where[j]] = loaded[j];
  return results;
}

StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Connection& db, warehouse::Loader& loader,
                                              const std::string& key, std::string_view stored) {
  ASSIGN_OR_RETURN(ParsedObject parsed, ParseRawObject(key, stored));
  ASSIGN_OR_RETURN(std::vector<warehouse::LoadResult> results,
                   LoadParsedObjects(db, loader, {std::move(parsed)}));
  return results.front();
}

}  // namespace coinlake::pipeline
