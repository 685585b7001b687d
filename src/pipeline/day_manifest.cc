#include "pipeline/day_manifest.h"

#include <fmt/format.h>

#include "lake/keys.h"

namespace coinlake::pipeline {

nlohmann::json DayManifest::ToJson() const {
  nlohmann::json out = {{"table", table},
                        {"date", date},
                        {"version", version},
                        {"compacted_at", compacted_at},
                        {"coinlake_version", coinlake_version},
                        {"file",
                         {{"key", file_key},
                          {"bytes", file_bytes},
                          {"sha256", file_sha256},
                          {"rows", rows},
                          {"row_groups", row_groups}}},
                        {"sources", nlohmann::json::array()}};
  for (const ManifestSource& s : sources) {
    out["sources"].push_back({{"key", s.key},
                              {"bytes", s.bytes},
                              {"sha256", s.sha256},
                              {"by_point", s.by_point},
                              {"rows", s.rows},
                              {"checksum", s.checksum}});
  }
  return out;
}

StatusOr<DayManifest> DayManifest::FromJson(const nlohmann::json& json) {
  try {
    DayManifest m;
    m.table = json.at("table").get<std::string>();
    m.date = json.at("date").get<std::string>();
    m.version = json.at("version").get<int64_t>();
    m.compacted_at = json.at("compacted_at").get<std::string>();
    m.coinlake_version = json.value("coinlake_version", "");
    const nlohmann::json& file = json.at("file");
    m.file_key = file.at("key").get<std::string>();
    m.file_bytes = file.at("bytes").get<int64_t>();
    m.file_sha256 = file.at("sha256").get<std::string>();
    m.rows = file.at("rows").get<int64_t>();
    m.row_groups = file.value("row_groups", int64_t{0});
    for (const nlohmann::json& s : json.at("sources")) {
      m.sources.push_back({s.at("key").get<std::string>(), s.at("bytes").get<int64_t>(),
                           s.at("sha256").get<std::string>(), s.value("by_point", false),
                           s.at("rows").get<int64_t>(), s.value("checksum", "")});
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("not a day manifest: {}", e.what()));
  }
}

bool DayManifest::SameSources(const std::vector<SourceObject>& now) const {
  if (now.size() != sources.size()) return false;
  for (size_t i = 0; i < now.size(); ++i) {
    if (now[i].key != sources[i].key || now[i].bytes != sources[i].bytes) return false;
  }
  return true;
}

StatusOr<std::optional<DayManifest>> ReadCurrentManifest(lake::ObjectStore& lake,
                                                         std::string_view table,
                                                         const std::string& date) {
  ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects,
                   lake.ListAll(lake::ManifestDayPrefix(table, date)));
  std::string current;
  int64_t highest = 0;
  for (const lake::ObjectInfo& info : objects) {
    int64_t version = lake::ParseManifestVersion(info.key);
    if (version > highest) {
      highest = version;
      current = info.key;
    }
  }
  if (highest == 0) return std::optional<DayManifest>();
  ASSIGN_OR_RETURN(std::string text, lake.Get(current));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return DataLossError(fmt::format("{} is not JSON", current));
  auto manifest = DayManifest::FromJson(json);
  if (!manifest.ok()) return manifest.status().WithContext(current);
  if (manifest->version != highest) {
    return DataLossError(fmt::format("{} says version {}", current, manifest->version));
  }
  return std::optional<DayManifest>(std::move(*manifest));
}

}  // namespace coinlake::pipeline
