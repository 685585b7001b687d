#include "pipeline/fetch.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <random>

#include "cmc/classify.h"
#include "cmc/parser.h"
#include "common/backoff.h"
#include "common/bytes.h"
#include "common/log.h"
#include "lake/curated.h"
#include "lake/keys.h"
#include "pipeline/load_object.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {
namespace {

constexpr const char* kListingsPath = "/v1/cryptocurrency/listings/latest";

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

}  // namespace

std::vector<std::string_view> EnabledEndpoints(const FetchOptions& options) {
  std::vector<std::string_view> out;
  for (const EndpointSchedule& e : options.schedule) {
    if (e.interval.count() > 0) out.push_back(e.endpoint);
  }
  return out;
}

StatusOr<std::unique_ptr<Pipeline>> Pipeline::Make(const FetchOptions& options, StopSignal& stop) {
  if (options.listings_limit < 1 || options.listings_limit > 5000) {
    return InvalidArgumentError("--limit must be between 1 and 5000");
  }
  std::unique_ptr<Pipeline> p(new Pipeline(options, stop));
  ASSIGN_OR_RETURN(p->client_, cmc::CmcClient::Make(options.cmc));
  ASSIGN_OR_RETURN(p->lake_, lake::OpenObjectStore(options.lake_url));
  auto spool = lake::FileObjectStore::Open(options.spool_dir);
  if (!spool.ok()) return spool.status().WithContext("spool");
  p->spool_ = std::move(spool).value();
  return p;
}

StatusOr<warehouse::Connection*> Pipeline::Database() {
  if (db_ && db_->healthy()) return db_.get();
  db_.reset();
  ASSIGN_OR_RETURN(db_, warehouse::Connection::Open(options_.database_url));
  return db_.get();
}

StatusOr<CycleReport> Pipeline::RunCycle(std::string_view command,
                                          const std::vector<std::string_view>& due) {
  TimePoint started = SystemNow();
  std::optional<std::string> run_id;
  if (auto db = Database(); db.ok()) {
    auto row = (*db)->Query("INSERT INTO runs (command, started_at) VALUES ($1, $2) RETURNING id",
                            {std::string(command), FormatIso8601(started)});
    if (row.ok()) run_id = row->text(0, 0);
  }
  CycleReport result;
  Status status;
  for (std::string_view endpoint : due) {
    Status s = Extract(endpoint, result);
    if (status.ok()) status = s;  // the first failure is the cycle's; the others are logged
  }
  // Drain whatever happened: a quarantined answer, or objects left by an earlier outage.
  Status drained = DrainSpool(result);
  if (status.ok()) status = drained;

  TimePoint finished = SystemNow();
  if (run_id) {
    if (auto db = Database(); db.ok()) {
      std::string outcome = status.ok() ? (result.quarantined ? "partial" : "ok") : "failed";
      Status recorded = (*db)->Execute(
          "UPDATE runs SET finished_at = $2, outcome = $3, credits = $4, objects = $5, rows = $6, "
          "error_class = $7, error = $8 WHERE id = $1",
          {*run_id, FormatIso8601(finished), outcome, std::to_string(result.credits),
           std::to_string(result.objects), std::to_string(result.rows),
           status.ok() ? warehouse::Param() : std::string(StatusCodeName(status.code())),
           status.ok() ? warehouse::Param() : log::Redact(status.message())});
      if (!recorded.ok()) log::Warn("could not record the run", {{"error", recorded.ToString()}});
    }
  }
  log::Write(status.ok() ? log::Level::kInfo : log::Level::kError, "cycle finished",
             {{"command", command},
              {"outcome", status.ok() ? "ok" : "failed"},
              {"duration_ms", (finished - started).count()},
              {"objects", result.objects},
              {"rows", result.rows},
              {"credits", result.credits},
              {"error", status.ok() ? "" : status.ToString()}});
  if (!status.ok()) return status;
  return result;
}

