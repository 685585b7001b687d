// The fetch cycle: which endpoints a cycle calls and in what order, the database connection
// it loads through, and its record in `runs`. Its steps live beside it: extract.cc (the API
// call), drain.cc (spool, lake, load), sidecar.cc (the .meta.json of each body).
#include "pipeline/fetch.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/crash_point.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/run_lock.h"
#include "warehouse/migrations.h"
#include "warehouse/run_ledger.h"

namespace coinlake::pipeline {

std::vector<std::string_view> EnabledEndpoints(const FetchOptions& options) {
  std::vector<std::string_view> out;
  for (const EndpointSchedule& e : options.schedule) {
    if (e.interval.count() > 0) out.push_back(e.endpoint);
  }
  return out;
}

int64_t ListingsIntervalSeconds(const FetchOptions& options) {
  for (const EndpointSchedule& e : options.schedule) {
    if (e.endpoint == "listings_latest") return e.interval.count();
  }
  return 0;
}

std::vector<cmc::PlanCall> PlanCalls(const FetchOptions& options) {
  EndpointConfig config{options.listings_limit, options.convert, options.quotes_ids};
  config.quote_ids.resize(options.quotes_ids.size() + options.quotes_symbols.size());
  std::vector<cmc::PlanCall> calls;
  for (const EndpointSchedule& e : options.schedule) {
    const Endpoint* endpoint = FindEndpoint(e.endpoint);
    if (endpoint == nullptr || endpoint->historical || e.interval.count() <= 0) continue;
    calls.push_back({std::string(e.endpoint), e.interval, endpoint->credits(config),
                     endpoint->stored_bytes(config), endpoint->describe(config)});
  }
  return calls;
}

warehouse::RunEnd RunEndOf(TimePoint finished, std::string outcome, const CycleReport& report,
                           const Status& status) {
  warehouse::RunEnd end{.finished = finished,
                        .outcome = std::move(outcome),
                        .credits = report.credits,
                        .objects = report.objects,
                        .rows = report.rows,
                        .quotes_carried = report.carried};
  if (!status.ok()) {
    end.error_class = std::string(StatusCodeName(status.code()));
    end.error = log::Redact(status.message());
  }
  return end;
}

StatusOr<std::unique_ptr<Pipeline>> Pipeline::Make(const FetchOptions& options, StopSignal& stop) {
  if (options.listings_limit < 1 || options.listings_limit > 5000) {
    return InvalidArgumentError("--limit must be between 1 and 5000");
  }
  if (options.quotes_ids.size() + options.quotes_symbols.size() > kMaxQuoteIds) {
    return InvalidArgumentError(
        fmt::format("the quotes watchlist holds at most {} coins", kMaxQuoteIds));
  }
  for (const EndpointSchedule& e : options.schedule) {
    const Endpoint* endpoint = FindEndpoint(e.endpoint);
    if (endpoint == nullptr) {
      return InvalidArgumentError(fmt::format("unknown endpoint '{}'", e.endpoint));
    }
    if (endpoint->historical) {
      return InvalidArgumentError(fmt::format(
          "'{}' is a historical endpoint: `coinlake backfill` asks for it, not the schedule",
          e.endpoint));
    }
  }
  std::unique_ptr<Pipeline> p(new Pipeline(options, stop));
  p->quote_ids_ = options.quotes_ids;
  p->symbols_resolved_ = options.quotes_symbols.empty();
  ASSIGN_OR_RETURN(p->client_, cmc::CmcClient::Make(options.cmc));
  ASSIGN_OR_RETURN(p->lake_, lake::OpenObjectStore(options.lake_url, &stop));
  auto spool = lake::FileObjectStore::Open(options.spool_dir);
  if (!spool.ok()) return spool.status().WithContext("spool");
  p->spool_ = std::move(spool).value();
  // Answers an earlier process fetched but did not get into the lake or the database (a crash,
  // an outage) wait here; the first cycle's drain takes them. Said once, so a restart after a
  // crash shows what it recovered.
  auto waiting = p->spool_->ListAll("");
  if (waiting.ok()) {
    std::erase_if(*waiting, [](const auto& o) { return o.key.starts_with(kSpoolJournalFolder); });
  }
  if (waiting.ok() && !waiting->empty()) {
    log::Info("spool holds objects from before this process; the first cycle drains them",
              {{"objects", waiting->size()}, {"spool", options.spool_dir}});
  }
  return p;
}

StatusOr<warehouse::Connection*> Pipeline::Database() {
  if (db_ && db_->healthy()) return db_.get();
  db_.reset();
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(options_.database_url));
  // Behind (an upgrade before its migrate): nothing loads, the answers wait in the lake and the
  // spool, and every cycle says what to do.
  RETURN_IF_ERROR(warehouse::CheckSchemaCurrent(*db));
  // A cycle's statements take well under a second; a lock held by someone else (a migration, a
  // reprocess --force) must not stall the loop forever: the server cancels after this.
  RETURN_IF_ERROR(db->Execute("SET statement_timeout = '120s'"));
  // And a server that stops answering altogether (frozen, not gone) cannot cancel anything:
  // past this the connection is dropped client-side and the cycle goes on without the database.
  db->SetCallTimeout(std::chrono::seconds(150));
  db_ = std::move(db);
  return db_.get();
}

