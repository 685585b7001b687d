#include "cmc/sim_latest.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string>

#include "cmc/plan.h"
#include "cmc/sim_coins.h"
#include "cmc/sim_convert.h"
#include "common/strings.h"

namespace coinlake::cmc::sim {
namespace {

double TotalCap(const std::vector<SimQuote>& quotes) {
  double total = 0;
  for (const SimQuote& q : quotes) total += q.market_cap;
  return total;
}

// A listings sort key: the value a coin is ordered by (names and symbols compare as text).
using NumberKey = std::function<double(const SimQuote&)>;

std::optional<NumberKey> SortKey(const std::string& sort) {
  if (sort == "market_cap" || sort == "market_cap_strict") {
    return [](const SimQuote& q) { return q.market_cap; };
  }
  if (sort == "price") return [](const SimQuote& q) { return q.price; };
  if (sort == "volume_24h") return [](const SimQuote& q) { return q.volume_24h; };
  if (sort == "percent_change_1h") return [](const SimQuote& q) { return q.percent_change_1h; };
  if (sort == "percent_change_24h") {
    return [](const SimQuote& q) { return q.percent_change_24h; };
  }
  if (sort == "percent_change_7d") return [](const SimQuote& q) { return q.percent_change_7d; };
  if (sort == "circulating_supply") {
    return [](const SimQuote& q) { return q.circulating_supply; };
  }
  if (sort == "total_supply") return [](const SimQuote& q) { return q.total_supply; };
  if (sort == "max_supply") {
    return [](const SimQuote& q) { return q.coin->max_supply.value_or(-1.0); };
  }
  if (sort == "num_market_pairs") {
    return [](const SimQuote& q) { return static_cast<double>(q.coin->num_market_pairs); };
  }
  if (sort == "date_added") {
    return [](const SimQuote& q) {
      return static_cast<double>(q.coin->date_added.time_since_epoch().count());
    };
  }
  if (sort == "market_cap_by_total_supply_strict") {
    return [](const SimQuote& q) { return q.price * q.total_supply; };
  }
  return std::nullopt;
}

// One min/max filter of listings: the parameter pair and the value it bounds.
struct Filter {
  const char* min;
  const char* max;
  NumberKey value;
  std::optional<double> lo, hi;
};

}  // namespace

std::optional<int64_t> Listings(const httplib::Request& req, httplib::Response& res,
                                SimMarket& market, TimePoint now, Json& body) {
  int64_t start = 1, limit = 100;
  std::string sort, sort_dir, type;
  if (!PageParams(req, 5000, &start, &limit, res) ||
      !ChoiceParam(req, "sort",
                   {"market_cap", "market_cap_strict", "name", "symbol", "date_added", "price",
                    "circulating_supply", "total_supply", "max_supply", "num_market_pairs",
                    "volume_24h", "percent_change_1h", "percent_change_24h", "percent_change_7d",
                    "market_cap_by_total_supply_strict"},
                   "market_cap", &sort, res) ||
      !ChoiceParam(req, "cryptocurrency_type", {"all", "coins", "tokens"}, "all", &type, res)) {
    return std::nullopt;
  }
  const bool text_sort = sort == "name" || sort == "symbol";
  if (!ChoiceParam(req, "sort_dir", {"asc", "desc"}, text_sort ? "asc" : "desc", &sort_dir, res)) {
    return std::nullopt;
  }
  std::vector<Filter> filters = {
      {"price_min", "price_max", [](const SimQuote& q) { return q.price; }},
      {"market_cap_min", "market_cap_max", [](const SimQuote& q) { return q.market_cap; }},
      {"volume_24h_min", "volume_24h_max", [](const SimQuote& q) { return q.volume_24h; }},
      {"circulating_supply_min", "circulating_supply_max",
       [](const SimQuote& q) { return q.circulating_supply; }},
      {"percent_change_24h_min", "percent_change_24h_max",
       [](const SimQuote& q) { return q.percent_change_24h; }},
  };
  for (Filter& f : filters) {
    const bool signed_value = std::string_view(f.min).starts_with("percent_change");
    if (!NumberParam(req, f.min, &f.lo, res, signed_value) ||
        !NumberParam(req, f.max, &f.hi, res, signed_value)) {
      return std::nullopt;
    }
  }
  std::vector<SimQuote> quotes = market.Snapshot(now);
  std::optional<std::vector<Currency>> converts = Converts(req, quotes, res);
  if (!converts) return std::nullopt;
  const double total_cap = TotalCap(quotes);
  // Positions in `quotes` (the market-cap rank) of the coins that pass the filters.
  std::vector<size_t> order;
  for (size_t i = 0; i < quotes.size(); ++i) {
    const SimQuote& q = quotes[i];
    if ((type == "coins" && IsToken(*q.coin)) || (type == "tokens" && !IsToken(*q.coin))) continue;
    bool pass = true;
    for (const Filter& f : filters) {
      double v = f.value(q);
      if ((f.lo && v < *f.lo) || (f.hi && v > *f.hi)) pass = false;
    }
    if (pass) order.push_back(i);
  }
  const bool asc = sort_dir == "asc";
  if (text_sort) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const std::string& x = sort == "name" ? quotes[a].coin->name : quotes[a].coin->symbol;
      const std::string& y = sort == "name" ? quotes[b].coin->name : quotes[b].coin->symbol;
      return asc ? x < y : y < x;
    });
  } else {
    NumberKey key = *SortKey(sort);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return asc ? key(quotes[a]) < key(quotes[b]) : key(quotes[b]) < key(quotes[a]);
    });
  }
  Json data = Json::array();
  for (int64_t n = start - 1; n < static_cast<int64_t>(order.size()) && n < start - 1 + limit;
       ++n) {
    size_t i = order[n];
    data.push_back(CoinJson(quotes[i], static_cast<int64_t>(i + 1), total_cap, *converts,
                            CoinStyle::kListings));
  }
  int64_t credits =
      ListingsCredits(static_cast<int>(data.size()), static_cast<int>(converts->size()));
  body["data"] = std::move(data);
  body["total_count"] = static_cast<int64_t>(order.size());
  return credits;
}

