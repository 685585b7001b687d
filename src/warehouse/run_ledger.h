// The ETL's record of its fetch cycles: one `runs` row per cycle (migrations 0001, 0010, 0012).
// The pipeline writes it, the dashboard and `audit` read it; its SQL lives only here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

struct RunStart {
  std::string command;  // run or fetch
  TimePoint started;
  // The listings interval the cycle keeps (for audit's schedule); 0: none (a one-off fetch).
  int64_t listings_interval_seconds = 0;
};

// Inserts the cycle's row; returns its id for FinishRun.
StatusOr<int64_t> StartRun(Connection& db, const RunStart& run);

struct RunEnd {
  TimePoint finished;
  std::string outcome;  // ok, partial or failed
  int64_t credits = 0;
  int64_t objects = 0;
  int64_t rows = 0;
  int64_t quotes_carried = 0;
  std::optional<std::string> error_class;  // a StatusCode name
  std::optional<std::string> error;        // already redacted
};

Status FinishRun(Connection& db, int64_t run_id, const RunEnd& run);

// A cycle as the ledger holds it; what an unfinished (or killed) cycle never wrote is unset.
struct RunRecord {
  int64_t id = 0;
  std::string command;
  std::optional<TimePoint> started;
  std::optional<TimePoint> finished;
  std::string outcome;  // running until the cycle ends (or forever, if it was killed)
  std::optional<int64_t> credits;
  std::optional<int64_t> objects;
  std::optional<int64_t> rows;
  std::optional<int64_t> quotes_carried;  // unset before migration 0012 too
  std::optional<std::string> error_class;
  std::optional<std::string> error;
  std::optional<double> duration_seconds;
};

// The newest `limit` cycles, newest first.
StatusOr<std::vector<RunRecord>> RecentRuns(Connection& db, int64_t limit);

// The cycle that best explains missing data between `from` and `to`: the first failed or
// partial one, else the first; unset when none started then.
StatusOr<std::optional<RunRecord>> RunExplainingGap(Connection& db, TimePoint from, TimePoint to);

// What coinlake spent this calendar month (UTC, CMC's plan month).
struct MonthSpend {
  std::optional<TimePoint> month_start;
  int64_t credits = 0;
  int64_t runs = 0;
};
StatusOr<MonthSpend> SpentThisMonth(Connection& db);

struct ErrorClassCount {
  std::string error_class;
  int64_t count = 0;
  std::optional<TimePoint> last_at;
  std::optional<std::string> last_error;
};

// Failed cycles of the last `window`, by error class, most frequent first.
StatusOr<std::vector<ErrorClassCount>> ErrorsByClass(Connection& db, std::chrono::hours window);

// Where the listings interval the cycles recorded changed, oldest first: one entry per change,
// so the answer stays small whatever the history.
struct ScheduleChange {
  TimePoint from;
  std::chrono::seconds interval;
};
StatusOr<std::vector<ScheduleChange>> ListingsScheduleChanges(Connection& db);

// The listings schedule's slots of the last 24 hours and whether each holds a listings
// snapshot; a slot lasts `interval_seconds`. The window starts later if the first snapshot
// ever is later, or after a schedule change: at the first cycle under the current interval (or,
// before there is one, the last cycle under another), since older slots were of another
// length. The slot in progress is not expected yet. Oldest first.
struct ListingsSlot {
  std::optional<TimePoint> start;
  bool filled = false;
};
StatusOr<std::vector<ListingsSlot>> RecentListingsSlots(Connection& db, int64_t interval_seconds);

}  // namespace coinlake::warehouse
