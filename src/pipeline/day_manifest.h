// A curated day's manifest (docs/lake.md, "The analytics layer"): the Parquet file of one table
// and UTC day, and the raw objects it was built from, so anyone can prove the day complete and
// equal to its sources. Manifests are write-once like every lake object: a recompacted day gets
// the next version (lake::ManifestKey), and the highest version is the current one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/object_store.h"
#include "pipeline/compact_sources.h"

namespace coinlake::pipeline {

struct ManifestSource {
  std::string key;
  int64_t bytes = 0;   // stored size
  std::string sha256;  // of the stored bytes, as the ledger (lake_objects.sha256) has it
  bool by_point = false;
  // The rows the object gave this day, and for quotes their checksum as `audit` computes it for
  // the database (warehouse::ChecksumQuotes: md5 of the canonical rows; "" for other tables).
  int64_t rows = 0;
  std::string checksum;
};

struct DayManifest {
  std::string table;
  std::string date;
  int64_t version = 0;
  std::string compacted_at;  // ISO-8601 UTC
  std::string coinlake_version;
  std::string file_key;  // the day's Parquet file
  int64_t file_bytes = 0;
  std::string file_sha256;
  int64_t rows = 0;  // rows in the file: the sum of the sources' rows
  int64_t row_groups = 0;
  std::vector<ManifestSource> sources;  // in key order

  nlohmann::json ToJson() const;
  static StatusOr<DayManifest> FromJson(const nlohmann::json& json);
  // Whether the manifest was built from exactly these objects (key and stored size).
  bool SameSources(const std::vector<SourceObject>& sources) const;
};

// The current (highest-version) manifest of a table's day; nullopt if the day has none.
StatusOr<std::optional<DayManifest>> ReadCurrentManifest(lake::ObjectStore& lake,
                                                         std::string_view table,
                                                         const std::string& date);

}  // namespace coinlake::pipeline
