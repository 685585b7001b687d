// Market endpoints: asset search, price series, candles, movers, global metrics.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "common/time_util.h"
#include "dashboard/api.h"
#include "dashboard/api_util.h"
#include "dashboard/json_out.h"
#include "dashboard/live_marks.h"
#include "dashboard/time_range.h"
#include "warehouse/schema_version.h"

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

constexpr int64_t kMaxWidth = 2000;
constexpr size_t kMaxSeriesIds = 20;
// candles_hourly.source and candles_daily.source (CMC's own OHLCV bars).
constexpr int kCandleSourceMigration = 14;
constexpr int64_t kMaxPoints = 20000;  // per response, over all series
// A series request reads every quote of its ids in its range: at most this many id-days (20 ids
// over 366 days, 2 over 10 years; about 2 million quotes on the default 5-minute schedule), so
// no request can ask for more than the statement timeout lets the database read.
constexpr int64_t kMaxSeriesIdDays = 20 * 366;

std::string Iso(int64_t seconds) { return FormatIso8601(TimePoint(std::chrono::seconds(seconds))); }

int64_t ToInt(const std::optional<std::string>& text) {
  int64_t n = 0;
  return text && ParseInt(*text, n) ? n : 0;
}

json AssetJson(const warehouse::Rows& rows, size_t r, size_t first_col) {
  return {{"cmc_id", ToInt(rows.at(r, first_col))},
          {"symbol", rows.text(r, first_col + 1)},
          {"name", rows.text(r, first_col + 2)},
          {"slug", rows.text(r, first_col + 3)}};
}

// Escapes LIKE's wildcards so a user's "%" or "_" matches only itself.
std::string LikePrefix(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + '%';
}

// A CSV cell. Text cells (coin names and symbols come from CMC, so from anyone who lists a coin)
// that a spreadsheet would evaluate as a formula, those starting with = + - @ tab or carriage
// return (OWASP, "CSV Injection"), get a leading ' so they read as text; numbers are JSON
// numbers and stay as they are, so -1.5 is still a number. A cell holding a separator (, or the
// ; of some locales), a quote or a line break is quoted, quotes doubled.
std::string CsvField(const json& value) {
  if (value.is_null()) return "";
  if (!value.is_string()) return value.dump();
  const auto& text = value.get_ref<const std::string&>();
  std::string cell =
      !text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos
          ? "'" + text
          : text;
  if (cell.find_first_of(",;\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string CsvLine(const std::vector<json>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += CsvField(fields[i]);
  }
  return line + "\r\n";
}

}  // namespace

int64_t BucketSeconds(int64_t from, int64_t to, int64_t width) {
  return std::max<int64_t>(1, (to - from) / std::max<int64_t>(1, width) + 1);
}

StatusOr<json> Assets(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(auto q, params.Text("q", 64));
  ASSIGN_OR_RETURN(int64_t limit, params.Int("limit", 1, 100, 20));
  bool by_ids = params.Has("ids");
  std::vector<int64_t> ids;
  if (by_ids) {
    ASSIGN_OR_RETURN(ids, params.Ids("ids", 100));
  }
  RETURN_IF_ERROR(params.Finish());
  if (by_ids == q.has_value()) return InvalidArgumentError("give either q or ids");
  warehouse::Rows rows;
  if (by_ids) {
    std::string id_array = fmt::format("{{{}}}", fmt::join(ids, ","));
    ASSIGN_OR_RETURN(rows, db.Query("SELECT cmc_id, symbol, name, slug, last_seen FROM assets "
                                    "WHERE cmc_id = ANY($1::bigint[]) ORDER BY cmc_id",
                                    {id_array}));
  } else {
    // Symbols are not unique: every match is returned with its id, exact symbols first, then
    // the coins seen most recently.
    ASSIGN_OR_RETURN(rows, db.Query(R"sql(
      SELECT cmc_id, symbol, name, slug, last_seen FROM assets
      WHERE lower(symbol) LIKE lower($1) ESCAPE '\' OR lower(name) LIKE lower($1) ESCAPE '\'
         OR lower(slug) LIKE lower($1) ESCAPE '\'
      ORDER BY lower(symbol) = lower($2) DESC, last_seen DESC, cmc_id
      LIMIT $3)sql",
                                    {LikePrefix(*q), *q, std::to_string(limit)}));
  }
  json data = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    json item = AssetJson(rows, r, 0);
    item["last_seen"] = TimeOrNull(rows.at(r, 4));
    data.push_back(std::move(item));
  }
  return json{{"count", data.size()}, {"data", std::move(data)}};
}

