#include "warehouse/loader.h"

#include <fmt/format.h>

#include <algorithm>

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
  INSERT INTO quotes SELECT * FROM staging_quotes ORDER BY cmc_id, quote_currency, ts
  ON CONFLICT DO NOTHING
  RETURNING cmc_id, quote_currency, ts, price, volume_24h
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
SELECT count(*) FROM ins)sql";

// Latest names win; first/last seen widen.
constexpr const char* kUpsertAssets = R"sql(
INSERT INTO assets AS t (cmc_id, symbol, name, slug, date_added, first_seen, last_seen)
SELECT cmc_id, symbol, name, slug, date_added, seen, seen FROM staging_assets ORDER BY cmc_id
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
SELECT cmc_id, symbol, name, slug, seen, seen FROM staging_assets ORDER BY cmc_id
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
  RETURN_IF_ERROR(PrepareStaging());
  LoadResult result;
  if (!payload.rows.empty()) {
    auto [lo, hi] = std::minmax_element(payload.rows.begin(), payload.rows.end(),
                                        [](auto& a, auto& b) { return a.ts < b.ts; });
    // Outside the load transaction: creating a partition locks the parent table briefly.
    RETURN_IF_ERROR(db_.Execute("SELECT coinlake_ensure_quote_partitions($1, $2)",
                                {FormatIso8601(lo->ts), FormatIso8601(hi->ts)}));
  }
  std::string quotes_copy = QuotesCopyText(payload, object.key);
  std::string assets_copy = AssetsCopyText(payload);

  RETURN_IF_ERROR(db_.Begin());
  auto fail = [this](Status s) {
    db_.Rollback();
    return s;
  };
  // The ledger row goes first: a concurrent loader of the same key waits here, then sees it.
  auto inserted = db_.Query(
      "INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows) "
      "VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (key) DO NOTHING RETURNING key",
      {object.key, object.sha256, std::to_string(object.size), object.endpoint,
       FormatIso8601(object.data_ts)});
  if (!inserted.ok()) return fail(inserted.status());
  if (inserted->empty()) {
    auto existing = db_.Query("SELECT sha256 FROM lake_objects WHERE key = $1", {object.key});
    db_.Rollback();
    if (!existing.ok()) return existing.status();
    if (!existing->empty() && existing->text(0, 0) != object.sha256) {
      return DataLossError(
          fmt::format("lake object {} changed after it was loaded (ledger sha256 {}, now {})",
                      object.key, existing->text(0, 0), object.sha256));
    }
    result.already_loaded = true;
    return result;
  }
  Status s =
      db_.CopyIn(fmt::format("COPY staging_quotes ({}) FROM STDIN", kQuoteColumns), quotes_copy);
  if (!s.ok()) return fail(s);
  s = db_.CopyIn("COPY staging_assets FROM STDIN", assets_copy);
  if (!s.ok()) return fail(s);
  auto count = db_.Query(kInsertQuotes);
  if (!count.ok()) return fail(count.status());
  result.rows = std::stoll(count->text(0, 0));
  // Every snapshot touches the same asset rows: upserting them last keeps the time this
  // transaction holds their locks short, so parallel loaders overlap everything before.
  s = db_.Execute(kUpsertAssets);
  if (s.ok()) s = db_.Execute(kUpsertAssetNames);
  if (!s.ok()) return fail(s);
  s = db_.Execute("UPDATE lake_objects SET rows = $2 WHERE key = $1",
                  {object.key, std::to_string(result.rows)});
  if (!s.ok()) return fail(s);
  s = db_.Commit();
  if (!s.ok()) return fail(s);
  return result;
}

}  // namespace coinlake::warehouse
