// Loads the reference endpoints into PostgreSQL: global metrics into `global_metrics`, the coin
// map (/v1/cryptocurrency/map) into `assets` and `asset_names`. As with quotes (loader.h), an
// object's rows commit in one transaction together with its ledger row (`lake_objects`), so a
// replayed object is a no-op and a different object under a loaded key is DATA_LOSS.
#pragma once

#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/db.h"
#include "warehouse/loader.h"

namespace coinlake::warehouse {

// One row per quote currency; a (ts, currency) already present is kept (the first load wins:
// the same figures arrive again when global metrics did not move between two calls).
// `in_transaction`, if set, runs inside the load transaction after the rows and the ledger row,
// before the commit, only for an object newly loaded (never for one the ledger had); an error
// rolls the whole load back (as Loader::SetInTransaction).
StatusOr<LoadResult> LoadGlobalMetrics(
    Connection& db, const LakeObjectRef& object, const cmc::GlobalMetricsPayload& payload,
    const Loader::GlobalMetricsInTransaction& in_transaction = nullptr);

// CMC's OHLCV bars (/ohlcv/historical) into `candles_hourly` (bars shorter than a day) and
// `candles_daily`, as candles of source 'cmc', beside coinlake's own (source 'quotes'), which
// they never change. `rows` in the result counts the candles written.
StatusOr<LoadResult> LoadOhlcv(Connection& db, const LakeObjectRef& object,
                               const cmc::OhlcvPayload& payload);

// Upserts every coin of the map into `assets` (symbol, name and slug as of the map's
// status.timestamp, unless a later snapshot already set them) and its names into
// `asset_names`. `rows` in the result counts the coins the map listed.
StatusOr<LoadResult> LoadMap(Connection& db, const LakeObjectRef& object,
                             const cmc::MapPayload& payload);

}  // namespace coinlake::warehouse
