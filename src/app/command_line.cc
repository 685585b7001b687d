#include "app/command_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include "pipeline/retention.h"

namespace coinlake::app {
namespace {

// --from/--to: a real calendar date written YYYY-MM-DD, the lake's dt= partition format.
const CLI::Validator kDataDate(
    [](std::string& text) -> std::string {
      unsigned year = 0, month = 0, day = 0;
      char rest = 0;
      bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                    std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &rest) == 3;
      std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                       std::chrono::month(month), std::chrono::day(day)};
      if (shaped && date.ok()) return "";
      return "'" + text + "' is not a date written YYYY-MM-DD";
    },
    "YYYY-MM-DD", "DataDate");

// quotes-retention-days: 0 (keep forever) or a number of days, said plainly when it is neither
// (a typo in the configuration file must not become a retention nobody meant).
const CLI::Validator kRetentionDays(
    [](std::string& text) -> std::string {
      int days = -1;
      char rest = 0;
      if (std::sscanf(text.c_str(), "%d%c", &days, &rest) == 1 && days >= 0 &&
          days <= pipeline::kMaxRetentionDays)
        return "";
      return fmt::format(
          "quotes-retention-days must be 0 (keep quotes forever) or 1..{} days, not '{}'",
          pipeline::kMaxRetentionDays, text);
    },
    "DAYS", "RetentionDays");

// `interval_alias`: --interval also names --listings-interval (not in `backfill`, where it is the
// history's interval).
void AddFetchFlags(CLI::App& command, Invocation& invocation, bool interval_alias) {
  FetchFlags& flags = invocation.fetch;
  command.add_option("--cmc-url", flags.cmc_url, "CoinMarketCap API base URL")
      ->envname("COINLAKE_CMC_URL")
      ->capture_default_str();
  command
      .add_option("--api-key-file", flags.api_key_file,
                  "file holding the API key (else $CMC_API_KEY; never a flag: argv is public)")
      ->envname("CMC_API_KEY_FILE");
  command.add_option("--limit", flags.limit, "top N coins by market cap, 1..5000")
      ->envname("COINLAKE_LISTINGS_LIMIT")
      ->capture_default_str();
  command
      .add_option("--convert", flags.convert,
                  "quote currencies, comma-separated (each extra one costs credits)")
      ->envname("COINLAKE_CONVERT")
      ->capture_default_str();
  // Which endpoints run and how often (docs/cmc.md, "Endpoints"); 0 turns one off.
  auto interval = [&](const char* names, int& value, const char* env, const char* what) {
    command.add_option(names, value, what)
        ->envname(env)
        ->check(CLI::Range(0, 31 * 86400))
        ->capture_default_str();
  };
  interval(interval_alias ? "--listings-interval,--interval" : "--listings-interval",
           flags.interval_seconds, "COINLAKE_INTERVAL",
           "seconds between listings calls (top --limit coins), on the wall clock; 0: off");
  command
      .add_option("--quotes-ids", flags.quotes_ids,
                  "quotes watchlist: CMC ids, comma-separated (ids are unique; symbols repeat)")
      ->envname("COINLAKE_QUOTES_IDS");
  command
      .add_option("--quotes-symbols", flags.quotes_symbols,
                  "quotes watchlist: symbols, resolved once to the best-ranked coin's id")
      ->envname("COINLAKE_QUOTES_SYMBOLS");
  interval("--quotes-interval", flags.quotes_interval, "COINLAKE_QUOTES_INTERVAL",
           "seconds between quotes calls for the watchlist; 0: off");
  interval("--global-metrics-interval", flags.global_metrics_interval,
           "COINLAKE_GLOBAL_METRICS_INTERVAL", "seconds between global metrics calls; 0: off");
  interval("--key-info-interval", flags.key_info_interval, "COINLAKE_KEY_INFO_INTERVAL",
           "seconds between key info calls (plan and usage, free); 0: off");
  interval("--map-interval", flags.map_interval, "COINLAKE_MAP_INTERVAL",
           "seconds between map calls (ids, names; free); 0: off");
}

