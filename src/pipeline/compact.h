// `coinlake compact`, and the same step in `coinlake run` once a UTC day closes: the analytics
// layer of the lake (docs/lake.md, "The analytics layer"). For each table (curated_tables.h)
// and day, one Parquet file sorted by coin and time, and a manifest naming the raw objects it
// was built from with their sha256 and the checksum `audit` computes for the database.
//
// A day is replaced, never half-written: the new file first, then the next manifest version
// pointing at it, then the file it replaced is deleted. A day is up to date while its sources
// are the ones its manifest names; a late object (a spool drained after midnight, a backfill)
// makes it stale, and the next compaction rebuilds it; so does a file missing, changed in size
// or joined by another in its folder. Memory stays bounded whatever the day's
// size (quote_spill.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"
#include "lake/object_store.h"
#include "pipeline/compact_sources.h"
#include "pipeline/curated_tables.h"
#include "pipeline/day_manifest.h"

namespace coinlake::pipeline {

struct CompactOptions {
  std::string lake_url;
  // YYYY-MM-DD, inclusive. Without `to_date`, the days before today (UTC): an open day is
  // compacted only when asked for by name, and again once it closes.
  std::string from_date;
  std::string to_date;
  std::vector<std::string> tables;  // empty: every table
  bool force = false;               // rebuild days whose manifest is up to date
  std::string temp_dir;             // spill and staging files; empty: $TMPDIR, else /tmp
};

struct CompactedDay {
  std::string table;
  std::string date;
  // compacted: a new file and manifest; up_to_date: the manifest names the day's sources;
  // unchanged: rebuilt (force) to the same bytes.
  std::string outcome;
  std::string file_key;
  int64_t version = 0;
  int64_t sources = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t milliseconds = 0;
};

struct CompactReport {
  std::vector<CompactedDay> days;
  nlohmann::json ToJson() const;
};

class Compactor {
 public:
  Compactor(lake::ObjectStore& lake, std::string temp_dir, Clock clock = SystemNow);

  StatusOr<CompactedDay> CompactDay(const CuratedTable& table, const std::string& date,
                                    bool force = false);

  // The closed days (before today, UTC) in [from, to] with sources and no up-to-date manifest.
  // Empty bounds: unbounded.
  StatusOr<std::vector<std::string>> StaleDays(const CuratedTable& table, const std::string& from,
                                               const std::string& to);

  SourceIndex& sources() { return sources_; }

 private:
  struct Built;
  StatusOr<Built> BuildQuotes(const std::string& date, const std::vector<SourceObject>& sources,
                              const std::string& path);
  StatusOr<Built> BuildGlobalMetrics(const std::string& date,
                                     const std::vector<SourceObject>& sources,
                                     const std::string& path);
  // Whether `manifest` is current: it names the day's sources, and its file is in the day's folder
  // with its size, alone.
  StatusOr<bool> UpToDate(const CuratedTable& table, const std::optional<DayManifest>& manifest,
                          const std::vector<SourceObject>& sources);
  // Deletes every object of the table's day folder but `keep`: the file a new one replaced,
  // leftovers of a compaction killed before its manifest, CSVs of older versions.
  Status RemoveReplaced(const CuratedTable& table, const std::string& date,
                        const std::string& keep);

  lake::ObjectStore& lake_;
  std::string temp_dir_;
  Clock clock_;
  SourceIndex sources_;
};

StatusOr<CompactReport> RunCompact(const CompactOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
