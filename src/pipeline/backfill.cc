#include "pipeline/backfill.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "common/crash_point.h"
#include "common/log.h"
#include "lake/keys.h"
#include "warehouse/endpoint_access.h"
#include "warehouse/run_ledger.h"

namespace coinlake::pipeline {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// The N best-ranked active coins of the map, and the ids of the symbols, together.
StatusOr<std::vector<int64_t>> ResolveCoins(const BackfillOptions& options,
                                            const cmc::MapPayload* map) {
  std::vector<int64_t> ids = options.ids;
  if (options.top == 0 && options.symbols.empty()) return ids;
  if (map == nullptr) return UnavailableError("the coin map could not be fetched");
  if (!options.symbols.empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> resolved, ResolveSymbols(options.symbols, *map));
    ids.insert(ids.end(), resolved.begin(), resolved.end());
  }
  std::vector<const cmc::MapRow*> ranked;
  for (const cmc::MapRow& row : map->rows) {
    if (row.rank && row.is_active.value_or(1) == 1) ranked.push_back(&row);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const cmc::MapRow* a, const cmc::MapRow* b) { return *a->rank < *b->rank; });
  for (int i = 0; i < options.top && i < static_cast<int>(ranked.size()); ++i) {
    ids.push_back(ranked[i]->cmc_id);
  }
  return ids;
}

struct EndpointLine {
  int64_t calls = 0, held = 0, points = 0, credits = 0;
};

void PrintPlan(std::ostream& out, const BackfillSpec& spec, const std::vector<BackfillCall>& calls,
               const std::vector<bool>& held, const CreditBudget& budget,
               int64_t credits_to_fetch, int64_t probes) {
  std::map<std::string_view, EndpointLine> lines;
  for (size_t i = 0; i < calls.size(); ++i) {
    EndpointLine& line = lines[calls[i].endpoint->name];
    ++line.calls;
    line.held += held[i] ? 1 : 0;
    line.points += calls[i].points;
    line.credits += held[i] ? 0 : calls[i].credits;
  }
  out << fmt::format("backfill {} .. {}, every {} min, {} coins, {}\n",
                     FormatIso8601(calls.front().window_start),
                     FormatIso8601(calls.back().window_end), spec.interval_minutes,
                     spec.ids.size(), spec.convert);
  out << fmt::format("{:<27} {:>6} {:>6} {:>10} {:>9}\n", "endpoint", "calls", "held", "points",
                     "credits");
  EndpointLine total;
  for (const auto& [name, line] : lines) {
    out << fmt::format("{:<27} {:>6} {:>6} {:>10} {:>9}\n", name, line.calls, line.held,
                       line.points, line.credits);
    total.calls += line.calls;
    total.held += line.held;
    total.points += line.points;
    total.credits += line.credits;
  }
  out << fmt::format("{:<27} {:>6} {:>6} {:>10} {:>9}\n", "total", total.calls, total.held,
                     total.points, total.credits);
  out << fmt::format(
      "to fetch: {} calls, {} credits, and at most {} for the probe of each endpoint\n",
      total.calls - total.held, credits_to_fetch, probes);
  out << fmt::format(
      "credits this month: {} in the plan, {} used, {} kept for the live schedule until the "
      "reset: {} available\n",
      budget.monthly, budget.used, budget.live_reserve, budget.available());
  out.flush();
}

// One `runs` row for the whole backfill, so the pipeline page and the month's spend count it.
class RunRecord {
 public:
  RunRecord(Pipeline& pipeline, TimePoint started) : pipeline_(pipeline) {
    if (auto db = pipeline_.Database(); db.ok()) {
      auto id = warehouse::StartRun(**db, {.command = "backfill", .started = started});
      if (id.ok()) id_ = *id;
    }
  }
  void Finish(TimePoint finished, const CycleReport& cycle, const Status& status) {
    if (!id_) return;
    auto db = pipeline_.Database();
    if (!db.ok()) return;
    warehouse::RunEnd end{.finished = finished,
                          .outcome = status.ok() ? "ok" : "failed",
                          .credits = cycle.credits,
                          .objects = cycle.objects,
                          .rows = cycle.rows,
                          .quotes_carried = cycle.carried};
    if (!status.ok()) {
      end.error_class = std::string(StatusCodeName(status.code()));
      end.error = log::Redact(status.message());
    }
    Status recorded = warehouse::FinishRun(**db, *id_, end);
    if (!recorded.ok()) log::Warn("could not record the run", {{"error", recorded.ToString()}});
  }

 private:
  Pipeline& pipeline_;
  std::optional<int64_t> id_;
};