// One row per (asset, bucket): the bucket's last sample (time, price, volume, market cap) with
// the bucket's min and max price and sample count, computed by one window over the bucket; the
// asset's names ride along on every row, so one statement answers the whole request. An id
// without data still yields one row (points NULL). The primary key (cmc_id, quote_currency, ts)
// drives the scan and the ts bounds prune the monthly partitions. (OFFSET 0 keeps the names an
// index lookup per id: flattened, the planner hashes the whole assets table.)
constexpr const char* kSeriesSql = R"sql(
    SELECT i.id, a.symbol, a.name, a.slug, p.t, p.epoch, p.price, p.min, p.max, p.volume_24h,
           p.market_cap, p.samples
    FROM unnest($1::bigint[]) WITH ORDINALITY AS i (id, n)
    LEFT JOIN LATERAL (SELECT symbol, name, slug FROM assets WHERE cmc_id = i.id OFFSET 0) a ON true
    LEFT JOIN LATERAL (
      SELECT DISTINCT ON (b) ts AS t, floor(date_part('epoch', ts))::bigint AS epoch, price,
             min(price) OVER w AS min, max(price) OVER w AS max, volume_24h, market_cap,
             count(*) OVER w AS samples
      FROM (SELECT floor((date_part('epoch', ts) - $3::float8) / $5::float8) AS b, ts,
                   price, volume_24h, market_cap
            FROM quotes
            WHERE cmc_id = i.id AND quote_currency = $2
              AND ts >= to_timestamp($3::float8) AND ts <= to_timestamp($4::float8)) x
      WINDOW w AS (PARTITION BY b ORDER BY ts DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
      ORDER BY b, ts DESC) p ON true
    ORDER BY i.n, p.t)sql";

// The same rows from the hourly candles, for long ranges: a month of one-minute quotes is 43,200
// rows per coin, its hourly candles 720, and backfilled history is often hourly anyway. A
// point's time is its candle's last sample (a CMC bar's close), its price the close, min and max
// the lows and highs of its bucket, samples the quotes behind them (0 for CMC's own bars); the
// candles hold no market cap.
constexpr const char* kSeriesHourlySql = R"sql(
    SELECT i.id, a.symbol, a.name, a.slug, p.t, p.epoch, p.price, p.min, p.max, p.volume_24h,
           NULL::float8 AS market_cap, p.samples
    FROM unnest($1::bigint[]) WITH ORDINALITY AS i (id, n)
    LEFT JOIN LATERAL (SELECT symbol, name, slug FROM assets WHERE cmc_id = i.id OFFSET 0) a ON true
    LEFT JOIN LATERAL (
      SELECT DISTINCT ON (b) t, floor(date_part('epoch', t))::bigint AS epoch, price,
             min(low) OVER w AS min, max(high) OVER w AS max, volume_24h,
             sum(samples) OVER w AS samples
      FROM (SELECT floor((date_part('epoch', bucket) - $3::float8) / $5::float8) AS b,
                   last_ts AS t, close AS price, low, high, volume_24h, samples
            FROM candles_hourly
            WHERE cmc_id = i.id AND quote_currency = $2
              AND bucket >= to_timestamp($3::float8) AND bucket <= to_timestamp($4::float8)) x
      WINDOW w AS (PARTITION BY b ORDER BY t DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
      ORDER BY b, t DESC) p ON true
    ORDER BY i.n, p.t)sql";

// Past this span /series reads hourly candles instead of quotes ("interval": "1h").
constexpr int64_t kRawSeriesMaxSeconds = 2 * 86400;

// Whether part of [$1, $2] (epoch seconds) has no quotes partition: retention dropped it
// (docs/database.md, "Retention") or nothing was ever loaded there (an OHLCV backfill gives
// candles without quotes). Quotes cannot answer for such a range; the hourly candles, which are
// kept forever, may. The time after the newest partition is not missing: no quote is there yet
// (the week that has just begun gets its partition with its first load). The ranges come from
// the catalog (migration 21): weekly partitions, and monthly ones of an older database.
constexpr const char* kQuotesRangeMissingSql = R"sql(
    SELECT coalesce(NOT (
             tstzrange(to_timestamp($1::float8),
                       greatest(to_timestamp($1::float8),
                                least(to_timestamp($2::float8) + interval '1 ms', max(range_end))))
             <@ range_agg(tstzrange(range_start, range_end))), true)
    FROM coinlake_quote_partitions())sql";
