// Which raw objects feed a curated table's day (curated_tables.h), read from the lake's keys.
// A snapshot endpoint's objects are found by their dt= folder; a point endpoint's (history, whose
// window may span many days) by parsing each object once and remembering the days its rows
// fall on: the index lives as long as the SourceIndex (a `compact` run, or the whole `run`).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/object_store.h"
#include "pipeline/curated_tables.h"

namespace coinlake::pipeline {

struct SourceObject {
  std::string key;
  int64_t bytes = 0;      // stored size: a day is up to date while its sources keep key and size
  bool by_point = false;  // from a point endpoint: only the rows on the day count
  bool operator==(const SourceObject&) const = default;
};

class SourceIndex {
 public:
  explicit SourceIndex(lake::ObjectStore& lake) : lake_(lake) {}

  // The table's source objects with rows on `date` (YYYY-MM-DD), in key order.
  StatusOr<std::vector<SourceObject>> DaySources(const CuratedTable& table,
                                                 const std::string& date);

  // Every day with a source object of the table, in order.
  StatusOr<std::set<std::string>> Days(const CuratedTable& table);

 private:
  // Lists the point endpoint's objects and parses those not indexed yet. An object that does not
  // parse has no rows for any day (raw/ holds only parsed answers; audit names it).
  Status RefreshPoints(std::string_view endpoint);

  struct PointObject {
    int64_t bytes = 0;
    std::set<std::string> days;
  };
  lake::ObjectStore& lake_;
  std::map<std::string, PointObject> points_;  // by key
};

}  // namespace coinlake::pipeline
