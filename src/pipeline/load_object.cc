#include "pipeline/load_object.h"

#include <algorithm>

#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"

namespace coinlake::pipeline {
namespace {

// Parses one endpoint's JSON body and loads it as `ref` (whose data_ts it fills in).
using KindLoader = StatusOr<warehouse::LoadResult> (*)(warehouse::Loader&,
                                                       warehouse::LakeObjectRef&,
                                                       std::string_view json);
// Parses one endpoint's JSON body into the quote rows it loads.
using KindQuotes = StatusOr<std::vector<cmc::QuoteRow>> (*)(std::string_view json);

StatusOr<warehouse::LoadResult> LoadListings(warehouse::Loader& loader,
                                             warehouse::LakeObjectRef& ref, std::string_view json) {
  auto payload = cmc::ParseListings(json);
  if (!payload.ok()) return payload.status().WithContext(ref.key);
  // The ledger keeps the exact status.timestamp (the key has it to the second only).
  ref.data_ts = payload->status.timestamp;
  return loader.LoadQuotes(ref, *payload);
}

StatusOr<std::vector<cmc::QuoteRow>> ListingsQuotes(std::string_view json) {
  ASSIGN_OR_RETURN(cmc::QuotesPayload payload, cmc::ParseListings(json));
  return std::move(payload.rows);
}

struct Kind {
  std::string_view endpoint;
  KindLoader load;
  KindQuotes quotes;
};

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {{lake::kListingsLatest, &LoadListings, &ListingsQuotes}};
  return kinds;
}

const Kind* KindOf(const lake::RawKey& parts) {
  if (parts.is_meta) return nullptr;
  auto kind = std::find_if(Kinds().begin(), Kinds().end(),
                           [&](const Kind& k) { return k.endpoint == parts.endpoint; });
  return kind == Kinds().end() ? nullptr : &*kind;
}

StatusOr<std::string> Inflate(std::string_view stored) {
  if (LooksGzipped(stored)) return GzipDecompress(stored);
  return std::string(stored);
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

StatusOr<warehouse::LoadResult> LoadRawObject(warehouse::Loader& loader, const std::string& key,
                                              std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey parts, lake::ParseRawKey(key));
  const Kind* kind = KindOf(parts);
  if (kind == nullptr) return warehouse::LoadResult{};
  ASSIGN_OR_RETURN(std::string json, Inflate(stored));
  warehouse::LakeObjectRef ref{key, Sha256Hex(stored), static_cast<int64_t>(stored.size()),
                               parts.endpoint, parts.data_time};
  return kind->load(loader, ref, json);
}

StatusOr<std::vector<cmc::QuoteRow>> QuoteRowsOf(const std::string& key, std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey parts, lake::ParseRawKey(key));
  const Kind* kind = KindOf(parts);
  if (kind == nullptr) return std::vector<cmc::QuoteRow>{};
  ASSIGN_OR_RETURN(std::string json, Inflate(stored));
  auto rows = kind->quotes(json);
  if (!rows.ok()) return rows.status().WithContext(key);
  return rows;
}

}  // namespace coinlake::pipeline