// The same before migration 21: a partition was a month, named after it.
constexpr const char* kQuotesMonthMissingSql = R"sql(
    SELECT EXISTS (
      SELECT 1
      FROM generate_series(date_trunc('month', to_timestamp($1::float8) AT TIME ZONE 'UTC'),
                           date_trunc('month', to_timestamp($2::float8) AT TIME ZONE 'UTC'),
                           interval '1 month') AS m
      WHERE to_regclass(format('public.quotes_%s', to_char(m, 'YYYY_MM'))) IS NULL))sql";
constexpr int kQuotePartitionRangesMigration = 21;

// The first quote or hourly candle of the ids, whichever is earlier (`range=all`): history whose
// quotes retention dropped still starts the chart.
constexpr const char* kSeriesFirstSql = R"sql(
    SELECT floor(extract(epoch FROM least(
      (SELECT min(ts) FROM quotes WHERE cmc_id = ANY($1::bigint[]) AND quote_currency = $2),
      (SELECT min(bucket) FROM candles_hourly
       WHERE cmc_id = ANY($1::bigint[]) AND quote_currency = $2)))))sql";

// The window's "live_since" and a series' "missing" ranges (live_marks.h).
void LiveSince(JsonOut& out, const LiveMarks& marks) {
  out.Key("live_since");
  if (marks.live_since) {
    out.TimeSeconds(*marks.live_since);
  } else {
    out.Null();
  }
}

void Missing(JsonOut& out, const LiveMarks& marks, int64_t id) {
  out.Key("missing").BeginArray();
  if (auto it = marks.missing.find(id); it != marks.missing.end()) {
    for (const auto& [from, to] : it->second) {
      out.BeginObject().Key("from").TimeSeconds(from).Key("to").TimeSeconds(to).EndObject();
    }
  }
  out.EndArray();
}

