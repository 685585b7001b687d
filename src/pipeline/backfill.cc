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
               const std::vector<bool>& held, const CreditBudget& budget, int64_t credits_to_fetch,
               int64_t probes) {
  std::map<std::string_view, EndpointLine> lines;
  for (size_t i = 0; i < calls.size(); ++i) {
    EndpointLine& line = lines[calls[i].endpoint->name];
    ++line.calls;
    line.held += held[i] ? 1 : 0;
    line.points += calls[i].points;
    line.credits += held[i] ? 0 : calls[i].credits;
  }
  out << fmt::format(
      "backfill {} .. {}, every {} min, {} coins, {}\n", FormatIso8601(calls.front().window_start),
      FormatIso8601(calls.back().window_end), spec.interval_minutes, spec.ids.size(), spec.convert);
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
class BackfillRunRow {
 public:
  BackfillRunRow(Pipeline& pipeline, TimePoint started) : pipeline_(pipeline) {
    if (auto db = pipeline_.Database(); db.ok()) {
      auto id = warehouse::StartRun(**db, {.command = "backfill", .started = started});
      if (id.ok()) id_ = *id;
    }
  }
  void Finish(TimePoint finished, const CycleReport& cycle, const Status& status) {
    if (id_ == 0) return;
    auto db = pipeline_.Database();
    if (!db.ok()) return;
    Status recorded = warehouse::FinishRun(
        **db, id_, RunEndOf(finished, status.ok() ? "ok" : "failed", cycle, status));
    if (!recorded.ok()) log::Warn("could not record the run", {{"error", recorded.ToString()}});
  }

 private:
  Pipeline& pipeline_;
  int64_t id_ = 0;  // the runs row; 0: none was written (ids start at 1)
};

// Asks the probe call and records what it found. OK: the plan serves the endpoint.
// FAILED_PRECONDITION: CMC refused it (its own reason); anything else: no answer to judge by.
Status Probe(Pipeline& pipeline, const BackfillCall& probe, TimePoint now, CycleReport& cycle) {
  Status fetched = pipeline.FetchHistorical(*probe.endpoint, probe.request, probe.credits,
                                            {probe.window_start, probe.digest}, cycle);
  const cmc::Answer& answer = pipeline.last_answer();
  // Only a refusal tells about the plan: 1006 (403, not on this plan) or a 400 (a window the plan
  // does not reach). No answer, a rate limit or a server error is an outage: no fact to store.
  const bool refused = answer.http_status == 400 || answer.http_status == 403 ||
                       answer.error_code.value_or(0) == 1006;
  if (!fetched.ok() && !refused) return fetched;
  warehouse::EndpointAccess access{.endpoint = std::string(probe.endpoint->name),
                                   .allowed = fetched.ok(),
                                   .checked_at = now,
                                   .http_status = answer.http_status,
                                   .error_code = answer.error_code,
                                   .message = fetched.ok() ? "" : answer.error_message,
                                   .earliest = probe.window_start};
  if (auto db = pipeline.Database(); db.ok()) {
    Status recorded = warehouse::RecordEndpointAccess(**db, access);
    if (!recorded.ok())
      log::Warn("could not record endpoint access", {{"error", recorded.ToString()}});
  }
  if (fetched.ok()) return Status::Ok();
  return FailedPreconditionError(
      fmt::format("CoinMarketCap refused {} for {} on this API key's plan (HTTP {}, error {}): {}",
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

namespace {

// A pipeline ready for historical calls: what a killed run left in the spool drained, the plan
// read from key_info (free), and the map (free) when coins are named through it.
StatusOr<std::unique_ptr<Pipeline>> Prepare(const FetchOptions& fetch, bool needs_map,
                                            StopSignal& stop, CycleReport& cycle) {
  ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Pipeline::Make(fetch, stop));
  RETURN_IF_ERROR(pipeline->DrainSpool(cycle));
  RETURN_IF_ERROR(pipeline->FetchEndpoint(lake::kKeyInfo, cycle));
  if (needs_map) RETURN_IF_ERROR(pipeline->FetchEndpoint(lake::kMap, cycle));
  RETURN_IF_ERROR(pipeline->DrainSpool(cycle));
  return pipeline;
}

// Which calls the lake (or the spool) holds already, and the credits of the others.
StatusOr<std::vector<bool>> Held(Pipeline& pipeline, const std::vector<BackfillCall>& calls,
                                 BackfillReport& report) {
  std::vector<bool> held(calls.size());
  report.calls = static_cast<int64_t>(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSIGN_OR_RETURN(bool holds, pipeline.HoldsRawObject(calls[i].key()));
    held[i] = holds;
    if (holds) {
      ++report.calls_held;
    } else {
      report.credits_planned += calls[i].credits;
    }
  }
  return held;
}

CreditBudget Budget(const Pipeline& pipeline, const FetchOptions& live, TimePoint now) {
  CreditBudget budget;
  if (const cmc::CreditGovernor* governor = pipeline.governor()) {
    budget.monthly = governor->plan().credits_per_month;
    budget.used = governor->month_used();
    budget.live_reserve = LiveReserve(live, now, governor->plan().month_reset);
  }
  return budget;
}

// The endpoints with a call still to fetch, in the calls' order: each is probed first.
std::vector<std::string_view> EndpointsToFetch(const std::vector<BackfillCall>& calls,
                                               const std::vector<bool>& held) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (!held[i] && std::find(out.begin(), out.end(), calls[i].endpoint->name) == out.end()) {
      out.push_back(calls[i].endpoint->name);
    }
  }
  return out;
}

Status CheckBudget(const BackfillReport& report, int64_t probes, const CreditBudget& budget) {
  if (report.credits_planned + probes <= budget.available()) return Status::Ok();
  return FailedPreconditionError(fmt::format(
      "this needs {} credits, but {} are available this month after the {} the live schedule "
      "needs until the reset: narrow --from/--to or the coins, or run it after the reset "
      "(`coinlake plan` shows the schedule's needs)",
      report.credits_planned + probes, budget.available(), budget.live_reserve));
}

// Fetches the calls not held, endpoint by endpoint, each endpoint's probe first; every answer is
// drained (lake, then database) before the next call. Records one `runs` row.
Status FetchCalls(Pipeline& pipeline, const std::vector<BackfillCall>& calls,
                  const std::vector<bool>& held, int64_t interval_minutes, std::string_view convert,
                  const FetchOptions& fetch, StopSignal& stop, std::ostream& out,
                  CycleReport& cycle, BackfillReport& report) {
  BackfillRunRow record(pipeline, fetch.clock());
  Status status;   // the first failure that stops the run (an outage, a stop)
  Status refused;  // the first endpoint the plan does not serve; the others go on
  const int64_t spent_before = cycle.credits;
  for (std::string_view endpoint : EndpointsToFetch(calls, held)) {
    if (!status.ok()) break;
    size_t first = 0;  // the endpoint's first call still to fetch
    while (held[first] || calls[first].endpoint->name != endpoint) ++first;
    // The probe comes from the endpoint's first planned call, held or not: a rerun makes the
    // same probe key, finds it held and asks no second probe (found by backfill_kill.sh).
    size_t planned = 0;
    while (calls[planned].endpoint->name != endpoint) ++planned;
    BackfillCall probe = ProbeCall(calls[planned], interval_minutes, convert);
    ASSIGN_OR_RETURN(bool probed, pipeline.HoldsRawObject(probe.key()));
    Status access = probed ? Status::Ok() : Probe(pipeline, probe, fetch.clock(), cycle);
    if (access.ok() && !probed) access = pipeline.DrainSpool(cycle);
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
        status = UnavailableError("stopped; run the same command again to go on");
        break;
      }
      const BackfillCall& call = calls[i];
      Status fetched = pipeline.FetchHistorical(*call.endpoint, call.request, call.credits,
                                                {call.window_start, call.digest}, cycle);
      // A kill here leaves the answer only in the spool (tests/crash/backfill_kill.sh).
      if (fetched.ok()) CrashPoint("after_spool");
      if (fetched.ok()) fetched = pipeline.DrainSpool(cycle);
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
  record.Finish(fetch.clock(), cycle, status);
  out << fmt::format("{}: {} calls fetched, {} held already, {} credits spent, {} rows\n",
                     status.ok() ? "done" : "stopped", report.calls_fetched, report.calls_held,
                     report.credits_spent, report.rows);
  return status;
}

}  // namespace

StatusOr<BackfillReport> RunBackfill(const BackfillOptions& options, StopSignal& stop,
                                     std::ostream& out) {
  const TimePoint now = options.fetch.clock();
  ASSIGN_OR_RETURN(TimePoint to, options.to.empty() ? StatusOr<TimePoint>(now)
                                                    : ParseBackfillTime(options.to, now));
  ASSIGN_OR_RETURN(TimePoint from, ParseBackfillTime(options.from, to));
  ASSIGN_OR_RETURN(int64_t interval, BackfillIntervalMinutes(options.interval));
  if (to > now) to = now;  // CMC has no future to serve

  CycleReport cycle;
  const bool needs_map = options.top > 0 || !options.symbols.empty();
  ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline,
                   Prepare(options.fetch, needs_map, stop, cycle));
  BackfillSpec spec{from,
                    to,
                    {},
                    interval,
                    options.fetch.convert,
                    options.quotes,
                    options.ohlcv,
                    options.global_metrics};
  ASSIGN_OR_RETURN(spec.ids, ResolveCoins(options, pipeline->map()));
  ASSIGN_OR_RETURN(std::vector<BackfillCall> calls, PlanBackfill(spec));
  BackfillReport report;
  ASSIGN_OR_RETURN(std::vector<bool> held, Held(*pipeline, calls, report));
  const CreditBudget budget = Budget(*pipeline, options.fetch, now);
  const auto probes = static_cast<int64_t>(EndpointsToFetch(calls, held).size());
  PrintPlan(out, spec, calls, held, budget, report.credits_planned, probes);
  if (options.dry_run) return report;
  RETURN_IF_ERROR(CheckBudget(report, probes, budget));
  RETURN_IF_ERROR(FetchCalls(*pipeline, calls, held, interval, spec.convert, options.fetch, stop,
                             out, cycle, report));
  return report;
}

