// One fetch cycle: extract -> spool -> lake -> load, and the `run` loop around it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cmc/client.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"
#include "lake/file_object_store.h"
#include "lake/object_store.h"
#include "warehouse/db.h"

namespace coinlake::pipeline {

struct FetchOptions {
  std::string database_url;
  std::string lake_url;
  std::string spool_dir;  // local folder; every response lands here first, fsync'd
  cmc::ClientOptions cmc;
  int listings_limit = 100;  // top N coins by market cap (1..5000)
  std::string convert = "USD";
  std::chrono::seconds interval{300};  // `run`: time between cycles, aligned to the wall clock
};

struct CycleReport {
  int objects = 0;   // lake objects written (bodies and quarantined answers)
  int64_t rows = 0;  // quote rows loaded
  int64_t credits = 0;
  bool quarantined = false;
};

// The long-lived parts of the pipeline: one CMC client, the lake, the spool and a database
// connection (reopened when it drops).
class Pipeline {
 public:
  static StatusOr<std::unique_ptr<Pipeline>> Make(const FetchOptions& options, StopSignal& stop);

  // Runs one cycle and records it in `runs`. An API, lake or database outage is returned as an
  // error; what was fetched stays in the spool or the lake for the next cycle.
  StatusOr<CycleReport> RunCycle(std::string_view command);

  // Moves spooled objects to the lake in key order, oldest first, then loads them.
  Status DrainSpool(CycleReport& report);

 private:
  Pipeline(const FetchOptions& options, StopSignal& stop) : options_(options), stop_(stop) {}
  StatusOr<warehouse::Connection*> Database();
  // Fetches, classifies and spools one response (raw/ or quarantine/).
  Status Extract(CycleReport& report);

  FetchOptions options_;
  StopSignal& stop_;
  std::unique_ptr<cmc::CmcClient> client_;
  std::unique_ptr<lake::ObjectStore> lake_;
  std::unique_ptr<lake::FileObjectStore> spool_;
  std::unique_ptr<warehouse::Connection> db_;
  // Set when CMC said retrying cannot help (bad key, plan, credits): no call before this time.
  TimePoint listings_stopped_until_{};
  std::string listings_stop_reason_;
};

// `coinlake fetch`: one cycle, then exit.
Status RunFetch(const FetchOptions& options, StopSignal& stop);

// `coinlake run`: a cycle at every multiple of options.interval (wall clock) until `stop`.
// A failed cycle is logged and the loop goes on; a cycle that overruns skips the missed slots.
Status RunLoop(const FetchOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
