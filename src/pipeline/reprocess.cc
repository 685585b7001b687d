#include "pipeline/reprocess.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "common/backoff.h"
#include "common/log.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/folded_candles.h"
#include "pipeline/load_object.h"
#include "pipeline/progress.h"
#include "pipeline/retention.h"
#include "warehouse/db.h"
#include "warehouse/loader.h"
#include "warehouse/migrations.h"

namespace coinlake::pipeline {
namespace {

constexpr int kListPage = 1000;
// A worker loads up to this many objects (or rows) per transaction: snapshots share their
// candles and assets, which are then merged once per batch. It also bounds memory.
constexpr size_t kBatchObjects = 12;
constexpr int64_t kBatchRows = 30'000;

// A queue that blocks producers when full and consumers when empty; Close() wakes both.
// Its capacity is what bounds reprocess's memory: at most that many keys wait.
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  bool Push(lake::ObjectInfo item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  std::optional<lake::ObjectInfo> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    lake::ObjectInfo item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  // Non-blocking: an item if one is waiting.
  std::optional<lake::ObjectInfo> TryPop() {
    std::lock_guard lock(mu_);
    if (items_.empty()) return std::nullopt;
    lake::ObjectInfo item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<lake::ObjectInfo> items_;
  size_t capacity_;
  bool closed_ = false;
};

bool InRange(const ReprocessOptions& options, const std::string& key) {
  auto parts = lake::ParseRawKey(key);
  if (!parts.ok() || parts->is_meta || !IsLoadableEndpoint(parts->endpoint)) return false;
  std::string date = FormatDate(parts->data_time);
  return (options.from_date.empty() || date >= options.from_date) &&
         (options.to_date.empty() || date <= options.to_date);
}

// A range of dates up to this long is listed a day at a time (dt=YYYY-MM-DD/, as keys are
// partitioned), so that reprocess's windows (with a retention) list their days, not the
// whole lake each time; a longer or open range lists the endpoint's whole prefix.
constexpr int kMaxDaysListedByDay = 400;

std::vector<std::string> PrefixesToList(std::string_view endpoint,
                                        const ReprocessOptions& options) {
  std::string whole = lake::RawPrefix(endpoint);
  if (options.from_date.empty() || options.to_date.empty()) return {whole};
  auto from = ParseIso8601(options.from_date + "T00:00:00Z");
  auto to = ParseIso8601(options.to_date + "T00:00:00Z");
  if (!from.ok() || !to.ok()) return {whole};
  const auto first = std::chrono::floor<std::chrono::days>(*from);
  const auto last = std::chrono::floor<std::chrono::days>(*to);
  if (last < first || (last - first).count() > kMaxDaysListedByDay) return {whole};
  std::vector<std::string> prefixes;
  for (auto day = first; day <= last; day += std::chrono::days(1)) {
    prefixes.push_back(whole + "dt=" + FormatDate(TimePoint(day)) + "/");
  }
  return prefixes;
}

// Calls `visit` with every page of in-range raw bodies of every loadable endpoint.
Status ForEachPage(lake::ObjectStore& lake, const ReprocessOptions& options,
                   const std::function<Status(std::vector<lake::ObjectInfo>&)>& visit) {
  for (std::string_view endpoint : LoadableEndpoints()) {
    std::vector<std::string> prefixes = PrefixesToList(endpoint, options);
    if (prefixes.size() > 1) {
      // An endpoint the lake has nothing of (most historical ones) costs one request, not one a
      // day.
      ASSIGN_OR_RETURN(lake::ListPage any, lake.List(lake::RawPrefix(endpoint), std::nullopt, 1));
      if (any.objects.empty()) continue;
    }
    for (const std::string& prefix : prefixes) {
      std::optional<std::string> token;
      do {
        ASSIGN_OR_RETURN(lake::ListPage page, lake.List(prefix, token, kListPage));
        std::vector<lake::ObjectInfo> objects;
        for (lake::ObjectInfo& o : page.objects) {
          if (InRange(options, o.key)) objects.push_back(std::move(o));
        }
        if (!objects.empty()) RETURN_IF_ERROR(visit(objects));
        token = std::move(page.next_token);
      } while (token);
    }
  }
  return Status::Ok();
}

const BackoffPolicy kDatabaseBackoff{std::chrono::milliseconds(500), std::chrono::seconds(10), 8};

// Opens a connection for loading, retrying while the server is unreachable. The sessions skip
// the wait for the WAL flush at commit: a commit lost to a server crash lost its ledger row
// with its rows, so the next run loads that object again; nothing is ever half loaded.
StatusOr<std::unique_ptr<warehouse::Connection>> OpenLoaderConnection(const std::string& url,
                                                                      StopSignal& stop) {
  std::unique_ptr<warehouse::Connection> conn;
  Status status = RetryWithBackoff(
      kDatabaseBackoff, stop, "connect to the database",
      [&]() -> Status {
        ASSIGN_OR_RETURN(conn, warehouse::Connection::Open(url));
        return conn->Execute("SET synchronous_commit = off");
      },
      IsTransient);
  if (!status.ok()) return status;
  if (conn == nullptr) return UnavailableError("stopped before connecting to the database");
  return conn;
}

// Empties everything derived from the lake, in one transaction: a reader sees the old data or
// none, never a mix. Through a SECURITY DEFINER function (migration 0009): the ETL's role owns
// no table, so it may not TRUNCATE them itself.
Status Truncate(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(warehouse::Transaction transaction, warehouse::Transaction::Begin(db));
  RETURN_IF_ERROR(db.Execute("SELECT coinlake_empty_lake_derived_tables()"));
  return transaction.Commit();
}

// Drops the objects of `page` the ledger already has (checking their size on the way).
Status DropLoaded(warehouse::Connection& db, std::vector<lake::ObjectInfo>& page) {
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query("SELECT key, size FROM lake_objects WHERE key BETWEEN $1 AND $2",
                            {page.front().key, page.back().key}));
  std::map<std::string, int64_t> loaded;
  for (size_t i = 0; i < rows.size(); ++i) loaded[rows.text(i, 0)] = std::stoll(rows.text(i, 1));
  std::vector<lake::ObjectInfo> missing;
  for (lake::ObjectInfo& o : page) {
    auto it = loaded.find(o.key);
    if (it == loaded.end()) {
      missing.push_back(std::move(o));
    } else if (it->second != o.size) {
      return DataLossError(
          fmt::format("lake object {} changed after it was loaded (ledger size {}, now {})", o.key,
                      it->second, o.size));
    }
  }
  page = std::move(missing);
  return Status::Ok();
}

// A lake object, read (outages waited out) and parsed.
StatusOr<ParsedObject> ReadObject(lake::ObjectStore& lake, const std::string& key,
                                  StopSignal& stop) {
  std::string data;
  RETURN_IF_ERROR(RetryWithBackoff(
      kDatabaseBackoff, stop, "read " + key,
      [&]() -> Status {
        ASSIGN_OR_RETURN(data, lake.Get(key));
        return Status::Ok();
      },
      IsTransient));
  return ParseRawObject(key, data);
}

// One loader thread: its own connection, objects from the queue until it closes.
class Worker {
 public:
  // `folded`: this rebuild folds its candles (else they are left pending), or nullptr.
  Worker(const ReprocessOptions& options, lake::ObjectStore& lake, StopSignal& stop,
         Progress& progress, FoldedCandles* folded)
      : options_(options), lake_(lake), stop_(stop), progress_(progress), folded_(folded) {}

