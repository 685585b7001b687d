#include "pipeline/fetch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "cmc/classify.h"
#include "cmc/parser.h"
#include "common/backoff.h"
#include "common/bytes.h"
#include "common/crash_point.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/curated.h"
#include "pipeline/load_object.h"
#include "pipeline/raw_put.h"
#include "pipeline/run_lock.h"
#include "warehouse/loader.h"
#include "warehouse/migrations.h"

namespace coinlake::pipeline {
namespace {

// A governor wait longer than this defers the endpoint to a later cycle instead.
constexpr auto kMaxGovernorWait = std::chrono::minutes(1);

std::string UntilText(TimePoint until) {
  return until == TimePoint::max() ? std::string("restart (needs a new key, plan or configuration)")
                                   : FormatIso8601(until);
}

std::string MetaJson(const cmc::HttpResponse& response, std::string_view body_sha256) {
  nlohmann::ordered_json meta;
  meta["request"] = response.request;  // never holds the key: it travels in a header
  meta["http_status"] = response.http_status;
  meta["fetch_started"] = FormatIso8601(response.started);
  meta["fetch_finished"] = FormatIso8601(response.finished);
  meta["body_sha256"] = body_sha256;
  meta["body_size"] = response.body.size();
  meta["coinlake_version"] = COINLAKE_VERSION;
  return meta.dump(2) + "\n";
}

// The sidecar of a spooled body whose own sidecar was never spooled: the process died between
// the two spool writes. What the body itself tells is kept; the request, status and fetch times
// died with the process, so they are null, and `recovered` says why.
std::string RecoveredMetaJson(std::string_view stored) {
  StatusOr<std::string> body = LooksGzipped(stored) ? GzipDecompress(stored) : std::string(stored);
  std::string_view plain = body.ok() ? std::string_view(*body) : stored;  // hash what is there
  nlohmann::ordered_json meta;
  meta["request"] = nullptr;
  meta["http_status"] = nullptr;
  meta["fetch_started"] = nullptr;
  meta["fetch_finished"] = nullptr;
  meta["body_sha256"] = Sha256Hex(plain);
  meta["body_size"] = plain.size();
  meta["coinlake_version"] = COINLAKE_VERSION;
  meta["recovered"] =
      "the process stopped between spooling the body and its sidecar; this sidecar was rebuilt "
      "from the body";
  return meta.dump(2) + "\n";
}

// Gives every spooled body a sidecar before the drain: a body without one (the process died
// between the two spool writes) gets RecoveredMetaJson, so the lake keeps one sidecar per body.
// The drain runs after the cycle's extracts, so a body lacks one only if an earlier process died
// between the writes, or if this cycle's sidecar write failed (a full disk); both are covered.
Status RestoreLostSidecars(lake::ObjectStore& spool, std::vector<lake::ObjectInfo>& spooled) {
  bool restored = false;
  for (size_t i = 0; i < spooled.size(); ++i) {
    const std::string& key = spooled[i].key;
    if (!lake::IsBodyKey(key)) continue;
    std::string meta_key = lake::SidecarKeyOf(key);
    // Key order puts a body's sidecar right after it.
    if (i + 1 < spooled.size() && spooled[i + 1].key == meta_key) continue;
    ASSIGN_OR_RETURN(std::string stored, spool.Get(key));
    RETURN_IF_ERROR(spool.Put(meta_key, RecoveredMetaJson(stored)));
    log::Warn(
        "a spooled body had no sidecar (the process stopped between the two writes): "
        "the sidecar is rebuilt from the body",
        {{"key", key}, {"sidecar", meta_key}});
    restored = true;
  }
  if (restored) {
    ASSIGN_OR_RETURN(spooled, spool.ListAll(""));
  }
  return Status::Ok();
}

// Time since `start` on the monotonic clock, for stage timings.
std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

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
    if (endpoint == nullptr || e.interval.count() <= 0) continue;
    calls.push_back({std::string(e.endpoint), e.interval, endpoint->credits(config),
                     endpoint->stored_bytes(config), endpoint->describe(config)});
  }
  return calls;
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
    if (FindEndpoint(e.endpoint) == nullptr) {
      return InvalidArgumentError(fmt::format("unknown endpoint '{}'", e.endpoint));
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
  if (auto waiting = p->spool_->ListAll(""); waiting.ok() && !waiting->empty()) {
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
  std::optional<std::string> run_id;
  if (auto db = Database(); db.ok()) {
    // A cycle of `run` keeps the schedule, and records its listings interval for audit; a
    // one-off fetch keeps none.
    int64_t interval = command == "run" ? ListingsIntervalSeconds(options_) : 0;
    auto row = (*db)->Query(
        "INSERT INTO runs (command, started_at, listings_interval_seconds) "
        "VALUES ($1, $2, $3) RETURNING id",
        {std::string(command), FormatIso8601(started),
         interval > 0 ? warehouse::Param(std::to_string(interval)) : warehouse::Param()});
    if (row.ok()) run_id = row->text(0, 0);
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
    result.stages.extract += Since(t0) - (result.stages.spool - spooling);
    if (s.ok()) {
      succeeded += step.required ? 1 : 0;
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
      Status recorded = (*db)->Execute(
          "UPDATE runs SET finished_at = $2, outcome = $3, credits = $4, objects = $5, rows = $6, "
          "error_class = $7, error = $8, quotes_carried = $9 WHERE id = $1",
          {*run_id, FormatIso8601(finished), outcome, std::to_string(result.credits),
           std::to_string(result.objects), std::to_string(result.rows),
           status.ok() ? warehouse::Param() : std::string(StatusCodeName(status.code())),
           status.ok() ? warehouse::Param() : log::Redact(status.message()),
           std::to_string(result.carried)});
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
    if (endpoint == nullptr) {
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

Status Pipeline::AwaitCredits(std::string_view endpoint, int64_t credits) {
  for (;;) {
    cmc::Admission admission = governor_.Admit(credits, options_.clock());
    if (admission.allowed) return Status::Ok();
    auto wait = admission.not_before - options_.clock();
    if (wait > kMaxGovernorWait) {
      log::Warn("endpoint deferred by the credit governor",
                {{"endpoint", endpoint},
                 {"credits", credits},
                 {"until", FormatIso8601(admission.not_before)},
                 {"reason", admission.reason}});
      return ResourceExhaustedError(fmt::format("{} deferred by the credit governor until {}: {}",
                                                endpoint, FormatIso8601(admission.not_before),
                                                admission.reason));
    }
    // not_before is wall-clock time: wait on that clock (it runs fast in the soak test).
    if (!stop_.SleepUntil(admission.not_before)) {
      return UnavailableError("stopped while waiting for the rate limit");
    }
  }
}

void Pipeline::Absorb(const ParsedObject& parsed) {
  if (parsed.key_info) {
    governor_.Update(*parsed.key_info, options_.clock());
    governor_ready_ = true;
    const cmc::CreditPlan& plan = governor_.plan();
    log::Info("credit plan", {{"credits_per_month", plan.credits_per_month},
                              {"month_used", governor_.month_used()},
                              {"calls_per_minute", plan.calls_per_minute}});
  }
  if (parsed.map && !symbols_resolved_) {
    symbols_resolved_ = true;
    auto ids = ResolveSymbols(options_.quotes_symbols, *parsed.map);
    if (!ids.ok()) {
      watchlist_error_ = ids.status().message();
      log::Error("endpoint stopped", {{"endpoint", lake::kQuotesLatest},
                                      {"reason", watchlist_error_},
                                      {"until", UntilText(TimePoint::max())}});
      return;
    }
    for (int64_t id : *ids) {
      if (std::find(quote_ids_.begin(), quote_ids_.end(), id) == quote_ids_.end()) {
        quote_ids_.push_back(id);
      }
    }
    log::Info("watchlist resolved",
              {{"symbols", fmt::format("{}", fmt::join(options_.quotes_symbols, ","))},
               {"ids", fmt::format("{}", fmt::join(*ids, ","))}});
  }
}

Status Pipeline::Extract(const Endpoint& endpoint, CycleReport& report) {
  const std::string_view name = endpoint.name;
  if (auto it = stopped_.find(name); it != stopped_.end()) {
    if (options_.clock() < it->second.until) {
      return ResourceExhaustedError(fmt::format("{} stopped until {}: {}", name,
                                                UntilText(it->second.until), it->second.reason));
    }
    stopped_.erase(it);
  }
  if (name == lake::kQuotesLatest) {  // the one endpoint that needs a watchlist
    if (!watchlist_error_.empty()) return FailedPreconditionError(watchlist_error_);
    if (quote_ids_.empty()) {
      return FailedPreconditionError("quotes_latest: the watchlist is empty or not resolved yet");
    }
  }
  EndpointConfig config{options_.listings_limit, options_.convert, quote_ids_};
  EndpointRequest request = MakeRequest(endpoint, config);
  const int64_t cost = endpoint.credits(config);
  const std::string operation = fmt::format("GET {}", name);

  cmc::HttpResponse response;
  std::optional<cmc::Decision> final_decision;
  std::mt19937_64 rng(std::random_device{}());
  BackoffPolicy policy;
  for (int retry = 0;; ++retry) {
    RETURN_IF_ERROR(AwaitCredits(name, cost));
    cmc::Answer answer;
    auto r = client_->Get(request.path, request.params);
    if (r.ok()) {
      response = std::move(r).value();
      answer.http_status = response.http_status;
      answer.retry_after_seconds = response.retry_after_seconds;
      int64_t charged = 0;
      if (auto parsed = cmc::ParseStatus(response.body); parsed.ok()) {
        answer.error_code = parsed->error_code;
        answer.error_message = parsed->error_message;
        charged = parsed->credit_count;  // errors cost 0, but trust what CMC says
      }
      report.credits += charged;
      governor_.Record(charged, options_.clock());
    } else {
      answer.transport = r.status();
    }
    cmc::Decision decision = cmc::Classify(answer, retry, options_.clock(), policy, rng);
    if (decision.action == cmc::Action::kRetry && retry + 1 < policy.max_attempts) {
      log::Warn("retrying", {{"operation", operation},
                             {"attempt", retry + 1},
                             {"delay_ms", decision.delay.count()},
                             {"reason", decision.reason}});
      if (stop_.SleepFor(decision.delay)) continue;
    }
    if (decision.action == cmc::Action::kStopEndpoint ||
        decision.action == cmc::Action::kStopUntil) {
      Stopped stop{decision.action == cmc::Action::kStopUntil ? decision.until : TimePoint::max(),
                   decision.reason};
      log::Error("endpoint stopped",
                 {{"endpoint", name}, {"reason", stop.reason}, {"until", UntilText(stop.until)}});
      stopped_[name] = std::move(stop);
    }
    if (!r.ok()) return r.status();
    final_decision = decision;
    break;
  }

  std::string body_sha = Sha256Hex(response.body);
  ASSIGN_OR_RETURN(std::string stored, GzipCompress(response.body));
  auto status = cmc::ParseStatus(response.body);
  bool valid = final_decision->action == cmc::Action::kOk;
  ParsedObject parsed;
  if (valid) {
    // Parse fully now, so a payload that would fail to load goes to quarantine, not raw/.
    Status rows = endpoint.parse(response.body, parsed);
    if (!rows.ok()) {
      valid = false;
      status = rows;
    }
  }
  if (!valid) {
    // A body that does not parse keeps its parser's class (INVALID_ARGUMENT) and words; an
    // answer CMC itself marked as an error is FAILED_PRECONDITION, with the decision's reason.
    Status why = !status.ok() ? status.status() : FailedPreconditionError(final_decision->reason);
    TimePoint when = status.ok() ? status->timestamp : response.finished;
    std::string key = lake::QuarantineKey(name, when, body_sha);
    RETURN_IF_ERROR(Spool(key, stored, report).status());
    RETURN_IF_ERROR(Spool(lake::SidecarKeyOf(key), MetaJson(response, body_sha), report).status());
    log::Error("response quarantined",
               {{"endpoint", name}, {"key", key}, {"reason", std::string(why.message())}});
    report.quarantined = true;
    return Status(why.code(), fmt::format("{}: {}", name, why.message()));
  }
  ASSIGN_OR_RETURN(std::string body_written,
                   Spool(lake::RawBodyKey(name, status->timestamp), stored, report));
  RETURN_IF_ERROR(Spool(lake::RawMetaKey(name, status->timestamp), MetaJson(response, body_sha),
                        report, body_written)
                      .status());
  Absorb(parsed);
  return Status::Ok();
}

StatusOr<std::string> Pipeline::Spool(const std::string& key, std::string_view data,
                                      CycleReport& report, std::string_view body_written) {
  auto t0 = std::chrono::steady_clock::now();
  // An earlier, different response of the same second may still wait in the spool: the
  // tie-break of raw_put.h applies here as in the lake.
  auto written = body_written.empty() ? PutRawObject(*spool_, key, data)
                                      : PutRawSidecar(*spool_, key, data, body_written);
  report.stages.spool += Since(t0);
  return written;
}

StatusOr<std::string> Pipeline::PutInLake(const std::string& key, std::string_view data,
                                          std::string_view body_written, CycleReport& report) {
  auto t0 = std::chrono::steady_clock::now();
  std::string written;
  Status put = RetryWithBackoff(
      BackoffPolicy{}, stop_, "lake put",
      [&] {
        auto key_written = body_written.empty() ? PutRawObject(*lake_, key, data)
                                                : PutRawSidecar(*lake_, key, data, body_written);
        if (key_written.ok()) written = *key_written;
        return key_written.status();
      },
      IsTransient);
  report.stages.lake += Since(t0);
  if (!put.ok()) return put.WithContext(fmt::format("lake put {}", key));
  return written;
}

Status Pipeline::DrainSpool(CycleReport& report) {
  ASSIGN_OR_RETURN(auto spooled, spool_->ListAll(""));
  RETURN_IF_ERROR(RestoreLostSidecars(*spool_, spooled));
  Status set_aside;  // the first object set aside in this drain: the cycle reports it
  // Key order puts a body (.json.gz) right before its sidecar (.meta.json): the sidecar follows
  // wherever the lake put the body (raw_put.h).
  std::string last_body_key, last_body_written;
  for (const lake::ObjectInfo& object : spooled) {
    ASSIGN_OR_RETURN(std::string data, spool_->Get(object.key));
    std::string_view body_written;
    if (lake::IsSidecarOf(object.key, last_body_key)) body_written = last_body_written;
    // The key the lake holds it under (quarantine/ if it lost a tie-break).
    ASSIGN_OR_RETURN(std::string written, PutInLake(object.key, data, body_written, report));
    CrashPoint("after_lake_put");
    if (lake::IsBodyKey(object.key)) ++report.objects;
    if (written.starts_with("raw/") && lake::IsBodyKey(written)) {
      // Load before the spool copy goes: if the database is down, the object is safe in the
      // lake and the next cycle's catch-up (or reprocess) loads it.
      auto t0 = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(warehouse::Connection * db, Database());
      warehouse::Loader loader(*db);
      auto loaded = LoadRawObject(*db, loader, written, data);
      report.stages.load += Since(t0);
      if (loaded.status().code() == StatusCode::kDataLoss) {
        // The ledger holds this key with other bytes: the lake under it changed after the load
        // (a store that ignored If-None-Match, a bucket restored from elsewhere). No retry can
        // load it, and kept in the spool it would fail every later cycle; so its bytes go to
        // quarantine/ like a tie-break loser, with an alert, and the drain goes on. `audit`
        // reports the raw/ key that no longer matches its ledger row.
        ASSIGN_OR_RETURN(std::string aside, CollisionKey(written, data));
        log::Error(
            "lake object changed after it was loaded: the spooled copy is kept in quarantine",
            {{"key", written}, {"written_as", aside}, {"error", loaded.status().ToString()}});
        ASSIGN_OR_RETURN(written, PutInLake(aside, data, {}, report));
        report.quarantined = true;
        if (set_aside.ok()) set_aside = loaded.status();
      } else if (!loaded.ok()) {
        return loaded.status();
      } else {
        CrashPoint("after_load_commit");
        report.rows += loaded->rows;
        report.carried += loaded->carried;
        log::Info("object loaded", {{"key", written},
                                    {"rows", loaded->rows},
                                    {"carried", loaded->carried},
                                    {"already_loaded", loaded->already_loaded}});
        // The curated CSV is deterministic, so a retry after a failure here is a no-op put.
        t0 = std::chrono::steady_clock::now();
        Status curated = PutCuratedQuotes(*lake_, written, data);
        report.stages.lake += Since(t0);
        RETURN_IF_ERROR(curated);
      }
    }
    if (lake::IsBodyKey(object.key)) {
      last_body_key = object.key;
      last_body_written = written;
    }
    RETURN_IF_ERROR(spool_->Delete(object.key));
  }
  return set_aside;
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
