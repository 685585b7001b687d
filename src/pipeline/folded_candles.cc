#include "pipeline/folded_candles.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "common/backoff.h"
#include "common/log.h"

namespace coinlake::pipeline {
namespace {

// One folding reprocess at a time, per database (a session lock: held while its rebuild loads).
constexpr std::string_view kFoldLock = "hashtext('coinlake_candle_fold')";

const BackoffPolicy kRetry{std::chrono::milliseconds(500), std::chrono::seconds(10), 8};

std::set<TimePoint> HoursOf(const std::vector<warehouse::Candle>& candles) {
  std::set<TimePoint> hours;
  for (const warehouse::Candle& c : candles) hours.insert(c.bucket);
  return hours;
}

}  // namespace

StatusOr<std::unique_ptr<FoldedCandles>> FoldedCandles::Start(
    warehouse::Connection& db, const std::string& database_url,
    std::chrono::steady_clock::duration assets_interval) {
  // Merging folded candles is exact only into candles of other quotes: none may be there yet.
  ASSIGN_OR_RETURN(
      warehouse::Rows empty,
      db.Query("SELECT NOT EXISTS (SELECT 1 FROM quotes) "
               "AND NOT EXISTS (SELECT 1 FROM quotes_deferred_indexes) "
               "AND NOT EXISTS (SELECT 1 FROM candles_pending) "
               "AND NOT EXISTS (SELECT 1 FROM candles_hourly WHERE source = 'quotes') "
               "AND NOT EXISTS (SELECT 1 FROM candles_daily WHERE source = 'quotes')"));
  if (empty.text(0, 0) != "t") return std::unique_ptr<FoldedCandles>();
  ASSIGN_OR_RETURN(auto holder, warehouse::Connection::Open(database_url));
  RETURN_IF_ERROR(holder->Execute("SET synchronous_commit = off"));
  ASSIGN_OR_RETURN(warehouse::Rows locked,
                   holder->Query(fmt::format("SELECT pg_try_advisory_lock({})", kFoldLock)));
  if (locked.text(0, 0) != "t") return std::unique_ptr<FoldedCandles>();
  RETURN_IF_ERROR(warehouse::StartFoldingAssets(*holder));
  return std::unique_ptr<FoldedCandles>(
      new FoldedCandles(std::move(holder), database_url, assets_interval));
}

Status FoldedCandles::RecoverAfterAKilledFold(warehouse::Connection& db,
                                              const warehouse::ReadQuotes& read) {
  ASSIGN_OR_RETURN(warehouse::Rows unfinished,
                   db.Query("SELECT EXISTS (SELECT 1 FROM quotes_deferred_indexes), "
                            "EXISTS (SELECT 1 FROM assets_folded_through)"));
  const bool hours = unfinished.text(0, 0) == "t", assets = unfinished.text(0, 1) == "t";
  if (!hours && !assets) return Status::Ok();
  ASSIGN_OR_RETURN(warehouse::Rows locked,
                   db.Query(fmt::format("SELECT pg_try_advisory_lock({})", kFoldLock)));
  if (locked.text(0, 0) != "t") return Status::Ok();  // a live reprocess folds: not killed
  Status recovered = Status::Ok();
  if (hours) {
    recovered = warehouse::MarkEveryQuoteHourPending(db);
    if (recovered.ok()) log::Info("reprocess: an unfinished rebuild's hours are all pending");
  }
  if (recovered.ok() && assets) {
    StatusOr<int64_t> read_again = warehouse::RefoldAssetsOfAKilledFold(db, read);
    recovered = read_again.status();
    if (read_again.ok()) {
      log::Info("reprocess: an unfinished rebuild's unwritten assets read again",
                {{"objects", *read_again}});
    }
  }
  Status unlocked = db.Execute(fmt::format("SELECT pg_advisory_unlock({})", kFoldLock));
  return recovered.ok() ? unlocked : recovered;
}

Status FoldedCandles::WaitForFolding(warehouse::Connection& db) {
  RETURN_IF_ERROR(db.Execute(fmt::format("SELECT pg_advisory_lock({})", kFoldLock)));
  return db.Execute(fmt::format("SELECT pg_advisory_unlock({})", kFoldLock));
}

void FoldedCandles::Expect(const std::string& key, TimePoint data_ts) {
  std::lock_guard lock(mu_);
  expected_[key] = data_ts;
}

void FoldedCandles::Fed(const std::vector<ParsedObject>& batch,
                        const std::vector<warehouse::LoadResult>& results) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const ParsedObject& object = batch[i];
    expected_.erase(object.ref.key);
    newest_fed_ = std::max(newest_fed_, object.ref.data_ts);
    if (!object.quotes || results[i].already_loaded) continue;
    assets_.Add(*object.quotes);
    const std::vector<cmc::QuoteRow>& rows = object.quotes->rows;
    if (abandoned_ || results[i].carried > 0) {
      // Not folded: given up, or some rows were not inserted (a quote the table had already,
      // which a rebuild's table without its key never refuses): the table decides.
      for (const cmc::QuoteRow& r : rows) {
        pending_.insert(std::chrono::floor<std::chrono::hours>(r.ts));
      }
      continue;
    }
    fold_.Add(object.ref.key, object.quotes->status.timestamp, rows);
  }
}

