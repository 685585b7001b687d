#include "cmc/sim_historical.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cmc/sim_convert.h"
#include "cmc/sim_history_params.h"

namespace coinlake::cmc::sim {
namespace {

using Req = const httplib::Request&;
using Res = httplib::Response&;

using Currencies = std::vector<Currency>;

// Credits of an answer: 1 per `per` items, rounded up, at least 1, plus 1 per extra convert.
int64_t Credits(size_t items, int64_t per, const Currencies& converts) {
  return std::max<int64_t>((static_cast<int64_t>(items) + per - 1) / per, 1) +
         static_cast<int64_t>(converts.size()) - 1;
}

bool BadParam(Res res, std::string message) {
  SendError(res, 400, 400, message);
  return false;
}

bool ReadTime(Req req, const char* name, std::optional<TimePoint>* out, Res res) {
  if (!req.has_param(name)) return true;
  auto t = ParseSimTime(req.get_param_value(name));
  if (!t.ok()) {
    return BadParam(
        res, fmt::format("\"{}\" must be a valid ISO 8601 timestamp or unix time value", name));
  }
  *out = *t;
  return true;
}

bool ReadInterval(Req req, const char* name, std::string_view fallback, int64_t* out, Res res) {
  std::string text = req.has_param(name) ? req.get_param_value(name) : std::string(fallback);
  auto minutes = IntervalMinutes(text);
  if (!minutes) return BadParam(res, fmt::format("Invalid value for \"{}\": \"{}\"", name, text));
  *out = *minutes;
  return true;
}

bool ReadCount(Req req, std::optional<int64_t>* out, Res res) {
  int64_t count = 0;
  if (!IntParam(req, "count", 1, kMaxHistoricalCount, &count, res)) return false;
  if (req.has_param("count")) *out = count;
  return true;
}

// The currencies `convert` or `convert_id` names, as the latest endpoints read them; a crypto
// currency is the coin the market lists under that symbol or id at `at`.
bool ReadConvert(Req req, const SimMarket& market, TimePoint at, Currencies* converts, Res res) {
  std::optional<Currencies> c = Converts(req, market.Snapshot(at), res);
  if (!c) return false;
  *converts = std::move(*c);
  return true;
}

bool ReadSample(Req req, std::string_view default_interval, SampleRequest* sample, Res res) {
  if (!ReadTime(req, "time_start", &sample->time_start, res) ||
      !ReadTime(req, "time_end", &sample->time_end, res) || !ReadCount(req, &sample->count, res) ||
      !ReadInterval(req, "interval", default_interval, &sample->interval_minutes, res)) {
    return false;
  }
  if (sample->time_start && sample->time_end && *sample->time_start > *sample->time_end) {
    return BadParam(res, "\"time_end\" must be greater than or equal to \"time_start\"");
  }
  return true;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// The coins a request names, per requested value, in request order.
struct Target {
  std::string key;  // the id, slug or symbol as requested
  std::vector<const SimCoin*> coins;
};

// Resolves id, slug (if `slug_ok`) or symbol; a value naming no coin answers 400 unless
// skip_invalid=true drops it.
bool ReadTargets(Req req, const SimMarket& market, bool slug_ok, std::string* by,
                 std::vector<Target>* targets, Res res) {
  *by = req.has_param("id")                ? "id"
        : slug_ok && req.has_param("slug") ? "slug"
        : req.has_param("symbol")          ? "symbol"
                                           : "";
  if (by->empty()) {
    return BadParam(res, slug_ok ? "\"value\" must contain at least one of [id, symbol, slug]"
                                 : "\"value\" must contain at least one of [id, symbol]");
  }
  bool skip_invalid = req.get_param_value("skip_invalid") == "true";
  for (const std::string& value : SplitList(req.get_param_value(by->c_str()))) {
    Target target{value, {}};
    for (const SimCoin& coin : market.coins()) {
      bool match = *by == "id"     ? std::to_string(coin.id) == value
                   : *by == "slug" ? coin.slug == value
                                   : coin.symbol == value;
      if (match) target.coins.push_back(&coin);
    }
    if (target.coins.empty()) {
      if (skip_invalid) continue;
      return BadParam(res, fmt::format("Invalid value for \"{}\": \"{}\"", *by, value));
    }
    targets->push_back(std::move(target));
  }
  return true;
}

// The plan's window: answers 400 with the plan's message if `first` is before what it allows.
bool Allowed(const HistoricalContext& context, Req req, TimePoint now, TimePoint first, Res res) {
  if (!context.window) return true;
  HistoricalWindow window = context.window(req.path, now);
  if (first >= window.earliest) return true;
  SendError(res, 400, 400, window.refusal);
  return false;
}

Json CoinHead(const SimCoin& coin) {
  Json head;
  head["id"] = coin.id;
  head["name"] = coin.name;
  head["symbol"] = coin.symbol;
  head["is_active"] = 1;
  head["is_fiat"] = 0;
  return head;
}

// One point of quotes/historical, in the shape of the real answer (fixture
// quotes_historical_v1_btc_daily): the quote listed at the sample time, stamped with its
// last_updated, in each currency at its rate then (a currency whose coin did not exist yet is
// left out).
Json QuotePoint(const SimQuote& q, const Currencies& converts, const SimMarket& market) {
  std::string ts = FormatIso8601(q.last_updated);
  Json point;
  point["timestamp"] = ts;
  point["quote"] = Json::object();
  for (const Currency& cur : converts) {
    std::optional<double> f = PerUsdAt(cur, market, q.last_updated);
    if (!f) continue;
    Json quote;
    quote["price"] = q.price * *f;
    quote["percent_change_1h"] = q.percent_change_1h;
    quote["percent_change_24h"] = q.percent_change_24h;
    quote["percent_change_7d"] = q.percent_change_7d;
    quote["percent_change_30d"] = q.percent_change_30d;
    quote["volume_24h"] = q.volume_24h * *f;
    quote["market_cap"] = q.market_cap * *f;
    quote["circulating_supply"] = q.circulating_supply;
    quote["total_supply"] = q.total_supply;
    quote["timestamp"] = ts;
    point["quote"][cur.key] = std::move(quote);
  }
  return point;
}

// One bar; each price in each currency at that currency's rate at the price's own time (open,
// high, low, close), volume and market cap at the close's.
Json BarJson(const SimBar& bar, const Currencies& converts, const SimMarket& market) {
  const TimePoint last = bar.close_time - std::chrono::milliseconds(1);
  std::string close = FormatIso8601(last);
  Json j;
  j["time_open"] = FormatIso8601(bar.open_time);
  j["time_close"] = close;
  j["time_high"] = FormatIso8601(bar.high_time);
  j["time_low"] = FormatIso8601(bar.low_time);
  j["quote"] = Json::object();
  for (const Currency& cur : converts) {
    std::optional<double> open = PerUsdAt(cur, market, bar.open_time);
    std::optional<double> high = PerUsdAt(cur, market, bar.high_time);
    std::optional<double> low = PerUsdAt(cur, market, bar.low_time);
    std::optional<double> end = PerUsdAt(cur, market, last);
    if (!open || !high || !low || !end) continue;
    Json quote;
    quote["open"] = bar.open * *open;
    quote["high"] = bar.high * *high;
    quote["low"] = bar.low * *low;
    quote["close"] = bar.close * *end;
    quote["volume"] = bar.volume * *end;
    quote["market_cap"] = bar.market_cap * *end;
    quote["timestamp"] = close;
    j["quote"][cur.key] = std::move(quote);
  }
  return j;
}

// Puts each coin's object into `data`: v1 answers one coin as the object itself, several keyed
// by the requested value; v2 keys by id (or, by symbol, an array per symbol).
void PlaceCoins(int version, const std::string& by, const std::vector<Target>& targets,
                const std::vector<std::vector<Json>>& objects, Json* data) {
  *data = Json::object();
  size_t total = 0;
  for (const auto& o : objects) total += o.size();
  if (version == 1 && total == 1) {
    for (const auto& o : objects) {
      if (!o.empty()) *data = o.front();
    }
    return;
  }
  for (size_t t = 0; t < targets.size(); ++t) {
    for (size_t c = 0; c < objects[t].size(); ++c) {
      if (by == "symbol" && version == 2) {
        (*data)[targets[t].key].push_back(objects[t][c]);
      } else {
        (*data)[std::to_string(targets[t].coins[c]->id)] = objects[t][c];
      }
    }
  }
}

void QuotesHistorical(const HistoricalContext& context, int version, Req req, Res res) {
  context.serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
    SampleRequest sample;
    std::string by;
    std::vector<Target> targets;
    Currencies converts;
    if (!ReadTargets(req, *context.market, /*slug_ok=*/false, &by, &targets, res) ||
        !ReadSample(req, "5m", &sample, res) ||
        !ReadConvert(req, *context.market, now, &converts, res)) {
      return std::nullopt;
    }
    std::vector<TimePoint> times = SampleTimes(sample, now);
    if (!times.empty() && !Allowed(context, req, now, times.front(), res)) return std::nullopt;
    size_t points = 0;
    std::vector<std::vector<Json>> objects;
    for (const Target& target : targets) {
      objects.emplace_back();
      for (const SimCoin* coin : target.coins) {
        Json object = CoinHead(*coin);
        object["quotes"] = Json::array();
        for (TimePoint t : times) {
          if (auto q = context.market->QuoteAt(*coin, t)) {
            object["quotes"].push_back(QuotePoint(*q, converts, *context.market));
            ++points;
          }
        }
        objects.back().push_back(std::move(object));
      }
    }
    PlaceCoins(version, by, targets, objects, &body["data"]);
    return Credits(points, 100, converts);
  });
}

void OhlcvHistorical(const HistoricalContext& context, Req req, Res res) {
  context.serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
    SampleRequest sample;
    std::string by;
    std::vector<Target> targets;
    Currencies converts;
    if (!ReadTargets(req, *context.market, /*slug_ok=*/true, &by, &targets, res) ||
        !ReadSample(req, "daily", &sample, res) ||
        !ReadConvert(req, *context.market, now, &converts, res)) {
      return std::nullopt;
    }
    std::string period_name =
        req.has_param("time_period") ? req.get_param_value("time_period") : "daily";
    if (period_name != "daily" && period_name != "hourly") {
      BadParam(res, fmt::format("Invalid value for \"time_period\": \"{}\"", period_name));
      return std::nullopt;
    }
    const auto period = std::chrono::minutes(period_name == "daily" ? 1440 : 60);
    std::vector<TimePoint> opens = BarOpenings(sample, period.count(), now);
    if (!opens.empty() && !Allowed(context, req, now, opens.front(), res)) return std::nullopt;
    size_t bars = 0;
    std::vector<std::vector<Json>> objects;
    for (const Target& target : targets) {
      objects.emplace_back();
      for (const SimCoin* coin : target.coins) {
        Json object;
        object["id"] = coin->id;
        object["name"] = coin->name;
        object["symbol"] = coin->symbol;
        object["quotes"] = Json::array();
        for (TimePoint open : opens) {
          if (open < coin->date_added) continue;  // only whole bars of an existing coin
          object["quotes"].push_back(
              BarJson(context.market->Bar(*coin, open, open + period), converts, *context.market));
          ++bars;
        }
        objects.back().push_back(std::move(object));
      }
    }
    PlaceCoins(2, by, targets, objects, &body["data"]);
    return Credits(bars, 100, converts);
  });
}