StatusOr<std::string> Series(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, params.Ids("ids", kMaxSeriesIds));
  ASSIGN_OR_RETURN(int64_t width, params.Int("width", 1, kMaxWidth, 500));
  if (width * static_cast<int64_t>(ids.size()) > kMaxPoints) {
    return InvalidArgumentError(
        fmt::format("width times the number of ids may be at most {}", kMaxPoints));
  }
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(db, params));
  RETURN_IF_ERROR(params.Finish());
  std::string id_array = fmt::format("{{{}}}", fmt::join(ids, ","));
  if (range.all) {
    ASSIGN_OR_RETURN(warehouse::Rows first, db.Query(kSeriesFirstSql, {id_array, currency}));
    range.from = first.at(0, 0) ? ToInt(first.at(0, 0)) : range.to - 86400;
    range.from = std::max(std::min(range.from, range.to - 60), range.to - kMaxRangeSeconds);
  }
  const int64_t id_seconds = static_cast<int64_t>(ids.size()) * (range.to - range.from);
  if (id_seconds > kMaxSeriesIdDays * 86400) {
    return InvalidArgumentError(fmt::format(
        "ids times range may be at most {} id-days (20 ids over 366 days, 2 over 10 years); this "
        "asks {} ids over {:.1f} days: ask fewer ids or a shorter range",
        kMaxSeriesIdDays, ids.size(), (range.to - range.from) / 86400.0));
  }
  int64_t bucket = BucketSeconds(range.from, range.to, width);
  ASSIGN_OR_RETURN(int64_t interval_seconds, RecentEtlListingsIntervalSeconds(db));
  bool hourly = range.to - range.from > kRawSeriesMaxSeconds;
  if (!hourly) {
    ASSIGN_OR_RETURN(bool has_ranges,
                     warehouse::SchemaHasMigration(db, kQuotePartitionRangesMigration));
    ASSIGN_OR_RETURN(warehouse::Rows missing,
                     db.Query(has_ranges ? kQuotesRangeMissingSql : kQuotesMonthMissingSql,
                              {std::to_string(range.from), std::to_string(range.to)}));
    hourly = missing.text(0, 0) == "t";
  }
  const char* statement = hourly ? "series_1h" : "series";
  RETURN_IF_ERROR(db.Prepare(statement, hourly ? kSeriesHourlySql : kSeriesSql));
  ASSIGN_OR_RETURN(warehouse::Result rows,
                   db.ExecPrepared(statement, {id_array, currency, std::to_string(range.from),
                                               std::to_string(range.to), std::to_string(bucket)}));
  ASSIGN_OR_RETURN(LiveMarks marks,
                   ReadLiveMarks(db, ids, currency, range.from, range.to, interval_seconds));
  std::string body;
  body.reserve(512 + 200 * static_cast<size_t>(rows.rows()));
  JsonOut out(body);
  out.BeginObject().Key("currency").String(currency);
  out.Key("from").TimeSeconds(range.from).Key("to").TimeSeconds(range.to);
  out.Key("bucket_seconds").Int(bucket).Key("width").Int(width);
  out.Key("interval").String(hourly ? "1h" : "raw");
  LiveSince(out, marks);
  out.Key("series").BeginArray();
  auto number = [&](int r, int c) -> JsonOut& {
    return rows.null(r, c) ? out.Null() : out.Number(rows.value(r, c));
  };
  auto text = [&](int r, int c) -> JsonOut& {
    return rows.null(r, c) ? out.Null() : out.String(rows.value(r, c));
  };
  // A gap: consecutive points of live polling further apart than two buckets and than three
  // cycles of the ETL's schedule (with the default 5 minutes: two snapshots missed), or than two
  // hours between hourly candles. Before live polling began the points are whatever history was
  // backfilled (hourly, daily): sparse by nature, not missing.
  const int64_t gap_seconds = std::max<int64_t>(
      {2 * bucket, MissedCyclesSeconds(interval_seconds), hourly ? int64_t{2 * 3600} : 0});
  const int64_t live_since = marks.live_since.value_or(std::numeric_limits<int64_t>::max());
  std::vector<std::pair<int64_t, int64_t>> gaps;
  for (int r = 0; r < rows.rows();) {
    const std::string_view id = rows.value(r, 0);
    out.BeginObject().Key("cmc_id").Number(id);
    out.Key("symbol");
    text(r, 1).Key("name");
    text(r, 2).Key("slug");
    text(r, 3).Key("points").BeginArray();
    gaps.clear();
    int64_t previous = -1;
    for (; r < rows.rows() && rows.value(r, 0) == id; ++r) {
      if (rows.null(r, 4)) continue;  // the asset has no data in the range
      int64_t seconds = 0;
      ParseInt(std::string(rows.value(r, 5)), seconds);
      if (previous >= live_since && seconds - previous > gap_seconds) {
        gaps.emplace_back(previous, seconds);
      }
      previous = seconds;
      out.BeginObject().Key("t").TimeSeconds(seconds).Key("price");
      number(r, 6).Key("min");
      number(r, 7).Key("max");
      number(r, 8).Key("volume_24h");
      number(r, 9).Key("market_cap");
      number(r, 10).Key("samples");
      number(r, 11).EndObject();
    }
    out.EndArray().Key("gaps").BeginArray();
    for (const auto& [from, to] : gaps) {
      out.BeginObject().Key("from").TimeSeconds(from).Key("to").TimeSeconds(to).EndObject();
    }
    out.EndArray();
    int64_t cmc_id = 0;
    ParseInt(std::string(id), cmc_id);
    Missing(out, marks, cmc_id);
    out.EndObject();
  }
  out.EndArray().EndObject();
  return body;
}

