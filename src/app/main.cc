// coinlake: parses the command line and dispatches to the command's Run* function.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/commands.h"
#include "common/log.h"
#include "common/reload_signal.h"
#include "common/stop_signal.h"

namespace {

using coinlake::Status;

// SIGINT/SIGTERM stop the process gracefully: a thread waits for them and fires the StopSignal,
// so the cycle in flight finishes. A second signal exits at once. With `reload` (run), SIGHUP
// requests a configuration reload; other commands keep SIGHUP's default (terminate).
void InstallStopHandler(coinlake::StopSignal& stop, coinlake::ReloadSignal* reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (reload != nullptr) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread started after this
  std::thread([set, &stop, reload]() mutable {
    int sig = 0;
    bool stopping = false;
    while (sigwait(&set, &sig) == 0) {
      if (sig == SIGHUP) {
        coinlake::log::Info("reload requested", {{"signal", "SIGHUP"}});
        reload->Request();
      } else if (!stopping) {
        coinlake::log::Info("stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        stop.Stop();
        stopping = true;
      } else {
        std::_Exit(130);
      }
    }
  }).detach();
}

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

int Fail(const Status& status) {
  std::fprintf(stderr, "coinlake: %s\n", coinlake::log::Redact(status.message()).c_str());
  return status.code() == coinlake::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  coinlake::app::GlobalOptions global;
  CLI::App cli{
      "coinlake: a complete, replayable crypto price history you own.\n"
      "CoinMarketCap API -> raw data lake (file or S3) -> PostgreSQL -> dashboard.",
      "coinlake"};
  cli.set_version_flag("--version", std::string("coinlake ") + COINLAKE_VERSION);
  cli.require_subcommand(1);
  cli.fallthrough();
  // Any option may come from a TOML or INI file: global ones at the top, a command's under
  // [run], [fetch], ... (docs/operations.md). `run` re-reads it on SIGHUP.
  const char* config_env = std::getenv("COINLAKE_CONFIG");
  cli.set_config("--config", config_env ? config_env : "",
                 "read options from a TOML/INI file (env COINLAKE_CONFIG); run re-reads it on "
                 "SIGHUP",
                 /*config_required=*/config_env != nullptr && *config_env != '\0');
  cli.allow_config_extras(CLI::config_extras_mode::error);  // a typo in the file is an error
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
  cli.add_flag("--database-iam-auth", global.database_iam_auth,
               "sign in to the database with RDS IAM tokens (AWS credential chain; the URL "
               "needs sslmode=verify-full)")
      ->envname("COINLAKE_DATABASE_IAM_AUTH");

  coinlake::app::FetchFlags fetch_flags;
  auto add_fetch_options = [&](CLI::App* cmd) {
    cmd->add_option("--cmc-url", fetch_flags.cmc_url, "CoinMarketCap API base URL")
        ->envname("COINLAKE_CMC_URL")
        ->capture_default_str();
    cmd->add_option("--api-key-file", fetch_flags.api_key_file,
                    "file holding the API key (else $CMC_API_KEY; never a flag: argv is public)")
        ->envname("CMC_API_KEY_FILE");
    cmd->add_option("--limit", fetch_flags.limit, "top N coins by market cap, 1..5000")
        ->envname("COINLAKE_LISTINGS_LIMIT")
        ->capture_default_str();
    cmd->add_option("--convert", fetch_flags.convert,
                    "quote currencies, comma-separated (each extra one costs credits)")
        ->envname("COINLAKE_CONVERT")
        ->capture_default_str();
    // Which endpoints run and how often (docs/cmc.md, "Endpoints"); 0 turns one off.
    auto interval = [&](const char* names, int& value, const char* env, const char* what) {
      cmd->add_option(names, value, what)
          ->envname(env)
          ->check(CLI::Range(0, 31 * 86400))
          ->capture_default_str();
    };
    interval("--listings-interval,--interval", fetch_flags.interval_seconds, "COINLAKE_INTERVAL",
             "seconds between listings calls (top --limit coins), on the wall clock; 0: off");
    cmd->add_option("--quotes-ids", fetch_flags.quotes_ids,
                    "quotes watchlist: CMC ids, comma-separated (ids are unique; symbols repeat)")
        ->envname("COINLAKE_QUOTES_IDS");
    cmd->add_option("--quotes-symbols", fetch_flags.quotes_symbols,
                    "quotes watchlist: symbols, resolved once to the best-ranked coin's id")
        ->envname("COINLAKE_QUOTES_SYMBOLS");
    interval("--quotes-interval", fetch_flags.quotes_interval, "COINLAKE_QUOTES_INTERVAL",
             "seconds between quotes calls for the watchlist; 0: off");
    interval("--global-metrics-interval", fetch_flags.global_metrics_interval,
             "COINLAKE_GLOBAL_METRICS_INTERVAL", "seconds between global metrics calls; 0: off");
    interval("--key-info-interval", fetch_flags.key_info_interval, "COINLAKE_KEY_INFO_INTERVAL",
             "seconds between key info calls (plan and usage, free); 0: off");
    interval("--map-interval", fetch_flags.map_interval, "COINLAKE_MAP_INTERVAL",
             "seconds between map calls (ids, names; free); 0: off");
  };

  auto* migrate =
      cli.add_subcommand("migrate", "create or upgrade the database schema; idempotent");
  auto* fetch =
      cli.add_subcommand("fetch", "one extract -> spool -> lake -> load cycle, then exit");
  add_fetch_options(fetch);
  auto* run = cli.add_subcommand(
      "run", "fetch on a schedule, 24/7, until SIGTERM/SIGINT (finishes the cycle in flight)");
  add_fetch_options(run);
  coinlake::app::RunFlags run_flags;
  run->add_option("--metrics-textfile", run_flags.metrics_textfile,
                  "write Prometheus metrics to this file after every cycle (node_exporter's "
                  "textfile collector: a *.prom file in its folder)")
      ->envname("COINLAKE_METRICS_TEXTFILE");

  coinlake::app::ReprocessFlags reprocess_flags;
  auto* reprocess = cli.add_subcommand(
      "reprocess", "load lake objects into the database (all, or --from/--to); idempotent");
  reprocess->add_option("--from", reprocess_flags.from, "first data date (UTC)")->check(kDataDate);
  reprocess->add_option("--to", reprocess_flags.to, "last data date (UTC)")->check(kDataDate);
  reprocess->add_option("--jobs", reprocess_flags.jobs, "parallel loaders (connections)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  reprocess->add_flag("--force", reprocess_flags.force,
                      "empty the data tables and the ledger, then reload everything");

  auto* audit = cli.add_subcommand(
      "audit", "reconcile lake and database, list gaps in the schedule; exit 1 on any discrepancy");
  coinlake::app::AuditFlags audit_flags;
  audit->add_option("--from", audit_flags.from, "first data date (UTC)")->check(kDataDate);
  audit->add_option("--to", audit_flags.to, "last data date (UTC)")->check(kDataDate);
  audit
      ->add_option("--interval", audit_flags.interval_seconds,
                   "expected seconds between snapshots, for the whole range (default: the "
                   "listings interval each run cycle recorded, as the schedule changed)")
      ->check(CLI::Range(10, 86400));
  audit->add_flag("--json", audit_flags.json, "print the report as JSON on stdout");

  std::string inspect_file;
  auto* inspect = cli.add_subcommand(
      "inspect",
      "print the rows a raw payload yields, one JSON object per line; exit 2 on bad input");
  inspect->add_option("FILE", inspect_file, "a CMC response, gzip'd or plain")->required();

  auto* plan = cli.add_subcommand("plan", "credits, calls, storage and AWS cost per month");
  add_fetch_options(plan);
  plan->add_option("--credits-per-month", fetch_flags.credits_per_month,
                   "the plan's monthly credits (default: /v1/key/info, else 15000)")
      ->envname("COINLAKE_CREDITS_PER_MONTH");

  coinlake::app::ServeFlags serve_flags;
  auto* serve = cli.add_subcommand("serve", "dashboard and JSON API, port 8501 by default");
  serve->add_option("--host", serve_flags.host, "address to listen on")
      ->envname("COINLAKE_HOST")
      ->capture_default_str();
  serve->add_option("--port", serve_flags.port, "port to listen on")
      ->envname("COINLAKE_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();

  coinlake::app::SimFlags sim_flags;
  auto* sim = cli.add_subcommand(
      "sim", "a CoinMarketCap-compatible API server with a simulated market and injectable faults");
  sim->add_option("--host", sim_flags.host, "address to listen on")->capture_default_str();
  sim->add_option("--port", sim_flags.port, "port to listen on")
      ->envname("COINLAKE_SIM_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sim->add_option("--seed", sim_flags.seed, "random seed: same seed, same market")
      ->capture_default_str();
  sim->add_option("--coins", sim_flags.coins, "coins in the market")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sim->add_option("--calls-per-minute", sim_flags.calls_per_minute,
                  "plan: calls a minute before 429/1008 (0: unlimited)");
  sim->add_option("--credits-per-day", sim_flags.credits_per_day,
                  "plan: daily credits before 429/1009 (0: unlimited)");
  sim->add_option("--credits-per-month", sim_flags.credits_per_month,
                  "plan: monthly credits before 429/1010 (0: unlimited)");
  sim->add_option("--faults", sim_flags.faults,
                  "faults pending from the start: a JSON array as for POST /__sim/faults, or "
                  "@FILE holding one (docs/cmc.md)")
      ->envname("COINLAKE_SIM_FAULTS");

  // A command's own help lists only its options; the shared ones work there too.
  for (CLI::App* command : cli.get_subcommands({})) {
    command->footer(
        "Options of every command (--config, --database-url, --lake-url, --spool-dir, "
        "--log-level, ...) may come before or after the command: coinlake --help lists them.");
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = DescribeParseError(e);
    if (what.empty()) what = e.get_name();
    // CLI11 reports a mistyped command as "a subcommand is required"; name the word instead.
    std::vector<std::string> rest = cli.remaining();
    if (!rest.empty() && !rest.front().starts_with("-")) {
      what = "unknown command '" + rest.front() + "'";
    }
    std::fprintf(stderr, "coinlake: %s (see coinlake --help)\n", what.c_str());
    return 2;
  }

  // Commands whose stdout is data log to stderr; the services log JSON lines to stdout.
  bool data_on_stdout = inspect->parsed() || plan->parsed() || audit->parsed();
  coinlake::log::Level level;
  if (!coinlake::log::ParseLevel(global.log_level, &level)) {
    std::fprintf(stderr, "coinlake: --log-level must be debug, info, warn or error\n");
    return 2;
  }
  coinlake::log::Configure(
      level, data_on_stdout ? coinlake::log::Sink::kStderr : coinlake::log::Sink::kStdout);
  coinlake::app::ConfigureDatabaseAuth(global);

  coinlake::StopSignal stop;
  coinlake::ReloadSignal reload;
  InstallStopHandler(stop, run->parsed() ? &reload : nullptr);
  // SIGHUP (run): the command line and the --config file are parsed again into fresh option
  // values; on an error `run` keeps the configuration it has.
  auto reparse = [&]() -> Status {
    global = {};
    fetch_flags = {};
    run_flags = {};
    cli.clear();
    try {
      cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return coinlake::InvalidArgumentError("configuration: " + DescribeParseError(e));
    }
    coinlake::log::Level new_level;
    if (!coinlake::log::ParseLevel(global.log_level, &new_level)) {
      return coinlake::InvalidArgumentError("--log-level must be debug, info, warn or error");
    }
    coinlake::log::Configure(new_level, coinlake::log::Sink::kStdout);
    return Status::Ok();
  };

  Status status;
  if (migrate->parsed())
    status = coinlake::app::Migrate(global);
  else if (fetch->parsed())
    status = coinlake::app::Fetch(global, fetch_flags, stop);
  else if (run->parsed())
    status = coinlake::app::Run(global, fetch_flags, run_flags, stop, reload, reparse);
  else if (reprocess->parsed())
    status = coinlake::app::Reprocess(global, reprocess_flags, stop);
  else if (audit->parsed())
    status = coinlake::app::Audit(global, audit_flags, stop);
  else if (inspect->parsed())
    status = coinlake::app::Inspect(inspect_file);
  else if (plan->parsed())
    status = coinlake::app::Plan(global, fetch_flags);
  else if (serve->parsed())
    status = coinlake::app::Serve(global, serve_flags, stop);
  else if (sim->parsed())
    status = coinlake::app::Sim(sim_flags, stop);
  if (!status.ok()) return Fail(status);
  return 0;
}