void AddFetchOptions(CLI::App& command, Invocation& invocation) {
  AddFetchFlags(command, invocation, /*interval_alias=*/true);
}

void AddRunOptions(CLI::App& run, Invocation& invocation) {
  AddFetchOptions(run, invocation);
  run.add_option("--metrics-textfile", invocation.run.metrics_textfile,
                 "write Prometheus metrics to this file after every cycle (node_exporter's "
                 "textfile collector: a *.prom file in its folder)")
      ->envname("COINLAKE_METRICS_TEXTFILE");
}

void AddReprocessOptions(CLI::App& reprocess, Invocation& invocation) {
  ReprocessFlags& flags = invocation.reprocess;
  reprocess.add_option("--from", flags.from, "first data date (UTC)")->check(kDataDate);
  reprocess.add_option("--to", flags.to, "last data date (UTC)")->check(kDataDate);
  reprocess.add_option("--jobs", flags.jobs, "parallel loaders (connections)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  reprocess.add_flag("--force", flags.force,
                     "empty the data tables and the ledger, then reload everything (what the "
                     "retention keeps, with one)");
}

void AddAuditOptions(CLI::App& audit, Invocation& invocation) {
  AuditFlags& flags = invocation.audit;
  audit.add_option("--from", flags.from, "first data date (UTC)")->check(kDataDate);
  audit.add_option("--to", flags.to, "last data date (UTC)")->check(kDataDate);
  audit
      .add_option("--interval", flags.interval_seconds,
                  "expected seconds between snapshots, for the whole range (default: the "
                  "listings interval each run cycle recorded, as the schedule changed)")
      ->check(CLI::Range(10, 86400));
  audit.add_flag("--json", flags.json, "print the report as JSON on stdout");
  audit.add_flag("--fill", flags.fill,
                 "fetch each missing listings slot from CMC's listings/historical (--limit, "
                 "--convert as for `run`; the plan's credits permitting), then audit again");
  AddFetchFlags(audit, invocation, /*interval_alias=*/false);
}

void AddCompactOptions(CLI::App& compact, Invocation& invocation) {
  CompactFlags& flags = invocation.compact;
  compact.add_option("--from", flags.from, "first day (UTC)")->check(kDataDate);
  compact
      .add_option("--to", flags.to,
                  "last day (UTC); default: yesterday. Naming today compacts the open day, "
                  "which is compacted again once it closes")
      ->check(kDataDate);
  compact.add_option("--tables", flags.tables, "comma list: quotes, global_metrics (default: all)");
  compact.add_flag("--force", flags.force, "rebuild days whose manifest is up to date");
  compact.add_flag("--json", flags.json, "print the days as JSON on stdout");
}

void AddRetentionOptions(CLI::App& retention, Invocation& invocation) {
  RetentionFlags& flags = invocation.retention;
  retention.add_flag("--dry-run", flags.dry_run,
                     "verify the partitions beyond retention and say what would be dropped; drop "
                     "and record nothing");
  retention.add_flag("--json", flags.json, "print the partitions as JSON on stdout");
}

// What to backfill: the window, the coins, the interval, the endpoints.
// `interval_name`: --interval in `backfill`; in `plan`, where --interval is the listings', the
// option is --backfill-interval.
void AddBackfillWhat(CLI::App& command, BackfillFlags& flags, bool required,
                     const char* interval_name) {
  command
      .add_option("--from", flags.from,
                  "start: a date (2026-11-01), an ISO 8601 time, or a duration back from --to "
                  "(30d, 12h, 90m)")
      ->required(required);
  command.add_option("--to", flags.to, "end (exclusive), the same way; default: now");
  command.add_option("--ids", flags.ids, "coins: CMC ids, comma-separated");
  command.add_option("--symbols", flags.symbols,
                     "coins: symbols, each resolved to its best-ranked coin through the map");
  command.add_option("--top", flags.top, "coins: the N best-ranked active coins of the map")
      ->check(CLI::Range(0, 5000));
  command.add_option(interval_name, flags.interval, "the history's interval: 5m, 1h or 1d")
      ->check(CLI::IsMember({"5m", "1h", "1d"}))
      ->capture_default_str();
  command
      .add_option("--endpoints", flags.endpoints,
                  "comma list of quotes (quotes historical), ohlcv (CMC's own bars, 1h or 1d) "
                  "and global (global metrics historical)")
      ->capture_default_str();
}

