// Loads parsed lake objects into PostgreSQL: binary COPY of the quotes, together with the
// object's ledger row, in one transaction. A replayed object is a no-op; a different object
// under a loaded key is DATA_LOSS.
//
// Candles and assets follow the quotes in one of three ways (Loader::Candles): merged in the
// load transaction (fetch, run: a snapshot is queryable, candles and assets included, when its
// load commits), or deferred (reprocess): the load records the hours it touched in
// `candles_pending` and appends its folded assets to `assets_pending`/`asset_names_pending`;
// RebuildPendingCandles later recomputes those hours' candles from the quotes, once,
// set-based, and MergePendingAssets merges the assets once. Or, when reprocess rebuilds an
// empty database, folded by reprocess itself from the rows it loads (candle_fold.h), so the
// server never groups them (pipeline/folded_candles.h).
// Both give the same candles: a candle is a pure function of the quotes in its hour or day.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/candle_fold.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// The identity of a lake object, as the ledger records it.
struct LakeObjectRef {
  std::string key;
  std::string sha256;  // hex, of the stored (compressed) bytes
  int64_t size = 0;    // stored bytes
  std::string endpoint;
  TimePoint data_ts{};
};

struct LoadResult {
  bool already_loaded = false;  // the ledger had it: nothing was written
  int64_t rows = 0;             // quote rows newly inserted
  // Quotes the object listed that an earlier snapshot had stored already (same coin, currency
  // and time: CMC had not refreshed them), so it inserted no row of its own for them.
  int64_t carried = 0;
};

class Loader {
 public:
  enum class Candles {
    // Merged from the newly inserted quotes in the load transaction (assets too).
    kMerge,
    // The quotes are COPY'd straight into `quotes` (no staging); the candles of their hours
    // wait in `candles_pending` for RebuildPendingCandles, the assets in the pending tables
    // for MergePendingAssets.
    kDefer,
    // As kDefer, but the caller folds the candles and assets of what it loaded itself
    // (CandleFold, AssetFold, while reprocess rebuilds quotes) and writes them: the candles
    // with WriteFoldedCandles, the assets to the pending tables (pipeline/folded_candles.h).
    kFold,
  };
  explicit Loader(Connection& db, Candles candles = Candles::kMerge) : db_(db), candles_(candles) {}

  // Loads a listings or quotes payload. On any error the transaction is rolled back: either
  // every row and the ledger row are in, or none is.
  StatusOr<LoadResult> LoadQuotes(const LakeObjectRef& object, const cmc::QuotesPayload& payload);

  // Loads several objects in one transaction (reprocess): the same per-object guarantees
  // (each object's rows commit with its ledger row; a loaded one is skipped, a changed one is
  // DATA_LOSS and nothing of the batch is written), but the candles and assets each snapshot
  // shares are merged once per batch instead of once per object. Results follow `items`.
  struct BatchItem {
    LakeObjectRef object;
    const cmc::QuotesPayload* payload;
  };
  StatusOr<std::vector<LoadResult>> LoadQuotesBatch(const std::vector<BatchItem>& items);

  // Work that must commit with a loaded object or not at all (alerts/outbox.h records the
  // notifications a live snapshot causes this way): called inside the load transaction, on
  // `db`, once for each object newly loaded (never for one the ledger had), after its rows and
  // before the commit. An error rolls the whole load back. None is set by default, and then the
  // load runs no statement for it.
  using InTransaction = std::function<Status(Connection& db, const LakeObjectRef& object,
                                             const cmc::QuotesPayload& payload)>;
  void SetInTransaction(InTransaction hook) { in_transaction_ = std::move(hook); }

  // The same for a global metrics snapshot (alerts/outbox.h records what the dominance rules
  // decide this way). The loader does not load global metrics itself: it carries the hook to
  // LoadGlobalMetrics (reference_loader.h), which its callers (pipeline/load_object.cc) pass it
  // to, so one loader configures the in-transaction work of every object it is given.
  using GlobalMetricsInTransaction = std::function<Status(
      Connection& db, const LakeObjectRef& object, const cmc::GlobalMetricsPayload& payload)>;
  void SetGlobalMetricsInTransaction(GlobalMetricsInTransaction hook) {
    global_metrics_in_transaction_ = std::move(hook);
  }
  const GlobalMetricsInTransaction& global_metrics_in_transaction() const {
    return global_metrics_in_transaction_;
  }