std::optional<int64_t> Quotes(const httplib::Request& req, httplib::Response& res,
                              SimMarket& market, TimePoint now, Json& body, int version) {
  std::string by = req.has_param("id")       ? "id"
                   : req.has_param("slug")   ? "slug"
                   : req.has_param("symbol") ? "symbol"
                                             : "";
  if (by.empty()) {
    SendError(res, 400, 400, "\"value\" must contain at least one of [id, symbol, slug]");
    return std::nullopt;
  }
  // v1 answers 400 for an unknown coin unless told to skip it; v2 skips it unless told not to.
  const std::string skip = req.get_param_value("skip_invalid");
  const bool skip_invalid = version == 1 ? skip == "true" : skip != "false";
  std::vector<std::string> wanted = SplitCommaList(req.get_param_value(by.c_str()));
  std::vector<SimQuote> quotes = market.Snapshot(now);
  std::optional<std::vector<Currency>> converts = Converts(req, quotes, res);
  if (!converts) return std::nullopt;
  const double total_cap = TotalCap(quotes);
  const CoinStyle style = version == 1 ? CoinStyle::kQuotesV1 : CoinStyle::kQuotesV2;
  Json data = Json::object();
  int64_t coins = 0;
  for (const std::string& w : wanted) {
    bool found = false;
    for (size_t i = 0; i < quotes.size(); ++i) {
      const SimCoin& c = *quotes[i].coin;
      bool match = by == "id"     ? std::to_string(c.id) == w
                   : by == "slug" ? c.slug == w
                                  : c.symbol == w;
      if (!match) continue;
      found = true;
      ++coins;
      Json coin = CoinJson(quotes[i], static_cast<int64_t>(i + 1), total_cap, *converts, style);
      if (by == "symbol" && version == 2) {
        data[w].push_back(std::move(coin));
        continue;
      }
      data[by == "symbol" ? w : std::to_string(c.id)] = std::move(coin);
      break;
    }
    if (!found && !skip_invalid) {
      SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", by, w));
      return std::nullopt;
    }
  }
  body["data"] = std::move(data);
  return QuotesCredits(static_cast<int>(coins), static_cast<int>(converts->size()));
}

