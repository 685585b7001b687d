#include "warehouse/reference_loader.h"

#include <fmt/format.h>

#include <functional>
#include <utility>

#include "warehouse/copy_format.h"

namespace coinlake::warehouse {
namespace {

// Inserts the object's ledger row in the open transaction. false: the ledger already had the
// object with the same bytes (nothing to load). DATA_LOSS: it had different bytes.
StatusOr<bool> ClaimLedgerRow(Connection& db, const LakeObjectRef& object) {
  ASSIGN_OR_RETURN(Rows inserted,
                   db.Query("INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) "
                            "VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (key) DO NOTHING "
                            "RETURNING key",
                            {object.key, object.sha256, std::to_string(object.size),
                             object.endpoint, FormatIso8601(object.data_ts)}));
  if (!inserted.empty()) return true;
  ASSIGN_OR_RETURN(Rows existing,
                   db.Query("SELECT sha256 FROM lake_objects WHERE key = $1", {object.key}));
  if (!existing.empty() && existing.text(0, 0) != object.sha256) {
    return DataLossError(
        fmt::format("lake object {} changed after it was loaded (ledger sha256 {}, now {})",
                    object.key, existing.text(0, 0), object.sha256));
  }
  return false;
}

// Runs `load` (which returns the rows it wrote) in one transaction with the ledger row, then
// `then`, if set: work that commits with the object or not at all (an error rolls it all back).
template <typename LoadRows>
StatusOr<LoadResult> InTransaction(Connection& db, const LakeObjectRef& object,
                                   const std::function<Status()>& then, LoadRows load) {
  ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  LoadResult result;
  ASSIGN_OR_RETURN(bool claimed, ClaimLedgerRow(db, object));
  if (!claimed) {
    result.already_loaded = true;
    return result;
  }
  ASSIGN_OR_RETURN(result.rows, load());
  RETURN_IF_ERROR(db.Execute("UPDATE lake_objects SET rows = $2 WHERE key = $1",
                             {object.key, std::to_string(result.rows)}));
  if (then) RETURN_IF_ERROR(then());
  RETURN_IF_ERROR(transaction.Commit());
  return result;
}

template <typename LoadRows>
StatusOr<LoadResult> InTransaction(Connection& db, const LakeObjectRef& object, LoadRows load) {
  return InTransaction(db, object, nullptr, std::move(load));
}

Param Num(std::optional<double> v) { return v ? Param(fmt::format("{}", *v)) : Param(); }
Param Num(std::optional<int64_t> v) { return v ? Param(std::to_string(*v)) : Param(); }

constexpr const char* kInsertGlobalMetrics = R"sql(
INSERT INTO global_metrics (ts, quote_currency, total_market_cap, total_volume_24h,
  btc_dominance, eth_dominance, active_cryptocurrencies, active_exchanges, active_market_pairs,
  defi_market_cap, stablecoin_market_cap, lake_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (ts, quote_currency) DO NOTHING RETURNING 1)sql";

// The map is a snapshot of every coin's names at status.timestamp ($1). A name newer than the
// one assets holds wins; first_seen/last_seen widen to include the map's time.
constexpr const char* kUpsertMapAssets = R"sql(
INSERT INTO assets AS t (cmc_id, symbol, name, slug, date_added, first_seen, last_seen)
SELECT DISTINCT ON (cmc_id) cmc_id, symbol, name, slug, NULL::timestamptz, $1::timestamptz,
       $1::timestamptz
FROM staging_map ORDER BY cmc_id
ON CONFLICT (cmc_id) DO UPDATE SET
  symbol = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.symbol ELSE t.symbol END,
  name = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.name ELSE t.name END,
  slug = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.slug ELSE t.slug END,
  first_seen = least(t.first_seen, excluded.first_seen),
  last_seen = greatest(t.last_seen, excluded.last_seen))sql";

constexpr const char* kUpsertMapNames = R"sql(
INSERT INTO asset_names AS n (cmc_id, symbol, name, slug, first_seen, last_seen)
SELECT DISTINCT cmc_id, symbol, name, slug, $1::timestamptz, $1::timestamptz FROM staging_map
ON CONFLICT (cmc_id, symbol, name, slug) DO UPDATE SET
  first_seen = least(n.first_seen, excluded.first_seen),
  last_seen = greatest(n.last_seen, excluded.last_seen))sql";

// CMC's bars into the candle tables, as rows of their own (source 'cmc'). A bar loaded again
// (the same bucket from another request) takes the newer answer's figures: CMC revises a bar
// while its period is young, and its last answer is the better one.
constexpr const char* kUpsertCmcBars = R"sql(
INSERT INTO {} AS c (cmc_id, quote_currency, bucket, open, high, low, close, volume_24h, samples,
                     first_ts, last_ts, source)
SELECT DISTINCT ON (cmc_id, quote_currency, bucket) cmc_id, quote_currency, bucket, open, high,
       low, close, volume_24h, 0, bucket, last_ts, 'cmc'
