#include "warehouse/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "common/log.h"
#include "warehouse/asset_fold.h"
#include "warehouse/copy_format.h"

namespace coinlake::warehouse {
namespace {

constexpr std::string_view kQuoteColumns =
    "cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h, volume_change_24h, "
    "market_cap, market_cap_dominance, fully_diluted_market_cap, percent_change_1h, "
    "percent_change_24h, percent_change_7d, percent_change_30d, percent_change_60d, "
    "percent_change_90d, circulating_supply, total_supply, max_supply, num_market_pairs, "
    "lake_object_id";

// The quote rows of one object in binary COPY format (without header and trailer), in the
// column order of kQuoteColumns; `object_id` is the ledger row's (lake_objects.id).
// INVALID_ARGUMENT: an integer column out of range.
Status AppendQuotes(BinaryCopyWriter& w, const cmc::QuotesPayload& payload, int32_t object_id,
                    const std::string& key) {
  auto int4 = [&](std::optional<int64_t> v, const cmc::QuoteRow& r,
                  std::string_view what) -> StatusOr<std::optional<int32_t>> {
    if (!v) return std::optional<int32_t>();
    if (*v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
      return InvalidArgumentError(
          fmt::format("{}: {} {} of coin {} is out of range", key, what, *v, r.cmc_id));
    }
    return std::optional<int32_t>(static_cast<int32_t>(*v));
  };
  for (const cmc::QuoteRow& r : payload.rows) {
    ASSIGN_OR_RETURN(std::optional<int32_t> rank, int4(r.cmc_rank, r, "cmc_rank"));
    ASSIGN_OR_RETURN(std::optional<int32_t> pairs, int4(r.num_market_pairs, r, "num_market_pairs"));
    w.Row(22);
    w.Int8(r.cmc_id);
    w.Text(r.quote_currency);
    w.Timestamptz(r.ts);
    w.Timestamptz(payload.status.timestamp);
    w.OptionalInt4(rank);
    w.Float8(r.price);
    w.Float8(r.volume_24h);
    w.Float8(r.volume_change_24h);
    w.Float8(r.market_cap);
    w.Float8(r.market_cap_dominance);
    w.Float8(r.fully_diluted_market_cap);
    w.Float8(r.percent_change_1h);
    w.Float8(r.percent_change_24h);
    w.Float8(r.percent_change_7d);
    w.Float8(r.percent_change_30d);
    w.Float8(r.percent_change_60d);
    w.Float8(r.percent_change_90d);
    w.Float8(r.circulating_supply);
    w.Float8(r.total_supply);
    w.Float8(r.max_supply);
    w.OptionalInt4(pairs);
    w.Int4(object_id);
  }
  return Status::Ok();
}

// The candle of a group of quotes: first and last by time, extremes, sample count. Shared by
// the in-transaction merge and the rebuild, so both compute the same candle. The first and
// last prices are the min and max of [epoch seconds, value] arrays (a quote's ts is unique in
// its group, so the time alone decides), which needs no sort per group: PostgreSQL 15 sorts
// every group of an ordered aggregate (array_agg(... ORDER BY ts)) on its own, which is an
// order of magnitude slower (docs/benchmarks.md, "Measurements behind design rules"). The close
// and its volume
// come from one [time, price, volume] array (PostgreSQL computes an aggregate written twice
// once): building the arrays is most of a rebuild's time.
constexpr std::string_view kCandleColumns =
    "(min(ARRAY[date_part('epoch', ts), price]))[2], max(price), min(price), "
    "(max(ARRAY[date_part('epoch', ts), price, volume_24h]))[2], "
    "(max(ARRAY[date_part('epoch', ts), price, volume_24h]))[3], count(*), min(ts), max(ts)";

// ON CONFLICT actions: merge a candle of newly inserted quotes into the stored one, or replace
// the stored one with a candle rebuilt from all the quotes of its bucket.
constexpr std::string_view kMergeCandle = R"sql(
    open = CASE WHEN excluded.first_ts < c.first_ts THEN excluded.open ELSE c.open END,
    high = greatest(c.high, excluded.high),
    low = least(c.low, excluded.low),
    close = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.close ELSE c.close END,
    volume_24h = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.volume_24h ELSE c.volume_24h END,
    samples = c.samples + excluded.samples,
    first_ts = least(c.first_ts, excluded.first_ts),
    last_ts = greatest(c.last_ts, excluded.last_ts))sql";
constexpr std::string_view kReplaceCandle = R"sql(
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
    volume_24h = excluded.volume_24h, samples = excluded.samples, first_ts = excluded.first_ts,
    last_ts = excluded.last_ts)sql";