std::optional<int64_t> GlobalMetrics(const httplib::Request& req, httplib::Response& res,
                                     SimMarket& market, TimePoint now, Json& body) {
  TimePoint updated;
  double cap = 0, volume = 0, btc = 0, eth = 0, btc_volume = 0, stable = 0;
  int64_t tokens = 0;
  std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
  std::optional<std::vector<Currency>> converts = Converts(req, quotes, res);
  if (!converts) return std::nullopt;
  for (const SimQuote& q : quotes) {
    cap += q.market_cap;
    volume += q.volume_24h;
    if (IsToken(*q.coin)) ++tokens;
    if (q.coin->id == 1) btc = q.market_cap, btc_volume = q.volume_24h;
    if (q.coin->id == 1027) eth = q.market_cap;
    if (q.coin->id == 825 || q.coin->id == 3408 || q.coin->id == 19714) stable += q.market_cap;
  }
  // The figures the market does not model are fixed shares of what it does: DeFi 3% of the
  // cap, derivatives ten times spot volume, "reported" volumes six times the adjusted ones.
  // Yesterday's figures are the market's own, a day back.
  SimMarket::Totals yesterday = market.TotalsAt(now - std::chrono::hours(24));
  if (yesterday.market_cap <= 0) {  // the market's first day: no yesterday to compare with
    yesterday = {cap, volume, btc, btc_volume, eth, static_cast<int64_t>(quotes.size())};
  }
  const double volume_yesterday = yesterday.volume_24h;
  const double pct_volume = (volume / volume_yesterday - 1) * 100;
  const double cap_yesterday = yesterday.market_cap;
  const double btc_yesterday = yesterday.btc_market_cap;
  const double eth_yesterday = yesterday.eth_market_cap;
  const int64_t active = static_cast<int64_t>(quotes.size());  // the coins existing now
  Json d;
  d["btc_dominance"] = btc / cap * 100;
  d["eth_dominance"] = eth / cap * 100;
  d["active_cryptocurrencies"] = active;
  d["total_cryptocurrencies"] = active * 4;
  d["active_market_pairs"] = active * 12;
  d["active_exchanges"] = 780;
  d["total_exchanges"] = 11000;
  d["eth_dominance_yesterday"] = eth_yesterday / cap_yesterday * 100;
  d["btc_dominance_yesterday"] = btc_yesterday / cap_yesterday * 100;
  d["eth_dominance_24h_percentage_change"] =
      d["eth_dominance"].get<double>() - d["eth_dominance_yesterday"].get<double>();
  d["btc_dominance_24h_percentage_change"] =
      d["btc_dominance"].get<double>() - d["btc_dominance_yesterday"].get<double>();
  d["defi_volume_24h"] = volume * 0.15;
  d["defi_volume_24h_reported"] = volume * 0.15 * 6;
  d["defi_market_cap"] = cap * 0.03;
  d["defi_24h_percentage_change"] = pct_volume;
  d["stablecoin_volume_24h"] = volume * 0.6;
  d["stablecoin_volume_24h_reported"] = volume * 0.6 * 6;
  d["stablecoin_market_cap"] = stable;
  d["stablecoin_24h_percentage_change"] = pct_volume;
  d["derivatives_volume_24h"] = volume * 10;
  d["derivatives_volume_24h_reported"] = volume * 10 * 1.04;
  d["derivatives_24h_percentage_change"] = pct_volume;
  d["total_crypto_dex_currencies"] = tokens * 1000;
  d["today_incremental_crypto_number"] = 0;
  d["past_24h_incremental_crypto_number"] = tokens * 2;
  d["past_7d_incremental_crypto_number"] = tokens * 14;
  d["past_30d_incremental_crypto_number"] = tokens * 60;
  d["today_change_percent"] = 0.0;
  auto today = std::chrono::floor<std::chrono::days>(updated);
  d["tracked_yearly_number"] = {
      {"maxIncrementalNumber", tokens * 5},
      {"minIncrementalNumber", tokens / 100},
      {"maxIncrementalDate", FormatIso8601(TimePoint(today - std::chrono::days(200)))},
      {"minIncrementalDate", FormatIso8601(TimePoint(today))}};
  d["last_updated"] = FormatIso8601(updated);
  for (const Currency& cur : *converts) {
    const double f = cur.per_usd;
    Json q;
    q["total_market_cap"] = cap * f;
    q["total_volume_24h"] = volume * f;
    q["total_volume_24h_reported"] = volume * 6 * f;
    q["altcoin_volume_24h"] = (volume - btc_volume) * f;
    q["altcoin_volume_24h_reported"] = (volume - btc_volume) * 6 * f;
    q["altcoin_market_cap"] = (cap - btc) * f;
    q["defi_volume_24h"] = volume * 0.15 * f;
    q["defi_market_cap"] = cap * 0.03 * f;
    q["defi_volume_24h_reported"] = volume * 0.15 * 6 * f;
    q["defi_24h_percentage_change"] = pct_volume;
    q["stablecoin_volume_24h"] = volume * 0.6 * f;
    q["stablecoin_volume_24h_reported"] = volume * 0.6 * 6 * f;
    q["stablecoin_market_cap"] = stable * f;
    q["stablecoin_24h_percentage_change"] = pct_volume;
    q["derivatives_volume_24h"] = volume * 10 * f;
    q["derivatives_volume_24h_reported"] = volume * 10 * 1.04 * f;
    q["derivatives_24h_percentage_change"] = pct_volume;
    q["total_market_cap_yesterday"] = cap_yesterday * f;
    q["total_volume_24h_yesterday"] = volume_yesterday * f;
    q["total_market_cap_yesterday_percentage_change"] = (cap / cap_yesterday - 1) * 100;
    q["total_volume_24h_yesterday_percentage_change"] = pct_volume;
    q["last_updated"] = FormatIso8601(updated);
    d["quote"][cur.key] = std::move(q);
  }
  body["data"] = std::move(d);
  return GlobalMetricsCredits(static_cast<int>(converts->size()));
}

}  // namespace coinlake::cmc::sim
