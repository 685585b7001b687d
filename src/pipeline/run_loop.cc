#include "pipeline/run_loop.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>

#include "alerts/rules_table.h"
#include "alerts/sender.h"
#include "cmc/parser.h"
#include "common/atomic_file.h"
#include "common/log.h"
#include "pipeline/audit_schedule.h"
#include "pipeline/compact_schedule.h"
#include "pipeline/pipeline_watch.h"
#include "pipeline/retention_schedule.h"
#include "pipeline/run_health.h"
#include "pipeline/run_lock.h"
#include "pipeline/scheduler.h"

namespace coinlake::pipeline {
namespace {

nlohmann::json ScheduleJson(const FetchOptions& options) {
  nlohmann::json out = nlohmann::json::object();
  for (const EndpointSchedule& e : options.schedule)
    out[std::string(e.endpoint)] = e.interval.count();
  return out;
}

// The outbox sender of a configuration, not started; null when it has no channel.
StatusOr<std::unique_ptr<alerts::OutboxSender>> MakeSender(const FetchOptions& options) {
  if (!options.alerts || options.alerts->channels.empty()) {
    return std::unique_ptr<alerts::OutboxSender>();
  }
  alerts::SenderOptions sender;
  sender.database_url = options.database_url;
  sender.channels = options.alerts->channels;
  return alerts::OutboxSender::Make(std::move(sender));
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// The loop's state between cycles.
class Loop {
 public:
  Loop(const RunOptions& options, StopSignal& stop, std::unique_ptr<RunLock> lock,
       std::unique_ptr<Pipeline> pipeline, std::unique_ptr<alerts::OutboxSender> sender)
      : options_(options),
        stop_(stop),
        lock_(std::move(lock)),
        pipeline_(std::move(pipeline)),
        sender_(std::move(sender)),
        scheduler_(options.fetch.schedule, options.fetch.clock()),
        compaction_(
            std::make_unique<CompactSchedule>(options.fetch.lake_url, options.fetch.clock, stop)),
        retention_(std::make_unique<RetentionSchedule>(
            options.fetch.database_url, options.fetch.lake_url, options.fetch.clock, stop)),
        audit_(std::make_unique<AuditSchedule>(options.fetch.database_url, options.fetch.lake_url,
                                               options.fetch.clock, stop)),
        watch_(options.fetch.clock()) {
    health_.host = HostName();
    health_.pid = getpid();
    health_.started = options_.fetch.clock();
    health_.lock_held = true;
    health_.next_cycle = scheduler_.NextTick();
    health_.listings_interval_seconds = ListingsIntervalSeconds(options_.fetch);
  }

  Status Run(ReloadSignal& reload_signal, const ReloadFunction& reload) {
    // Beside the loop, on its own thread and connection: a slow receiver never delays a cycle.
    if (sender_) sender_->Start();
    Publish("running");
    while (!stop_.stopped()) {
      if (reload_signal.Take()) Reload(reload);
      TimePoint now = options_.fetch.clock();
      TimePoint next = scheduler_.NextTick();
      if (now < next) {
        if (now - heartbeat_logged_ >= kHeartbeatLogEvery) LogHeartbeat(now);
        if (watch_.Due(now)) WatchPipeline(now);
        // Short naps on the wall clock itself (a fast libfaketime clock keeps pace): a reload or
        // a clock step (NTP) is noticed within a second.
        stop_.SleepUntil(std::min<TimePoint>(next, now + std::chrono::seconds(1)));
        continue;
      }
      RETURN_IF_ERROR(CheckLock());
      RunOneCycle(now);
      WatchPipeline(options_.fetch.clock());
      LogHeartbeat(options_.fetch.clock());
    }
    if (sender_) sender_->Stop();
    Publish("stopped");
    log::Info("run stopped",
              {{"cycles", health_.cycles}, {"failed_cycles", health_.failed_cycles}});
    return Status::Ok();
  }

 private:
  Status CheckLock() {
    Status held = lock_->Check();
    health_.lock_held = held.ok();
    watch_.DatabaseSeen(held.ok() || held.code() == StatusCode::kAlreadyExists,
                        options_.fetch.clock());
    if (held.code() == StatusCode::kAlreadyExists) {
      log::Error("run lock lost to another process: stopping", {{"error", held.message()}});
      Publish("stopped");
      return held;
    }
    if (!held.ok()) {
      // Nobody can take the lock while the database is unreachable: keep fetching into the lake.
      log::Warn("database unreachable: cycle runs without the run lock",
                {{"error", held.ToString()}});
    }
    return Status::Ok();
  }

  void RunOneCycle(TimePoint now) {
    std::vector<std::string_view> due = scheduler_.TakeDue(now);
    TimePoint started = options_.fetch.clock();
    health_.lag_seconds = std::chrono::duration<double>(started - scheduler_.last_slot()).count();
    auto result = pipeline_->RunCycle("run", due);
    // The cycle's loads committed their notifications: no need to wait for the sender's poll.
    if (sender_) sender_->Wake();
    TimePoint finished = options_.fetch.clock();
    const CycleReport& report = pipeline_->last_report();
    health_.Record(report, report.outcome.empty() ? "failed" : report.outcome, started, finished);
    watch_.AfterCycle(report, report.outcome.empty() ? "failed" : report.outcome, finished,
                      *pipeline_);
    health_.skipped_slots = scheduler_.skipped();
    health_.next_cycle = scheduler_.NextTick();
    if (const cmc::CreditGovernor* governor = pipeline_->governor()) {
      health_.credits = RunHealth::Credits{governor->plan().credits_per_month,
                                           governor->month_used(), governor->plan().month_reset};
    }
    // A 5000-coin cycle peaks at tens of MB of buffers (body, gzip, rows, COPY text) that the
    // allocator would otherwise keep: hand them back so the idle loop stays small.
    compaction_->AfterCycle(scheduler_.NextTick());
    retention_->AfterCycle(options_.quotes_retention_days, compaction_->caught_up());
    audit_->AfterCycle(scheduler_.NextTick(), options_.quotes_retention_days,
                       compaction_->caught_up());
    cmc::ReleaseThreadParser();
    malloc_trim(0);
    health_.rss_bytes = ResidentSetBytes();
    Publish("running");
  }

  // The pipeline alert rules, after each cycle and every PipelineWatch::kEvaluateEvery between
  // (a stale rule fires while the loop waits). A dropped lock connection is reconnected first,
  // which tells whether the database is back; losing the lock is left to the next cycle's check.
  void WatchPipeline(TimePoint now) {
    if (!options_.fetch.alerts || options_.fetch.alerts->pipeline_rules.empty()) return;
    warehouse::Connection* db = lock_->connection();
    if (db == nullptr || !db->healthy()) {
      Status held = lock_->Check();
      health_.lock_held = held.ok();
      watch_.DatabaseSeen(held.ok() || held.code() == StatusCode::kAlreadyExists, now);
      db = held.ok() ? lock_->connection() : nullptr;
    }
    watch_.Evaluate(now, options_.fetch, *pipeline_, db);
    // What was just recorded goes out now, not at the sender's next poll.
    if (sender_) sender_->Wake();
  }

  // A log line after each cycle and every 5 minutes between: what watches the ETL from
  // outside counts (the AWS template's CloudWatch alarm, docs/operations.md), so a dead host or
  // a stopped service is noticed without the host's help, whatever the schedule.
  static constexpr std::chrono::minutes kHeartbeatLogEvery{5};
  void LogHeartbeat(TimePoint now) {
    heartbeat_logged_ = now;
    log::Info("heartbeat",
              {{"cycles", health_.cycles},
               {"failed_cycles", health_.failed_cycles},
               {"last_outcome", health_.last_outcome},
               {"last_success", health_.last_success == TimePoint{}
                                    ? nlohmann::json()
                                    : nlohmann::json(FormatIso8601(health_.last_success))},
               {"next_cycle", FormatIso8601(health_.next_cycle)}});
  }

  // Heartbeat row and metrics textfile; failures are logged, never fatal.
  void Publish(std::string_view state) {
    if (warehouse::Connection* db = lock_->connection()) {
      ListRulesOnce(*db);
      Status beat = warehouse::WriteHeartbeat(*db, HeartbeatOf(health_, state));
      if (!beat.ok()) log::Warn("heartbeat not written", {{"error", beat.ToString()}});
    }
    if (!options_.metrics_textfile.empty()) {
      // 0644: node_exporter runs as another user, and metrics are not secret, whatever the
      // service's UMask. Not durable: the next cycle writes it again.
      Status written = WriteFileAtomically(options_.metrics_textfile, PrometheusText(health_), 0644,
                                           /*durable=*/false);
      if (!written.ok()) log::Warn("metrics textfile not written", {{"error", written.ToString()}});
    }
  }

  // The configured rules for the dashboard (alert_rules), once per configuration: retried at
  // each publication until the database takes them.
  void ListRulesOnce(warehouse::Connection& db) {
    if (rules_listed_) return;
    const alerts::AlertConfig none;
    Status listed = alerts::ReplaceRulesTable(
        db, options_.fetch.alerts ? *options_.fetch.alerts : none, health_.host);
    rules_listed_ = listed.ok();
    if (!listed.ok()) log::Warn("alert rules not listed", {{"error", listed.ToString()}});
  }

  void Reload(const ReloadFunction& reload) {
    auto fresh = reload();
    if (fresh.ok() && fresh->fetch.database_url != options_.fetch.database_url) {
      fresh = InvalidArgumentError(
          "the database URL changed: restart to switch databases (the run lock is per database)");
    }
    std::unique_ptr<Pipeline> pipeline;
    if (fresh.ok()) {
      auto made = Pipeline::Make(fresh->fetch, stop_);
      if (made.ok()) {
        pipeline = std::move(made).value();
      } else {
        fresh = made.status();
      }
    }
    std::unique_ptr<alerts::OutboxSender> sender;
    if (fresh.ok()) {
      // Secrets are read here: a channel whose secret went missing keeps the running one.
      auto made = MakeSender(fresh->fetch);
      if (made.ok()) {
        sender = std::move(made).value();
      } else {
        fresh = made.status();
      }
    }
    if (!fresh.ok()) {
      log::Error("configuration not reloaded: keeping the running one",
                 {{"error", fresh.status().ToString()}});
      return;
    }
    if (fresh->fetch.lake_url != options_.fetch.lake_url) {
      compaction_ =
          std::make_unique<CompactSchedule>(fresh->fetch.lake_url, fresh->fetch.clock, stop_);
      retention_ = std::make_unique<RetentionSchedule>(
          fresh->fetch.database_url, fresh->fetch.lake_url, fresh->fetch.clock, stop_);
      audit_ = std::make_unique<AuditSchedule>(fresh->fetch.database_url, fresh->fetch.lake_url,
                                               fresh->fetch.clock, stop_);
    }
    options_ = std::move(fresh).value();
    rules_listed_ = false;
    pipeline_ = std::move(pipeline);
    // The old sender ends before the new one starts: two would send the same row twice.
    if (sender_) sender_->Stop();
    sender_ = std::move(sender);
    if (sender_) sender_->Start();
    scheduler_.Replace(options_.fetch.schedule, options_.fetch.clock());
    health_.next_cycle = scheduler_.NextTick();
    health_.listings_interval_seconds = ListingsIntervalSeconds(options_.fetch);
    Publish("running");  // the new schedule shows at once, not after the next cycle
    log::Info("configuration reloaded", {{"schedule", ScheduleJson(options_.fetch)},
                                         {"next_cycle", FormatIso8601(health_.next_cycle)}});
  }

  RunOptions options_;
  StopSignal& stop_;
  std::unique_ptr<RunLock> lock_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<alerts::OutboxSender> sender_;  // null: no channel
  Scheduler scheduler_;
  TimePoint heartbeat_logged_{};
  std::unique_ptr<CompactSchedule> compaction_;
  std::unique_ptr<RetentionSchedule> retention_;
  std::unique_ptr<AuditSchedule> audit_;
  RunHealth health_;
  PipelineWatch watch_;
  bool rules_listed_ = false;  // alert_rules holds options_'s rules
};

}  // namespace

Status RunLoop(const RunOptions& options, StopSignal& stop, ReloadSignal& reload_signal,
               const ReloadFunction& reload) {
  ASSIGN_OR_RETURN(auto lock, RunLock::Acquire(options.fetch.database_url));
  ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(options.fetch, stop));
  ASSIGN_OR_RETURN(auto sender, MakeSender(options.fetch));
  log::Info("run started", {{"schedule", ScheduleJson(options.fetch)},
                            {"lake", options.fetch.lake_url},
                            {"cmc", options.fetch.cmc.base_url},
                            {"metrics_textfile", options.metrics_textfile}});
  Loop loop(options, stop, std::move(lock), std::move(pipeline), std::move(sender));
  return loop.Run(reload_signal, reload);
}

}  // namespace coinlake::pipeline
