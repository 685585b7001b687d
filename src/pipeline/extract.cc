// The extract step of a fetch cycle: one endpoint's call, governed by the credit plan,
// classified and retried, and its answer spooled under raw/ or quarantine/ with its sidecar.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <random>

#include "cmc/classify.h"
#include "cmc/parser.h"
#include "common/backoff.h"
#include "common/bytes.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/fetch.h"
#include "pipeline/sidecar.h"

namespace coinlake::pipeline {
namespace {

// A governor wait longer than this defers the endpoint to a later cycle instead.
constexpr auto kMaxGovernorWait = std::chrono::minutes(1);

std::string UntilText(TimePoint until) {
  return until == TimePoint::max() ? std::string("restart (needs a new key, plan or configuration)")
                                   : FormatIso8601(until);
}

}  // namespace

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
  if (parsed.map) map_ = parsed.map;
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

std::vector<Pipeline::StoppedEndpoint> Pipeline::StoppedEndpoints() const {
  std::vector<StoppedEndpoint> out;
  for (const auto& [name, stopped] : stopped_) {
    out.push_back({std::string(name), stopped.reason, stopped.until});
  }
  if (!watchlist_error_.empty() && !stopped_.contains(lake::kQuotesLatest)) {
    out.push_back({std::string(lake::kQuotesLatest), watchlist_error_, TimePoint::max()});
  }
  return out;
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
  return Call(endpoint, MakeRequest(endpoint, config), endpoint.credits(config), {}, report);
}

Status Pipeline::FetchEndpoint(std::string_view name, CycleReport& report) {
  const Endpoint* endpoint = FindEndpoint(name);
  if (endpoint == nullptr || endpoint->historical) {
    return InvalidArgumentError(fmt::format("not a live endpoint: '{}'", name));
  }
  return Extract(*endpoint, report);
}

StatusOr<bool> Pipeline::HoldsRawObject(const std::string& key) {
  for (lake::ObjectStore* store : {static_cast<lake::ObjectStore*>(spool_.get()), lake_.get()}) {
    auto head = store->Head(key);
    if (head.ok()) return true;
    if (head.status().code() != StatusCode::kNotFound) return head.status();
  }
  return false;
}

Status Pipeline::FetchHistorical(const Endpoint& endpoint, const EndpointRequest& request,
                                 int64_t credits, const HistoricalKey& key, CycleReport& report) {
  return Call(endpoint, request, credits, key, report);
}

Status Pipeline::Call(const Endpoint& endpoint, const EndpointRequest& request, int64_t cost,
                      const std::optional<HistoricalKey>& historical, CycleReport& report) {
  const std::string_view name = endpoint.name;
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
    last_answer_ = answer;
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
    RETURN_IF_ERROR(
        Spool(lake::SidecarKeyOf(key), SidecarJson(response, body_sha), report).status());
    log::Error("response quarantined",
               {{"endpoint", name}, {"key", key}, {"reason", std::string(why.message())}});
    report.quarantined = true;
    return Status(why.code(), fmt::format("{}: {}", name, why.message()));
  }
  // A live answer is keyed by its own time; a historical one by its request (lake/keys.h).
  TimePoint key_time = historical ? historical->window_start : status->timestamp;
  std::string_view digest = historical ? std::string_view(historical->digest) : "";
  ASSIGN_OR_RETURN(std::string body_written,
                   Spool(lake::RawBodyKey(name, key_time, digest), stored, report));
  RETURN_IF_ERROR(Spool(lake::RawMetaKey(name, key_time, digest), SidecarJson(response, body_sha),
                        report, body_written)
                      .status());
  Absorb(parsed);
  return Status::Ok();
}

}  // namespace coinlake::pipeline
