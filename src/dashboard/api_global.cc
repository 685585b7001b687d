// Whole-market history (/global/series) and the quote currencies the database holds
// (/currencies): what the Global page and every page's currency selector read.
#include <fmt/format.h>

#include <algorithm>

#include "dashboard/api.h"
#include "dashboard/api_util.h"
#include "dashboard/json_out.h"
#include "dashboard/time_range.h"

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

// The last figures of each time bucket, read along global_metrics' primary key (ts first).
constexpr const char* kGlobalSeriesSql = R"sql(
    SELECT DISTINCT ON (b) floor(date_part('epoch', ts))::bigint, total_market_cap,
           total_volume_24h, btc_dominance, eth_dominance
    FROM (SELECT floor((date_part('epoch', ts) - $2::float8) / $4::float8) AS b, ts,
                 total_market_cap, total_volume_24h, btc_dominance, eth_dominance
          FROM global_metrics
          WHERE quote_currency = $1
            AND ts >= to_timestamp($2::float8) AND ts <= to_timestamp($3::float8)) x
    ORDER BY b, ts DESC)sql";

}  // namespace

StatusOr<std::string> GlobalSeries(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(int64_t width, params.Int("width", 1, 2000, 500));
  ASSIGN_OR_RETURN(std::string currency, params.Currency());
  // The window ends at the newest figures (they are polled apart from the listings), rounded
  // up to the second the range is counted in so they stay inside it.
  ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(db, params,
                                                   "SELECT max(ts) + interval '999 milliseconds' "
                                                   "FROM global_metrics WHERE quote_currency = $1",
                                                   {currency}));
  RETURN_IF_ERROR(params.Finish());
  if (range.all) {
    ASSIGN_OR_RETURN(warehouse::Rows first,
                     db.Query("SELECT floor(extract(epoch FROM min(ts))) FROM global_metrics "
                              "WHERE quote_currency = $1",
                              {currency}));
    int64_t seconds = range.to - 86400;
    if (first.at(0, 0)) ParseInt(*first.at(0, 0), seconds);
    range.from = std::max(std::min(seconds, range.to - 60), range.to - kMaxRangeSeconds);
  }
  const int64_t bucket = BucketSeconds(range.from, range.to, width);
  RETURN_IF_ERROR(db.Prepare("global_series", kGlobalSeriesSql));
  ASSIGN_OR_RETURN(
      warehouse::Result rows,
      db.ExecPrepared("global_series", {currency, std::to_string(range.from),
                                        std::to_string(range.to), std::to_string(bucket)}));
  std::string body;
  body.reserve(256 + 160 * static_cast<size_t>(rows.rows()));
  JsonOut out(body);
  out.BeginObject().Key("currency").String(currency);
  out.Key("from").TimeSeconds(range.from).Key("to").TimeSeconds(range.to);
  out.Key("bucket_seconds").Int(bucket).Key("count").Int(rows.rows());
  out.Key("points").BeginArray();
  auto number = [&](int r, int c) -> JsonOut& {
    return rows.null(r, c) ? out.Null() : out.Number(rows.value(r, c));
  };
  for (int r = 0; r < rows.rows(); ++r) {
    int64_t seconds = 0;
    ParseInt(std::string(rows.value(r, 0)), seconds);
    out.BeginObject().Key("t").TimeSeconds(seconds).Key("total_market_cap");
    number(r, 1).Key("total_volume_24h");
    number(r, 2).Key("btc_dominance");
    number(r, 3).Key("eth_dominance");
    number(r, 4).EndObject();
  }
  out.EndArray().EndObject();
  return body;
}

StatusOr<json> Currencies(warehouse::Connection& db, QueryParams& params) {
  RETURN_IF_ERROR(params.Finish());
  // Every currency the ETL converts is in each listings snapshot that stored rows: the newest
  // such snapshot, live and backfilled, read off the quotes' (snapshot_ts, quote_currency,
  // cmc_rank) index; and the global metrics of the last day (their primary key leads with ts).
  // Never a scan of quotes.
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT c FROM (
      SELECT DISTINCT quote_currency AS c FROM quotes
      WHERE snapshot_ts IN (
        (SELECT max(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest' AND rows > 0),
        (SELECT max(data_ts) FROM lake_objects
         WHERE endpoint = 'listings_historical' AND rows > 0))
      UNION
      SELECT quote_currency FROM global_metrics
      WHERE ts >= (SELECT max(ts) FROM global_metrics) - interval '1 day') x
    ORDER BY c <> 'USD', c)sql"));
  json list = json::array();
  for (size_t r = 0; r < rows.size(); ++r) list.push_back(rows.text(r, 0));
  // USD is every endpoint's default: offered first when held, else the first one held.
  return json{{"currencies", list},
              {"default", list.empty() ? json("USD") : list.front()},
              {"count", list.size()}};
}

}  // namespace coinlake::dashboard