StatusOr<CycleReport> Pipeline::RunCycle(std::string_view command,
                                         const std::vector<std::string_view>& due) {
  TimePoint started = options_.clock();
  std::optional<int64_t> run_id;
  if (auto db = Database(); db.ok()) {
    // A cycle of `run` keeps the schedule, and records its listings interval for audit; a
    // one-off fetch keeps none.
    auto id = warehouse::StartRun(
        **db,
        {.command = std::string(command),
         .started = started,
         .listings_interval_seconds = command == "run" ? ListingsIntervalSeconds(options_) : 0});
    if (id.ok()) run_id = *id;
  }
  CycleReport result;
  Status status;
  int succeeded = 0;
  auto steps = PlanCycle(due);
  if (!steps.ok()) status = steps.status();
  for (const Step& step : steps.ok() ? *steps : std::vector<Step>{}) {
    auto t0 = std::chrono::steady_clock::now();
    std::chrono::milliseconds spooling = result.stages.spool;
    Status s = Extract(*step.endpoint, result);
    result.stages.extract += MillisecondsSince(t0) - (result.stages.spool - spooling);
    if (s.ok()) {
      succeeded += step.required ? 1 : 0;
      result.answered.emplace_back(step.endpoint->name);
    } else if (!step.required) {
      log::Warn("endpoint failed", {{"endpoint", step.endpoint->name}, {"error", s.ToString()}});
    } else if (status.ok()) {
      status = s;  // the first failure is the cycle's; each one was logged where it happened
    }
  }
  CrashPoint("after_spool");
  // Drain whatever happened: a quarantined answer, or objects left by an earlier outage.
  Status drained = DrainSpool(result);
  if (status.ok()) status = drained;

  TimePoint finished = options_.clock();
  std::string outcome = status.ok()     ? (result.quarantined ? "partial" : "ok")
                        : succeeded > 0 ? "partial"
                                        : "failed";
  result.outcome = outcome;
  if (run_id) {
    if (auto db = Database(); db.ok()) {
      Status recorded =
          warehouse::FinishRun(**db, *run_id, RunEndOf(finished, outcome, result, status));
      if (!recorded.ok()) log::Warn("could not record the run", {{"error", recorded.ToString()}});
    }
  }
  // The one line per cycle that log pipelines (journald, CloudWatch) alert and graph on.
  log::Write(status.ok() ? log::Level::kInfo : log::Level::kError, "cycle finished",
             {{"command", command},
              {"endpoints", due},
              {"outcome", outcome},
              {"duration_ms", (finished - started).count()},
              {"extract_ms", result.stages.extract.count()},
              {"spool_ms", result.stages.spool.count()},
              {"lake_ms", result.stages.lake.count()},
              {"load_ms", result.stages.load.count()},
              {"alerts_ms", result.stages.alerts.count() / 1000.0},
              {"objects", result.objects},
              {"rows", result.rows},
              {"carried", result.carried},
              {"credits", result.credits},
              {"error_class", status.ok() ? "" : StatusCodeName(status.code())},
              {"error", status.ok() ? "" : status.ToString()}});
  last_report_ = result;
  if (!status.ok()) return status;
  return result;
}

StatusOr<std::vector<Pipeline::Step>> Pipeline::PlanCycle(
    const std::vector<std::string_view>& due) const {
  std::vector<Step> steps;
  auto add = [&](std::string_view name, bool required) -> Status {
    const Endpoint* endpoint = FindEndpoint(name);
    if (endpoint == nullptr || endpoint->historical) {
      return InvalidArgumentError(fmt::format("unknown endpoint '{}'", name));
    }
    auto same = [&](const Step& s) { return s.endpoint == endpoint; };
    if (std::none_of(steps.begin(), steps.end(), same)) steps.push_back({endpoint, required});
    return Status::Ok();
  };
  for (std::string_view name : due) RETURN_IF_ERROR(add(name, true));
  // The plan comes from /v1/key/info (free) before the first call that costs credits.
  if (!governor_ready_) RETURN_IF_ERROR(add(lake::kKeyInfo, false));
  // Watchlist symbols resolve through the map, once.
  bool quotes_due = std::find(due.begin(), due.end(), lake::kQuotesLatest) != due.end();
  if (quotes_due && !symbols_resolved_) RETURN_IF_ERROR(add(lake::kMap, false));
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    return a.endpoint->fetch_order < b.endpoint->fetch_order;
  });
  return steps;
}

Status RunFetch(const FetchOptions& options, StopSignal& stop) {
  // One poller per database: a fetch beside a running `coinlake run` would spend the credits
  // twice and drain the same spool. If the database cannot be reached, nobody else can take the
  // lock either, and the fetch goes on (the spool and the lake keep what it gets).
  StatusOr<std::unique_ptr<RunLock>> lock = RunLock::Acquire(options.database_url);
  if (lock.status().code() == StatusCode::kAlreadyExists) return lock.status();
  ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(options, stop));
  return pipeline->RunCycle("fetch", EnabledEndpoints(options)).status();
}

}  // namespace coinlake::pipeline