StatusOr<BackfillReport> FillSlots(const FetchOptions& fetch, const std::vector<TimePoint>& slots,
                                   StopSignal& stop, std::ostream& out) {
  BackfillReport report;
  if (slots.empty()) return report;
  CycleReport cycle;
  ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Prepare(fetch, false, stop, cycle));
  std::vector<BackfillCall> calls;
  for (TimePoint slot : slots) {
    calls.push_back(ListingsHistoricalCall(slot, fetch.listings_limit, fetch.convert));
  }
  ASSIGN_OR_RETURN(std::vector<bool> held, Held(*pipeline, calls, report));
  const CreditBudget budget = Budget(*pipeline, fetch, fetch.clock());
  out << fmt::format(
      "filling {} missing listings slots from {} to {} with listings/historical (top {}, {}): "
      "{} held already, {} credits to spend, {} available\n",
      slots.size(), FormatIso8601(slots.front()), FormatIso8601(slots.back()), fetch.listings_limit,
      fetch.convert, report.calls_held, report.credits_planned, budget.available());
  const auto probes = static_cast<int64_t>(EndpointsToFetch(calls, held).size());
  RETURN_IF_ERROR(CheckBudget(report, probes, budget));
  RETURN_IF_ERROR(
      FetchCalls(*pipeline, calls, held, 0, fetch.convert, fetch, stop, out, cycle, report));
  return report;
}

}  // namespace coinlake::pipeline