Status Pipeline::Extract(std::string_view endpoint, CycleReport& report) {
  if (endpoint != lake::kListingsLatest) {
    return InvalidArgumentError(fmt::format("endpoint {} is not fetched yet", endpoint));
  }
  std::map<std::string, std::string> params = {{"start", "1"},
                                               {"limit", std::to_string(options_.listings_limit)},
                                               {"convert", options_.convert}};
  if (SystemNow() < listings_stopped_until_) {
    std::string until = listings_stopped_until_ == TimePoint::max()
                            ? std::string("restart")
                            : FormatIso8601(listings_stopped_until_);
    return ResourceExhaustedError(
        fmt::format("listings stopped until {}: {}", until, listings_stop_reason_));
  }
  cmc::HttpResponse response;
  std::optional<cmc::Decision> final_decision;
  std::mt19937_64 rng(std::random_device{}());
  BackoffPolicy policy;
  for (int retry = 0;; ++retry) {
    cmc::Answer answer;
    auto r = client_->Get(kListingsPath, params);
    if (r.ok()) {
      response = std::move(r).value();
      answer.http_status = response.http_status;
      answer.retry_after_seconds = response.retry_after_seconds;
      if (auto parsed = cmc::ParseStatus(response.body); parsed.ok()) {
        answer.error_code = parsed->error_code;
        answer.error_message = parsed->error_message;
        report.credits += parsed->credit_count;  // errors cost 0, but trust what CMC says
      }
    } else {
      answer.transport = r.status();
    }
    cmc::Decision decision = cmc::Classify(answer, retry, SystemNow(), policy, rng);
    if (decision.action == cmc::Action::kRetry && retry + 1 < policy.max_attempts) {
      log::Warn("retrying", {{"operation", "GET listings"},
                             {"attempt", retry + 1},
                             {"delay_ms", decision.delay.count()},
                             {"reason", decision.reason}});
      if (stop_.SleepFor(decision.delay)) continue;
    }
    if (decision.action == cmc::Action::kStopEndpoint ||
        decision.action == cmc::Action::kStopUntil) {
      listings_stopped_until_ =
          decision.action == cmc::Action::kStopUntil ? decision.until : TimePoint::max();
      listings_stop_reason_ = decision.reason;
      log::Error("endpoint stopped",
                 {{"endpoint", "listings_latest"},
                  {"reason", decision.reason},
                  {"until", decision.action == cmc::Action::kStopUntil
                                ? FormatIso8601(decision.until)
                                : "restart (needs a new key, plan or configuration)"}});
    }
    if (!r.ok()) return r.status();
    final_decision = decision;
    break;
  }

  std::string body_sha = Sha256Hex(response.body);
  ASSIGN_OR_RETURN(std::string stored, GzipCompress(response.body));
  auto status = cmc::ParseStatus(response.body);
  bool valid = final_decision->action == cmc::Action::kOk;
  if (valid) {
    // Parse fully now, so a payload that would fail to load goes to quarantine, not raw/.
    auto rows = cmc::ParseListings(response.body);
    if (!rows.ok()) {
      valid = false;
      status = rows.status();
    }
  }
  if (!valid) {
    std::string why = !status.ok() ? status.status().ToString() : final_decision->reason;
    TimePoint when = status.ok() ? status->timestamp : response.finished;
    std::string key = lake::QuarantineKey(lake::kListingsLatest, when, body_sha);
    RETURN_IF_ERROR(spool_->Put(key, stored));
    RETURN_IF_ERROR(
        spool_->Put(key.substr(0, key.size() - 8) + ".meta.json", MetaJson(response, body_sha)));
    log::Error("response quarantined", {{"key", key}, {"reason", why}});
    report.quarantined = true;
    return FailedPreconditionError(why);
  }
  RETURN_IF_ERROR(spool_->Put(lake::RawBodyKey(lake::kListingsLatest, status->timestamp), stored));
  return spool_->Put(lake::RawMetaKey(lake::kListingsLatest, status->timestamp),
                     MetaJson(response, body_sha));
}

Status Pipeline::DrainSpool(CycleReport& report) {
  ASSIGN_OR_RETURN(auto spooled, spool_->ListAll(""));
  for (const lake::ObjectInfo& object : spooled) {
    ASSIGN_OR_RETURN(std::string data, spool_->Get(object.key));
    Status put = RetryWithBackoff(
        BackoffPolicy{}, stop_, "lake put", [&] { return lake_->Put(object.key, data); },
        IsTransient);
    if (!put.ok()) return put.WithContext(fmt::format("lake put {}", object.key));
    report.objects += object.key.ends_with(".json.gz") ? 1 : 0;
    if (object.key.starts_with("raw/") && object.key.ends_with(".json.gz")) {
      // Load before the spool copy goes: if the database is down, the object is safe in the
      // lake and the next cycle's catch-up (or reprocess) loads it.
      ASSIGN_OR_RETURN(warehouse::Connection * db, Database());
      warehouse::Loader loader(*db);
      ASSIGN_OR_RETURN(warehouse::LoadResult loaded, LoadRawObject(loader, object.key, data));
      report.rows += loaded.rows;
      log::Info(
          "object loaded",
          {{"key", object.key}, {"rows", loaded.rows}, {"already_loaded", loaded.already_loaded}});
      // The curated CSV is deterministic, so a retry after a failure here is a no-op put.
      RETURN_IF_ERROR(lake::PutCuratedQuotes(*lake_, object.key, data));
    }
    RETURN_IF_ERROR(spool_->Delete(object.key));
  }
  return Status::Ok();
}

Status RunFetch(const FetchOptions& options, StopSignal& stop) {
  ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(options, stop));
  return pipeline->RunCycle("fetch", EnabledEndpoints(options)).status();
}

Status RunLoop(const FetchOptions& options, StopSignal& stop) {
  ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(options, stop));
  log::Info("run started", {{"interval_s", options.interval.count()},
                            {"lake", options.lake_url},
                            {"cmc", options.cmc.base_url}});
  while (!stop.stopped()) {
    // logged and recorded inside; the loop goes on
    (void)pipeline->RunCycle("run", EnabledEndpoints(options));
    auto now = std::chrono::system_clock::now();
    auto next = std::chrono::ceil<std::chrono::seconds>(now.time_since_epoch());
    auto interval = options.interval;
    auto slot = (next / interval + 1) * interval;  // the next wall-clock multiple of interval
    stop.SleepFor(slot - now.time_since_epoch());
  }
  log::Info("run stopped");
  return Status::Ok();
}

}  // namespace coinlake::pipeline