// The UTC hour or day of a time: date_bin is integer arithmetic, where date_trunc with a time
// zone looks the zone up for every row (a third of a rebuild's time).
std::string Bucket(std::string_view unit, std::string_view column) {
  return fmt::format("date_bin('1 {}', {}, timestamptz '2000-01-01 00:00:00+00')", unit, column);
}

// Upserts into `table` the candles of `unit` ('hour' or 'day') of the quotes in `from_where`
// (a FROM clause whose rows have ts, price, volume_24h, with a WHERE clause). These are
// coinlake's own candles (source 'quotes', the column's default); CMC's OHLCV bars are rows of
// their own (history_loader.h) that these never touch.
std::string CandleUpsert(std::string_view table, std::string_view unit, std::string_view from_where,
                         std::string_view on_conflict) {
  return fmt::format(
      "INSERT INTO {0} AS c SELECT cmc_id, quote_currency, {1}, {2} "
      "{3} AND price IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
      "ON CONFLICT (cmc_id, quote_currency, bucket, source) DO UPDATE SET {4}",
      table, Bucket(unit, "ts"), kCandleColumns, from_where, on_conflict);
}

// Inserts the staged quotes; the earliest snapshot of a quote wins within the batch, and a
// quote already present (overlapping snapshots, or a replay) is skipped.
constexpr std::string_view kInsertStaged = R"sql(
WITH ins AS (
  INSERT INTO quotes SELECT * FROM staging_quotes
  ORDER BY cmc_id, quote_currency, ts, snapshot_ts
  ON CONFLICT DO NOTHING
  RETURNING cmc_id, quote_currency, ts, price, volume_24h, lake_object_id
))sql";

// ... and returns, per object, how many quotes it added and the coins whose quote was there
// already (sorted; NULL when none): the ledger's rows and carried_ids.
constexpr std::string_view kAddedAndCarried = R"sql(
SELECT k.lake_object_id, coalesce(a.n, 0), c.ids
FROM (SELECT DISTINCT lake_object_id FROM staging_quotes) k
LEFT JOIN (SELECT lake_object_id, count(*) AS n FROM ins GROUP BY 1) a USING (lake_object_id)
LEFT JOIN (
  SELECT s.lake_object_id, array_agg(DISTINCT s.cmc_id ORDER BY s.cmc_id) AS ids
  FROM staging_quotes s
  WHERE NOT EXISTS (SELECT 1 FROM ins i WHERE i.lake_object_id = s.lake_object_id
                    AND i.cmc_id = s.cmc_id AND i.quote_currency = s.quote_currency
                    AND i.ts = s.ts)
  GROUP BY 1) c USING (lake_object_id))sql";

const std::string& InsertStagedQuotesSql() {
  static const std::string sql = fmt::format("{}{}", kInsertStaged, kAddedAndCarried);
  return sql;
}

// ... and also merges the newly inserted ones (only those: overlapping snapshots never
// double-count) into the candles, in the same statement.
const std::string& InsertStagedQuotesAndMergeCandlesSql() {
  static const std::string sql = fmt::format(
      "{}, hourly AS ({}), daily AS ({}){}", kInsertStaged,
      CandleUpsert("candles_hourly", "hour", "FROM ins WHERE true", kMergeCandle),
      CandleUpsert("candles_daily", "day", "FROM ins WHERE true", kMergeCandle), kAddedAndCarried);
  return sql;
}

// Takes the pending hours of one month ($1) out of candles_pending; returns how many distinct
// hours that was, and them and their days as timestamptz[] literals.
const std::string& TakePendingHoursSql() {
  static const std::string sql = fmt::format(R"sql(WITH hours AS (
  DELETE FROM candles_pending
  WHERE hour >= $1::timestamptz AND hour < $1::timestamptz + interval '1 month' RETURNING hour
) SELECT count(DISTINCT hour), array_agg(DISTINCT hour)::text, array_agg(DISTINCT {})::text
FROM hours)sql",
                                             Bucket("day", "hour"));
  return sql;
}

