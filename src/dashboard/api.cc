#include "dashboard/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

#include "dashboard/api_util.h"
#include "dashboard/json_out.h"
#include "dashboard/params.h"
#include "warehouse/checksum.h"
#include "warehouse/heartbeat.h"

namespace coinlake::dashboard {

using nlohmann::json;

// /latest?ids=: as many coins as a comparison shows, not a second way to page the snapshot.
constexpr size_t kMaxLatestIds = 100;

// The columns /latest sorts by: validated against this list, one statement each.
constexpr std::string_view kLatestSorts[] = {"rank", "market_cap", "price", "volume_24h",
                                             "percent_change_24h"};

StatusOr<json> Health(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
  ASSIGN_OR_RETURN(
      warehouse::Rows rows,
      db.Query(fmt::format("SELECT s.max, extract(epoch FROM now() - s.max) FROM ({}) s(max)",
                           LatestSnapshotSql(has_carried))));
  json out;
  out["status"] = "ok";
  out["database"] = "ok";
  out["version"] = COINLAKE_VERSION;
  out["latest_snapshot"] = TimeOrNull(rows.at(0, 0));
  json age = NumberOrNull(rows.at(0, 1));
  out["snapshot_age_seconds"] = age;
  ASSIGN_OR_RETURN(int64_t interval_seconds, warehouse::EtlListingsIntervalSeconds(db));
  out["stale_after_seconds"] = MissedCyclesSeconds(interval_seconds);
  out["stale"] = age.is_number() && age.get<double>() > MissedCyclesSeconds(interval_seconds);
  return out;
}

StatusOr<LatestQuery> ParseLatestQuery(const std::multimap<std::string, std::string>& params) {
  LatestQuery q;
  bool order_given = false;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      int n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || n < 1 || n > 5000) {
        return InvalidArgumentError("limit must be an integer from 1 to 5000");
      }
      q.limit = n;
    } else if (name == "sort") {
      if (std::find(std::begin(kLatestSorts), std::end(kLatestSorts), value) ==
          std::end(kLatestSorts)) {
        return InvalidArgumentError(
            "sort must be one of rank, market_cap, price, volume_24h, percent_change_24h");
      }
      q.sort = value;
    } else if (name == "order") {
      if (value != "asc" && value != "desc")
        return InvalidArgumentError("order must be asc or desc");
      q.descending = value == "desc";
      order_given = true;
    } else if (name == "currency") {
      if (value.empty() || value.size() > 10 ||
          value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
        return InvalidArgumentError("currency must be an upper-case code such as USD");
      }
      q.currency = value;
    } else if (name == "ids") {
      // A coin ranked below the top N (its asset page asks for it alone).
      const std::multimap<std::string, std::string> one{{name, value}};
      QueryParams ids(one);
      if (!q.ids.empty()) return InvalidArgumentError("ids is given twice");
      ASSIGN_OR_RETURN(q.ids, ids.Ids("ids", kMaxLatestIds));
    } else {
      return InvalidArgumentError(fmt::format("unknown parameter '{}'", name));
    }
  }
  if (!order_given) q.descending = q.sort != "rank";
  return q;
}

namespace {

// The statements GET /latest prepares: by id; the latest snapshot's own rows, and whether it
// carried coins over; and those plus the quotes of the coins it carried over (their quotes are
// stored with the snapshot that was loaded first). The first two for a ledger with migration
// 0011's carried_ids and for one without (no carried coins to ask about); the last needs it.
enum class LatestShape { kByIds, kSnapshot, kSnapshotAndCarried };

// The text of the statement GET /latest prepares, per sort, order, shape and ledger: built once,
// not on every request (the connection prepares each name once; the busiest endpoint).
const std::string& LatestSql(const std::string& sort, bool descending, LatestShape shape,
                             bool has_carried) {
  static const auto* statements = [] {
    auto* out = new std::map<std::tuple<std::string, bool, LatestShape, bool>, std::string>();
    constexpr std::string_view kColumns = R"sql(
    q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price, q.market_cap, q.volume_24h,
    q.percent_change_1h, q.percent_change_24h, q.percent_change_7d, q.circulating_supply, q.ts)sql";
    for (std::string_view sort : kLatestSorts) {
      std::string order_by = sort == "rank" ? "q.cmc_rank" : fmt::format("q.{}", sort);
      for (bool desc : {false, true}) {
        const char* direction = desc ? "DESC" : "ASC";
        for (bool carried : {false, true}) {
          const char* latest = LatestSnapshotSql(carried);
          // A quote belongs to the first snapshot that carried it, so a coin whose quote had
          // not changed is not in the latest snapshot's own rows. Asked for by id, a coin gets
          // its newest quote up to the latest snapshot (within a day: it is still listed),
          // found through the primary key.
          (*out)[{std::string(sort), desc, LatestShape::kByIds, carried}] = fmt::format(
              R"sql(
    SELECT * FROM (
      SELECT DISTINCT ON (q.cmc_id) {0}, s.max
      FROM quotes q JOIN assets a USING (cmc_id), ({1}) s(max)
      WHERE q.cmc_id = ANY($3::bigint[]) AND q.quote_currency = $1
        AND q.ts <= s.max AND q.ts > s.max - interval '1 day'
      ORDER BY q.cmc_id, q.ts DESC) q
    ORDER BY {2} {3} NULLS LAST, q.cmc_id
    LIMIT $2)sql",
              kColumns, latest, order_by, direction);
          // The snapshot's own rows, the top N straight off the index when sorting by rank,
          // and whether it carried coins over: then the last statement runs instead.
          (*out)[{std::string(sort), desc, LatestShape::kSnapshot, carried}] = fmt::format(
              R"sql(
    SELECT {0}, q.snapshot_ts, {4}
    FROM quotes q JOIN assets a USING (cmc_id)
    WHERE q.snapshot_ts = ({1}) AND q.quote_currency = $1
    ORDER BY {2} {3} NULLS LAST, q.cmc_id
    LIMIT $2)sql",
              kColumns, latest, order_by, direction,
              carried ? fmt::format("EXISTS (SELECT 1 FROM lake_objects o WHERE o.endpoint = "
                                    "'listings_latest' AND o.data_ts = ({}) AND o.carried_ids "
                                    "IS NOT NULL)",
                                    latest)
                      : "false");
        }
        // ... and each carried coin's newest quote up to the snapshot: one index probe per
        // carried coin, so run only when the snapshot carried coins (docs/benchmarks.md).
        (*out)[{std::string(sort), desc, LatestShape::kSnapshotAndCarried, true}] = fmt::format(
            R"sql(
    SELECT {0}, ({1}), true
    FROM {4} q JOIN assets a USING (cmc_id)
    ORDER BY {2} {3} NULLS LAST, q.cmc_id
    LIMIT $2)sql",
            kColumns, LatestSnapshotSql(true), order_by, direction,
            LatestSnapshotQuotesSql(1, true));
      }
    }
    return out;
  }();
  return statements->at({sort, descending, shape, has_carried});
}

}  // namespace