void AddBackfillOptions(CLI::App& backfill, Invocation& invocation) {
  AddFetchFlags(backfill, invocation, /*interval_alias=*/false);
  AddBackfillWhat(backfill, invocation.backfill, true, "--interval");
  backfill.add_flag("--dry-run", invocation.backfill.dry_run,
                    "print the calls and credits, fetch nothing (as `plan --backfill`)");
}

void AddInspectOptions(CLI::App& inspect, Invocation& invocation) {
  inspect.add_option("FILE", invocation.inspect_file, "a CMC response, gzip'd or plain")
      ->required();
}

void AddPlanOptions(CLI::App& plan, Invocation& invocation) {
  AddFetchOptions(plan, invocation);
  plan.add_option("--credits-per-month", invocation.fetch.credits_per_month,
                  "the plan's monthly credits (default: /v1/key/info, else 15000)")
      ->envname("COINLAKE_CREDITS_PER_MONTH");
  plan.add_flag("--backfill", invocation.backfill.plan_only,
                "print what a backfill (--from, --ids/--symbols/--top, ...) would fetch and cost "
                "on the key's plan, instead of the schedule's month");
  AddBackfillWhat(plan, invocation.backfill, false, "--backfill-interval");
}

void AddServeOptions(CLI::App& serve, Invocation& invocation) {
  serve.add_option("--host", invocation.serve.host, "address to listen on")
      ->envname("COINLAKE_HOST")
      ->capture_default_str();
  serve.add_option("--port", invocation.serve.port, "port to listen on")
      ->envname("COINLAKE_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
}

void AddSimOptions(CLI::App& sim, Invocation& invocation) {
  cmc::SimOptions& options = invocation.sim;
  sim.add_option("--host", options.host, "address to listen on")->capture_default_str();
  sim.add_option("--port", options.port, "port to listen on")
      ->envname("COINLAKE_SIM_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sim.add_option("--seed", options.seed, "random seed: same seed, same market")
      ->capture_default_str();
  sim.add_option("--coins", options.coins, "coins in the market")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sim.add_option("--plan", options.plan,
                 "the CMC plan enforced and reported by /v1/key/info: basic, hobbyist, startup, "
                 "standard, professional or enterprise (docs/cmc.md)")
      ->envname("COINLAKE_SIM_PLAN")
      ->check(
          CLI::IsMember({"basic", "hobbyist", "startup", "standard", "professional", "enterprise"}))
      ->capture_default_str();
  sim.add_option("--calls-per-minute", options.calls_per_minute,
                 "override the plan: calls a minute before 429/1008 (0: unlimited)")
      ->check(CLI::NonNegativeNumber);
  sim.add_option("--credits-per-day", options.credits_per_day,
                 "override the plan: daily credits before 429/1009 (0: unlimited)")
      ->check(CLI::NonNegativeNumber);
  sim.add_option("--credits-per-month", options.credits_per_month,
                 "override the plan: monthly credits before 429/1010 (0: unlimited)")
      ->check(CLI::NonNegativeNumber);
  sim.add_option("--faults", options.faults,
                 "faults pending from the start: a JSON array as for POST /__sim/faults, or "
                 "@FILE holding one (docs/cmc.md)")
      ->envname("COINLAKE_SIM_FAULTS");
}

void AddAlertsOptions(CLI::App& alerts, Invocation& invocation) {
  alerts.require_subcommand(1);
  alerts.fallthrough();
  CLI::App* test = alerts.add_subcommand(
      "test",
      "send a test notification through CHANNEL (an alert-webhook or alert-channel of any "
      "kind) and print the service's answer; exit 1 unless it accepts it");
  test->add_option("CHANNEL", invocation.alerts_channel, "the channel's name")->required();
  test->fallthrough();
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"migrate", "create or upgrade the database schema; idempotent", false, false, nullptr,
       [](Invocation& i) { return Migrate(i.global); }},
      {"fetch", "one extract -> spool -> lake -> load cycle, then exit", false, false,
       AddFetchOptions, [](Invocation& i) { return Fetch(i.global, i.fetch, i.stop); }},
      {"run", "fetch on a schedule, 24/7, until SIGTERM/SIGINT (finishes the cycle in flight)",
       false, true, AddRunOptions,
       [](Invocation& i) { return Run(i.global, i.fetch, i.run, i.stop, i.reload, i.reparse); }},
      {"reprocess",
       "load lake objects into the database (all, or --from/--to); idempotent; with "
       "--quotes-retention-days, only the quotes it keeps (and every candle)",
       false, false, AddReprocessOptions,
       [](Invocation& i) { return Reprocess(i.global, i.reprocess, i.stop); }},
      {"audit", "reconcile lake and database, list gaps in the schedule; exit 1 on any discrepancy",
       true, false, AddAuditOptions,
       [](Invocation& i) { return Audit(i.global, i.audit, i.fetch, i.stop); }},
      {"compact",
       "write each closed UTC day of the lake as Parquet (curated/) with a manifest; idempotent",
       true, false, AddCompactOptions,
       [](Invocation& i) { return Compact(i.global, i.compact, i.stop); }},
      {"retention",
       "drop the (weekly) partitions of quotes beyond --quotes-retention-days that the lake's "
       "Parquet layer "
       "proves it holds",
       true, false, AddRetentionOptions,
       [](Invocation& i) { return Retention(i.global, i.retention, i.stop); }},
      {"inspect",
       "print the rows a raw payload yields, one JSON object per line; exit 2 on bad input", true,
       false, AddInspectOptions, [](Invocation& i) { return Inspect(i.inspect_file); }},
      {"backfill",
       "fetch history from CMC's historical endpoints into the lake and the database; resumable",
       true, false, AddBackfillOptions,
       [](Invocation& i) { return Backfill(i.global, i.fetch, i.backfill, i.stop); }},
      {"plan", "credits, calls, storage and AWS cost per month (or of a backfill)", true, false,
       AddPlanOptions, [](Invocation& i) { return Plan(i.global, i.fetch, i.backfill); }},
      {"alerts", "alerts (docs/alerts.md): `alerts test CHANNEL` sends a test notification", true,
       false, AddAlertsOptions,
       [](Invocation& i) { return AlertsTest(i.global, i.alerts_channel); }},
      {"serve", "dashboard and JSON API, port 8501 by default", false, false, AddServeOptions,
       [](Invocation& i) { return Serve(i.global, i.serve, i.stop); }},
      {"sim", "a CoinMarketCap-compatible API server with a simulated market and injectable faults",
       false, false, AddSimOptions, [](Invocation& i) { return Sim(i.sim, i.stop); }},
  };
  return commands;
}

