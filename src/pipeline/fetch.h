// One fetch cycle: extract -> spool -> lake -> load (the `run` loop is in run_loop.h). The
// Pipeline class is defined over fetch.cc (the cycle), extract.cc and drain.cc (its steps).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/rules.h"
#include "cmc/classify.h"
#include "cmc/client.h"
#include "cmc/credit_governor.h"
#include "cmc/plan.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"
#include "lake/file_object_store.h"
#include "lake/object_store.h"
#include "pipeline/endpoints.h"
#include "warehouse/db.h"
#include "warehouse/run_ledger.h"

namespace coinlake::pipeline {

// How often one endpoint is fetched. `endpoint` is its lake name (lake/keys.h:
// listings_latest, quotes_latest, global_metrics_latest, key_info, map); 0 s = off.
struct EndpointSchedule {
  std::string_view endpoint;
  std::chrono::seconds interval;
};

// The spool's folder for `run`'s own files (the database-outage alert journal,
// pipeline_watch.h), which are not objects: the drain leaves it alone.
inline constexpr std::string_view kSpoolJournalFolder = "journal/";

struct FetchOptions {
  std::string database_url;
  std::string lake_url;
  std::string spool_dir;  // local folder; every response lands here first, fsync'd
  cmc::ClientOptions cmc;
  int listings_limit = 100;     // top N coins by market cap (1..5000)
  std::string convert = "USD";  // quote currencies, comma-separated, for every endpoint
  // The quotes_latest watchlist: CMC ids, and symbols resolved to ids once through the map
  // (the best-ranked active coin of each symbol). At most kMaxQuoteIds in all.
  std::vector<int64_t> quotes_ids;
  std::vector<std::string> quotes_symbols;
  std::chrono::seconds interval{300};  // `run`: time between cycles, aligned to the wall clock
  // What the cycle reads the time from (the governor, the runs rows, stopped endpoints).
  Clock clock = SystemNow;
  // One entry per endpoint, filled from the options by commands.cc.
  std::vector<EndpointSchedule> schedule = {{"listings_latest", std::chrono::seconds(300)}};
  // Alert rules and channels (docs/alerts.md); null or empty: none. The market rules are
  // evaluated in the load transaction of each live snapshot the drain loads; `run` delivers.
  std::shared_ptr<const alerts::AlertConfig> alerts;
};

// The endpoints `schedule` turns on (interval > 0), in schedule order.
std::vector<std::string_view> EnabledEndpoints(const FetchOptions& options);

// The listings endpoint's interval in seconds, 0 when it is off. The heartbeat and each cycle's
// runs row record it: the dashboard's gaps and audit's schedule follow it.
int64_t ListingsIntervalSeconds(const FetchOptions& options);

// What `coinlake plan` prices: one line per enabled endpoint. Symbols in the watchlist count as
// one coin each (they resolve to one id each).
std::vector<cmc::PlanCall> PlanCalls(const FetchOptions& options);

// Where a cycle's time went (the JSON cycle log line and the metrics textfile show them).
struct StageTimes {
  std::chrono::milliseconds extract{0};  // HTTP calls, retries and backoff included
  std::chrono::milliseconds spool{0};    // compress and fsync into the spool
  std::chrono::milliseconds lake{0};     // puts into the lake
  std::chrono::milliseconds load{0};     // parse and load into PostgreSQL
  // Of `load`: the market alert rules inside the load transactions (evaluation, alert_state,
  // the outbox), so what the rules add to a cycle can be read off each cycle.
  std::chrono::microseconds alerts{0};
};

struct CycleReport {
  StageTimes stages;
  int objects = 0;      // lake objects written (bodies and quarantined answers)
  int64_t rows = 0;     // quote rows loaded
  int64_t carried = 0;  // quotes listed again unchanged, stored by an earlier snapshot
  int64_t credits = 0;
  bool quarantined = false;
  // ok, partial (some endpoints failed, or an answer went to quarantine) or failed: the outcome
  // `runs`, the cycle's log line, the heartbeat and the metrics all give.
  std::string outcome;
  // Puts into the lake that succeeded, and whether one failed after its retries: what the
  // lake-outage alert rule sees of the lake (alerts/pipeline_rules.h).
  int lake_puts = 0;
  bool lake_failed = false;
  // The endpoints whose call this cycle was answered (the endpoint-stopped rule resolves on it).
  std::vector<std::string> answered;
};

// The `runs` row's end for a cycle (or a backfill) that did `report` and ended with `status`
// (its error redacted).
warehouse::RunEnd RunEndOf(TimePoint finished, std::string outcome, const CycleReport& report,
                           const Status& status);

// The long-lived parts of the pipeline: one CMC client, the lake, the spool and a database
// connection (reopened when it drops).
class Pipeline {
 public:
  static StatusOr<std::unique_ptr<Pipeline>> Make(const FetchOptions& options, StopSignal& stop);

  // Runs one cycle over the `due` endpoints (one call each: classified, governed, spooled, put
  // in the lake, loaded) and records it in `runs`. An API, lake or database outage is returned
  // as an error; what was fetched stays in the spool or the lake for the next cycle.
  StatusOr<CycleReport> RunCycle(std::string_view command,
                                 const std::vector<std::string_view>& due);

  // Moves spooled objects to the lake in key order, oldest first, then loads them. An object
  // the ledger already holds with other bytes is set aside in quarantine/ and the drain goes
  // on; the first such is returned as DATA_LOSS once the rest is drained.
  Status DrainSpool(CycleReport& report);