// Rebuilds the hourly candles of the hours $2 (of the month $1) from their quotes, for the
// coins with cmc_id % $3 = $4 (one part of a rebuild split across connections).
const std::string& RebuildHoursSql() {
  static const std::string sql = CandleUpsert(
      "candles_hourly", "hour",
      "FROM quotes WHERE ts >= $1::timestamptz AND ts < $1::timestamptz + interval '1 month' "
      "AND " +
          Bucket("hour", "ts") + " = ANY($2::timestamptz[]) AND cmc_id % $3 = $4",
      kReplaceCandle);
  return sql;
}

// Rebuilds the daily candles of the days $2 (of the month $1) from their hourly candles, just
// rebuilt, for the coins with cmc_id % $3 = $4: a tenth of the rows the quotes would be, and
// the same candles (the first hour's open, the last hour's close, the extremes of the
// extremes, the sum of the samples).
const std::string& RebuildDaysSql() {
  static const std::string sql = fmt::format(
      "INSERT INTO candles_daily AS c SELECT cmc_id, quote_currency, {0}, "
      "(min(ARRAY[date_part('epoch', first_ts), open]))[2], max(high), min(low), "
      "(max(ARRAY[date_part('epoch', last_ts), close, volume_24h]))[2], "
      "(max(ARRAY[date_part('epoch', last_ts), close, volume_24h]))[3], sum(samples), "
      "min(first_ts), max(last_ts) FROM candles_hourly WHERE bucket >= $1::timestamptz "
      "AND bucket < $1::timestamptz + interval '1 month' AND {0} = ANY($2::timestamptz[]) "
      "AND cmc_id % $3 = $4 AND source = 'quotes' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
      "ON CONFLICT (cmc_id, quote_currency, bucket, source) DO UPDATE SET {1}",
      Bucket("day", "bucket"), kReplaceCandle);
  return sql;
}

// Loads take this transaction-level advisory lock shared and a candle rebuild takes it
// exclusive: a rebuild never runs while a load that touches candles (by merging them, or by
// adding quotes to a pending hour) is uncommitted, so it never misses or overwrites one.
constexpr std::string_view kCandleLock = "hashtext('coinlake_candles')";

// Latest names win; first/last seen widen. Rows come folded (AssetFold), in id order so
// concurrent loaders lock asset rows in the same order (no deadlocks).
// `{0}`: CTEs before the INSERT, `{1}`: the folded rows.
constexpr std::string_view kUpsertAssets = R"sql({0}
INSERT INTO assets AS t (cmc_id, symbol, name, slug, date_added, first_seen, last_seen)
SELECT * FROM {1} ORDER BY cmc_id
ON CONFLICT (cmc_id) DO UPDATE SET
  symbol = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.symbol ELSE t.symbol END,
  name = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.name ELSE t.name END,
  slug = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.slug ELSE t.slug END,
  date_added = coalesce(excluded.date_added, t.date_added),
  first_seen = least(t.first_seen, excluded.first_seen),
  last_seen = greatest(t.last_seen, excluded.last_seen))sql";

// Every (symbol, name, slug) a coin carried stays, with when it was seen.
constexpr std::string_view kUpsertAssetNames = R"sql({0}
INSERT INTO asset_names AS n (cmc_id, symbol, name, slug, first_seen, last_seen)
SELECT * FROM {1} ORDER BY 1, 2, 3, 4
ON CONFLICT (cmc_id, symbol, name, slug) DO UPDATE SET
  first_seen = least(n.first_seen, excluded.first_seen),
  last_seen = greatest(n.last_seen, excluded.last_seen))sql";

