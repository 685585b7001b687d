#include "pipeline/run_health.h"

#include <fmt/format.h>

#include <fstream>

namespace coinlake::pipeline {
namespace {

double Seconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

double Seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

void RunHealth::Record(const CycleReport& report, std::string_view outcome, TimePoint started,
                       TimePoint finished) {
  ++cycles;
  if (outcome == "failed") ++failed_cycles;
  if (outcome == "partial") ++partial_cycles;
  rows_total += report.rows;
  credits_total += report.credits;
  objects_total += report.objects;
  last_cycle_started = started;
  last_cycle_finished = finished;
  if (outcome == "ok") last_success = finished;
  last_outcome = std::string(outcome);
  last = report;
}

warehouse::Heartbeat HeartbeatOf(const RunHealth& h, std::string_view state) {
  auto time_or_unset = [](TimePoint t) -> std::optional<TimePoint> {
    if (t == TimePoint{}) return std::nullopt;
    return t;
  };
  warehouse::Heartbeat beat{.host = h.host,
                            .pid = h.pid,
                            .version = COINLAKE_VERSION,
                            .state = std::string(state),
                            .started = h.started,
                            .last_cycle_started = time_or_unset(h.last_cycle_started),
                            .last_cycle_finished = time_or_unset(h.last_cycle_finished),
                            .last_outcome = std::nullopt,
                            .last_success = time_or_unset(h.last_success),
                            .lag_seconds = std::nullopt,
                            .next_cycle = std::nullopt,
                            .cycles = h.cycles,
                            .failed_cycles = h.failed_cycles,
                            .skipped_slots = h.skipped_slots,
                            .credits = std::nullopt,
                            .listings_interval_seconds = h.listings_interval_seconds};
  if (!h.last_outcome.empty()) beat.last_outcome = h.last_outcome;
  if (h.cycles > 0) beat.lag_seconds = h.lag_seconds;
  if (h.next_cycle != TimePoint::max()) beat.next_cycle = time_or_unset(h.next_cycle);
  if (h.credits) {
    beat.credits = warehouse::CreditPlanSeen{.plan_month = h.credits->plan_month,
                                             .used_month = h.credits->used_month,
                                             .reset_at = h.credits->reset_at};
  }
  return beat;
}

std::string PrometheusText(const RunHealth& h) {
  std::string out;
  auto metric = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP coinlake_{} {}\n# TYPE coinlake_{} {}\n", name, help, name, type);
  };
  metric("cycles_total", "counter", "Fetch cycles run by this process, by outcome.");
  out += fmt::format("coinlake_cycles_total{{outcome=\"ok\"}} {}\n",
                     h.cycles - h.failed_cycles - h.partial_cycles);
  out += fmt::format("coinlake_cycles_total{{outcome=\"partial\"}} {}\n", h.partial_cycles);
  out += fmt::format("coinlake_cycles_total{{outcome=\"failed\"}} {}\n", h.failed_cycles);
  metric("skipped_slots_total", "counter", "Schedule slots skipped because a cycle overran them.");
  out += fmt::format("coinlake_skipped_slots_total {}\n", h.skipped_slots);
  metric("rows_loaded_total", "counter", "Rows loaded into PostgreSQL.");
  out += fmt::format("coinlake_rows_loaded_total {}\n", h.rows_total);
  metric("credits_used_total", "counter", "CoinMarketCap credits used.");
  out += fmt::format("coinlake_credits_used_total {}\n", h.credits_total);
  metric("objects_written_total", "counter", "Objects written to the lake.");
  out += fmt::format("coinlake_objects_written_total {}\n", h.objects_total);
  metric("last_cycle_timestamp_seconds", "gauge", "When the last cycle ended (Unix time).");
  out +=
      fmt::format("coinlake_last_cycle_timestamp_seconds {:.3f}\n", Seconds(h.last_cycle_finished));
  metric("last_success_timestamp_seconds", "gauge",
         "When the last successful cycle ended (Unix time; 0: none yet).");
  out += fmt::format("coinlake_last_success_timestamp_seconds {:.3f}\n", Seconds(h.last_success));
  metric("last_cycle_ok", "gauge", "1 if the last cycle ended ok, else 0.");
  out += fmt::format("coinlake_last_cycle_ok {}\n", h.last_outcome == "ok" ? 1 : 0);
  metric("last_cycle_stage_seconds", "gauge", "Time the last cycle spent in each stage.");
  const StageTimes& s = h.last.stages;
  for (auto [stage, d] : {std::pair{"extract", s.extract}, std::pair{"spool", s.spool},
                          std::pair{"lake", s.lake}, std::pair{"load", s.load}}) {
    out += fmt::format("coinlake_last_cycle_stage_seconds{{stage=\"{}\"}} {:.3f}\n", stage,
                       Seconds(d));
  }
  metric("last_cycle_duration_seconds", "gauge", "Wall time of the last cycle.");
  out += fmt::format(
      "coinlake_last_cycle_duration_seconds {:.3f}\n",
      std::chrono::duration<double>(h.last_cycle_finished - h.last_cycle_started).count());
  metric("schedule_lag_seconds", "gauge", "How late the last cycle started after its slot.");
  out += fmt::format("coinlake_schedule_lag_seconds {:.3f}\n", h.lag_seconds);
  metric("next_cycle_timestamp_seconds", "gauge", "The next scheduled slot (Unix time).");
  out += fmt::format("coinlake_next_cycle_timestamp_seconds {:.3f}\n",
                     h.next_cycle == TimePoint::max() ? 0.0 : Seconds(h.next_cycle));
  metric("run_lock_held", "gauge", "1 while this process holds the database's run lock.");
  out += fmt::format("coinlake_run_lock_held {}\n", h.lock_held ? 1 : 0);
  metric("resident_memory_bytes", "gauge", "Resident set size after the last cycle.");
  out += fmt::format("coinlake_resident_memory_bytes {}\n", h.rss_bytes);
  if (h.credits) {
    metric("credits_plan_month", "gauge", "Credits the CMC plan allows per month (key info).");
    out += fmt::format("coinlake_credits_plan_month {}\n", h.credits->plan_month);
    metric("credits_used_month", "gauge", "Credits used this month, as CMC counts them.");
    out += fmt::format("coinlake_credits_used_month {}\n", h.credits->used_month);
  }
  metric("start_timestamp_seconds", "gauge", "When this process started (Unix time).");
  out += fmt::format("coinlake_start_timestamp_seconds {:.3f}\n", Seconds(h.started));
  return out;
}

int64_t ResidentSetBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::atoll(line.c_str() + 6) * 1024;  // "… kB"
  }
  return 0;
}

}  // namespace coinlake::pipeline