  // Fetches one live endpoint of the table once (no runs row): `backfill` asks key_info for the
  // plan and the map for --top and --symbols this way. DrainSpool loads it.
  Status FetchEndpoint(std::string_view name, CycleReport& report);
  // Where a historical answer goes in the lake (lake/keys.h): the start of the window its request
  // asks for and the request's digest.
  struct HistoricalKey {
    TimePoint window_start{};
    std::string digest;
  };
  // Fetches one historical request (`backfill`, `audit --fill`) the way a cycle fetches a live
  // endpoint (governed, classified with retries, spooled under raw/ or quarantine/), under the
  // key made from its request. DrainSpool puts it in the lake and loads it.
  Status FetchHistorical(const Endpoint& endpoint, const EndpointRequest& request, int64_t credits,
                         const HistoricalKey& key, CycleReport& report);
  // CMC's answer to the last call (its final attempt): HTTP status, error code and message.
  const cmc::Answer& last_answer() const { return last_answer_; }
  // Whether `key` is in the spool (fetched, not yet drained) or in the lake.
  StatusOr<bool> HoldsRawObject(const std::string& key);
  // The newest coin map a cycle fetched (RunCycle with "map"), if any: backfill's --top and
  // --symbols resolve through it.
  const cmc::MapPayload* map() const { return map_ ? &*map_ : nullptr; }
  // The database connection, opened again after a drop.
  StatusOr<warehouse::Connection*> Database();

  // What the last RunCycle did, also when it failed.
  const CycleReport& last_report() const { return last_report_; }
  // Endpoints CMC's error codes stopped (bad key, plan, credits) and not called again since, and
  // quotes_latest when its watchlist could not be resolved: the endpoint-stopped alert rule.
  struct StoppedEndpoint {
    std::string endpoint;
    std::string reason;
    TimePoint until;  // TimePoint::max(): until restart
  };
  std::vector<StoppedEndpoint> StoppedEndpoints() const;
  // The credit governor, once it holds the plan from /v1/key/info; nullptr before.
  const cmc::CreditGovernor* governor() const { return governor_ready_ ? &governor_ : nullptr; }

 private:
  Pipeline(const FetchOptions& options, StopSignal& stop) : options_(options), stop_(stop) {}
  struct Step {
    const Endpoint* endpoint;
    bool required;  // false: added by the cycle itself (key_info for the governor, map for the
                    // watchlist); its failure is logged, not the cycle's
  };
  // The due endpoints in fetch order, with what they need first.
  StatusOr<std::vector<Step>> PlanCycle(const std::vector<std::string_view>& due) const;
  // Fetches one endpoint: governed, classified (with retries), spooled under raw/ or
  // quarantine/; then what the fetch itself needs from the body (plan, watchlist ids).
  Status Extract(const Endpoint& endpoint, CycleReport& report);
  // Extract's work for one request; `historical` keys the answer by its request.
  Status Call(const Endpoint& endpoint, const EndpointRequest& request, int64_t cost,
              const std::optional<HistoricalKey>& historical, CycleReport& report);
  // Writes one object into the spool (fsync'd), timed as the spool stage; a raw key already
  // spooled with different bytes follows the tie-break of raw_put.h. `body_written`, for a
  // sidecar, is where its body went. Returns the key written.
  StatusOr<std::string> Spool(const std::string& key, std::string_view data, CycleReport& report,
                              std::string_view body_written = {});
  // Puts one spooled object into the lake (the tie-break of raw_put.h; `body_written`, for a
  // sidecar, is where its body went), retrying transient failures until the stop signal.
  // Timed as the lake stage. Returns the key written.
  StatusOr<std::string> PutInLake(const std::string& key, std::string_view data,
                                  std::string_view body_written, CycleReport& report);
  // Waits (up to a minute) until the credit governor admits a call costing `credits`;
  // RESOURCE_EXHAUSTED when it would take longer (the endpoint is deferred to a later cycle).
  Status AwaitCredits(std::string_view endpoint, int64_t credits);
  // Takes what the fetch cycle uses from a good body: the plan from key_info, the watchlist ids
  // from the map.
  void Absorb(const ParsedObject& parsed);
  FetchOptions options_;
  StopSignal& stop_;
  std::unique_ptr<cmc::CmcClient> client_;
  std::unique_ptr<lake::ObjectStore> lake_;
  std::unique_ptr<lake::FileObjectStore> spool_;
  std::unique_ptr<warehouse::Connection> db_;
  // Endpoints CMC said retrying cannot help (bad key, plan, credits): no call before `until`.
  struct Stopped {
    TimePoint until;  // TimePoint::max(): until restart
    std::string reason;
  };
  std::map<std::string_view, Stopped> stopped_;
  cmc::CreditGovernor governor_{cmc::CreditPlan{}};
  bool governor_ready_ = false;  // the plan came from /v1/key/info
  std::optional<cmc::MapPayload> map_;
  cmc::Answer last_answer_;
  std::vector<int64_t> quote_ids_;
  bool symbols_resolved_ = false;
  std::string watchlist_error_;  // symbols the map could not resolve: quotes stop until restart
  CycleReport last_report_;
};

// `coinlake fetch`: one cycle of every enabled endpoint, then exit.
Status RunFetch(const FetchOptions& options, StopSignal& stop);

}  // namespace coinlake::pipeline