std::optional<TimePoint> FoldedCandles::NextBoundary() const {
  if (abandoned_) return std::nullopt;
  TimePoint watermark = newest_fed_;
  for (const auto& [key, data_ts] : expected_) watermark = std::min(watermark, data_ts);
  // A quote is stamped at or before its snapshot; an hour of slack for CMC's clocks.
  const TimePoint boundary =
      std::chrono::floor<std::chrono::hours>(watermark) - std::chrono::hours(1);
  if (written_through_ && boundary <= *written_through_) return std::nullopt;
  return boundary;
}

void FoldedCandles::WriteClosedHours() {
  auto assets_due = [&] {
    return std::chrono::steady_clock::now() - assets_written_at_ >= assets_interval_;
  };
  {
    // Most batches close no hour: they must not wait for the other workers' loads to end.
    std::lock_guard lock(mu_);
    if (!NextBoundary() && !assets_due()) return;
  }
  std::unique_lock no_load_in_flight(commits_);  // every committed load has been fed
  std::lock_guard lock(mu_);
  if (assets_due()) WriteAssets();
  const std::optional<TimePoint> next = NextBoundary();
  if (!next) return;
  const TimePoint boundary = *next;
  written_through_ = boundary;
  std::vector<warehouse::Candle> hourly = fold_.TakeHoursEndingBy(boundary);
  std::vector<warehouse::Candle> daily = fold_.TakeDaysEndingBy(boundary);
  Status written = warehouse::WriteFoldedCandles(*lock_holder_, hourly, daily);
  if (!written.ok()) {
    PendOnFailure(hourly, daily);
    Abandon(written);
    return;
  }
  hours_written_ += static_cast<int64_t>(HoursOf(hourly).size());
}

void FoldedCandles::WriteAssets() {
  assets_written_at_ = std::chrono::steady_clock::now();
  Status written = warehouse::WriteFoldedAssets(*lock_holder_, assets_, false);
  if (!written.ok()) {
    log::Warn("reprocess: writing the folded assets failed; they wait for the next write",
              {{"error", written.ToString()}});
    return;
  }
  assets_.Clear();
}

void FoldedCandles::PendOnFailure(const std::vector<warehouse::Candle>& hourly,
                                  const std::vector<warehouse::Candle>& daily) {
  // A day's candle that was not written is rebuilt from its hours: any one of them will do.
  for (const std::vector<warehouse::Candle>* candles : {&hourly, &daily}) {
    for (const warehouse::Candle& c : *candles) pending_.insert(c.bucket);
  }
}

void FoldedCandles::Abandon(const Status& why) {
  abandoned_ = true;
  const std::set<TimePoint> open = fold_.UnwrittenHours();
  pending_.insert(open.begin(), open.end());
  fold_ = warehouse::CandleFold();
  log::Warn("reprocess: folding candles given up; the table builds the rest",
            {{"error", why.ToString()}});
}

StatusOr<int64_t> FoldedCandles::Finish(StopSignal& stop) {
  std::unique_lock no_load_in_flight(commits_);
  std::lock_guard lock(mu_);
  if (!abandoned_) {
    std::vector<warehouse::Candle> hourly = fold_.TakeHoursEndingBy(TimePoint::max());
    std::vector<warehouse::Candle> daily = fold_.TakeDaysEndingBy(TimePoint::max());
    Status written = warehouse::WriteFoldedCandles(*lock_holder_, hourly, daily);
    if (written.ok()) {
      hours_written_ += static_cast<int64_t>(HoursOf(hourly).size());
      pending_.insert(fold_.late_hours().begin(), fold_.late_hours().end());
    } else {
      PendOnFailure(hourly, daily);
      Abandon(written);
    }
  }
  // The late hours go pending and the assets are written from the lock's own session while it
  // still holds the lock, or (if that session is gone) from a new one: either way before any
  // rebuild of pending hours or merge of pending assets.
  std::unique_ptr<warehouse::Connection> fresh;
  auto session = [&]() -> StatusOr<warehouse::Connection*> {
    if (lock_holder_->healthy()) return lock_holder_.get();
    if (fresh == nullptr || !fresh->healthy()) {
      ASSIGN_OR_RETURN(fresh, warehouse::Connection::Open(database_url_));
    }
    return fresh.get();
  };
  Status marked = RetryWithBackoff(
      kRetry, stop, "mark the hours left to the table",
      [&]() -> Status {
        ASSIGN_OR_RETURN(warehouse::Connection * conn, session());
        return warehouse::MarkHoursPending(*conn, pending_);
      },
      IsTransient);
  Status assets_written = RetryWithBackoff(
      kRetry, stop, "write the folded assets",
      [&]() -> Status {
        ASSIGN_OR_RETURN(warehouse::Connection * conn, session());
        return warehouse::WriteFoldedAssets(*conn, assets_, true);
      },
      IsTransient);
  lock_holder_.reset();  // ends the session, and with it the lock
  RETURN_IF_ERROR(marked);
  RETURN_IF_ERROR(assets_written);
  log::Info("reprocess candles folded",
            {{"hours_written", hours_written_}, {"hours_left_to_the_table", pending_.size()}});
  return hours_written_;
}

}  // namespace coinlake::pipeline
