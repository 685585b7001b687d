// `coinlake reprocess`: loads lake objects the ledger does not have yet.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::pipeline {

struct ReprocessOptions {
  std::string database_url;
  std::string lake_url;
  std::string from_date;  // YYYY-MM-DD, inclusive; empty: from the start
  std::string to_date;    // YYYY-MM-DD, inclusive; empty: to the end
};

struct ReprocessReport {
  int64_t objects_seen = 0;
  int64_t objects_loaded = 0;
  int64_t rows = 0;
};

// Idempotent: objects already in the ledger are skipped (and checked for changes).
StatusOr<ReprocessReport> RunReprocess(const ReprocessOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