StatusOr<json> Candles(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, params.Ids("id", 1));
  ASSIGN_OR_RETURN(std::string interval, params.OneOf("interval", {"1h", "1d"}, "1h"));
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(db, params));
  RETURN_IF_ERROR(params.Finish());
  if (range.all) range.from = 0;
  // Migration 14 marks CMC's own bars; before it every candle was built from quotes.
  ASSIGN_OR_RETURN(bool has_source, warehouse::SchemaHasMigration(db, kCandleSourceMigration));
  // The table name comes from the fixed choice above, never from the request text. At most
  // kMaxWidth candles: the newest ones when the range holds more. Where CMC's bar and coinlake's
  // candle share a bucket, CMC's is shown: it saw every trade (docs/history.md).
  std::string table = interval == "1h" ? "candles_hourly" : "candles_daily";
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query(fmt::format(R"sql(
    SELECT * FROM (
      SELECT DISTINCT ON (bucket) bucket, open, high, low, close, volume_24h, samples, {0} FROM {1}
      WHERE cmc_id = $1 AND quote_currency = $2
        AND bucket >= to_timestamp($3) AND bucket <= to_timestamp($4)
      ORDER BY bucket DESC, {0} <> 'cmc' LIMIT {2}) c
    ORDER BY bucket)sql",
                                        has_source ? "source" : "'quotes'::text", table, kMaxWidth),
                            {std::to_string(ids[0]), currency, std::to_string(range.from),
                             std::to_string(range.to)}));
  json data = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    data.push_back({{"t", TimeOrNull(rows.at(r, 0))},
                    {"open", NumberOrNull(rows.at(r, 1))},
                    {"high", NumberOrNull(rows.at(r, 2))},
                    {"low", NumberOrNull(rows.at(r, 3))},
                    {"close", NumberOrNull(rows.at(r, 4))},
                    {"volume_24h", NumberOrNull(rows.at(r, 5))},
                    {"samples", ToInt(rows.at(r, 6))},
                    {"source", rows.text(r, 7)}});
  }
  // The marks cover what is shown: from the first candle when the range is "all".
  int64_t marks_from = range.from;
  if (range.all && !rows.empty()) {
    if (auto first = rows.time(0, 0)) {
      marks_from = std::chrono::floor<std::chrono::seconds>(*first).time_since_epoch().count();
    }
  }
  ASSIGN_OR_RETURN(int64_t interval_seconds, RecentEtlListingsIntervalSeconds(db));
  ASSIGN_OR_RETURN(LiveMarks marks,
                   ReadLiveMarks(db, ids, currency, marks_from, range.to, interval_seconds));
  json missing = json::array();
  for (const auto& [from, to] : marks.missing[ids[0]]) {
    missing.push_back({{"from", Iso(from)}, {"to", Iso(to)}});
  }
  return json{{"cmc_id", ids[0]},
              {"currency", currency},
              {"interval", interval},
              {"from", range.all ? json(nullptr) : json(Iso(range.from))},
              {"to", Iso(range.to)},
              {"live_since", marks.live_since ? json(Iso(*marks.live_since)) : json(nullptr)},
              {"missing", std::move(missing)},
              {"count", data.size()},
              {"data", std::move(data)}};
}

StatusOr<json> Sparklines(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, params.Ids("ids", 200));
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  RETURN_IF_ERROR(params.Finish());
  std::string id_array = fmt::format("{{{}}}", fmt::join(ids, ","));
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
  ASSIGN_OR_RETURN(bool has_source, warehouse::SchemaHasMigration(db, kCandleSourceMigration));
  // The last 7 days of hourly closes (CMC's bar where both exist) before the latest snapshot, one
  // array per asset. A day without hourly candles (backfilled from daily history or CMC's daily
  // bars only) gives its daily close, so the column is real after any backfill.
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(fmt::format(R"sql(
    WITH snap AS (SELECT coalesce(({0}), now()) AS max),
    closes AS (
      (SELECT DISTINCT ON (c.cmc_id, c.bucket) c.cmc_id, c.bucket, c.close
       FROM candles_hourly c, snap
       WHERE c.cmc_id = ANY($1::bigint[]) AND c.quote_currency = $2
         AND c.bucket > snap.max - interval '7 days' AND c.bucket <= snap.max
       ORDER BY c.cmc_id, c.bucket, {1} <> 'cmc')
      UNION ALL
      (SELECT DISTINCT ON (d.cmc_id, d.bucket) d.cmc_id, d.bucket, d.close
      FROM candles_daily d, snap
      WHERE d.cmc_id = ANY($1::bigint[]) AND d.quote_currency = $2
        AND d.bucket > snap.max - interval '7 days' AND d.bucket <= snap.max
        AND NOT EXISTS (
          SELECT 1 FROM candles_hourly h
          WHERE h.cmc_id = d.cmc_id AND h.quote_currency = d.quote_currency
            AND h.bucket >= d.bucket AND h.bucket < d.bucket + interval '1 day')
      ORDER BY d.cmc_id, d.bucket, {2} <> 'cmc'))
    SELECT cmc_id, json_agg(close ORDER BY bucket) FROM closes GROUP BY cmc_id)sql",
                                                              LatestSnapshotSql(has_carried),
                                                              has_source ? "c.source" : "'quotes'",
                                                              has_source ? "d.source" : "'quotes'"),
                                                  {id_array, currency}));
  json data = json::object();
  for (size_t r = 0; r < rows.size(); ++r) {
    data[rows.text(r, 0)] = json::parse(rows.text(r, 1), nullptr, false);
  }
  return json{{"currency", currency}, {"range", "7d"}, {"interval", "1h"}, {"data", data}};
}

