#include "app/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmc/inspect.h"
#include "cmc/parser.h"
#include "cmc/plan.h"
#include "cmc/sim.h"
#include "common/bytes.h"
#include "common/log.h"
#include "dashboard/server.h"
#include "lake/keys.h"
#include "pipeline/audit.h"
#include "pipeline/fetch.h"
#include "pipeline/reprocess.h"
#include "warehouse/migrations.h"

namespace coinlake::app {
namespace {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(fmt::format("cannot read {}", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The key comes from a file (CMC_API_KEY_FILE, e.g. a systemd credential) or $CMC_API_KEY,
// never from a flag: command lines are visible to every user in /proc.
StatusOr<std::string> ApiKey(const FetchFlags& flags) {
  std::string key;
  if (!flags.api_key_file.empty()) {
    ASSIGN_OR_RETURN(key, ReadWholeFile(flags.api_key_file));
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
      key.pop_back();
    }
  } else if (const char* env = std::getenv("CMC_API_KEY")) {
    key = env;
  }
  log::RegisterSecret(key);
  return key;
}

}  // namespace

Status Migrate(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(global.database_url));
  ASSIGN_OR_RETURN(warehouse::MigrateResult result,
                   warehouse::Migrate(*db, warehouse::EmbeddedMigrations()));
  log::Info("schema up to date", {{"from_version", result.from_version},
                                  {"to_version", result.to_version},
                                  {"applied", result.applied}});
  return Status::Ok();
}

Status Fetch(const GlobalOptions& global, const FetchFlags& flags, StopSignal& stop, bool loop) {
  pipeline::FetchOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.spool_dir = global.spool_dir;
  options.cmc.base_url = flags.cmc_url;
  ASSIGN_OR_RETURN(options.cmc.api_key, ApiKey(flags));
  if (options.cmc.api_key.empty()) {
    return InvalidArgumentError("no CoinMarketCap API key: set CMC_API_KEY or CMC_API_KEY_FILE");
  }
  options.listings_limit = flags.limit;
  options.convert = flags.convert;
  options.schedule = {{lake::kListingsLatest, options.interval}};
  options.interval = std::chrono::seconds(flags.interval_seconds);
  // Fail on a bad database URL before the first call costs credits.
  ASSIGN_OR_RETURN(auto probe, warehouse::Connection::Open(options.database_url));
  probe.reset();
  return loop ? pipeline::RunLoop(options, stop) : pipeline::RunFetch(options, stop);
}

Status Reprocess(const GlobalOptions& global, const ReprocessFlags& flags, StopSignal& stop) {
  pipeline::ReprocessOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.from_date = flags.from;
  options.to_date = flags.to;
  options.jobs = flags.jobs;
  options.force = flags.force;
  options.progress_bar = isatty(STDERR_FILENO) != 0;
  ASSIGN_OR_RETURN(pipeline::ReprocessReport report, pipeline::RunReprocess(options, stop));
  log::Info("reprocess finished", {{"objects_seen", report.objects_seen},
                                   {"objects_loaded", report.objects_loaded},
                                   {"rows", report.rows}});
  return Status::Ok();
}

Status Audit(const GlobalOptions& global, const AuditFlags& flags, StopSignal& stop) {
  pipeline::AuditOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.from_date = flags.from;
  options.to_date = flags.to;
  options.interval = std::chrono::seconds(flags.interval_seconds);
  ASSIGN_OR_RETURN(pipeline::AuditReport report, pipeline::RunAudit(options, stop));
  std::cout << (flags.json ? report.ToJson().dump() + "\n" : report.ToText()) << std::flush;
  if (report.clean()) return Status::Ok();
  const pipeline::AuditFinding& first = report.findings.front();
  return DataLossError(fmt::format("audit: {} discrepancies (first: {} {} {})",
                                   report.findings.size(), first.kind, first.date,
                                   first.key.empty() ? first.detail : first.key));
}

Status Plan(const GlobalOptions&, const FetchFlags& flags) {
  cmc::PlanInput in;
  in.listings_limit = flags.limit;
  in.convert_count =
      1 + static_cast<int>(std::count(flags.convert.begin(), flags.convert.end(), ','));
  in.interval = std::chrono::seconds(flags.interval_seconds);
  if (flags.credits_per_month > 0) {
    in.credits_per_month = flags.credits_per_month;
    in.credits_source = "--credits-per-month";
  } else if (auto key = ApiKey(flags); key.ok() && !key->empty()) {
    // /v1/key/info costs no credits; without it the free plan is assumed.
    cmc::ClientOptions options;
    options.base_url = flags.cmc_url;
    options.api_key = *key;
    options.total_timeout = std::chrono::seconds(15);
    auto client = cmc::CmcClient::Make(options);
    auto response = client.ok() ? (*client)->Get("/v1/key/info", {})
                                : StatusOr<cmc::HttpResponse>(client.status());
    auto info = response.ok() ? cmc::ParseKeyInfo(response->body)
                              : StatusOr<cmc::KeyInfo>(response.status());
    if (info.ok() && info->credit_limit_monthly) {
      in.credits_per_month = *info->credit_limit_monthly;
      in.credits_source = "/v1/key/info";
    } else {
      log::Warn("key info unavailable; assuming the free plan",
                {{"error", info.ok() ? "no credit_limit_monthly" : info.status().ToString()}});
    }
  }
  cmc::PlanEstimate estimate = cmc::EstimatePlan(in);
  std::cout << cmc::FormatPlan(in, estimate);
  if (estimate.exceeds_plan) {
    return ResourceExhaustedError(fmt::format(
        "this configuration needs {:.0f} credits a month but the plan has {}: raise --interval "
        "or lower --limit",
        estimate.credits_per_month, in.credits_per_month));
  }
  return Status::Ok();
}

Status Inspect(const std::string& file) {
  ASSIGN_OR_RETURN(std::string data, ReadWholeFile(file));
  if (LooksGzipped(data)) {
    auto inflated = GzipDecompress(data);
    if (!inflated.ok())
      return InvalidArgumentError(fmt::format("{}: {}", file, inflated.status().message()));
    data = std::move(inflated).value();
  }
  Status written = cmc::WritePayloadRows(data, std::cout);
  if (!written.ok()) return InvalidArgumentError(fmt::format("{}: {}", file, written.message()));
  return Status::Ok();
}

Status Serve(const GlobalOptions& global, const ServeFlags& flags, StopSignal& stop) {
  dashboard::ServeOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.database_url = global.database_url;
  return dashboard::RunServe(options, stop);
}

Status Sim(const SimFlags& flags, StopSignal& stop) {
  cmc::SimOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.seed = flags.seed;
  options.coins = flags.coins;
  options.calls_per_minute = flags.calls_per_minute;
  options.credits_per_day = flags.credits_per_day;
  options.credits_per_month = flags.credits_per_month;
  if (const char* key = std::getenv("CMC_API_KEY")) options.api_key = key;
  ASSIGN_OR_RETURN(auto sim, cmc::Simulator::Start(options));
  while (stop.SleepFor(std::chrono::hours(1))) {  // false once stopped
  }
  sim->Stop();
  return Status::Ok();
}

}  // namespace coinlake::app