void AddGlobalOptions(CLI::App& cli, GlobalOptions& global) {
  cli.add_option("--database-url", global.database_url,
                 "PostgreSQL URI or conninfo (sslmode/sslrootcert honoured)")
      ->envname("COINLAKE_DATABASE_URL");
  cli.add_option("--lake-url", global.lake_url, "file:///path or s3://bucket/prefix")
      ->envname("COINLAKE_LAKE_URL")
      ->capture_default_str();
  cli.add_option("--spool-dir", global.spool_dir,
                 "local folder that holds responses until the lake has them")
      ->envname("COINLAKE_SPOOL_DIR")
      ->capture_default_str();
  cli.add_option("--log-level", global.log_level, "debug, info, warn or error")
      ->envname("COINLAKE_LOG_LEVEL")
      ->capture_default_str();
  cli.add_option("--quotes-retention-days", global.quotes_retention_days,
                 "days of raw quotes the database keeps; older weeks are dropped once the "
                 "lake's Parquet layer proves it holds them (`retention`, `run`, `reprocess`); "
                 "0: forever")
      ->envname("COINLAKE_QUOTES_RETENTION_DAYS")
      ->check(kRetentionDays)
      ->capture_default_str();
  // Repeatable, one rule or channel each; in the configuration file, one line each
  // (docs/alerts.md). No environment variable: a rule is a sentence, not a value.
  cli.add_option("--alert-rule", global.alert_rules,
                 "an alert rule, e.g. 'btc-100k: price BTC above 100000 USD cooldown=1h' "
                 "(repeatable; docs/alerts.md)")
      ->take_all();
  cli.add_option(
         "--alert-webhook", global.alert_webhooks,
         "a generic JSON webhook channel, e.g. 'ops: https://host/hook secret-env=OPS_SECRET' "
         "(repeatable; docs/alerts.md)")
      ->take_all();
  cli.add_option("--alert-channel", global.alert_channels,
                 "an alert channel of any kind (webhook, slack, discord, telegram, ntfy, email, "
                 "sns), e.g. 'team: slack secret-env=SLACK_WEBHOOK_URL' (repeatable; "
                 "docs/alerts.md, \"Channels\")")
      ->take_all();
  cli.add_option("--alert-pipeline-defaults", global.alert_pipeline_defaults,
                 "true: once a channel is configured, the default pipeline rules (stale, "
                 "endpoint stopped, failed cycles, credits forecast, lake and database outage, "
                 "audit discrepancy) "
                 "are on; false: only the pipeline rules configured (docs/alerts.md)")
      ->capture_default_str();
  cli.add_flag("--database-iam-auth", global.database_iam_auth,
               "sign in to the database with RDS IAM tokens (AWS credential chain; the URL "
               "needs sslmode=verify-full)")
      ->envname("COINLAKE_DATABASE_IAM_AUTH");
}