// Deferred assets (Candles::kDefer): each load transaction appends its fold to the pending
// tables, then RebuildPendingCandles folds all of them (the same fold as AssetFold: the names
// of the latest sighting, the latest date_added, the widest seen range) and upserts the result
// with kUpsertAssets and kUpsertAssetNames. Those upserts are merges that give the same rows
// in any order and when repeated, so merging once at the end equals merging every batch.
const std::string& MergePendingAssetsSql() {
  static const std::string sql = fmt::format(kUpsertAssets, "", R"sql((
  SELECT DISTINCT ON (cmc_id) cmc_id, symbol, name, slug, first_value(date_added) OVER d,
    min(first_seen) OVER w, max(last_seen) OVER w
  FROM assets_pending
  WINDOW w AS (PARTITION BY cmc_id ORDER BY last_seen DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
         -- A row's date_added was seen at date_added_seen (before version 22: unknown, taken
         -- as last_seen), not always at its last_seen: a later sighting may have had none.
         d AS (PARTITION BY cmc_id ORDER BY date_added IS NULL, coalesce(date_added_seen,
               last_seen) DESC ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ORDER BY cmc_id, last_seen DESC) f)sql");
  return sql;
}
const std::string& MergePendingAssetNamesSql() {
  static const std::string sql =
      fmt::format(kUpsertAssetNames, "",
                  "(SELECT cmc_id, symbol, name, slug, min(first_seen), max(last_seen) "
                  "FROM asset_names_pending "
                  "GROUP BY 1, 2, 3, 4) f");
  return sql;
}

}  // namespace