void GlobalHistorical(const HistoricalContext& context, Req req, Res res) {
  context.serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
    SampleRequest sample;
    Currencies converts;
    if (!ReadSample(req, "1d", &sample, res) ||
        !ReadConvert(req, *context.market, now, &converts, res)) {
      return std::nullopt;
    }
    std::vector<TimePoint> times = SampleTimes(sample, now);
    if (!times.empty() && !Allowed(context, req, now, times.front(), res)) return std::nullopt;
    Json quotes = Json::array();
    for (TimePoint t : times) {
      SimMarket::Totals totals = context.market->TotalsAt(t);
      if (totals.coins == 0) continue;  // before the first coin
      std::string ts = FormatIso8601(t);
      Json point;
      point["timestamp"] = ts;
      point["btc_dominance"] = totals.btc_market_cap / totals.market_cap * 100;
      point["eth_dominance"] = totals.eth_market_cap / totals.market_cap * 100;
      point["active_cryptocurrencies"] = totals.coins;
      point["active_exchanges"] = 780;
      point["active_market_pairs"] = totals.coins * 12;
      point["quote"] = Json::object();
      for (const Currency& cur : converts) {
        std::optional<double> f = PerUsdAt(cur, *context.market, t);
        if (!f) continue;
        Json quote;
        quote["total_market_cap"] = totals.market_cap * *f;
        quote["total_volume_24h"] = totals.volume_24h * *f;
        quote["total_volume_24h_reported"] = totals.volume_24h * *f;
        quote["altcoin_market_cap"] = (totals.market_cap - totals.btc_market_cap) * *f;
        quote["altcoin_volume_24h"] = (totals.volume_24h - totals.btc_volume_24h) * *f;
        quote["timestamp"] = ts;
        point["quote"][cur.key] = std::move(quote);
      }
      quotes.push_back(std::move(point));
    }
    size_t points = quotes.size();
    body["data"]["quotes"] = std::move(quotes);
    return Credits(points, 100, converts);
  });
}

