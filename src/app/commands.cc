#include "app/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "alerts/channel.h"
#include "alerts/rules.h"
#include "alerts/webhook.h"
#include "aws/rds_auth_token.h"
#include "cmc/inspect.h"
#include "cmc/parser.h"
#include "cmc/plan.h"
#include "cmc/sim.h"
#include "common/log.h"
#include "common/strings.h"
#include "dashboard/server.h"
#include "lake/keys.h"
#include "pipeline/audit.h"
#include "pipeline/backfill.h"
#include "pipeline/compact.h"
#include "pipeline/fetch.h"
#include "pipeline/reprocess.h"
#include "pipeline/retention.h"
#include "pipeline/run_loop.h"
#include "warehouse/db.h"
#include "warehouse/endpoint_access.h"
#include "warehouse/migrations.h"

namespace coinlake::app {
namespace {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return InvalidArgumentError(fmt::format("cannot read {}: it is a directory", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
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

// CMC ids, comma-separated, as `flag` takes them.
StatusOr<std::vector<int64_t>> ParseIds(const std::string& text, std::string_view flag) {
  std::vector<int64_t> ids;
  for (const std::string& id : SplitCommaList(text)) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
    if (ec != std::errc() || end != id.data() + id.size() || value <= 0) {
      return InvalidArgumentError(fmt::format("{}: '{}' is not a CMC id", flag, id));
    }
    ids.push_back(value);
  }
  return ids;
}

// What to fetch, for `fetch`, `run` and `plan` alike: endpoints, intervals, coins, currency.
Status ApplyEndpointFlags(const FetchFlags& flags, pipeline::FetchOptions& options) {
  options.listings_limit = flags.limit;
  options.convert = flags.convert;
  options.interval = std::chrono::seconds(flags.interval_seconds);
  ASSIGN_OR_RETURN(options.quotes_ids, ParseIds(flags.quotes_ids, "--quotes-ids"));
  options.quotes_symbols = SplitCommaList(flags.quotes_symbols);
  bool watchlist = !options.quotes_ids.empty() || !options.quotes_symbols.empty();
  using std::chrono::seconds;
  options.schedule = {
      {lake::kListingsLatest, seconds(flags.interval_seconds)},
      {lake::kQuotesLatest, seconds(watchlist ? flags.quotes_interval : 0)},
      {lake::kGlobalMetricsLatest, seconds(flags.global_metrics_interval)},
      {lake::kKeyInfo, seconds(flags.key_info_interval)},
      {lake::kMap, seconds(flags.map_interval)},
  };
  return Status::Ok();
}

}  // namespace

void ConfigureDatabaseAuth(const GlobalOptions& global) {
  if (!global.database_iam_auth) return;
  aws::AwsEnvironment env = aws::AwsEnvironment::FromEnvironment();
  std::string region = aws::ResolveRegion(env);
  warehouse::UseIamAuthentication(
      aws::MakeRdsAuthTokenGenerator(aws::MakeDefaultCredentialChain(std::move(env)), region));
}

Status Migrate(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(global.database_url));
  ASSIGN_OR_RETURN(warehouse::MigrateResult result,
                   warehouse::Migrate(*db, warehouse::EmbeddedMigrations()));
  log::Info("schema up to date", {{"from_version", result.from_version},
                                  {"to_version", result.to_version},
                                  {"applied", result.applied}});
  return Status::Ok();
}

namespace {

// The options `fetch` and `run` share, from the flags (the API key read anew each time, so a
// SIGHUP picks up a rotated key file).
StatusOr<pipeline::FetchOptions> MakeFetchOptions(const GlobalOptions& global,
                                                  const FetchFlags& flags) {
  pipeline::FetchOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.spool_dir = global.spool_dir;
  options.cmc.base_url = flags.cmc_url;
  ASSIGN_OR_RETURN(options.cmc.api_key, ApiKey(flags));
  if (options.cmc.api_key.empty()) {
    return InvalidArgumentError("no CoinMarketCap API key: set CMC_API_KEY or CMC_API_KEY_FILE");
  }
  RETURN_IF_ERROR(ApplyEndpointFlags(flags, options));
  ASSIGN_OR_RETURN(alerts::AlertConfig alerts,
                   alerts::ParseAlertConfig(global.alert_rules, global.alert_webhooks,
                                            global.alert_channels, global.alert_pipeline_defaults));
  if (!alerts.empty()) options.alerts = std::make_shared<const alerts::AlertConfig>(alerts);
  return options;
}

}  // namespace

Status Fetch(const GlobalOptions& global, const FetchFlags& flags, StopSignal& stop) {
  ASSIGN_OR_RETURN(pipeline::FetchOptions options, MakeFetchOptions(global, flags));
  // Fail on a bad database URL before the first call costs credits.
  ASSIGN_OR_RETURN(auto probe, warehouse::Connection::Open(options.database_url));
  probe.reset();
  return pipeline::RunFetch(options, stop);
}

Status Run(const GlobalOptions& global, const FetchFlags& flags, const RunFlags& run_flags,
           StopSignal& stop, ReloadSignal& reload_signal, const std::function<Status()>& reparse) {
  // `reparse` refills global, flags and run_flags in place (SIGHUP), so this reads them anew.
  auto options = [&]() -> StatusOr<pipeline::RunOptions> {
    pipeline::RunOptions out;
    ASSIGN_OR_RETURN(out.fetch, MakeFetchOptions(global, flags));
    out.metrics_textfile = run_flags.metrics_textfile;
    out.quotes_retention_days = global.quotes_retention_days;
    return out;
  };
  ASSIGN_OR_RETURN(pipeline::RunOptions initial, options());
  return pipeline::RunLoop(initial, stop, reload_signal, [&]() -> StatusOr<pipeline::RunOptions> {
    RETURN_IF_ERROR(reparse());
    return options();
  });
}

Status AlertsTest(const GlobalOptions& global, const std::string& name) {
  ASSIGN_OR_RETURN(
      alerts::AlertConfig config,
      alerts::ParseAlertConfig(global.alert_rules, global.alert_webhooks, global.alert_channels));
  const alerts::ChannelConfig* channel = nullptr;
  std::string names;
  for (const alerts::ChannelConfig& c : config.channels) {
    if (c.name == name) channel = &c;
    names += (names.empty() ? "" : ", ") + c.name;
  }
  if (channel == nullptr) {
    return InvalidArgumentError(fmt::format("no channel named '{}' (configured: {})", name,
                                            names.empty() ? "none" : names));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<alerts::Channel> sender, alerts::MakeChannel(*channel));
  alerts::TestNotification test = alerts::MakeTestNotification(name, SystemNow());
  ASSIGN_OR_RETURN(alerts::ChannelAnswer answer,
                   sender->Send({test.idempotency_key, test.body}, nullptr));
  // The service's own words, on one line: what a person checking the channel wants to see.
  std::cout << fmt::format("channel {}: {} {}", name, answer.code, answer.said) << std::endl;
  if (!answer.delivered) {
    return UnavailableError(
        fmt::format("channel {} answered {}: not delivered", name, answer.code));
  }
  return Status::Ok();
}

namespace {

// --from after --to selects nothing: surely a mistake, not a request for an empty run.
Status CheckDateRange(const std::string& from, const std::string& to) {
  if (!from.empty() && !to.empty() && from > to) {
    return InvalidArgumentError(fmt::format("--from {} is after --to {}", from, to));
  }
  return Status::Ok();
}

}  // namespace

Status Reprocess(const GlobalOptions& global, const ReprocessFlags& flags, StopSignal& stop) {
  RETURN_IF_ERROR(CheckDateRange(flags.from, flags.to));
  pipeline::ReprocessOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.from_date = flags.from;
  options.to_date = flags.to;
  options.jobs = flags.jobs;
  options.force = flags.force;
  options.progress_bar = isatty(STDERR_FILENO) != 0;
  options.quotes_retention_days = global.quotes_retention_days;
  ASSIGN_OR_RETURN(pipeline::ReprocessReport report, pipeline::RunReprocess(options, stop));
  log::Info("reprocess finished", {{"objects_seen", report.objects_seen},
                                   {"objects_loaded", report.objects_loaded},
                                   {"rows", report.rows},
                                   {"quotes_retention_days", options.quotes_retention_days},
                                   {"partitions_dropped", report.partitions_dropped}});
  // As `coinlake retention` does: the partitions the lake could not prove stay, and say why.
  for (const std::string& kept : report.partitions_kept) {
    log::Warn("reprocess kept quotes beyond the retention", {{"partition", kept}});
  }
  return Status::Ok();
}

Status Audit(const GlobalOptions& global, const AuditFlags& flags, const FetchFlags& fetch_flags,
             StopSignal& stop) {
  RETURN_IF_ERROR(CheckDateRange(flags.from, flags.to));
  pipeline::AuditOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.from_date = flags.from;
  options.to_date = flags.to;
  options.interval = std::chrono::seconds(flags.interval_seconds);
  options.quotes_retention_days = global.quotes_retention_days;
  // The closed days' results go to audit_results, which the audit-discrepancy rule watches.
  options.store_as = "audit";
  ASSIGN_OR_RETURN(pipeline::AuditReport report, pipeline::RunAudit(options, stop));
  if (flags.fill && !report.missing_slots.empty()) {
    // Progress goes to stderr: stdout is the report (JSON with --json).
    ASSIGN_OR_RETURN(pipeline::FetchOptions fetch, MakeFetchOptions(global, fetch_flags));
    Status filled = pipeline::FillSlots(fetch, report.missing_slots, stop, std::cerr).status();
    if (!filled.ok()) log::Error("audit --fill stopped", {{"error", filled.ToString()}});
    ASSIGN_OR_RETURN(report, pipeline::RunAudit(options, stop));
  }
  std::cout << (flags.json ? report.ToJson().dump() + "\n" : report.ToText()) << std::flush;
  if (!report.store_error.empty()) {
    // A reader role may audit without storing: the report above stands all the same.
    log::Warn("audit results not stored", {{"error", report.store_error}});
  }
  if (report.clean()) return Status::Ok();
  const pipeline::AuditFinding& first = report.findings.front();
  return DataLossError(fmt::format("audit: {} discrepancies (first: {} {} {})",
                                   report.findings.size(), first.kind, first.date,
                                   first.key.empty() ? first.detail : first.key));
}

Status Compact(const GlobalOptions& global, const CompactFlags& flags, StopSignal& stop) {
  RETURN_IF_ERROR(CheckDateRange(flags.from, flags.to));
  pipeline::CompactOptions options;
  options.lake_url = global.lake_url;
  options.from_date = flags.from;
  options.to_date = flags.to;
  options.force = flags.force;
  for (std::string_view table : SplitCommaList(flags.tables)) options.tables.emplace_back(table);
  // --to alone: from the start; --from alone: to yesterday.
  ASSIGN_OR_RETURN(pipeline::CompactReport report, pipeline::RunCompact(options, stop));
  if (flags.json) {
    std::cout << report.ToJson().dump() << "\n";
  } else {
    for (const pipeline::CompactedDay& d : report.days) {
      std::cout << fmt::format(
          "{}  {:<14}  {:<10}  v{}  {:>9} rows  {:>11} bytes  {:>4} sources  {}\n", d.date, d.table,
          d.outcome, d.version, d.rows, d.bytes, d.sources, d.file_key);
    }
  }
  std::cout << std::flush;
  return Status::Ok();
}

Status Retention(const GlobalOptions& global, const RetentionFlags& flags, StopSignal& stop) {
  pipeline::RetentionOptions options;
  options.database_url = global.database_url;
  options.lake_url = global.lake_url;
  options.retention_days = global.quotes_retention_days;
  options.dry_run = flags.dry_run;
  ASSIGN_OR_RETURN(pipeline::RetentionReport report, pipeline::RunRetention(options, stop));
  std::cout << (flags.json ? report.ToJson().dump() + "\n" : report.ToText()) << std::flush;
  for (const pipeline::RetentionPartition& m : report.partitions) {
    if (m.outcome == "blocked") {
      return FailedPreconditionError(fmt::format("retention: {} kept: {}", m.partition, m.reason));
    }
  }
  return Status::Ok();
}

namespace {

StatusOr<pipeline::BackfillOptions> MakeBackfillOptions(const GlobalOptions& global,
                                                        const FetchFlags& flags,
                                                        const BackfillFlags& backfill) {
  pipeline::BackfillOptions options;
  ASSIGN_OR_RETURN(options.fetch, MakeFetchOptions(global, flags));
  if (backfill.from.empty()) return InvalidArgumentError("a backfill needs --from");
  options.from = backfill.from;
  options.to = backfill.to;
  ASSIGN_OR_RETURN(options.ids, ParseIds(backfill.ids, "--ids"));
  options.symbols = SplitCommaList(backfill.symbols);
  options.top = backfill.top;
  options.interval = backfill.interval;
  options.quotes = false;
  for (const std::string& endpoint : SplitCommaList(backfill.endpoints)) {
    if (endpoint == "quotes") {
      options.quotes = true;
    } else if (endpoint == "ohlcv") {
      options.ohlcv = true;
    } else if (endpoint == "global") {
      options.global_metrics = true;
    } else {
      return InvalidArgumentError(
          fmt::format("--endpoints: '{}' is none of quotes, ohlcv, global", endpoint));
    }
  }
  options.dry_run = backfill.dry_run || backfill.plan_only;
  return options;
}

// What the last backfill probes found the plan to serve (endpoint_access), when a database is
// given: the plan's limits as CMC itself stated them.
void PrintHistoricalAccess(const std::string& database_url) {
  if (database_url.empty()) return;
  auto db = warehouse::Connection::Open(database_url);
  auto access = db.ok() ? warehouse::ReadEndpointAccess(**db)
                        : StatusOr<std::vector<warehouse::EndpointAccess>>(db.status());
  if (!access.ok() || access->empty()) return;
  std::cout << "\nhistorical endpoints, as the last backfill found them:\n";
  for (const warehouse::EndpointAccess& a : *access) {
    std::cout << fmt::format("  {:<27} {} (checked {}{}{})\n", a.endpoint,
                             a.allowed ? "served" : "refused", FormatIso8601(a.checked_at),
                             a.earliest ? ", from " + FormatIso8601(*a.earliest) : "",
                             a.message.empty() ? "" : ": " + a.message);
  }
}

}  // namespace

Status Backfill(const GlobalOptions& global, const FetchFlags& flags, const BackfillFlags& backfill,
                StopSignal& stop) {
  ASSIGN_OR_RETURN(pipeline::BackfillOptions options, MakeBackfillOptions(global, flags, backfill));
  return pipeline::RunBackfill(options, stop, std::cout).status();
}

Status Plan(const GlobalOptions& global, const FetchFlags& flags, const BackfillFlags& backfill) {
  if (backfill.plan_only) {
    StopSignal stop;
    return Backfill(global, flags, backfill, stop);
  }
  pipeline::FetchOptions fetch;
  RETURN_IF_ERROR(ApplyEndpointFlags(flags, fetch));
  cmc::PlanInput in;
  in.calls = pipeline::PlanCalls(fetch);
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
  PrintHistoricalAccess(global.database_url);
  if (estimate.exceeds_plan) {
    return ResourceExhaustedError(fmt::format(
        "this configuration needs {:.0f} credits a month but the plan has {}: raise the "
        "intervals (--listings-interval, --global-metrics-interval, ...) or lower --limit",
        estimate.credits_per_month, in.credits_per_month));
  }
  return Status::Ok();
}

Status Inspect(const std::string& file) {
  ASSIGN_OR_RETURN(std::string data, ReadWholeFile(file));
  Status written = cmc::WriteStoredPayloadRows(data, std::cout);
  if (!written.ok()) return InvalidArgumentError(fmt::format("{}: {}", file, written.message()));
  return Status::Ok();
}

Status Serve(const GlobalOptions& global, dashboard::ServeOptions options, StopSignal& stop) {
  options.database_url = global.database_url;
  return dashboard::RunServe(options, stop);
}

Status Sim(cmc::SimOptions options, StopSignal& stop) {
  if (options.faults.starts_with("@")) {
    ASSIGN_OR_RETURN(options.faults, ReadWholeFile(options.faults.substr(1)));
  }
  if (const char* key = std::getenv("CMC_API_KEY")) options.api_key = key;
  ASSIGN_OR_RETURN(auto sim, cmc::Simulator::Start(options));
  while (stop.SleepFor(std::chrono::hours(1))) {  // false once stopped
  }
  sim->Stop();
  return Status::Ok();
}

}  // namespace coinlake::app