  Status Run(BoundedQueue& queue, ReprocessReport& report, std::mutex& report_mu) {
    while (std::optional<lake::ObjectInfo> first = queue.Pop()) {
      std::vector<ParsedObject> batch;
      int64_t rows = 0;
      for (std::optional<lake::ObjectInfo> object = std::move(first); object;
           object = batch.size() < kBatchObjects && rows < kBatchRows ? queue.TryPop()
                                                                      : std::nullopt) {
        if (stop_.stopped()) return Status::Ok();
        ASSIGN_OR_RETURN(ParsedObject parsed, ReadObject(lake_, object->key, stop_));
        if (parsed.quotes) rows += static_cast<int64_t>(parsed.quotes->rows.size());
        batch.push_back(std::move(parsed));
      }
      std::vector<warehouse::LoadResult> loaded;
      std::shared_lock<std::shared_mutex> hold;
      if (folded_) hold = folded_->HoldForLoad();
      RETURN_IF_ERROR(RetryWithBackoff(
          kDatabaseBackoff, stop_, "load " + batch.front().ref.key,
          [&]() -> Status {
            if (db_ == nullptr || !db_->healthy()) {
              loader_.reset();
              ASSIGN_OR_RETURN(db_, OpenLoaderConnection(options_.database_url, stop_));
              loader_ = std::make_unique<warehouse::Loader>(
                  *db_,
                  folded_ ? warehouse::Loader::Candles::kFold : warehouse::Loader::Candles::kDefer);
            }
            ASSIGN_OR_RETURN(loaded, LoadParsedObjects(*db_, *loader_, batch));
            return Status::Ok();
          },
          IsTransient));
      if (folded_) {
        folded_->Fed(batch, loaded);
        hold.unlock();
        folded_->WriteClosedHours();
      }
      std::lock_guard lock(report_mu);
      for (const warehouse::LoadResult& r : loaded) {
        progress_.Add(1, r.rows);
        if (!r.already_loaded) ++report.objects_loaded;
        report.rows += r.rows;
      }
    }
    return Status::Ok();
  }