StatusOr<json> Movers(warehouse::Connection& db, QueryParams& params) {
  // CMC's own changes for its windows; any other window is computed from the stored history.
  static const std::map<std::string, std::string> kCmcWindows = {
      {"1h", "percent_change_1h"},   {"24h", "percent_change_24h"}, {"7d", "percent_change_7d"},
      {"30d", "percent_change_30d"}, {"60d", "percent_change_60d"}, {"90d", "percent_change_90d"}};
  ASSIGN_OR_RETURN(auto window_text, params.Text("window", 8));
  std::string window = window_text.value_or("24h");
  ASSIGN_OR_RETURN(int64_t limit, params.Int("limit", 1, 100, 10));
  ASSIGN_OR_RETURN(int64_t universe, params.Int("universe", 1, 5000, 500));
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  RETURN_IF_ERROR(params.Finish());
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
  const std::string snapshot_quotes = LatestSnapshotQuotesSql(1, has_carried);
  auto cmc = kCmcWindows.find(window);
  warehouse::Rows rows;
  if (cmc != kCmcWindows.end()) {
    ASSIGN_OR_RETURN(rows, db.Query(fmt::format(R"sql(
      SELECT q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price, q.{1}
      FROM {0} q JOIN assets a USING (cmc_id)
      WHERE q.cmc_rank <= $2 AND q.{1} IS NOT NULL
      ORDER BY q.{1} DESC, q.cmc_id)sql",
                                                snapshot_quotes, cmc->second),
                                    {currency, std::to_string(universe)}));
  } else {
    std::multimap<std::string, std::string> one{{"window", window}};
    QueryParams duration(one);
    auto seconds = duration.Duration("window", 300, kMaxRangeSeconds);
    if (!seconds.ok()) {
      return InvalidArgumentError(
          "window must be 1h, 24h, 7d, 30d, 60d, 90d or a duration such as 15m, 6h, 3d");
    }
    // The past price is the last one at or before (snapshot - window), if it is not much older.
    ASSIGN_OR_RETURN(rows,
                     db.Query(fmt::format(R"sql(
      WITH snap AS ({0})
      SELECT q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price,
             100 * (q.price / past.price - 1) AS change
      FROM {1} q JOIN assets a USING (cmc_id), snap
      CROSS JOIN LATERAL (
        SELECT p.price FROM quotes p
        WHERE p.cmc_id = q.cmc_id AND p.quote_currency = q.quote_currency
          AND p.ts <= snap.max - make_interval(secs => $3)
          AND p.ts >= snap.max - make_interval(secs => $3 * 1.1 + 900)
        ORDER BY p.ts DESC LIMIT 1) past
      WHERE q.cmc_rank <= $2 AND past.price > 0 AND q.price IS NOT NULL
      ORDER BY change DESC, q.cmc_id)sql",
                                          LatestSnapshotSql(has_carried), snapshot_quotes),
                              {currency, std::to_string(universe), std::to_string(**seconds)}));
  }
  auto item = [&](size_t r) {
    json m = AssetJson(rows, r, 0);
    m["rank"] = NumberOrNull(rows.at(r, 4));
    m["price"] = NumberOrNull(rows.at(r, 5));
    m["percent_change"] = NumberOrNull(rows.at(r, 6));
    return m;
  };
  json gainers = json::array();
  json losers = json::array();
  size_t n = std::min<size_t>(limit, rows.size());
  for (size_t r = 0; r < n; ++r) {
    if (NumberOrNull(rows.at(r, 6)).get<double>() > 0) gainers.push_back(item(r));
  }
  for (size_t r = 0; r < n; ++r) {
    size_t from_end = rows.size() - 1 - r;
    if (NumberOrNull(rows.at(from_end, 6)).get<double>() < 0) losers.push_back(item(from_end));
  }
  return json{{"window", window},
              {"source", cmc != kCmcWindows.end() ? "cmc" : "history"},
              {"currency", currency},
              {"gainers", std::move(gainers)},
              {"losers", std::move(losers)}};
}

