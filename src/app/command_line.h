// The command line of `coinlake`: one table of commands, each with its options and what it runs.
// main.cc parses with it and dispatches; commands.h holds what each command does.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "cmc/sim.h"
#include "common/reload_signal.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "dashboard/server.h"

namespace coinlake::app {

// Everything a command may read: the parsed options of every command (only the chosen one's
// are set) and the process's signals. Defaults are the option structs' own.
struct Invocation {
  GlobalOptions global;
  FetchFlags fetch;
  RunFlags run;
  ReprocessFlags reprocess;
  AuditFlags audit;
  CompactFlags compact;
  RetentionFlags retention;
  BackfillFlags backfill;
  dashboard::ServeOptions serve;
  cmc::SimOptions sim;
  std::string inspect_file;
  std::string alerts_channel;  // `alerts test CHANNEL`
  StopSignal stop;
  ReloadSignal reload;
  // For `run`: parses the command line and the --config file again into this Invocation.
  std::function<Status()> reparse;
};

struct Command {
  const char* name;
  const char* description;
  // Its stdout is data (a report, rows): logs go to stderr. Services log JSON lines to stdout.
  bool data_on_stdout;
  // SIGHUP asks it to reload its configuration; other commands keep SIGHUP's default.
  bool reloads;
  void (*add_options)(CLI::App& command, Invocation& invocation);
  Status (*run)(Invocation& invocation);
};

// The commands, in the order `coinlake --help` lists them.
const std::vector<Command>& Commands();

// The options every command takes, before or after its name.
void AddGlobalOptions(CLI::App& cli, GlobalOptions& global);

// CLI11's words for an unknown key of the configuration file, made to say which key.
std::string DescribeParseError(const CLI::ParseError& e);

// The configuration file's parser (CLI11 2.1) takes the values of a repeated option from its
// first run of adjacent lines only and drops later lines of it without a word; an alert rule
// lost that way would never fire. INVALID_ARGUMENT naming the line when `path` has a line of one
// of `options` (at the top of the file) after another option's line that followed an earlier
// one. A file that cannot be read is the parser's to report: OK.
Status CheckRepeatedOptionsAdjacent(const std::string& path,
                                    const std::vector<std::string>& options);

}  // namespace coinlake::app
