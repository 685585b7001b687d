// `coinlake reprocess`: loads lake objects the ledger does not have yet.
//
// Streaming and bounded: the lake is listed page by page, each page's keys are checked against
// the ledger in one query, and the objects to load pass through a small bounded queue to
// `jobs` workers, each with its own database connection. Memory does not grow with the lake.
// Exactly once: each object commits with its ledger row (warehouse::Loader), so a run killed at
// any point (kill -9 included) resumes where it stopped when run again.
// Candles are deferred (warehouse::Loader::Candles::kDefer): the workers only record the hours
// they load, and the run ends by rebuilding those hours' candles from the quotes, once
// (warehouse::RebuildPendingCandles), including hours an earlier, killed run left pending.
// Into an empty quotes table (drop + migrate, or --force), the workers load without its indexes
// and the run builds them at its end (warehouse::DeferQuoteIndexes), like pg_restore; a run
// killed before that leaves the rebuild for the next one to finish.
// With a quotes retention (retention.h), the lake is loaded as `run` would have loaded it day by
// day: up to the day its retention step drops the oldest month (the month's end plus the
// retention), then that step, which drops the month once the lake's Parquet layer proves it,
// then on to the next month's day. So the database rebuilt from the lake holds what the running
// ETL would have kept (candles of every hour, quotes of the retention) and, while loading, never
// more than the ETL holds (the retention and about a month). A month the lake cannot prove
// stays, as in `run`, and the report says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"

namespace coinlake::pipeline {

struct ReprocessOptions {
  std::string database_url;
  std::string lake_url;
  std::string from_date;  // YYYY-MM-DD, inclusive; empty: from the start
  std::string to_date;    // YYYY-MM-DD, inclusive; empty: to the end
  int jobs = 2;           // parallel loaders (database connections), >= 1
  // Empties the data tables and the ledger (one transaction), then loads everything.
  bool force = false;
  // A progress bar on stderr (for a TTY); otherwise a JSON progress log line every 10 s.
  bool progress_bar = false;
  // 0: keep every quote loaded; else the quotes_retention_days of `run` (see above).
  int quotes_retention_days = 0;
  Clock clock = SystemNow;  // where the retention's boundary is measured from
  // Into an empty database, fold the candles while loading (pipeline/folded_candles.h) rather
  // than build them from the table at the end. Off only to compare the two (tests, benchmarks).
  bool fold_candles = true;
  // How often a folding rebuild writes the assets it folded (warehouse/folded_assets.h): what
  // a kill would make the next run read again. Tests make it zero (every batch).
  std::chrono::steady_clock::duration fold_assets_interval = std::chrono::minutes(1);
};

struct ReprocessReport {
  int64_t objects_seen = 0;    // raw bodies in range
  int64_t objects_loaded = 0;  // newly loaded by this run
  int64_t rows = 0;            // quote rows newly inserted
  int64_t candle_hours = 0;    // hours whose candles were folded or rebuilt at the end
  // A rebuild of quotes (loaded without indexes, built at the end) was ended by this run, and
  // how many duplicate quotes it removed (warehouse::RestoreQuoteIndexes).
  bool quotes_rebuilt = false;
  int64_t duplicates_removed = 0;
  // With a retention: the partitions its steps dropped, and those beyond it that stayed, with
  // the reason ("quotes_2026_03: ...").
  std::vector<std::string> partitions_dropped;
  std::vector<std::string> partitions_kept;
};

// Idempotent: objects already in the ledger are skipped; one whose size differs from the
// ledger's is DATA_LOSS (audit compares checksums). A transient database error (UNAVAILABLE,
// deadlock) reconnects with backoff and retries the object. Returns early, with what was done,
// when `stop` fires.
StatusOr<ReprocessReport> RunReprocess(const ReprocessOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
