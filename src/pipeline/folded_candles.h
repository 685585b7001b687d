// While `reprocess` rebuilds an empty database from the lake, its workers fold the candles of
// what they load (warehouse::CandleFold) and write each hour once it has closed, instead of
// leaving every hour for the server to group from `quotes` at the end (RebuildPendingCandles):
// issue #25's "loading costs the server less" (docs/database.md, "Rebuilding quotes").
//
// Exactly once, with other writers about:
// - Folding needs the table to start empty (no quote, no candle built from quotes) and one
//   folder at a time: a session advisory lock on a connection of its own, held until Finish.
//   Other reprocess runs wait for it before they rebuild pending hours from the table, so that
//   they never count a folded quote that is written after them.
// - Loads of other processes during the rebuild leave their hours pending (Loader), and the
//   rebuild's end builds those hours from the table, replacing what was folded.
// - An hour's candles are written only when no load in flight may still bring quotes to it: the
//   earliest data time of the objects queued or loading, less an hour. A quote that comes later
//   for a written hour (a coin not refreshed for hours, another endpoint listed later) makes the
//   hour pending, unless it is a later copy of the quote already counted.
// - A write that fails gives up folding: what was not written goes pending. A process killed
//   while folding leaves its rebuild unfinished (the indexes deferred): the next reprocess then
//   marks every hour of `quotes` pending (RecoverAfterAKilledFold).
//
// The assets of what the workers load are folded here too (warehouse::AssetFold), and written
// to the pending tables every `assets_interval` and at the end (warehouse/folded_assets.h says
// how a kill loses none of them).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"
#include "pipeline/load_object.h"
#include "warehouse/asset_fold.h"
#include "warehouse/candle_fold.h"
#include "warehouse/db.h"
#include "warehouse/folded_assets.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {

class FoldedCandles {
 public:
  // Folding for a rebuild about to start on `db`, or nullptr when this one may not fold (the
  // table or the candles are not empty, or another reprocess folds).
  static StatusOr<std::unique_ptr<FoldedCandles>> Start(
      warehouse::Connection& db, const std::string& database_url,
      std::chrono::steady_clock::duration assets_interval = std::chrono::minutes(1));

  // Before a rebuild joins or starts: if one was left unfinished and nobody folds, its folded
  // candles may have died with its process: every hour of `quotes` goes pending; and its
  // assets not yet written are read again (`read`: an object's quotes, by key).
  static Status RecoverAfterAKilledFold(warehouse::Connection& db,
                                        const warehouse::ReadQuotes& read);
  // Before RebuildPendingCandles: waits until no reprocess folds.
  static Status WaitForFolding(warehouse::Connection& db);

  // The producer, before it queues an object: its data time holds back the hours it may bring.
  void Expect(const std::string& key, TimePoint data_ts);
  // A worker holds this from before its load transaction until it has called Fed.
  std::shared_lock<std::shared_mutex> HoldForLoad() { return std::shared_lock(commits_); }
  // A worker, after the commit: the batch it loaded and what each object added.
  void Fed(const std::vector<ParsedObject>& batch,
           const std::vector<warehouse::LoadResult>& results);
  // Writes the candles of the hours that have closed, and the assets when their interval has
  // passed (a worker, after Fed, without the hold).
  void WriteClosedHours();
  // After the last load: writes the rest of the candles and the assets, marks the late hours
  // pending, releases the lock. Returns the number of hours written.
  StatusOr<int64_t> Finish(StopSignal& stop);

 private:
  FoldedCandles(std::unique_ptr<warehouse::Connection> lock_holder, std::string database_url,
                std::chrono::steady_clock::duration assets_interval)
      : lock_holder_(std::move(lock_holder)),
        database_url_(std::move(database_url)),
        assets_interval_(assets_interval),
        assets_written_at_(std::chrono::steady_clock::now()) {}
  // With mu_ held and no load in flight: appends the folded assets to the pending tables.
  // A failure keeps them for the next write.
  void WriteAssets();
  // With mu_ held: gives up folding after a failed write; what was not written goes pending.
  void Abandon(const Status& why);
  // With mu_ held: the candles of a failed write go pending.
  void PendOnFailure(const std::vector<warehouse::Candle>& hourly,
                     const std::vector<warehouse::Candle>& daily);
  // With mu_ held: the boundary a write of closed hours would have now, if it is a new one.
  std::optional<TimePoint> NextBoundary() const;

  std::unique_ptr<warehouse::Connection> lock_holder_;  // holds the lock; writes the candles
  const std::string database_url_;
  std::shared_mutex commits_;  // shared: a load in flight; exclusive: a write of candles
  std::mutex mu_;              // the members below
  warehouse::CandleFold fold_;
  warehouse::AssetFold assets_;  // since the last write of assets
  const std::chrono::steady_clock::duration assets_interval_;
  std::chrono::steady_clock::time_point assets_written_at_;
  std::map<std::string, TimePoint> expected_;  // objects queued or loading: their data times
  TimePoint newest_fed_{};
  std::optional<TimePoint> written_through_;  // the boundary of the last write
  bool abandoned_ = false;
  std::set<TimePoint> pending_;  // hours to leave to RebuildPendingCandles
  int64_t hours_written_ = 0;
};

}  // namespace coinlake::pipeline