 private:
  Status PrepareStaging();
  // Inserts the staged quotes (ON CONFLICT DO NOTHING), merging them into the candles if
  // `merge_candles`; returns rows inserted per lake object.
  StatusOr<Rows> InsertStagedQuotes(std::string_view quotes_copy, bool merge_candles);
  Connection& db_;
  Candles candles_;
  bool staging_ready_ = false;
  InTransaction in_transaction_;
  GlobalMetricsInTransaction global_metrics_in_transaction_;
};

// Recomputes the hourly and daily candles of every hour in `candles_pending` (left there by
// Candles::kDefer loads of this or any earlier process, e.g. one killed mid-way) from the
// quotes, one month per transaction, and empties it. Loads wait while a month is rebuilt (a
// transaction-level advisory lock orders them), so none of their quotes is missed. Each
// `helpers` connection (idle, outside a transaction) rebuilds a share of the coins at the same
// time. Returns the number of hours rebuilt.
StatusOr<int64_t> RebuildPendingCandles(Connection& db,
                                        const std::vector<Connection*>& helpers = {});

// Adds `hours` to `candles_pending`, for RebuildPendingCandles.
Status MarkHoursPending(Connection& db, const std::set<TimePoint>& hours);

// Writes candles folded from quotes that no candle counts yet (Candles::kFold loads) into
// candles_hourly and candles_daily, in one transaction that loads' candle merges and
// RebuildPendingCandles order with (the same advisory lock). The rows must be new: one that
// is already there fails the write (the fold writes each hour and day once).
Status WriteFoldedCandles(Connection& db, const std::vector<Candle>& hourly,
                          const std::vector<Candle>& daily);

// Adds every hour `quotes` holds to `candles_pending`: after a rebuild whose folded candles
// were lost with its process (a kill), nothing else says which hours lack them.
Status MarkEveryQuoteHourPending(Connection& db);

// Merges the assets that Candles::kDefer loads and folding rebuilds appended to
// `assets_pending` and `asset_names_pending` into `assets` and `asset_names`, in one
// transaction, and empties them (under a lock: loads that append meanwhile wait for it). The merges
// are order-independent and idempotent, so this equals upserting every load's assets as it
// committed. Safe to run concurrently with RebuildPendingCandles on another connection.
Status MergePendingAssets(Connection& db);

// A rebuild of `quotes` (migration 0007): loading an empty table without its indexes and
// building them once at the end, sorted, costs the server about half as much per row as
// maintaining them row by row. While one is under way, `quotes` has no primary key: the
// Candles::kDefer loads' COPY cannot fail on a quote another snapshot already brought, so such
// duplicates wait in the table until RestoreQuoteIndexes removes them.
//
// Starts a rebuild if `quotes` is empty, or joins one under way (e.g. left by a killed
// reprocess); returns whether one is under way. Takes no lock when neither is the case.
StatusOr<bool> DeferQuoteIndexes(Connection& db);

// Ends a rebuild under way, in one transaction: removes duplicate quotes (the earliest snapshot
// keeps each, as loading in key order does; the ledger's row counts follow), then builds the
// indexes. Their candles need nothing more: during a rebuild every load either leaves its hours
// pending (kDefer, and kMerge loads, which merge no candle meanwhile) or is the folding rebuild,
// whose CandleFold keeps the same copy of a quote. Returns the duplicates removed, nullopt if no
// rebuild was under way. Loads of other processes wait meanwhile and may go on after it, with
// the indexes. Takes no lock when no rebuild is under way.
StatusOr<std::optional<int64_t>> RestoreQuoteIndexes(Connection& db);

}  // namespace coinlake::warehouse