// Asks the probe call and records what it found. OK: the plan serves the endpoint.
// FAILED_PRECONDITION: CMC refused it (its own reason); anything else: no answer to judge by.
Status Probe(Pipeline& pipeline, const BackfillCall& probe, TimePoint now, CycleReport& cycle) {
  Status fetched = pipeline.FetchHistorical(*probe.endpoint, probe.request, probe.credits,
                                            {probe.window_start, probe.digest}, cycle);
  const cmc::Answer& answer = pipeline.last_answer();
  if (!fetched.ok() && answer.http_status == 0) return fetched;  // no answer: an outage
  warehouse::EndpointAccess access{.endpoint = std::string(probe.endpoint->name),
                                   .allowed = fetched.ok(),
                                   .checked_at = now,
                                   .http_status = answer.http_status,
                                   .error_code = answer.error_code,
                                   .message = fetched.ok() ? "" : answer.error_message,
                                   .earliest = probe.window_start};
  if (auto db = pipeline.Database(); db.ok()) {
    Status recorded = warehouse::RecordEndpointAccess(**db, access);
    if (!recorded.ok()) log::Warn("could not record endpoint access", {{"error", recorded.ToString()}});
  }
  if (fetched.ok()) return Status::Ok();
  return FailedPreconditionError(fmt::format(
      "CoinMarketCap refused {} for {} on this API key's plan (HTTP {}, error {}): {}",
      probe.endpoint->name, FormatIso8601(probe.window_start), answer.http_status,
      answer.error_code.value_or(0),
      answer.error_message.empty() ? fetched.message() : answer.error_message));
}

}  // namespace

StatusOr<TimePoint> ParseBackfillTime(std::string_view text, TimePoint now) {
  if (text == "now") return now;
  if (text.size() == 10 && text[4] == '-') return ParseIso8601(fmt::format("{}T00:00:00Z", text));
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) &&
      std::string_view("mhd").find(text.back()) != std::string_view::npos) {
    int64_t n = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
    if (error == std::errc() && end == text.data() + text.size() - 1) {
      const int64_t unit = text.back() == 'm' ? 1 : text.back() == 'h' ? 60 : 1440;
      return now - minutes(n * unit);
    }
  }
  auto time = ParseIso8601(text);
  if (!time.ok()) {
    return InvalidArgumentError(fmt::format(
        "'{}' is not a time: give a date (2026-11-01), an ISO 8601 time, or a duration (30d, "
        "12h, 90m)",
        text));
  }
  return time;
}

int64_t LiveReserve(const FetchOptions& live, TimePoint now, std::optional<TimePoint> reset) {
  cmc::PlanInput input;
  input.calls = PlanCalls(live);
  const double monthly = cmc::EstimatePlan(input).credits_per_month;
  TimePoint end = reset.value_or(TimePoint{});
  if (!reset || *reset <= now) {
    const std::string date = FormatDate(now);  // YYYY-MM-DD
    int year = std::stoi(date.substr(0, 4)), month = std::stoi(date.substr(5, 2)) + 1;
    if (month == 13) {
      month = 1;
      ++year;
    }
    end = *ParseIso8601(fmt::format("{:04d}-{:02d}-01T00:00:00Z", year, month));
  }
  // A plan month is about 30.4 days; the part still to come needs its share of the schedule.
  const double left = std::chrono::duration<double, std::ratio<86400>>(end - now).count() / 30.4;
  return static_cast<int64_t>(std::ceil(monthly * std::min(1.0, left)));
}

