// coinlake: parses the command line (command_line.h) and runs the chosen command.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "app/command_line.h"
#include "common/log.h"

namespace {

using coinlake::Status;
using coinlake::app::Command;
using coinlake::app::Invocation;

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

int Fail(const Status& status) {
  std::fprintf(stderr, "coinlake: %s\n", coinlake::log::Redact(status.message()).c_str());
  return status.code() == coinlake::StatusCode::kInvalidArgument ? 2 : 1;
}

// Sends logs where the command wants them, at the configured level.
Status ConfigureLogging(const std::string& level_name, bool data_on_stdout) {
  coinlake::log::Level level;
  if (!coinlake::log::ParseLevel(level_name, &level)) {
    return coinlake::InvalidArgumentError("--log-level must be debug, info, warn or error");
  }
  coinlake::log::Configure(
      level, data_on_stdout ? coinlake::log::Sink::kStderr : coinlake::log::Sink::kStdout);
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
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
  coinlake::app::AddGlobalOptions(cli, invocation.global);
  for (const Command& command : coinlake::app::Commands()) {
    CLI::App* sub = cli.add_subcommand(command.name, command.description);
    if (command.add_options != nullptr) command.add_options(*sub, invocation);
    // A command's own help lists only its options; the shared ones work there too.
    sub->footer(
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
    std::string what = coinlake::app::DescribeParseError(e);
    if (what.empty()) what = e.get_name();
    // CLI11 reports a mistyped command as "a subcommand is required"; name the word instead.
    std::vector<std::string> rest = cli.remaining();
    if (!rest.empty() && !rest.front().starts_with("-")) {
      what = "unknown command '" + rest.front() + "'";
    }
    std::fprintf(stderr, "coinlake: %s (see coinlake --help)\n", what.c_str());
    return 2;
  }
  // Every option read from the file that the parser would drop is an error, not a surprise.
  auto check_config = [&]() -> Status {
    std::string file;  // the --config file, or $COINLAKE_CONFIG's; empty: none
    if (const CLI::Option* config = cli.get_config_ptr(); config != nullptr) {
      file = config->count() > 0 ? config->as<std::string>() : (config_env ? config_env : "");
    }
    if (file.empty()) return Status::Ok();
    return coinlake::app::CheckRepeatedOptionsAdjacent(
        file, {"alert-rule", "alert-webhook", "alert-channel"});
  };
  if (Status adjacent = check_config(); !adjacent.ok()) {
    std::fprintf(stderr, "coinlake: %s\n", std::string(adjacent.message()).c_str());
    return 2;
  }
  const Command* chosen = nullptr;
  for (const Command& command : coinlake::app::Commands()) {
    if (cli.got_subcommand(command.name)) chosen = &command;
  }

  if (Status logging = ConfigureLogging(invocation.global.log_level, chosen->data_on_stdout);
      !logging.ok()) {
    std::fprintf(stderr, "coinlake: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  coinlake::app::ConfigureDatabaseAuth(invocation.global);
  InstallStopHandler(invocation.stop, chosen->reloads ? &invocation.reload : nullptr);
  // SIGHUP (run): the command line and the --config file are parsed again into fresh option
  // values; on an error `run` keeps the configuration it has.
  invocation.reparse = [&]() -> Status {
    invocation.global = {};
    invocation.fetch = {};
    invocation.run = {};
    cli.clear();
    try {
      cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return coinlake::InvalidArgumentError("configuration: " +
                                            coinlake::app::DescribeParseError(e));
    }
    RETURN_IF_ERROR(check_config());
    return ConfigureLogging(invocation.global.log_level, chosen->data_on_stdout);
  };

  Status status = chosen->run(invocation);
  if (!status.ok()) return Fail(status);
  return 0;
}