StatusOr<json> Global(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  RETURN_IF_ERROR(params.Finish());
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT ts, total_market_cap, total_volume_24h, btc_dominance, eth_dominance,
           active_cryptocurrencies, defi_market_cap, stablecoin_market_cap
    FROM global_metrics WHERE quote_currency = $1 ORDER BY ts DESC LIMIT 1)sql",
                                                  {currency}));
  json out = {{"currency", currency}};
  if (!rows.empty()) {
    out["source"] = "global_metrics";
    out["ts"] = TimeOrNull(rows.at(0, 0));
    out["total_market_cap"] = NumberOrNull(rows.at(0, 1));
    out["total_volume_24h"] = NumberOrNull(rows.at(0, 2));
    out["btc_dominance"] = NumberOrNull(rows.at(0, 3));
    out["eth_dominance"] = NumberOrNull(rows.at(0, 4));
    out["active_cryptocurrencies"] = NumberOrNull(rows.at(0, 5));
    out["defi_market_cap"] = NumberOrNull(rows.at(0, 6));
    out["stablecoin_market_cap"] = NumberOrNull(rows.at(0, 7));
    return out;
  }
  // No global metrics loaded: sum the latest snapshot (only the coins it lists, so "coins"
  // says how many the figures cover). BTC is CMC id 1, ETH 1027.
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
  ASSIGN_OR_RETURN(rows, db.Query(fmt::format(R"sql(
    WITH snap AS ({})
    SELECT snap.max, sum(q.market_cap), sum(q.volume_24h),
           100 * sum(q.market_cap) FILTER (WHERE q.cmc_id = 1) / nullif(sum(q.market_cap), 0),
           100 * sum(q.market_cap) FILTER (WHERE q.cmc_id = 1027) / nullif(sum(q.market_cap), 0),
           count(*)
    FROM {} q, snap
    GROUP BY snap.max)sql",
                                              LatestSnapshotSql(has_carried),
                                              LatestSnapshotQuotesSql(1, has_carried)),
                                  {currency}));
  if (rows.empty()) {
    out["source"] = nullptr;  // no data yet
    return out;
  }
  out["source"] = "computed_from_snapshot";
  out["ts"] = TimeOrNull(rows.at(0, 0));
  out["total_market_cap"] = NumberOrNull(rows.at(0, 1));
  out["total_volume_24h"] = NumberOrNull(rows.at(0, 2));
  out["btc_dominance"] = NumberOrNull(rows.at(0, 3));
  out["eth_dominance"] = NumberOrNull(rows.at(0, 4));
  out["coins"] = ToInt(rows.at(0, 5));
  return out;
}

std::string SeriesCsv(const json& body) {
  std::string out = CsvLine(
      {"cmc_id", "symbol", "t", "price", "min", "max", "volume_24h", "market_cap", "samples"});
  for (const auto& s : body["series"]) {
    for (const auto& p : s["points"]) {
      out += CsvLine({s["cmc_id"], s["symbol"], p["t"], p["price"], p["min"], p["max"],
                      p["volume_24h"], p["market_cap"], p["samples"]});
    }
  }
  return out;
}

std::string CandlesCsv(const json& body) {
  std::string out =
      CsvLine({"cmc_id", "t", "open", "high", "low", "close", "volume_24h", "samples", "source"});
  for (const auto& c : body["data"]) {
    out += CsvLine({body["cmc_id"], c["t"], c["open"], c["high"], c["low"], c["close"],
                    c["volume_24h"], c["samples"], c.value("source", json())});
  }
  return out;
}

std::string LatestCsv(const json& body) {
  std::vector<json> header = {"rank",
                              "cmc_id",
                              "symbol",
                              "name",
                              "slug",
                              "price",
                              "market_cap",
                              "volume_24h",
                              "percent_change_1h",
                              "percent_change_24h",
                              "percent_change_7d",
                              "circulating_supply",
                              "last_updated"};
  std::string out = CsvLine(header);
  for (const auto& q : body["data"]) {
    std::vector<json> fields;
    for (const auto& h : header) fields.push_back(q[h.get<std::string>()]);
    out += CsvLine(fields);
  }
  return out;
}

}  // namespace coinlake::dashboard