// CLI11 words an unknown key in the configuration file as "INI was not able to parse run.x",
// which reads like a syntax error; say which key it did not know instead.
std::string DescribeParseError(const CLI::ParseError& e) {
  std::string what = e.what();
  constexpr std::string_view kExtras = "INI was not able to parse ";
  if (what.starts_with(kExtras)) {
    std::string item = what.substr(kExtras.size());
    auto dot = item.rfind('.');
    std::string where =
        dot == std::string::npos ? "at the top" : "in [" + item.substr(0, dot) + "]";
    return fmt::format("the configuration file has an unknown option '{}' {}", item.substr(dot + 1),
                       where);
  }
  return what;
}

Status CheckRepeatedOptionsAdjacent(const std::string& path,
                                    const std::vector<std::string>& options) {
  std::ifstream in(path);
  if (!in) return Status::Ok();
  auto trim = [](std::string text) {
    size_t start = text.find_first_not_of(" \t\r");
    size_t end = text.find_last_not_of(" \t\r");
    return start == std::string::npos ? std::string() : text.substr(start, end - start + 1);
  };
  std::map<std::string, int> seen;  // option -> line of its first run
  std::string last, section;
  bool in_array = false;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    line = trim(line);
    if (in_array) {  // the rest of a multi-line [ ... ] value
      in_array = line.empty() || line.back() != ']';
      continue;
    }
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line;
      last.clear();
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"')
      key = key.substr(1, key.size() - 2);
    std::string value = trim(line.substr(eq + 1));
    in_array = !value.empty() && value[0] == '[' && value.back() != ']';
    bool watched =
        section.empty() && std::find(options.begin(), options.end(), key) != options.end();
    if (watched) {
      auto [first, fresh] = seen.try_emplace(key, number);
      if (!fresh && last != key) {
        return InvalidArgumentError(fmt::format(
            "{} line {}: {} is set again after other options (first at line {}); the parser "
            "would silently drop it: keep every {} line together, or use one array",
            path, number, key, first->second, key));
      }
    }
    last = key;
  }
  return Status::Ok();
}

}  // namespace coinlake::app