  // Its connection once it has stopped, if healthy, for the run's end: a new session would
  // cost the server its start again.
  std::unique_ptr<warehouse::Connection> TakeConnection() {
    loader_.reset();
    if (db_ != nullptr && !db_->healthy()) db_.reset();
    return std::move(db_);
  }

 private:
  const ReprocessOptions& options_;
  lake::ObjectStore& lake_;
  StopSignal& stop_;
  Progress& progress_;
  FoldedCandles* folded_;
  std::unique_ptr<warehouse::Connection> db_;
  std::unique_ptr<warehouse::Loader> loader_;
};

// Loads the objects of options' date range the ledger lacks, then builds their candles and
// merges their assets; adds what it did to `report`.
Status LoadRange(const ReprocessOptions& options, lake::ObjectStore& lake,
                 std::unique_ptr<warehouse::Connection>& db, StopSignal& stop,
                 ReprocessReport& report) {
  // A first pass counts the work for the ETA; listing is cheap next to loading.
  int64_t to_load = 0;
  RETURN_IF_ERROR(ForEachPage(lake, options, [&](std::vector<lake::ObjectInfo>& page) {
    report.objects_seen += static_cast<int64_t>(page.size());
    RETURN_IF_ERROR(DropLoaded(*db, page));
    to_load += static_cast<int64_t>(page.size());
    return Status::Ok();
  }));
  // Into an empty quotes table, the loads go without its indexes, built once at the end, and
  // fold their candles themselves.
  bool rebuild = false;
  std::unique_ptr<FoldedCandles> folded;
  // Also when nothing is left to load: a rebuild killed after its last load still lost what it
  // had folded and not written.
  RETURN_IF_ERROR(FoldedCandles::RecoverAfterAKilledFold(
      *db, [&](const std::string& key) -> StatusOr<std::optional<cmc::QuotesPayload>> {
        ASSIGN_OR_RETURN(ParsedObject parsed, ReadObject(lake, key, stop));
        return std::move(parsed.quotes);
      }));
  if (to_load > 0) {
    if (options.fold_candles) {
      ASSIGN_OR_RETURN(
          folded, FoldedCandles::Start(*db, options.database_url, options.fold_assets_interval));
    }
    ASSIGN_OR_RETURN(rebuild, warehouse::DeferQuoteIndexes(*db));
    if (!rebuild && folded) {  // someone loaded meanwhile: not empty after all
      RETURN_IF_ERROR(folded->Finish(stop).status());
      folded.reset();
    }
  }
  log::Info("reprocess starting", {{"lake", lake.url()},
                                   {"objects_in_range", report.objects_seen},
                                   {"objects_to_load", to_load},
                                   {"jobs", options.jobs},
                                   {"rebuild", rebuild},
                                   {"fold_candles", folded != nullptr}});

  Progress progress(to_load, options.progress_bar);
  BoundedQueue queue(static_cast<size_t>(options.jobs) * kBatchObjects);
  std::mutex report_mu;
  std::mutex error_mu;
  Status first_error;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.jobs; ++i) {
    workers.push_back(std::make_unique<Worker>(options, lake, stop, progress, folded.get()));
    threads.emplace_back([&, w = workers.back().get()] {
      Status s = w->Run(queue, report, report_mu);
      if (!s.ok()) {
        std::lock_guard lock(error_mu);
        if (first_error.ok()) first_error = s;
        queue.Close();  // the producer and the other workers stop too
      }
    });
  }
  // Woken when the loading ends, so the end does not wait out a tick's sleep.
  StopSignal loading_done;
  std::thread ticker([&] {
    do {
      progress.Tick();
    } while (!stop.stopped() && loading_done.SleepFor(std::chrono::milliseconds(100)));
  });
  Status listed = ForEachPage(lake, options, [&](std::vector<lake::ObjectInfo>& page) {
    RETURN_IF_ERROR(DropLoaded(*db, page));
    for (lake::ObjectInfo& o : page) {
      if (stop.stopped()) return Status::Ok();
      if (folded) folded->Expect(o.key, lake::ParseRawKey(o.key)->data_time);  // InRange parsed it
      if (!queue.Push(std::move(o))) return Status::Ok();
    }
    return Status::Ok();
  });
  queue.Close();
  for (std::thread& t : threads) t.join();
  loading_done.Stop();
  ticker.join();
  progress.Finish();
  if (!first_error.ok()) return first_error;
  RETURN_IF_ERROR(listed);
  if (stop.stopped()) return Status::Ok();
  if (folded) {
    ASSIGN_OR_RETURN(int64_t written, folded->Finish(stop));
    report.candle_hours += written;
    folded.reset();
  }
  // The workers' connections do the end's work, as far as they go.
  std::vector<std::unique_ptr<warehouse::Connection>> spare;
  for (std::unique_ptr<Worker>& w : workers) {
    if (auto conn = w->TakeConnection()) spare.push_back(std::move(conn));
  }
  auto spare_or_new = [&]() -> StatusOr<std::unique_ptr<warehouse::Connection>> {
    if (spare.empty()) return OpenLoaderConnection(options.database_url, stop);
    std::unique_ptr<warehouse::Connection> conn = std::move(spare.back());
    spare.pop_back();
    return conn;
  };
  // The workers deferred the candles (those they did not fold) and assets of what they loaded
  // (and a run killed earlier may have left some): build the candles now, once per hour, from
  // the quotes, while another connection merges the assets (the two touch different tables).
  Status assets_merged;
  std::unique_ptr<warehouse::Connection> assets_conn;
  if (!spare.empty()) {
    assets_conn = std::move(spare.back());
    spare.pop_back();
  }
  std::thread assets([&] {
    assets_merged = RetryWithBackoff(
        kDatabaseBackoff, stop, "merge assets",
        [&]() -> Status {
          if (assets_conn == nullptr || !assets_conn->healthy()) {
            ASSIGN_OR_RETURN(assets_conn, OpenLoaderConnection(options.database_url, stop));
          }
          return warehouse::MergePendingAssets(*assets_conn);
        },
        IsTransient);
  });
  // A rebuild of quotes (this run's, or one a killed run left) ends before the candles are
  // built: it may remove duplicate quotes and mark their hours pending.
  int64_t hours = 0;
  Status rebuilt = RetryWithBackoff(
      kDatabaseBackoff, stop, "build the quotes indexes and the candles",
      [&]() -> Status {
        if (!db->healthy()) {
          ASSIGN_OR_RETURN(db, OpenLoaderConnection(options.database_url, stop));
        }
        ASSIGN_OR_RETURN(std::optional<int64_t> duplicates, warehouse::RestoreQuoteIndexes(*db));
        if (duplicates) {
          report.quotes_rebuilt = true;
          report.duplicates_removed = *duplicates;
          log::Info("reprocess quotes indexes built", {{"duplicates_removed", *duplicates}});
        }
        // The loading is over: as many connections as there were loaders share the rebuild.
        std::vector<std::unique_ptr<warehouse::Connection>> helpers;
        std::vector<warehouse::Connection*> helper_ptrs;
        for (int i = 1; i < options.jobs; ++i) {
          ASSIGN_OR_RETURN(auto helper, spare_or_new());
          helper_ptrs.push_back(helper.get());
          helpers.push_back(std::move(helper));
        }
        // Not while a rebuild folds: it would count again what that one writes after.
        RETURN_IF_ERROR(FoldedCandles::WaitForFolding(*db));
        ASSIGN_OR_RETURN(hours, warehouse::RebuildPendingCandles(*db, helper_ptrs));
        return Status::Ok();
      },
      IsTransient);
  assets.join();
  RETURN_IF_ERROR(rebuilt);
  RETURN_IF_ERROR(assets_merged);
  report.candle_hours += hours;
  log::Info("reprocess candles rebuilt", {{"hours", hours}});
  return Status::Ok();
}

// The earliest date (YYYY-MM-DD) of an object in range the ledger lacks; empty if none.
StatusOr<std::string> FirstDateToLoad(lake::ObjectStore& lake, warehouse::Connection& db,
                                      const ReprocessOptions& options) {
  std::string first;
  RETURN_IF_ERROR(ForEachPage(lake, options, [&](std::vector<lake::ObjectInfo>& page) {
    RETURN_IF_ERROR(DropLoaded(db, page));
    for (const lake::ObjectInfo& o : page) {
      std::string date = FormatDate(lake::ParseRawKey(o.key)->data_time);  // InRange parsed it
      if (first.empty() || date < first) first = date;
    }
    return Status::Ok();
  }));
  return first;
}

// The retention step of `run` as it would run at `now`; what it dropped and kept goes to
// `report`.
Status ApplyRetention(const ReprocessOptions& options, TimePoint now, StopSignal& stop,
                      ReprocessReport& report) {
  RetentionOptions retention;
  retention.database_url = options.database_url;
  retention.lake_url = options.lake_url;
  retention.retention_days = options.quotes_retention_days;
  retention.clock = [now] { return now; };
  ASSIGN_OR_RETURN(RetentionReport done, RunRetention(retention, stop));
  for (const RetentionPartition& partition : done.partitions) {
    if (partition.outcome == "blocked") {
      report.partitions_kept.push_back(partition.partition + ": " + partition.reason);
    } else {
      report.partitions_dropped.push_back(partition.partition);
    }
  }
  return Status::Ok();
}

// Loads with a retention as `run` would have loaded the lake day by day (reprocess.h): up to the
// day its retention step drops the oldest partition, that step, and so on; then the rest, judged
// by today's clock. Dates are those of the lake's keys, as --from and --to are.
Status LoadWithRetention(const ReprocessOptions& options, lake::ObjectStore& lake,
                         std::unique_ptr<warehouse::Connection>& db, StopSignal& stop,
                         ReprocessReport& report) {
  const std::chrono::days retention(options.quotes_retention_days);
  ASSIGN_OR_RETURN(std::string first, FirstDateToLoad(lake, *db, options));
  const TimePoint now = options.clock();
  ReprocessOptions window = options;
  if (window.from_date.empty()) window.from_date = first;  // nothing before it is to load
  if (!first.empty()) {
    // The partitions as `run` would have them: the ones there are (a month of a database older
    // than migration 21), else the weeks the loader makes.
    ASSIGN_OR_RETURN(TimePoint partition_end,
                     EndOfQuotePartitionAt(*db, *ParseIso8601(first + "T00:00:00Z")));
    while (true) {
      // `run` drops the partition at its first retention step on this day.
      const TimePoint drop_day = partition_end + retention;
      if (drop_day > now) break;
      window.to_date = FormatDate(drop_day - std::chrono::days(1));
      if (!options.to_date.empty() && options.to_date < window.to_date) {
        window.to_date = options.to_date;
      }
      if (window.from_date <= window.to_date) {
        log::Info("reprocess: loading up to the day retention drops a partition",
                  {{"partition_end", FormatDate(partition_end)},
                   {"from", window.from_date},
                   {"to", window.to_date}});
        RETURN_IF_ERROR(LoadRange(window, lake, db, stop, report));
        if (stop.stopped()) return Status::Ok();
        // A partition that stays is verified again at each step, as `run` does daily: the later
        // ones must still go, or the database would grow to the whole lake.
        report.partitions_kept.clear();
        RETURN_IF_ERROR(ApplyRetention(options, drop_day, stop, report));
      }
      window.from_date = std::max(options.from_date, FormatDate(drop_day));
      if (!options.to_date.empty() && options.to_date < window.from_date) break;
      ASSIGN_OR_RETURN(partition_end, EndOfQuotePartitionAt(*db, partition_end));
    }
  }
  window.to_date = options.to_date;
  if (window.to_date.empty() || window.from_date <= window.to_date) {
    RETURN_IF_ERROR(LoadRange(window, lake, db, stop, report));
    if (stop.stopped()) return Status::Ok();
  }
  report.partitions_kept.clear();  // the last step says what stays
  return ApplyRetention(options, now, stop, report);
}

}  // namespace

