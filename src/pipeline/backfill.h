// `coinlake backfill`: history from CoinMarketCap's historical endpoints, lake first, exactly as
// live data (docs/history.md).
//
// It asks key_info for the plan (and the map, for --top and --symbols), plans the calls
// (backfill_plan.h), prints what they cost against the month's credits minus what the live
// schedule needs for the rest of the month (the reserve), and refuses a backfill that would eat
// into that reserve. Then, per endpoint, a probe of at most one credit learns whether the plan
// serves it (recorded in endpoint_access, warehouse/endpoint_access.h), and each call whose key
// the lake or the spool does not hold yet is fetched, spooled, put in the lake and loaded, one
// at a time. A run killed at any point and started again asks only for what is missing.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "pipeline/backfill_plan.h"
#include "pipeline/fetch.h"

namespace coinlake::pipeline {

struct BackfillOptions {
  // The client, lake, spool and database, the currencies (convert), and the live schedule
  // (`run`'s flags), whose needs for the rest of the month are the reserve.
  FetchOptions fetch;
  std::string from;  // YYYY-MM-DD, an ISO 8601 time, or a duration back from --to ("30d")
  std::string to;    // the same; empty: now
  std::vector<int64_t> ids;
  std::vector<std::string> symbols;  // resolved through the map
  int top = 0;                       // the N best-ranked active coins of the map
  std::string interval = "1h";       // 5m, 1h, 1d
  bool quotes = true;
  bool ohlcv = false;
  bool global_metrics = false;
  bool dry_run = false;  // print the plan, fetch nothing (also `coinlake plan --backfill`)
};

// What the month's credits allow a backfill.
struct CreditBudget {
  int64_t monthly = 0;
  int64_t used = 0;          // this month, as key_info reports it
  int64_t live_reserve = 0;  // what the live schedule needs until the month resets
  int64_t available() const { return std::max<int64_t>(0, monthly - used - live_reserve); }
};

// A time given to --from/--to: a date (midnight UTC), an ISO 8601 time, "now", or a duration
// back from `now` such as 30d, 12h or 90m.
StatusOr<TimePoint> ParseBackfillTime(std::string_view text, TimePoint now);

// The reserve: the live schedule's credits a month, times the part of the plan month still to
// come at `now` (the month ends at `reset`, else at the next 1st, UTC).
int64_t LiveReserve(const FetchOptions& live, TimePoint now, std::optional<TimePoint> reset);

struct BackfillReport {
  int64_t calls = 0;       // planned
  int64_t calls_held = 0;  // already in the lake (or the spool) before this run
  int64_t calls_fetched = 0;
  int64_t credits_planned = 0;  // of the calls still to fetch, probes excluded
  int64_t credits_spent = 0;    // what CMC charged this run
  int64_t rows = 0;             // rows loaded
};

// Prints the plan to `out`, then (unless dry_run) fetches and loads. FAILED_PRECONDITION when
// the plan cannot serve an endpoint (CMC's own reason) or the credits do not fit the budget.
StatusOr<BackfillReport> RunBackfill(const BackfillOptions& options, StopSignal& stop,
                                     std::ostream& out);

// `audit --fill`: fetches a listings snapshot (/v1/cryptocurrency/listings/historical, the top
// `fetch.listings_limit` coins in `fetch.convert`) for each missing schedule slot, keyed by the
// slot's time, the same way: budget, probe, lake first, resumable.
StatusOr<BackfillReport> FillSlots(const FetchOptions& fetch, const std::vector<TimePoint>& slots,
                                   StopSignal& stop, std::ostream& out);

}  // namespace coinlake::pipeline
