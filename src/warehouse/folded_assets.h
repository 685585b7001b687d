// The assets of a rebuild that folds them (Loader::Candles::kFold, pipeline/folded_candles.h):
// its workers' loads write no asset row; the rebuild folds every batch into one AssetFold and
// appends it to the pending tables once in a while and at its end, which MergePendingAssets
// then merges as any other pending rows. At 5000 coins a snapshot that is one row per coin a
// minute instead of one per coin per load transaction.
//
// Until a fold is written its assets exist only in the rebuild's memory. `assets_folded_through`
// says which loaded objects that may be: those after its lake object id. A write of the fold
// moves the mark to the newest ledger row in the same transaction, when no load of the rebuild
// is in flight (every committed object has been folded); the rebuild's end removes it. A
// rebuild killed before its end leaves the mark: the next reprocess reads the objects after it
// again from the lake and writes their assets (RefoldAssetsOfAKilledFold), so no asset is
// lost, and no work beyond one interval of loads is repeated.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/asset_fold.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// A rebuild starts folding: the mark at the newest ledger row (earlier objects' assets are in
// the tables already).
Status StartFoldingAssets(Connection& db);

// Appends `fold` to the pending tables and, in the same transaction, moves the mark to the
// newest ledger row, or removes it (`last`). The caller guarantees that every committed object
// of its rebuild is in `fold` or was in a fold written before.
Status WriteFoldedAssets(Connection& db, const AssetFold& fold, bool last);

// The objects whose assets a killed folding rebuild may have lost: reads each (its quotes,
// or nullopt for an object without any) and writes their fold, removing the mark. The caller
// holds the fold lock (no rebuild folds). Returns the number of objects read.
using ReadQuotes =
    std::function<StatusOr<std::optional<cmc::QuotesPayload>>(const std::string& key)>;
StatusOr<int64_t> RefoldAssetsOfAKilledFold(Connection& db, const ReadQuotes& read);

}  // namespace coinlake::warehouse