StatusOr<std::string> Latest(warehouse::Connection& db, const LatestQuery& query) {
  // One prepared statement per sort, order, shape and ledger; the sort column comes from a fixed
  // list (validated above), never from the request text. The snapshot time comes from the
  // ledger's index as an init plan; the quotes of that snapshot are then read straight off each
  // monthly partition's (snapshot_ts, quote_currency, cmc_rank) index, the top N only when
  // sorting by rank. (A ts range next to it would prune partitions, but PostgreSQL cannot
  // estimate a range between two unknown values and then prefers reading the whole snapshot.)
  ASSIGN_OR_RETURN(bool has_carried, LedgerHasCarriedIds(db));
  auto run = [&](LatestShape shape) -> StatusOr<warehouse::Result> {
    static constexpr const char* kShapeNames[] = {"_ids", "", "_carried"};
    std::string name =
        fmt::format("latest_{}_{}{}{}", query.sort, query.descending ? "desc" : "asc",
                    kShapeNames[static_cast<int>(shape)], has_carried ? "" : "_v10");
    RETURN_IF_ERROR(db.Prepare(name, LatestSql(query.sort, query.descending, shape, has_carried)));
    std::vector<warehouse::Param> values = {query.currency, std::to_string(query.limit)};
    if (shape == LatestShape::kByIds) values.push_back(warehouse::IntArrayLiteral(query.ids));
    return db.ExecPrepared(name, values);
  };
  const bool by_ids = !query.ids.empty();
  ASSIGN_OR_RETURN(warehouse::Result rows,
                   run(by_ids ? LatestShape::kByIds : LatestShape::kSnapshot));
  // A snapshot whose coins were all carried over has no row of its own: only the ledger knows
  // what it listed.
  if (!by_ids && has_carried && (rows.rows() == 0 || rows.value(0, 14) == std::string_view("t"))) {
    ASSIGN_OR_RETURN(rows, run(LatestShape::kSnapshotAndCarried));
  }
  std::string body;
  body.reserve(256 + 400 * static_cast<size_t>(rows.rows()));
  JsonOut out(body);
  out.BeginObject().Key("currency").String(query.currency).Key("snapshot");
  if (rows.rows() > 0) {
    out.Time(rows.value(0, 13));
  } else {
    out.Null();
  }
  out.Key("count").Int(rows.rows()).Key("data").BeginArray();
  auto number = [&](int r, int c) -> JsonOut& {
    return rows.null(r, c) ? out.Null() : out.Number(rows.value(r, c));
  };
  for (int r = 0; r < rows.rows(); ++r) {
    out.BeginObject();
    out.Key("cmc_id").Number(rows.value(r, 0));
    out.Key("symbol").String(rows.value(r, 1));
    out.Key("name").String(rows.value(r, 2));
    out.Key("slug").String(rows.value(r, 3));
    out.Key("rank");
    number(r, 4);
    static constexpr const char* kNumbers[] = {"price",
                                               "market_cap",
                                               "volume_24h",
                                               "percent_change_1h",
                                               "percent_change_24h",
                                               "percent_change_7d",
                                               "circulating_supply"};
    for (int i = 0; i < 7; ++i) {
      out.Key(kNumbers[i]);
      number(r, 5 + i);
    }
    out.Key("last_updated").Time(rows.value(r, 12));
    out.EndObject();
  }
  out.EndArray().EndObject();
  return body;
}

}  // namespace coinlake::dashboard