// CMC's numeric sort keys of listings/historical (besides name and symbol).
constexpr std::string_view kSortKeys[] = {
    "cmc_rank",           "market_cap",       "price",
    "circulating_supply", "total_supply",     "max_supply",
    "num_market_pairs",   "volume_24h",       "percent_change_1h",
    "percent_change_24h", "percent_change_7d"};

// The value a numeric sort key (kSortKeys) sorts a quote by.
double SortValue(std::string_view key, const SimQuote& q) {
  if (key == "market_cap" || key == "cmc_rank") return q.market_cap;
  if (key == "price") return q.price;
  if (key == "circulating_supply") return q.circulating_supply;
  if (key == "total_supply") return q.total_supply;
  if (key == "max_supply") return q.coin->max_supply.value_or(0);
  if (key == "num_market_pairs") return static_cast<double>(q.coin->num_market_pairs);
  if (key == "volume_24h") return q.volume_24h;
  if (key == "percent_change_1h") return q.percent_change_1h;
  if (key == "percent_change_24h") return q.percent_change_24h;
  return q.percent_change_7d;
}

void ListingsHistorical(const HistoricalContext& context, Req req, Res res) {
  context.serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
    std::optional<TimePoint> date;
    int64_t start = 1, limit = 100;
    if (!ReadTime(req, "date", &date, res) || !PageParams(req, 5000, &start, &limit, res)) {
      return std::nullopt;
    }
    if (!date) {
      BadParam(res, "\"date\" is required");
      return std::nullopt;
    }
    if (*date > now) {
      BadParam(res, "\"date\" must be in the past");
      return std::nullopt;
    }
    std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "cmc_rank";
    std::string dir = req.has_param("sort_dir") ? req.get_param_value("sort_dir")
                      : sort == "name" || sort == "symbol" || sort == "cmc_rank" ? "asc"
                                                                                 : "desc";
    if (sort != "name" && sort != "symbol" &&
        std::find(std::begin(kSortKeys), std::end(kSortKeys), sort) == std::end(kSortKeys)) {
      BadParam(res, fmt::format("Invalid value for \"sort\": \"{}\"", sort));
      return std::nullopt;
    }
    if (dir != "asc" && dir != "desc") {
      BadParam(res, fmt::format("Invalid value for \"sort_dir\": \"{}\"", dir));
      return std::nullopt;
    }
    if (!Allowed(context, req, now, *date, res)) return std::nullopt;
    // Ranked by market cap as the latest listing was at that time, then sorted as asked.
    std::vector<SimQuote> quotes = context.market->Snapshot(*date);
    std::optional<Currencies> converts = Converts(req, quotes, res);  // crypto priced at date
    if (!converts) return std::nullopt;
    double total_cap = 0;
    for (const SimQuote& q : quotes) total_cap += q.market_cap;
    std::vector<size_t> order(quotes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (sort != "cmc_rank") {
      auto less = [&](size_t a, size_t b) {
        if (sort == "name") return quotes[a].coin->name < quotes[b].coin->name;
        if (sort == "symbol") return quotes[a].coin->symbol < quotes[b].coin->symbol;
        return SortValue(sort, quotes[a]) < SortValue(sort, quotes[b]);
      };
      std::stable_sort(order.begin(), order.end(), less);
      if (dir == "desc") std::reverse(order.begin(), order.end());
    } else if (dir == "desc") {
      std::reverse(order.begin(), order.end());
    }
    Json data = Json::array();
    for (int64_t n = start - 1; n < static_cast<int64_t>(order.size()) && n < start - 1 + limit;
         ++n) {
      size_t i = order[static_cast<size_t>(n)];
      Json coin = context.coin_json(quotes[i], *converts);
      coin["cmc_rank"] = static_cast<int64_t>(i + 1);
      for (const Currency& cur : *converts) {
        coin["quote"][cur.key]["market_cap_dominance"] = quotes[i].market_cap / total_cap * 100.0;
      }
      data.push_back(std::move(coin));
    }
    size_t coins = data.size();
    body["data"] = std::move(data);
    body["total_count"] = static_cast<int64_t>(quotes.size());
    return Credits(coins, 100, *converts);
  });
}

}  // namespace

void RegisterHistoricalEndpoints(httplib::Server& server, HistoricalContext context) {
  auto c = std::make_shared<const HistoricalContext>(std::move(context));
  server.Get("/v1/cryptocurrency/quotes/historical",
             [c](Req req, Res res) { QuotesHistorical(*c, 1, req, res); });
  server.Get("/v2/cryptocurrency/quotes/historical",
             [c](Req req, Res res) { QuotesHistorical(*c, 2, req, res); });
  server.Get("/v2/cryptocurrency/ohlcv/historical",
             [c](Req req, Res res) { OhlcvHistorical(*c, req, res); });
  server.Get("/v1/global-metrics/quotes/historical",
             [c](Req req, Res res) { GlobalHistorical(*c, req, res); });
  server.Get("/v1/cryptocurrency/listings/historical",
             [c](Req req, Res res) { ListingsHistorical(*c, req, res); });
}

}  // namespace coinlake::cmc::sim
