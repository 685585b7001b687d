// The commands of `coinlake`: each turns parsed flags into options and calls the module that
// does the work.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cmc/sim.h"
#include "common/reload_signal.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "dashboard/server.h"
#include "pipeline/fetch.h"

namespace coinlake::app {

struct GlobalOptions {
  std::string database_url;
  std::string lake_url = "lake";    // a folder under the working directory
  std::string spool_dir = "spool";  // likewise
  std::string log_level = "info";
  bool database_iam_auth = false;  // RDS IAM tokens as database passwords (docs/deploy.md)
  // Days of raw quotes the database keeps (`retention`, `run`, `audit`; docs/database.md,
  // "Retention"); 0 keeps them forever. Off by default: the dashboard still charts history from
  // quotes, and a drop is undone only by reprocessing from the lake.
  int quotes_retention_days = 0;
  // Alert rules and channels, one line each (docs/alerts.md): `fetch` and `run`
  // evaluate the rules on each live snapshot they load, `run` delivers, `alerts test` sends.
  std::vector<std::string> alert_rules;
  std::vector<std::string> alert_webhooks;
  // The default pipeline rules (alerts/pipeline_rules.h), on once a channel is configured.
  bool alert_pipeline_defaults = true;
  std::vector<std::string> alert_channels;  // alert-channel: any kind (alerts/channel_config.h)
};

struct FetchFlags {
  std::string cmc_url = cmc::ClientOptions{}.base_url;
  std::string api_key_file;
  int limit = pipeline::FetchOptions{}.listings_limit;
  std::string convert = pipeline::FetchOptions{}.convert;
  // Seconds between calls of each endpoint; 0 turns it off (docs/cmc.md, "Endpoints").
  // The defaults fit the free plan (15,000 credits a month): see `coinlake plan`.
  // listings_latest (--listings-interval, alias --interval)
  int interval_seconds = static_cast<int>(pipeline::FetchOptions{}.interval.count());
  std::string quotes_ids;      // quotes_latest watchlist: CMC ids, comma-separated
  std::string quotes_symbols;  // ... and symbols, resolved to ids once through the map
  int quotes_interval = 300;   // only with a watchlist
  int global_metrics_interval = 900;
  int key_info_interval = 3600;
  int map_interval = 86400;
  int64_t credits_per_month = 0;  // plan: 0 = ask /v1/key/info, else assume the free plan
};

struct RunFlags {
  std::string metrics_textfile;  // Prometheus textfile for node_exporter; empty: none
};

struct ReprocessFlags {
  std::string from;
  std::string to;
  int jobs = 2;
  bool force = false;
};

// `backfill`, and `plan --backfill` (docs/history.md).
struct BackfillFlags {
  bool plan_only = false;  // `plan --backfill`: print what the backfill would cost, fetch nothing
  std::string from;        // a date, an ISO 8601 time or a duration back from --to (30d)
  std::string to;          // the same; empty: now
  std::string ids;         // CMC ids, comma-separated
  std::string symbols;     // resolved through the map
  int top = 0;             // the N best-ranked coins of the map
  std::string interval = "1h";
  std::string endpoints = "quotes";  // comma list of quotes, ohlcv, global
  bool dry_run = false;
};

struct AuditFlags {
  std::string from;
  std::string to;
  int interval_seconds = 0;  // 0: the ETL's listings interval (heartbeat), else 300
  bool json = false;
  bool fill = false;  // fetch the missing slots from listings/historical, then audit again
};

// `compact` (docs/lake.md, "The analytics layer").
struct CompactFlags {
  std::string from;
  std::string to;
  std::string tables;  // comma list; empty: every table
  bool force = false;
  bool json = false;
};

// `retention` (docs/database.md, "Retention").
struct RetentionFlags {
  bool dry_run = false;
  bool json = false;
};

// With --database-iam-auth, every database connection of this process signs in with an RDS IAM
// token made from the AWS credential chain (region: AWS_REGION, else the RDS host name). Read at
// start only: a SIGHUP reload does not change it.
void ConfigureDatabaseAuth(const GlobalOptions& global);

Status Migrate(const GlobalOptions& global);
Status Fetch(const GlobalOptions& global, const FetchFlags& flags, StopSignal& stop);
// `run` until `stop` (docs/operations.md). On a reload request it calls `reparse`, which must
// re-read the command line and the --config file into `global`, `flags` and `run_flags`; an
// error keeps the running configuration.
Status Run(const GlobalOptions& global, const FetchFlags& flags, const RunFlags& run_flags,
           StopSignal& stop, ReloadSignal& reload_signal, const std::function<Status()>& reparse);
Status Reprocess(const GlobalOptions& global, const ReprocessFlags& flags, StopSignal& stop);
// Prints the report on stdout; a discrepancy is DATA_LOSS (exit 1) after the report.
// With --fill, fetches the missing slots from history (the fetch flags say which coins and
// currencies, as for `run`) and reports the audit after it.
Status Audit(const GlobalOptions& global, const AuditFlags& flags, const FetchFlags& fetch_flags,
             StopSignal& stop);
// Prints one line per day looked at (JSON with --json) on stdout.
Status Compact(const GlobalOptions& global, const CompactFlags& flags, StopSignal& stop);
// Prints each month beyond retention and its outcome (JSON with --json) on stdout; a month kept
// because the lake does not prove it is FAILED_PRECONDITION (exit 1) after the report.
Status Retention(const GlobalOptions& global, const RetentionFlags& flags, StopSignal& stop);
Status Inspect(const std::string& file);
// With backfill.plan_only, prints the backfill's plan instead (`plan --backfill`).
Status Plan(const GlobalOptions& global, const FetchFlags& flags, const BackfillFlags& backfill);
Status Backfill(const GlobalOptions& global, const FetchFlags& flags, const BackfillFlags& backfill,
                StopSignal& stop);
// `options` as parsed; the database URL comes from `global`.
Status Serve(const GlobalOptions& global, dashboard::ServeOptions options, StopSignal& stop);
// `alerts test CHANNEL`: sends a test notification through the channel's own code and prints
// the receiver's answer on stdout; a transport failure or a non-2xx answer is an error (exit 1).
Status AlertsTest(const GlobalOptions& global, const std::string& channel);
// `options.faults` may be "@FILE": the faults are read from FILE.
Status Sim(cmc::SimOptions options, StopSignal& stop);

}  // namespace coinlake::app