Status Loader::PrepareStaging() {
  if (staging_ready_) return Status::Ok();
  RETURN_IF_ERROR(db_.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_quotes (LIKE quotes) ON COMMIT DELETE ROWS"));
  RETURN_IF_ERROR(db_.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_assets (cmc_id bigint, symbol text, name text, "
      "slug text, date_added timestamptz, first_seen timestamptz, last_seen timestamptz, "
      "date_added_seen timestamptz) ON COMMIT DELETE ROWS"));
  RETURN_IF_ERROR(db_.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_asset_names (cmc_id bigint, symbol text, "
      "name text, slug text, first_seen timestamptz, last_seen timestamptz) "
      "ON COMMIT DELETE ROWS"));
  staging_ready_ = true;
  return Status::Ok();
}

StatusOr<Rows> Loader::InsertStagedQuotes(std::string_view quotes_copy, bool merge_candles) {
  RETURN_IF_ERROR(
      db_.CopyIn(fmt::format("COPY staging_quotes ({}) FROM STDIN (FORMAT binary)", kQuoteColumns),
                 quotes_copy));
  return db_.Query(merge_candles ? InsertStagedQuotesAndMergeCandlesSql()
                                 : InsertStagedQuotesSql());
}

StatusOr<LoadResult> Loader::LoadQuotes(const LakeObjectRef& object,
                                        const cmc::QuotesPayload& payload) {
  ASSIGN_OR_RETURN(std::vector<LoadResult> results, LoadQuotesBatch({{object, &payload}}));
  return results.front();
}

StatusOr<std::vector<LoadResult>> Loader::LoadQuotesBatch(const std::vector<BatchItem>& items) {
  RETURN_IF_ERROR(PrepareStaging());
  std::vector<LoadResult> results(items.size());
  std::optional<TimePoint> lo, hi;
  for (const BatchItem& item : items) {
    for (const cmc::QuoteRow& r : item.payload->rows) {
      if (!lo || r.ts < *lo) lo = r.ts;
      if (!hi || r.ts > *hi) hi = r.ts;
    }
  }
  if (lo) {
    // Outside the load transaction: creating a partition locks the parent table briefly.
    RETURN_IF_ERROR(db_.Execute("SELECT coinlake_ensure_quote_partitions($1, $2)",
                                {FormatIso8601(*lo), FormatIso8601(*hi)}));
  }

  ASSIGN_OR_RETURN(
      Transaction transaction,
      Transaction::Begin(db_, fmt::format("SELECT pg_advisory_xact_lock_shared({})", kCandleLock)));
  // Straight into quotes (no staging) unless candles merge in this transaction.
  const bool direct = candles_ != Candles::kMerge;
  bool merge_candles = candles_ == Candles::kMerge;
  if (merge_candles) {
    // While reprocess rebuilds quotes (no primary key), a quote may get in twice and a rebuild's
    // folded candles (kFold) count only its own loads: these hours wait for the rebuild's end,
    // which builds them from the table once the duplicates are gone.
    ASSIGN_OR_RETURN(Rows rebuilding,
                     db_.Query("SELECT EXISTS (SELECT 1 FROM quotes_deferred_indexes)"));
    merge_candles = rebuilding.text(0, 0) != "t";
  }
  const bool pending_hours = candles_ == Candles::kDefer || (!direct && !merge_candles);
  // The ledger rows go first: a concurrent loader of the same key waits here, then sees it.
  // Each says the object added all its rows; the few objects where that is not so (a quote
  // already present) are corrected below.
  std::string quotes_copy;
  AssetFold assets;
  BinaryCopyWriter quotes(quotes_copy);
  std::map<std::string, size_t> index;            // key -> item, of the objects this batch loads
  std::vector<int32_t> object_ids(items.size());  // their ledger ids (lake_objects.id)
  std::set<TimePoint> hours;
  for (size_t i = 0; i < items.size(); ++i) {
    const LakeObjectRef& object = items[i].object;
    const cmc::QuotesPayload& payload = *items[i].payload;
    ASSIGN_OR_RETURN(
        Rows inserted,
        db_.Query("INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) "
                  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING RETURNING id",
                  {object.key, object.sha256, std::to_string(object.size), object.endpoint,
                   FormatIso8601(object.data_ts), std::to_string(payload.rows.size())}));
    if (inserted.empty()) {
      ASSIGN_OR_RETURN(Rows existing,
                       db_.Query("SELECT sha256 FROM lake_objects WHERE key = $1", {object.key}));
      if (!existing.empty() && existing.text(0, 0) != object.sha256) {
        return DataLossError(
            fmt::format("lake object {} changed after it was loaded (ledger sha256 {}, now {})",
                        object.key, existing.text(0, 0), object.sha256));
      }
      results[i].already_loaded = true;
      continue;
    }
    index[object.key] = i;
    object_ids[i] = static_cast<int32_t>(inserted.integer(0, 0).value_or(0));
    results[i].rows = static_cast<int64_t>(payload.rows.size());
    RETURN_IF_ERROR(AppendQuotes(quotes, payload, object_ids[i], object.key));
    if (candles_ != Candles::kFold) assets.Add(payload);
    if (pending_hours) {
      for (const cmc::QuoteRow& r : payload.rows) {
        hours.insert(std::chrono::floor<std::chrono::hours>(r.ts));
      }
    }
  }
  if (index.empty()) return results;  // every object was loaded already: nothing to keep
  quotes.Finish();

  std::optional<Rows> counts;  // quotes inserted per object, when the staged insert ran
  if (direct) {
    // Straight into quotes (the ledger rows make this transaction the only load of these
    // objects). Only a quote already present, which two snapshots can share, makes it fail:
    // then the staged insert skips exactly those.
    RETURN_IF_ERROR(db_.Execute("SAVEPOINT direct_copy"));
    Status copied = db_.CopyIn(
        fmt::format("COPY quotes ({}) FROM STDIN (FORMAT binary)", kQuoteColumns), quotes_copy);
    if (copied.code() == StatusCode::kAlreadyExists) {
      RETURN_IF_ERROR(db_.Execute("ROLLBACK TO SAVEPOINT direct_copy"));
      ASSIGN_OR_RETURN(counts, InsertStagedQuotes(quotes_copy, false));
    } else {
      RETURN_IF_ERROR(copied);
    }
  } else {
    ASSIGN_OR_RETURN(counts, InsertStagedQuotes(quotes_copy, merge_candles));
  }
  if (pending_hours) RETURN_IF_ERROR(MarkHoursPending(db_, hours));
  if (counts) {
    std::map<int64_t, std::pair<int64_t, Param>> added;  // by object id: rows, carried_ids
    for (size_t r = 0; r < counts->size(); ++r) {
      added[counts->integer(r, 0).value_or(0)] = {std::stoll(counts->text(r, 1)), counts->at(r, 2)};
    }
    for (const auto& [key, i] : index) {
      auto it = added.find(object_ids[i]);
      int64_t rows = it == added.end() ? 0 : it->second.first;
      Param carried = it == added.end() ? Param() : it->second.second;
      if (rows == results[i].rows && !carried) continue;
      results[i].rows = rows;
      RETURN_IF_ERROR(
          db_.Execute("UPDATE lake_objects SET rows = $2, carried_ids = $3::bigint[] WHERE id = $1",
                      {std::to_string(object_ids[i]), std::to_string(rows), carried}));
    }
  }
  if (candles_ == Candles::kFold) {
    // The caller folds the assets too, across its batches, and writes them itself.
  } else if (direct) {
    // Every snapshot touches every coin's asset row: upserting them per batch rewrote all of
    // them each time and made parallel loaders queue on their locks. Appended to the pending
    // tables (no index, no conflict), they are merged once by MergePendingAssets.
    RETURN_IF_ERROR(
        db_.CopyIn("COPY assets_pending FROM STDIN (FORMAT binary)", assets.AssetsCopy()));
    RETURN_IF_ERROR(
        db_.CopyIn("COPY asset_names_pending FROM STDIN (FORMAT binary)", assets.NamesCopy()));
  } else {
    // Every snapshot touches the same asset rows: upserting them last keeps the time this
    // transaction holds their locks short.
    RETURN_IF_ERROR(
        db_.CopyIn("COPY staging_assets FROM STDIN (FORMAT binary)", assets.AssetsCopy()));
    RETURN_IF_ERROR(
        db_.CopyIn("COPY staging_asset_names FROM STDIN (FORMAT binary)", assets.NamesCopy()));
    RETURN_IF_ERROR(db_.Execute(
        fmt::format(kUpsertAssets, "",
                    "(SELECT cmc_id, symbol, name, slug, date_added, first_seen, last_seen "
                    "FROM staging_assets) s")));
    RETURN_IF_ERROR(db_.Execute(fmt::format(kUpsertAssetNames, "", "staging_asset_names")));
  }
  if (in_transaction_) {
    // In key order, which is time order within an endpoint: state carried from one snapshot to
    // the next (alert_state) sees them as they happened.
    for (const auto& [key, i] : index) {
      RETURN_IF_ERROR(in_transaction_(db_, items[i].object, *items[i].payload));
    }
  }
  RETURN_IF_ERROR(transaction.Commit());
  for (const auto& [key, i] : index) {
    results[i].carried = static_cast<int64_t>(items[i].payload->rows.size()) - results[i].rows;
  }
  return results;
}

StatusOr<int64_t> RebuildPendingCandles(Connection& db, const std::vector<Connection*>& helpers) {
  ASSIGN_OR_RETURN(
      Rows months,
      db.Query("SELECT DISTINCT date_trunc('month', hour, 'UTC') FROM candles_pending ORDER BY 1"));
  // A month of quotes is sorted and grouped in memory rather than in temporary files.
  for (Connection* helper : helpers) RETURN_IF_ERROR(helper->Execute("SET work_mem = '256MB'"));
  const std::string parts = std::to_string(helpers.size() + 1);
  // Runs `sql` once per part: part 0 on `db`, the others on the helpers at the same time.
  auto in_parts = [&](const std::string& sql, const Param& month, const Param& buckets) {
    std::vector<Status> done(helpers.size());
    std::vector<std::thread> threads;
    for (size_t k = 0; k < helpers.size(); ++k) {
      threads.emplace_back([&, k] {
        done[k] = helpers[k]->Execute(sql, {month, buckets, parts, std::to_string(k + 1)});
      });
    }
    Status s = db.Execute(sql, {month, buckets, parts, "0"});
    for (std::thread& t : threads) t.join();
    for (const Status& d : done) {
      if (s.ok()) s = d;
    }
    return s;
  };
  int64_t hours = 0;
  for (size_t m = 0; m < months.size(); ++m) {
    // The lock keeps loads out of the whole rebuild; the helpers' statements start after it is
    // taken, so they see every quote too. They commit on their own: if this transaction fails,
    // the hours stay pending and are rebuilt again, which gives the same candles.
    ASSIGN_OR_RETURN(Transaction transaction,
                     Transaction::Begin(db, fmt::format("SET LOCAL work_mem = '256MB'; "
                                                        "SELECT pg_advisory_xact_lock({})",
                                                        kCandleLock)));
    ASSIGN_OR_RETURN(Rows taken, db.Query(TakePendingHoursSql(), {months.at(m, 0)}));
    RETURN_IF_ERROR(in_parts(RebuildHoursSql(), months.at(m, 0), taken.at(0, 1)));
    RETURN_IF_ERROR(in_parts(RebuildDaysSql(), months.at(m, 0), taken.at(0, 2)));
    RETURN_IF_ERROR(transaction.Commit());
    hours += std::stoll(taken.text(0, 0));
  }
  return hours;
}

Status MarkHoursPending(Connection& db, const std::set<TimePoint>& hours) {
  if (hours.empty()) return Status::Ok();
  std::string array = "{";
  for (TimePoint h : hours) array += (array.size() > 1 ? "," : "") + FormatIso8601(h);
  return db.Execute("INSERT INTO candles_pending (hour) SELECT unnest($1::timestamptz[])",
                    {array + "}"});
}

Status MarkEveryQuoteHourPending(Connection& db) {
  return db.Execute(fmt::format("INSERT INTO candles_pending (hour) SELECT DISTINCT {} FROM quotes",
                                Bucket("hour", "ts")));
}

Status WriteFoldedCandles(Connection& db, const std::vector<Candle>& hourly,
                          const std::vector<Candle>& daily) {
  if (hourly.empty() && daily.empty()) return Status::Ok();
  auto copy = [](const std::vector<Candle>& candles) {
    std::string out;
    BinaryCopyWriter w(out);
    for (const Candle& c : candles) {
      w.Row(11);
      w.Int8(c.cmc_id);
      w.Text(c.quote_currency);
      w.Timestamptz(c.bucket);
      w.Float8(c.open);
      w.Float8(c.high);
      w.Float8(c.low);
      w.Float8(c.close);
      w.Float8(c.volume_24h);
      w.Int4(static_cast<int32_t>(c.samples));
      w.Timestamptz(c.first_ts);
      w.Timestamptz(c.last_ts);
    }
    w.Finish();
    return out;
  };
  ASSIGN_OR_RETURN(
      Transaction transaction,
      Transaction::Begin(db, fmt::format("SELECT pg_advisory_xact_lock_shared({})", kCandleLock)));
  // Straight into the tables, not merged through a staging table: no other writer adds
  // 'quotes' candles while a rebuild folds (FoldedCandles), and the fold writes each hour and
  // day once, so a row already there is a bug to report, not a candle to merge into.
  for (const auto& [table, candles] :
       {std::pair{"candles_hourly", &hourly}, std::pair{"candles_daily", &daily}}) {
    if (candles->empty()) continue;
    RETURN_IF_ERROR(
        db.CopyIn(fmt::format("COPY {} (cmc_id, quote_currency, bucket, open, high, low, close, "
                              "volume_24h, samples, first_ts, last_ts) FROM STDIN (FORMAT binary)",
                              table),
                  copy(*candles)));
  }
  return transaction.Commit();
}

Status MergePendingAssets(Connection& db) {
  // The pending rows are read and then truncated, not deleted row by row (which wrote every
  // row's deletion to the WAL: half the merge's cost). The lock waits for the loads that
  // appended rows and keeps new ones out until the merge commits, so nothing appended is
  // truncated unmerged; loads that come meanwhile wait a moment. Assets first: asset_names
  // references them.
  ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  RETURN_IF_ERROR(
      db.Execute("LOCK TABLE assets_pending, asset_names_pending IN ACCESS EXCLUSIVE MODE"));
  RETURN_IF_ERROR(db.Execute(MergePendingAssetsSql()));
  RETURN_IF_ERROR(db.Execute(MergePendingAssetNamesSql()));
  RETURN_IF_ERROR(db.Execute("TRUNCATE assets_pending, asset_names_pending"));
  return transaction.Commit();
}

StatusOr<bool> DeferQuoteIndexes(Connection& db) {
  // Checked first without a lock: the function locks quotes exclusively, which would make
  // every incremental reprocess wait for the dashboard's readers.
  ASSIGN_OR_RETURN(Rows candidate, db.Query("SELECT NOT EXISTS (SELECT 1 FROM quotes) "
                                            "OR EXISTS (SELECT 1 FROM quotes_deferred_indexes)"));
  if (candidate.text(0, 0) != "t") return false;
  ASSIGN_OR_RETURN(Rows deferred, db.Query("SELECT coinlake_quotes_defer_indexes()"));
  return deferred.text(0, 0) == "t";
}

StatusOr<std::optional<int64_t>> RestoreQuoteIndexes(Connection& db) {
  ASSIGN_OR_RETURN(Rows pending, db.Query("SELECT EXISTS (SELECT 1 FROM quotes_deferred_indexes)"));
  if (pending.text(0, 0) != "t") return std::optional<int64_t>();
  ASSIGN_OR_RETURN(Rows removed, db.Query("SELECT coinlake_quotes_restore_indexes()"));
  if (!removed.at(0, 0)) return std::optional<int64_t>();  // another run ended it meanwhile
  return std::optional<int64_t>(std::stoll(*removed.at(0, 0)));
}

}  // namespace coinlake::warehouse