FROM staging_bars WHERE daily = $1 ORDER BY cmc_id, quote_currency, bucket, last_ts DESC
ON CONFLICT (cmc_id, quote_currency, bucket, source) DO UPDATE SET
  open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
  volume_24h = excluded.volume_24h, last_ts = excluded.last_ts)sql";

// A bar of a day or longer is a daily candle, anything shorter an hourly one.
bool IsDailyBar(const cmc::OhlcvRow& bar) {
  return bar.time_close - bar.time_open >= std::chrono::hours(23);
}

}  // namespace

StatusOr<LoadResult> LoadOhlcv(Connection& db, const LakeObjectRef& object,
                               const cmc::OhlcvPayload& payload) {
  RETURN_IF_ERROR(db.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_bars (cmc_id bigint, quote_currency text, "
      "bucket timestamptz, open float8, high float8, low float8, close float8, "
      "volume_24h float8, last_ts timestamptz, daily boolean) ON COMMIT DELETE ROWS"));
  return InTransaction(db, object, [&]() -> StatusOr<int64_t> {
    std::string copy;
    for (const cmc::OhlcvRow& bar : payload.rows) {
      if (!bar.open && !bar.close) continue;  // a bar without prices is no candle
      const bool daily = IsDailyBar(bar);
      CopyRowWriter row(copy);
      row.Int(bar.cmc_id);
      row.Text(bar.quote_currency);
      row.Time(bar.time_open);
      row.Double(bar.open);
      row.Double(bar.high);
      row.Double(bar.low);
      row.Double(bar.close);
      // candles' volume_24h is a 24-hour figure: a daily bar's volume is one, an hourly's not.
      row.Double(daily ? bar.volume : std::nullopt);
      row.Time(bar.time_close);
      row.Text(daily ? "t" : "f");
      row.End();
    }
    RETURN_IF_ERROR(db.CopyIn("COPY staging_bars FROM STDIN", copy));
    // The shared candle lock: a rebuild by `reprocess` waits for this load (loader.cc).
    RETURN_IF_ERROR(
        db.Execute("SELECT pg_advisory_xact_lock_shared(hashtext('coinlake_candles'))"));
    int64_t rows = 0;
    for (const auto& [table, daily] : {std::pair{"candles_hourly", "f"}, {"candles_daily", "t"}}) {
      ASSIGN_OR_RETURN(Rows written, db.Query(fmt::format(kUpsertCmcBars, table), {daily}));
      rows += static_cast<int64_t>(written.size());
    }
    return rows;
  });
}

StatusOr<LoadResult> LoadGlobalMetrics(Connection& db, const LakeObjectRef& object,
                                       const cmc::GlobalMetricsPayload& payload,
                                       const Loader::GlobalMetricsInTransaction& in_transaction) {
  std::function<Status()> then;
  if (in_transaction) then = [&] { return in_transaction(db, object, payload); };
  return InTransaction(db, object, then, [&]() -> StatusOr<int64_t> {
    int64_t inserted = 0;
    for (const cmc::GlobalMetricsRow& r : payload.rows) {
      ASSIGN_OR_RETURN(
          Rows rows, db.Query(kInsertGlobalMetrics,
                              {FormatIso8601(r.ts), r.quote_currency, Num(r.total_market_cap),
                               Num(r.total_volume_24h), Num(r.btc_dominance), Num(r.eth_dominance),
                               Num(r.active_cryptocurrencies), Num(r.active_exchanges),
                               Num(r.active_market_pairs), Num(r.defi_market_cap),
                               Num(r.stablecoin_market_cap), object.key}));
      inserted += static_cast<int64_t>(rows.size());
    }
    return inserted;
  });
}

StatusOr<LoadResult> LoadMap(Connection& db, const LakeObjectRef& object,
                             const cmc::MapPayload& payload) {
  RETURN_IF_ERROR(
      db.Execute("CREATE TEMP TABLE IF NOT EXISTS staging_map (cmc_id bigint, symbol text, "
                 "name text, slug text) ON COMMIT DELETE ROWS"));
  return InTransaction(db, object, [&]() -> StatusOr<int64_t> {
    std::string copy;
    for (const cmc::MapRow& r : payload.rows) {
      CopyRowWriter row(copy);
      row.Int(r.cmc_id);
      row.Text(r.symbol);
      row.Text(r.name);
      row.Text(r.slug);
      row.End();
    }
    RETURN_IF_ERROR(db.CopyIn("COPY staging_map FROM STDIN", copy));
    std::string seen = FormatIso8601(payload.status.timestamp);
    RETURN_IF_ERROR(db.Execute(kUpsertMapAssets, {seen}));
    RETURN_IF_ERROR(db.Execute(kUpsertMapNames, {seen}));
    return static_cast<int64_t>(payload.rows.size());
  });
}

}  // namespace coinlake::warehouse