StatusOr<BackfillReport> RunBackfill(const BackfillOptions& options, StopSignal& stop,
                                     std::ostream& out) {
  const TimePoint now = options.fetch.clock();
  ASSIGN_OR_RETURN(TimePoint to,
                   options.to.empty() ? StatusOr<TimePoint>(now) : ParseBackfillTime(options.to, now));
  ASSIGN_OR_RETURN(TimePoint from, ParseBackfillTime(options.from, to));
  ASSIGN_OR_RETURN(int64_t interval, BackfillIntervalMinutes(options.interval));
  if (to > now) to = now;  // CMC has no future to serve

  ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Pipeline::Make(options.fetch, stop));
  CycleReport cycle;
  // What a killed run fetched waits in the spool: into the lake and the database first.
  RETURN_IF_ERROR(pipeline->DrainSpool(cycle));
  RETURN_IF_ERROR(pipeline->FetchEndpoint(lake::kKeyInfo, cycle));
  if (options.top > 0 || !options.symbols.empty()) {
    RETURN_IF_ERROR(pipeline->FetchEndpoint(lake::kMap, cycle));
  }
  RETURN_IF_ERROR(pipeline->DrainSpool(cycle));

  BackfillSpec spec{from, to, {}, interval, options.fetch.convert, options.quotes, options.ohlcv,
                    options.global_metrics};
  ASSIGN_OR_RETURN(spec.ids, ResolveCoins(options, pipeline->map()));
  ASSIGN_OR_RETURN(std::vector<BackfillCall> calls, PlanBackfill(spec));

  BackfillReport report;
  report.calls = static_cast<int64_t>(calls.size());
  std::vector<bool> held(calls.size());
  std::map<std::string_view, size_t> first_to_fetch;  // per endpoint
  // The probe comes from the endpoint's first planned call, held or not: a rerun makes the same
  // probe key, finds it held and asks no second probe.
  std::map<std::string_view, size_t> first_planned;
  for (size_t i = 0; i < calls.size(); ++i) {
    first_planned.try_emplace(calls[i].endpoint->name, i);
    ASSIGN_OR_RETURN(bool holds, pipeline->HoldsRawObject(calls[i].key()));
    held[i] = holds;
    if (holds) {
      ++report.calls_held;
    } else {
      report.credits_planned += calls[i].credits;
      first_to_fetch.try_emplace(calls[i].endpoint->name, i);
    }
  }
  CreditBudget budget;
  if (const cmc::CreditGovernor* governor = pipeline->governor()) {
    budget.monthly = governor->plan().credits_per_month;
    budget.used = governor->month_used();
    budget.live_reserve = LiveReserve(options.fetch, now, governor->plan().month_reset);
  }
  const int64_t probes = static_cast<int64_t>(first_to_fetch.size());
  PrintPlan(out, spec, calls, held, budget, report.credits_planned, probes);
  if (options.dry_run) return report;
  if (report.credits_planned + probes > budget.available()) {
    return FailedPreconditionError(fmt::format(
        "this backfill needs {} credits, but {} are available this month after the {} the live "
        "schedule needs until the reset: narrow --from/--to or the coins, or run it after the "
        "reset (`coinlake plan` shows the schedule's needs)",
        report.credits_planned + probes, budget.available(), budget.live_reserve));
  }

  RunRecord record(*pipeline, now);
  Status status;   // the first failure that stops the backfill (an outage, a stop)
  Status refused;  // the first endpoint the plan does not serve; the others go on
  const int64_t spent_before = cycle.credits;
  for (const auto& [endpoint, first] : first_to_fetch) {
    if (!status.ok()) break;
    BackfillCall probe = ProbeCall(calls[first_planned.at(endpoint)], interval, spec.convert);
    ASSIGN_OR_RETURN(bool probed, pipeline->HoldsRawObject(probe.key()));
    Status access = probed ? Status::Ok() : Probe(*pipeline, probe, options.fetch.clock(), cycle);
    if (access.ok() && !probed) access = pipeline->DrainSpool(cycle);
    if (access.code() == StatusCode::kFailedPrecondition) {
      out << access.message() << "\n";
      if (refused.ok()) refused = access;
      continue;
    }
    if (!access.ok()) {
      status = access;  // no answer to judge by: an outage
      break;
    }
    for (size_t i = first; i < calls.size() && status.ok(); ++i) {
      if (held[i] || calls[i].endpoint->name != endpoint) continue;
      if (stop.stopped()) {
        status = UnavailableError("stopped; run the same backfill again to go on");
        break;
      }
      const BackfillCall& call = calls[i];
      Status fetched = pipeline->FetchHistorical(*call.endpoint, call.request, call.credits,
                                                 {call.window_start, call.digest}, cycle);
      // A kill here leaves the answer only in the spool (tests/crash/backfill_kill.sh).
      if (fetched.ok()) CrashPoint("after_spool");
      if (fetched.ok()) fetched = pipeline->DrainSpool(cycle);
      if (!fetched.ok()) {
        status = fetched;
        break;
      }
      ++report.calls_fetched;
      out << fmt::format("fetched {} {} .. {}, {} coins: {} points\n", call.endpoint->name,
                         FormatIso8601(call.window_start), FormatIso8601(call.window_end),
                         call.ids.size(), call.points);
      out.flush();
    }
  }
  if (status.ok()) status = refused;
  report.credits_spent = cycle.credits - spent_before;
  report.rows = cycle.rows;
  record.Finish(options.fetch.clock(), cycle, status);
  out << fmt::format("backfill {}: {} calls fetched, {} held already, {} credits spent, {} rows\n",
                     status.ok() ? "done" : "stopped", report.calls_fetched, report.calls_held,
                     report.credits_spent, report.rows);
  if (!status.ok()) return status;
  return report;
}

}  // namespace coinlake::pipeline
