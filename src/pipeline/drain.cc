// The spool and the drain of a fetch cycle: every answer is fsync'd into the local spool first,
// then moved into the lake and loaded into the database, oldest first, so an outage of either
// loses nothing (docs/architecture.md walks one snapshot through).
#include <fmt/format.h>

#include "alerts/outbox.h"
#include "common/backoff.h"
#include "common/crash_point.h"
#include "common/log.h"
#include "lake/keys.h"
#include "pipeline/fetch.h"
#include "pipeline/load_object.h"
#include "pipeline/raw_put.h"
#include "pipeline/sidecar.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {
namespace {

// An in-transaction hook (the alert rules) that adds the time it takes to `total`, so a cycle
// can say what its rules cost (alerts_ms). No hook stays no hook: the load then runs nothing.
template <typename Hook>
Hook TimedInto(Hook hook, std::chrono::microseconds& total) {
  if (!hook) return hook;
  return [hook = std::move(hook), &total](auto&... args) {
    auto started = std::chrono::steady_clock::now();
    Status done = hook(args...);
    total += std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    return done;
  };
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
    RETURN_IF_ERROR(spool.Put(meta_key, RecoveredSidecarJson(stored)));
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

}  // namespace

StatusOr<std::string> Pipeline::Spool(const std::string& key, std::string_view data,
                                      CycleReport& report, std::string_view body_written) {
  auto t0 = std::chrono::steady_clock::now();
  // An earlier, different response of the same second may still wait in the spool: the
  // tie-break of raw_put.h applies here as in the lake.
  auto written = body_written.empty() ? PutRawObject(*spool_, key, data)
                                      : PutRawSidecar(*spool_, key, data, body_written);
  report.stages.spool += MillisecondsSince(t0);
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
  report.stages.lake += MillisecondsSince(t0);
  if (!put.ok()) {
    report.lake_failed = !stop_.stopped();
    return put.WithContext(fmt::format("lake put {}", key));
  }
  ++report.lake_puts;
  return written;
}

Status Pipeline::DrainSpool(CycleReport& report) {
  ASSIGN_OR_RETURN(auto spooled, spool_->ListAll(""));
  std::erase_if(spooled, [](const auto& o) { return o.key.starts_with(kSpoolJournalFolder); });
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
      // Live snapshots only: history (backfill, audit --fill) is the past, not news.
      loader.SetInTransaction(
          TimedInto(alerts::MarketAlertsHook(options_.alerts, {std::string(lake::kListingsLatest),
                                                               std::string(lake::kQuotesLatest)}),
                    report.stages.alerts));
      loader.SetGlobalMetricsInTransaction(TimedInto(
          alerts::DominanceAlertsHook(options_.alerts, std::string(lake::kGlobalMetricsLatest)),
          report.stages.alerts));
      auto loaded = LoadRawObject(*db, loader, written, data);
      report.stages.load += MillisecondsSince(t0);
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
      }
    }
    if (lake::IsBodyKey(object.key)) {
      last_body_key = object.key;
      last_body_written = written;
    }
    RETURN_IF_ERROR(spool_->RemoveFromSpool(object.key));
  }
  return set_aside;
}

}  // namespace coinlake::pipeline
