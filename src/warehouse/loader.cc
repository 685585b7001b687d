#include "warehouse/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "common/log.h"
#include "warehouse/copy_format.h"

namespace coinlake::warehouse {
namespace {

constexpr std::string_view kQuoteColumns =
    "cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h, volume_change_24h, "
    "market_cap, market_cap_dominance, fully_diluted_market_cap, percent_change_1h, "
    "percent_change_24h, percent_change_7d, percent_change_30d, percent_change_60d, "
    "percent_change_90d, circulating_supply, total_supply, max_supply, num_market_pairs, lake_key";

std::string QuotesCopyText(const cmc::QuotesPayload& payload, const std::string& key) {
  std::string out;
  out.reserve(payload.rows.size() * 320);
  CopyRowWriter w(out);
  for (const cmc::QuoteRow& r : payload.rows) {
    w.Int(r.cmc_id);
    w.Text(r.quote_currency);
    w.Time(r.ts);
    w.Time(payload.status.timestamp);
    w.OptionalInt(r.cmc_rank);
    w.Double(r.price);
    w.Double(r.volume_24h);
    w.Double(r.volume_change_24h);
    w.Double(r.market_cap);
    w.Double(r.market_cap_dominance);
    w.Double(r.fully_diluted_market_cap);
    w.Double(r.percent_change_1h);
    w.Double(r.percent_change_24h);
    w.Double(r.percent_change_7d);
    w.Double(r.percent_change_30d);
    w.Double(r.percent_change_60d);
    w.Double(r.percent_change_90d);
    w.Double(r.circulating_supply);
    w.Double(r.total_supply);
    w.Double(r.max_supply);
    w.OptionalInt(r.num_market_pairs);
    w.Text(key);
    w.End();
  }
  return out;
}

std::string AssetsCopyText(const cmc::QuotesPayload& payload) {
  std::string out;
  CopyRowWriter w(out);
  int64_t previous = -1;
  std::vector<const cmc::QuoteRow*> coins;
  for (const cmc::QuoteRow& r : payload.rows) coins.push_back(&r);
  // Sorted by id, so concurrent loaders lock asset rows in the same order (no deadlocks).
  std::sort(coins.begin(), coins.end(), [](auto* a, auto* b) { return a->cmc_id < b->cmc_id; });
  for (const cmc::QuoteRow* r : coins) {
    if (r->cmc_id == previous) continue;  // one row per coin, whatever the currencies
    previous = r->cmc_id;
    w.Int(r->cmc_id);
    w.Text(r->symbol);
    w.Text(r->name);
    w.Text(r->slug);
    w.OptionalTime(r->date_added);
    w.Time(payload.status.timestamp);
    w.End();
  }
  return out;
}

// Inserts the staged quotes and merges the newly inserted ones into the candles, in one
// statement; returns how many quotes were new. Quotes already present (a replay of an older
// object, or overlapping snapshots) are skipped and leave the candles alone.
constexpr const char* kInsertQuotes = R"sql(
WITH ins AS (
  INSERT INTO quotes SELECT * FROM staging_quotes
  ORDER BY cmc_id, quote_currency, ts, snapshot_ts  -- the earliest snapshot of a quote wins
  ON CONFLICT DO NOTHING
  RETURNING cmc_id, quote_currency, ts, price, volume_24h, lake_key
), hourly AS (
  INSERT INTO candles_hourly AS c
  SELECT cmc_id, quote_currency, date_trunc('hour', ts, 'UTC'),
         (array_agg(price ORDER BY ts))[1], max(price), min(price),
         (array_agg(price ORDER BY ts DESC))[1], (array_agg(volume_24h ORDER BY ts DESC))[1],
         count(*), min(ts), max(ts)
  FROM ins WHERE price IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (cmc_id, quote_currency, bucket) DO UPDATE SET
    open = CASE WHEN excluded.first_ts < c.first_ts THEN excluded.open ELSE c.open END,
    high = greatest(c.high, excluded.high),
    low = least(c.low, excluded.low),
    close = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.close ELSE c.close END,
    volume_24h = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.volume_24h ELSE c.volume_24h END,
    samples = c.samples + excluded.samples,
    first_ts = least(c.first_ts, excluded.first_ts),
    last_ts = greatest(c.last_ts, excluded.last_ts)
), daily AS (
  INSERT INTO candles_daily AS c
  SELECT cmc_id, quote_currency, date_trunc('day', ts, 'UTC'),
         (array_agg(price ORDER BY ts))[1], max(price), min(price),
         (array_agg(price ORDER BY ts DESC))[1], (array_agg(volume_24h ORDER BY ts DESC))[1],
         count(*), min(ts), max(ts)
  FROM ins WHERE price IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (cmc_id, quote_currency, bucket) DO UPDATE SET
    open = CASE WHEN excluded.first_ts < c.first_ts THEN excluded.open ELSE c.open END,
    high = greatest(c.high, excluded.high),
    low = least(c.low, excluded.low),
    close = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.close ELSE c.close END,
    volume_24h = CASE WHEN excluded.last_ts > c.last_ts THEN excluded.volume_24h ELSE c.volume_24h END,
    samples = c.samples + excluded.samples,
    first_ts = least(c.first_ts, excluded.first_ts),
    last_ts = greatest(c.last_ts, excluded.last_ts)
)
SELECT lake_key, count(*) FROM ins GROUP BY lake_key)sql";

// Latest names win; first/last seen widen. A batch stages a coin once per snapshot: it is
// folded to one row first (the latest names, the latest known date_added, the seen range).
constexpr const char* kUpsertAssets = R"sql(
INSERT INTO assets AS t (cmc_id, symbol, name, slug, date_added, first_seen, last_seen)
SELECT DISTINCT ON (cmc_id) cmc_id, symbol, name, slug,
       first_value(date_added) OVER (PARTITION BY cmc_id ORDER BY date_added IS NULL, seen DESC),
       min(seen) OVER (PARTITION BY cmc_id), max(seen) OVER (PARTITION BY cmc_id)
FROM staging_assets ORDER BY cmc_id, seen DESC
ON CONFLICT (cmc_id) DO UPDATE SET
  symbol = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.symbol ELSE t.symbol END,
  name = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.name ELSE t.name END,
  slug = CASE WHEN excluded.last_seen >= t.last_seen THEN excluded.slug ELSE t.slug END,
  date_added = coalesce(excluded.date_added, t.date_added),
  first_seen = least(t.first_seen, excluded.first_seen),
  last_seen = greatest(t.last_seen, excluded.last_seen))sql";

