#include "pipeline/load_object.h"

#include <algorithm>

#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"

namespace coinlake::pipeline {
namespace {

// Parses one endpoint's JSON body into `parsed` (whose ref.data_ts it sets).
using KindParser = Status (*)(std::string_view json, ParsedObject& parsed);

Status ParseListingsInto(std::string_view json, ParsedObject& parsed) {
  ASSIGN_OR_RETURN(cmc::QuotesPayload payload, cmc::ParseListings(json));
  // The ledger keeps the exact status.timestamp (the key has it to the second only).
  parsed.ref.data_ts = payload.status.timestamp;
  parsed.quotes = std::move(payload);
  return Status::Ok();
}

struct Kind {
  std::string_view endpoint;
  KindParser parse;
};

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {{lake::kListingsLatest, &ParseListingsInto}};
  return kinds;
}

}  // namespace

const std::vector<std::string_view>& LoadableEndpoints() {
  static const std::vector<std::string_view> endpoints = [] {
    std::vector<std::string_view> out;
    for (const Kind& k : Kinds()) out.push_back(k.endpoint);
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
  ParsedObject parsed{{key, Sha256Hex(stored), static_cast<int64_t>(stored.size()), parts.endpoint,
                       parts.data_time},
                      std::nullopt};
  auto kind = std::find_if(Kinds().begin(), Kinds().end(),
                           [&](const Kind& k) { return k.endpoint == parts.endpoint; });
  if (parts.is_meta || kind == Kinds().end()) return parsed;
  std::string json;
  if (LooksGzipped(stored)) {
    ASSIGN_OR_RETURN(json, GzipDecompress(stored));
  } else {
    json = std::string(stored);
  }
  Status s = kind->parse(json, parsed);
  if (!s.ok()) return s.WithContext(key);
  return parsed;
}

StatusOr<std::vector<warehouse::LoadResult>> LoadParsedObjects(
    warehouse::Loader& loader, const std::vector<ParsedObject>& objects) {
  std::vector<warehouse::LoadResult> results(objects.size());
  std::vector<warehouse::Loader::BatchItem> batch;
  std::vector<size_t> where;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (!objects[i].quotes) continue;
    batch.push_back({objects[i].ref, &*objects[i].quotes});
    where.push_back(i);
  }
  if (batch.empty()) return results;
  ASSIGN_OR_RETURN(std::vector<warehouse::LoadResult> loaded, loader.LoadQuotesBatch(batch));
  for (size_t j = 0; j < where.size(); ++j) results[where[j]] = loaded[j];
  return results;
}

StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored) {
  ASSIGN_OR_RETURN(ParsedObject parsed, ParseRawObject(key, stored));
  ASSIGN_OR_RETURN(std::vector<warehouse::LoadResult> results,
                   LoadParsedObjects(loader, {std::move(parsed)}));
  return results.front();
}

}  // namespace coinlake::pipeline
