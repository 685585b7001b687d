#include "dashboard/time_range.h"

#include <fmt/format.h>

#include <map>
#include <string>

#include "dashboard/api_util.h"

namespace coinlake::dashboard {

StatusOr<TimeRange> ParseTimeRange(warehouse::Connection& db, QueryParams& params,
                                   const std::string& latest_sql,
                                   const std::vector<warehouse::Param>& latest_args) {
  ASSIGN_OR_RETURN(auto from, params.Time("from"));
  ASSIGN_OR_RETURN(auto to, params.Time("to"));
  ASSIGN_OR_RETURN(auto range_text, params.Text("range", 8));
  TimeRange r;
  if (range_text && *range_text == "all") {
    r.all = true;
  } else if (range_text) {
    std::multimap<std::string, std::string> one{{"range", *range_text}};
    QueryParams duration(one);
    ASSIGN_OR_RETURN(auto seconds, duration.Duration("range", 60, kMaxRangeSeconds));
    range_text = std::to_string(*seconds);
  }
  if (from && range_text) return InvalidArgumentError("give from or range, not both");
  if (to) {
    r.to = *to;
  } else {
    std::string latest = latest_sql;
    if (latest.empty()) {
      ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
      latest = LatestSnapshotSql(has_carried);
    }
    ASSIGN_OR_RETURN(
        warehouse::Rows rows,
        db.Query(fmt::format("SELECT floor(extract(epoch FROM coalesce(({}), now())))", latest),
                 latest_args));
    int64_t seconds = 0;
    if (rows.at(0, 0)) ParseInt(*rows.at(0, 0), seconds);
    r.to = seconds;
  }
  if (from) {
    r.from = *from;
  } else if (range_text && !r.all) {
    r.from = r.to - std::stoll(*range_text);
  } else if (!r.all) {
    r.from = r.to - 86400;
  }
  if (!r.all) {
    if (r.from >= r.to) return InvalidArgumentError("from must be before to");
    if (r.to - r.from > kMaxRangeSeconds) {
      return InvalidArgumentError(
          fmt::format("the range may span at most {} days", kMaxRangeSeconds / 86400));
    }
  }
  return r;
}

}  // namespace coinlake::dashboard
