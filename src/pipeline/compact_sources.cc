#include "pipeline/compact_sources.h"

#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/load_object.h"

namespace coinlake::pipeline {
namespace {

// The days a parsed historical object's rows fall on.
std::set<std::string> DaysOfRows(const ParsedObject& parsed) {
  std::set<std::string> days;
  if (parsed.quotes) {
    for (const cmc::QuoteRow& r : parsed.quotes->rows) days.insert(FormatDate(r.ts));
  }
  if (parsed.global_metrics) {
    for (const cmc::GlobalMetricsRow& r : parsed.global_metrics->rows)
      days.insert(FormatDate(r.ts));
  }
  return days;
}

}  // namespace

Status SourceIndex::RefreshPoints(std::string_view endpoint) {
  ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects, lake_.ListAll(lake::RawPrefix(endpoint)));
  for (const lake::ObjectInfo& info : objects) {
    if (!lake::IsBodyKey(info.key) || points_.contains(info.key)) continue;
    ASSIGN_OR_RETURN(std::string stored, lake_.Get(info.key));
    PointObject point{info.size, {}};
    auto parsed = ParseRawObject(info.key, stored);
    if (parsed.ok()) {
      point.days = DaysOfRows(*parsed);
    } else {
      log::Warn("a raw object does not parse: it feeds no curated day",
                {{"key", info.key}, {"error", parsed.status().ToString()}});
    }
    points_.emplace(info.key, std::move(point));
  }
  return Status::Ok();
}

StatusOr<std::vector<SourceObject>> SourceIndex::DaySources(const CuratedTable& table,
                                                            const std::string& date) {
  std::vector<SourceObject> sources;
  for (std::string_view endpoint : table.snapshot_endpoints) {
    ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects,
                     lake_.ListAll(lake::RawPrefix(endpoint) + "dt=" + date + "/"));
    for (lake::ObjectInfo& info : objects) {
      if (lake::IsBodyKey(info.key)) sources.push_back({std::move(info.key), info.size, false});
    }
  }
  for (std::string_view endpoint : table.point_endpoints) {
    RETURN_IF_ERROR(RefreshPoints(endpoint));
    const std::string prefix = lake::RawPrefix(endpoint);
    for (auto it = points_.lower_bound(prefix);
         it != points_.end() && it->first.starts_with(prefix); ++it) {
      if (it->second.days.contains(date)) sources.push_back({it->first, it->second.bytes, true});
    }
  }
  std::sort(sources.begin(), sources.end(),
            [](const SourceObject& a, const SourceObject& b) { return a.key < b.key; });
  return sources;
}

StatusOr<std::set<std::string>> SourceIndex::Days(const CuratedTable& table) {
  std::set<std::string> days;
  for (std::string_view endpoint : table.snapshot_endpoints) {
    ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects,
                     lake_.ListAll(lake::RawPrefix(endpoint)));
    for (const lake::ObjectInfo& info : objects) {
      auto parts = lake::ParseRawKey(info.key);
      if (parts.ok() && !parts->is_meta) days.insert(FormatDate(parts->data_time));
    }
  }
  for (std::string_view endpoint : table.point_endpoints) {
    RETURN_IF_ERROR(RefreshPoints(endpoint));
    const std::string prefix = lake::RawPrefix(endpoint);
    for (auto it = points_.lower_bound(prefix);
         it != points_.end() && it->first.starts_with(prefix); ++it) {
      days.insert(it->second.days.begin(), it->second.days.end());
    }
  }
  return days;
}

}  // namespace coinlake::pipeline
