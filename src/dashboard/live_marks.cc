#include "dashboard/live_marks.h"

#include <fmt/format.h>

#include "dashboard/params.h"

namespace coinlake::dashboard {
namespace {

// The window is clipped to [live start, min(to, now)]; its ends are widened to the listings
// snapshots around them (so a hole that began before the window is measured whole), the holes
// between consecutive snapshots longer than $5 seconds are kept, clipped back to the window,
// and kept per asset only where it has no quote. A quote stored by a live listings snapshot
// does not count: such a quote inside a hole can only be a coin's older last_updated carried
// into the snapshot that ended the hole, not data of the hole. Each min/max is one probe of the
// ledger's (endpoint, data_ts) index, one per endpoint (an IN list would defeat it). The quote
// check is a scalar subquery, not NOT EXISTS: the planner may turn NOT EXISTS into an anti join
// that reads every partition of quotes; a correlated subplan probes the primary key per hole.
constexpr const char* kLiveMarksSql = R"sql(
    WITH live AS (
      SELECT least((SELECT min(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest'),
                   (SELECT min(data_ts) FROM lake_objects WHERE endpoint = 'quotes_latest'))
             AS since),
    w AS (
      SELECT greatest(to_timestamp($3::float8), since) AS lo,
             least(to_timestamp($4::float8), now()) AS hi
      FROM live WHERE since IS NOT NULL),
    b AS (
      SELECT lo, hi,
        coalesce(greatest(
          (SELECT max(data_ts) FROM lake_objects
           WHERE endpoint = 'listings_latest' AND data_ts <= lo),
          (SELECT max(data_ts) FROM lake_objects
           WHERE endpoint = 'listings_historical' AND data_ts <= lo)), lo) AS first,
        coalesce(least(
          (SELECT min(data_ts) FROM lake_objects
           WHERE endpoint = 'listings_latest' AND data_ts >= hi),
          (SELECT min(data_ts) FROM lake_objects
           WHERE endpoint = 'listings_historical' AND data_ts >= hi)), hi) AS last
      FROM w WHERE lo < hi),
    pts AS (
      SELECT first AS t FROM b
      UNION ALL SELECT last FROM b
      UNION ALL
      SELECT o.data_ts FROM lake_objects o, b
      WHERE o.endpoint IN ('listings_latest', 'listings_historical')
        AND o.data_ts > b.first AND o.data_ts < b.last),
    holes AS (
      SELECT greatest(s.a, b.lo) AS a, least(s.z, b.hi) AS z
      FROM (SELECT lag(t) OVER (ORDER BY t) AS a, t AS z FROM pts) s, b
      WHERE s.z - s.a > make_interval(secs => $5::float8))
    SELECT NULL::bigint AS id, floor(extract(epoch FROM since))::bigint AS a, NULL::bigint AS z
    FROM live
    UNION ALL
    SELECT i.id, floor(extract(epoch FROM h.a))::bigint, ceil(extract(epoch FROM h.z))::bigint
    FROM holes h, unnest($1::bigint[]) AS i (id)
    WHERE h.a < h.z AND (
      SELECT 1 FROM quotes q JOIN lake_objects l ON l.id = q.lake_object_id
      WHERE q.cmc_id = i.id AND q.quote_currency = $2 AND q.ts > h.a AND q.ts < h.z
        AND l.endpoint <> 'listings_latest'
      LIMIT 1) IS NULL
    ORDER BY 1 NULLS FIRST, 2)sql";

}  // namespace

StatusOr<LiveMarks> ReadLiveMarks(warehouse::Connection& db, const std::vector<int64_t>& ids,
                                  const std::string& currency, int64_t from, int64_t to,
                                  int64_t interval_seconds) {
  RETURN_IF_ERROR(db.Prepare("live_marks", kLiveMarksSql));
  ASSIGN_OR_RETURN(
      warehouse::Result rows,
      db.ExecPrepared("live_marks",
                      {fmt::format("{{{}}}", fmt::join(ids, ",")), currency, std::to_string(from),
                       std::to_string(to), std::to_string(2 * interval_seconds)}));
  LiveMarks marks;
  auto integer = [&](int r, int c) {
    int64_t n = 0;
    ParseInt(std::string(rows.value(r, c)), n);
    return n;
  };
  for (int r = 0; r < rows.rows(); ++r) {
    if (rows.null(r, 0)) {
      if (!rows.null(r, 1)) marks.live_since = integer(r, 1);
      continue;
    }
    marks.missing[integer(r, 0)].emplace_back(integer(r, 1), integer(r, 2));
  }
  return marks;
}

}  // namespace coinlake::dashboard