// Every (symbol, name, slug) a coin carried stays, with when it was seen.
constexpr const char* kUpsertAssetNames = R"sql(
INSERT INTO asset_names AS n (cmc_id, symbol, name, slug, first_seen, last_seen)
SELECT cmc_id, symbol, name, slug, min(seen), max(seen) FROM staging_assets
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (cmc_id, symbol, name, slug) DO UPDATE SET
  first_seen = least(n.first_seen, excluded.first_seen),
  last_seen = greatest(n.last_seen, excluded.last_seen))sql";

}  // namespace

Status Loader::PrepareStaging() {
  if (staging_ready_) return Status::Ok();
  RETURN_IF_ERROR(db_.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_quotes (LIKE quotes) ON COMMIT DELETE ROWS"));
  RETURN_IF_ERROR(db_.Execute(
      "CREATE TEMP TABLE IF NOT EXISTS staging_assets (cmc_id bigint, symbol text, name text, "
      "slug text, date_added timestamptz, seen timestamptz) ON COMMIT DELETE ROWS"));
  staging_ready_ = true;
  return Status::Ok();
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

  RETURN_IF_ERROR(db_.Begin());
  auto fail = [this](Status s) {
    db_.Rollback();
    return s;
  };
  // The ledger rows go first: a concurrent loader of the same key waits here, then sees it.
  std::string quotes_copy, assets_copy;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) {
    const LakeObjectRef& object = items[i].object;
    auto inserted = db_.Query(
        "INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) "
        "VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (key) DO NOTHING RETURNING key",
        {object.key, object.sha256, std::to_string(object.size), object.endpoint,
         FormatIso8601(object.data_ts)});
    if (!inserted.ok()) return fail(inserted.status());
    if (inserted->empty()) {
      auto existing = db_.Query("SELECT sha256 FROM lake_objects WHERE key = $1", {object.key});
      if (!existing.ok()) return fail(existing.status());
      if (!existing->empty() && existing->text(0, 0) != object.sha256) {
        return fail(DataLossError(
            fmt::format("lake object {} changed after it was loaded (ledger sha256 {}, now {})",
                        object.key, existing->text(0, 0), object.sha256)));
      }
      results[i].already_loaded = true;
      continue;
    }
    index[object.key] = i;
    quotes_copy += QuotesCopyText(*items[i].payload, object.key);
    assets_copy += AssetsCopyText(*items[i].payload);
  }
  if (index.empty()) {
    db_.Rollback();
    return results;
  }
  Status s =
      db_.CopyIn(fmt::format("COPY staging_quotes ({}) FROM STDIN", kQuoteColumns), quotes_copy);
  if (!s.ok()) return fail(s);
  s = db_.CopyIn("COPY staging_assets FROM STDIN", assets_copy);
  if (!s.ok()) return fail(s);
  auto counts = db_.Query(kInsertQuotes);
  if (!counts.ok()) return fail(counts.status());
  for (size_t r = 0; r < counts->size(); ++r) {
    auto it = index.find(counts->text(r, 0));
    if (it == index.end()) continue;
    LoadResult& result = results[it->second];
    result.rows = std::stoll(counts->text(r, 1));
    s = db_.Execute("UPDATE lake_objects SET rows = $2 WHERE key = $1",
                    {it->first, std::to_string(result.rows)});
    if (!s.ok()) return fail(s);
  }
  // Every snapshot touches the same asset rows: upserting them last keeps the time this
  // transaction holds their locks short, so parallel loaders overlap everything before.
  s = db_.Execute(kUpsertAssets);
  if (s.ok()) s = db_.Execute(kUpsertAssetNames);
  if (s.ok()) s = db_.Commit();
  if (!s.ok()) return fail(s);
  return results;
}

}  // namespace coinlake::warehouse