StatusOr<ReprocessReport> RunReprocess(const ReprocessOptions& options, StopSignal& stop) {
  if (options.jobs < 1) return InvalidArgumentError("--jobs must be at least 1");
  if (options.quotes_retention_days < 0) {
    return InvalidArgumentError("the quotes retention must be 0 (none) or a number of days");
  }
  ASSIGN_OR_RETURN(auto lake, lake::OpenObjectStore(options.lake_url));
  ASSIGN_OR_RETURN(auto db, OpenLoaderConnection(options.database_url, stop));
  RETURN_IF_ERROR(warehouse::CheckSchemaCurrent(*db));
  if (options.force) {
    RETURN_IF_ERROR(Truncate(*db));
    log::Info("reprocess --force: emptied the data tables and the ledger");
  }
  ReprocessReport report;
  if (options.quotes_retention_days > 0) {
    RETURN_IF_ERROR(LoadWithRetention(options, *lake, db, stop, report));
  } else {
    RETURN_IF_ERROR(LoadRange(options, *lake, db, stop, report));
  }
  if (report.objects_seen == 0) {
    // Most likely a wrong --lake-url or dates: say so rather than finish quietly with nothing.
    log::Warn("reprocess found no raw object in the lake for this range",
              {{"lake", lake->url()}, {"from", options.from_date}, {"to", options.to_date}});
  }
  return report;
}

}  // namespace coinlake::pipeline
