#include "dashboard/api.h"

#include <fmt/format.h>

#include <charconv>

#include "dashboard/api_util.h"

namespace coinlake::dashboard {

using nlohmann::json;

StatusOr<json> Health(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query(fmt::format("SELECT ({}), extract(epoch FROM now() - ({}))",
                                        kLatestSnapshot, kLatestSnapshot)));
  json out;
  out["status"] = "ok";
  out["database"] = "ok";
  out["version"] = COINLAKE_VERSION;
  out["latest_snapshot"] = TimeOrNull(rows.at(0, 0));
  out["snapshot_age_seconds"] = NumberOrNull(rows.at(0, 1));
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
      if (value != "rank" && value != "market_cap" && value != "price" && value != "volume_24h" &&
          value != "percent_change_24h") {
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
    } else {
      return InvalidArgumentError(fmt::format("unknown parameter '{}'", name));
    }
  }
  if (!order_given) q.descending = q.sort != "rank";
  return q;
}

StatusOr<json> Latest(warehouse::Connection& db, const LatestQuery& query) {
  // The sort column comes from a fixed list (validated above), never from the request text.
  std::string order_by = query.sort == "rank" ? "q.cmc_rank" : "q." + query.sort;
  std::string sql = fmt::format(R"sql(
    WITH snap AS ({})
    SELECT q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price, q.market_cap,
           q.volume_24h, q.percent_change_1h, q.percent_change_24h, q.percent_change_7d,
           q.circulating_supply, q.ts, q.snapshot_ts
    FROM quotes q JOIN assets a USING (cmc_id), snap
    WHERE q.snapshot_ts = snap.max AND q.quote_currency = $1
      AND q.ts > snap.max - interval '1 day' AND q.ts <= snap.max
    ORDER BY {} {} NULLS LAST, q.cmc_id
    LIMIT $2)sql",
                                kLatestSnapshot, order_by, query.descending ? "DESC" : "ASC");
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query(sql, {query.currency, std::to_string(query.limit)}));
  json out;
  out["currency"] = query.currency;
  out["snapshot"] = nullptr;
  json items = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    json item;
    item["cmc_id"] = std::stoll(rows.text(r, 0));
    item["symbol"] = rows.text(r, 1);
    item["name"] = rows.text(r, 2);
    item["slug"] = rows.text(r, 3);
    item["rank"] = NumberOrNull(rows.at(r, 4));
    item["price"] = NumberOrNull(rows.at(r, 5));
    item["market_cap"] = NumberOrNull(rows.at(r, 6));
    item["volume_24h"] = NumberOrNull(rows.at(r, 7));
    item["percent_change_1h"] = NumberOrNull(rows.at(r, 8));
    item["percent_change_24h"] = NumberOrNull(rows.at(r, 9));
    item["percent_change_7d"] = NumberOrNull(rows.at(r, 10));
    item["circulating_supply"] = NumberOrNull(rows.at(r, 11));
    item["last_updated"] = TimeOrNull(rows.at(r, 12));
    out["snapshot"] = TimeOrNull(rows.at(r, 13));
    items.push_back(std::move(item));
  }
  out["count"] = items.size();
  out["data"] = std::move(items);
  return out;
}

}  // namespace coinlake::dashboard
