#include "cmc/sim_reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "cmc/sim_coins.h"
#include "cmc/sim_convert.h"
#include "cmc/sim_history_params.h"
#include "common/strings.h"

namespace coinlake::cmc::sim {
namespace {

// Credits of `items` at 1 per `per`, rounded up, at least 1.
int64_t PerItems(size_t items, size_t per) {
  return std::max<int64_t>(1, static_cast<int64_t>((items + per - 1) / per));
}

bool BadRequest(httplib::Response& res, const std::string& message) {
  SendError(res, 400, 400, message);
  return false;
}

// The one of `names` the request gives, "" if none; answers 400 if it gives more than one.
std::optional<std::string> OneOf(const httplib::Request& req, const std::vector<std::string>& names,
                                 httplib::Response& res) {
  std::string given;
  for (const std::string& n : names) {
    if (!req.has_param(n)) continue;
    if (!given.empty()) {
      BadRequest(res, fmt::format("\"{}\" and \"{}\" cannot be used together", given, n));
      return std::nullopt;
    }
    given = n;
  }
  return given;
}

double TotalCap(const std::vector<SimQuote>& quotes) {
  double total = 0;
  for (const SimQuote& q : quotes) total += q.market_cap;
  return total;
}

// ---- Coin metadata ----

Json InfoJson(const SimCoin& c, const SimQuote& q) {
  const Json platform = PlatformJson(c, /*map_ids=*/false);
  Json tags = Json::array(), tag_names = Json::array(), tag_groups = Json::array();
  for (const Tag& t : Tags(c)) {
    tags.push_back(t.slug);
    tag_names.push_back(t.name);
    tag_groups.push_back(t.category);
  }
  const std::string site = fmt::format("https://{}.sim.coinlake.invalid/", c.slug);
  Json urls;
  urls["website"] = Json::array({site});
  urls["twitter"] = Json::array({fmt::format("https://twitter.com/{}", c.slug)});
  urls["message_board"] = Json::array({site + "forum"});
  urls["chat"] = Json::array({site + "chat"});
  urls["facebook"] = Json::array();
  urls["explorer"] = Json::array({site + "explorer"});
  urls["reddit"] = Json::array({fmt::format("https://reddit.com/r/{}", c.slug)});
  urls["technical_doc"] = Json::array({site + "whitepaper.pdf"});
  urls["source_code"] = Json::array({fmt::format("https://github.com/{}", c.slug)});
  urls["announcement"] = Json::array();
  Json contracts = Json::array();
  if (!platform.is_null()) {
    contracts.push_back({{"contract_address", platform["token_address"]},
                         {"platform",
                          {{"name", platform["name"]},
                           {"coin",
                            {{"id", std::to_string(platform["id"].get<int64_t>())},
                             {"name", platform["name"]},
                             {"symbol", platform["symbol"]},
                             {"slug", platform["slug"]}}}}}});
  }
  Json info;
  info["id"] = c.id;
  info["name"] = c.name;
  info["symbol"] = c.symbol;
  info["category"] = platform.is_null() ? "coin" : "token";
  info["description"] = fmt::format(
      "{} ({}) is a cryptocurrency of the coinlake simulated market. It trades on {} market "
      "pairs; its price is ${:.6g} as of {}.",
      c.name, c.symbol, c.num_market_pairs, q.price, FormatIso8601(q.last_updated));
  info["slug"] = c.slug;
  info["logo"] = fmt::format("https://s2.coinmarketcap.com/static/img/coins/64x64/{}.png", c.id);
  info["subreddit"] = c.slug;
  info["notice"] = "";
  info["tags"] = std::move(tags);
  info["tag-names"] = std::move(tag_names);
  info["tag-groups"] = std::move(tag_groups);
  info["urls"] = std::move(urls);
  info["platform"] = platform;
  info["date_added"] = FormatIso8601(c.date_added);
  info["twitter_username"] = c.slug;
  info["is_hidden"] = 0;
  info["date_launched"] = FormatIso8601(c.date_added);
  info["contract_address"] = std::move(contracts);
  info["self_reported_circulating_supply"] = nullptr;
  info["self_reported_tags"] = nullptr;
  info["self_reported_market_cap"] = nullptr;
  info["infinite_supply"] = !c.max_supply.has_value();
  return info;
}

// ---- Categories ----

struct CategoryDef {
  const char* id;  // CMC's category ids are 24 hex digits
  const char* tag;
  const char* name;
  const char* description;
};

// The categories: one per tag of the CATEGORY and PLATFORM groups that sim_coins gives.
constexpr std::array<CategoryDef, 5> kCategories = {{
    {"604f2753ebccdd50cd175fc1", "store-of-value", "Store Of Value",
     "Coins held to keep their value over time."},
    {"605e2ce9d41eae1066535f7c", "layer-1", "Layer 1",
     "Blockchains that settle their own transactions."},
    {"604f2776ebccdd50cd175fdc", "stablecoin", "Stablecoin",
     "Tokens that track the value of another asset."},
    {"6053dfb66be1bf5c15e865ee", "usd-stablecoin", "USD Stablecoin",
     "Tokens that track the US dollar."},
    {"618c0beeb7dd913155b462f9", "ethereum-ecosystem", "Ethereum Ecosystem",
     "Tokens issued on Ethereum."},
}};

bool HasTag(const SimCoin& coin, std::string_view tag) {
  for (const Tag& t : Tags(coin)) {
    if (tag == t.slug) return true;
  }
  return false;
}

// The category's figures over its coins in `quotes` (positions, in market-cap order).
Json CategoryHead(const CategoryDef& def, const std::vector<SimQuote>& quotes,
                  const std::vector<size_t>& members, const SimMarket& market, TimePoint now,
                  TimePoint updated) {
  double cap = 0, cap_before = 0, volume = 0, volume_before = 0, change = 0;
  for (size_t i : members) {
    const SimQuote& q = quotes[i];
    cap += q.market_cap;
    volume += q.volume_24h;
    change += q.percent_change_24h;
    if (auto before = market.QuoteAt(*q.coin, now - std::chrono::hours(24))) {
      cap_before += before->market_cap;
      volume_before += before->volume_24h;
    }
  }
  Json c;
  c["id"] = def.id;
  c["name"] = def.name;
  c["title"] = def.name;
  c["description"] = def.description;
  c["num_tokens"] = static_cast<int64_t>(members.size());
  c["avg_price_change"] = members.empty() ? 0.0 : change / static_cast<double>(members.size());
  c["market_cap"] = cap;
  c["market_cap_change"] = cap_before > 0 ? (cap / cap_before - 1) * 100 : 0.0;
  c["volume"] = volume;
  c["volume_change"] = volume_before > 0 ? (volume / volume_before - 1) * 100 : 0.0;
  c["last_updated"] = FormatIso8601(updated);
  return c;
}

std::vector<size_t> Members(const CategoryDef& def, const std::vector<SimQuote>& quotes) {
  std::vector<size_t> members;
  for (size_t i = 0; i < quotes.size(); ++i) {
    if (HasTag(*quotes[i].coin, def.tag)) members.push_back(i);
  }
  return members;
}

// ---- Exchanges ----

struct ExchangeDef {
  int64_t id;
  const char* slug;
  const char* name;
  const char* launched;  // ISO 8601 date
  double volume_share;   // of the market's 24h volume
  double maker_fee, taker_fee;
  int64_t weekly_visits;
};

// A few real exchanges with CMC's ids, by id.
constexpr std::array<ExchangeDef, 8> kExchanges = {{
    {24, "kraken", "Kraken", "2011-07-28", 0.03, 0.16, 0.26, 6'100'000},
    {37, "bitfinex", "Bitfinex", "2012-10-01", 0.01, 0.10, 0.20, 1'200'000},
    {70, "bitstamp", "Bitstamp", "2011-08-01", 0.005, 0.30, 0.40, 900'000},
    {89, "coinbase-exchange", "Coinbase Exchange", "2014-05-24", 0.05, 0.40, 0.60, 9'800'000},
    {270, "binance", "Binance", "2017-07-14", 0.25, 0.10, 0.10, 16'000'000},
    {294, "okx", "OKX", "2017-01-01", 0.08, 0.08, 0.10, 5'500'000},
    {311, "kucoin", "KuCoin", "2017-09-15", 0.03, 0.10, 0.10, 3'400'000},
    {521, "bybit", "Bybit", "2018-03-01", 0.07, 0.10, 0.10, 7'200'000},
}};

double MarketVolume(const std::vector<SimQuote>& quotes) {
  double volume = 0;
  for (const SimQuote& q : quotes) volume += q.volume_24h;
  return volume;
}

// An exchange's launch date (a valid ISO 8601 date of kExchanges).
TimePoint Date(const char* iso) {
  StatusOr<TimePoint> t = ParseSimTime(iso);
  return t.ok() ? *t : TimePoint{};
}

// The coins a request names by `by` (id, slug, symbol), in request order, from `quotes`
// (market-cap order); v1-style (`all` false) takes the best-ranked coin per symbol.
struct Named {
  std::string key;
  std::vector<size_t> positions;
};

std::optional<std::vector<Named>> FindCoins(const httplib::Request& req, const std::string& by,
                                            const std::vector<SimQuote>& quotes, bool all,
                                            bool skip_invalid, httplib::Response& res) {
  std::vector<Named> out;
  for (const std::string& w : SplitCommaList(req.get_param_value(by.c_str()))) {
    Named named{w, {}};
    for (size_t i = 0; i < quotes.size(); ++i) {
      const SimCoin& c = *quotes[i].coin;
      bool match = false;
      if (by == "id") match = std::to_string(c.id) == w;
      if (by == "slug") match = c.slug == w;
      if (by == "symbol") match = c.symbol == w;
      if (by == "address") {
        Json platform = PlatformJson(c, false);
        match = !platform.is_null() && platform["token_address"] == w;
      }
      if (!match) continue;
      named.positions.push_back(i);
      if (!all) break;
    }
    if (named.positions.empty()) {
      if (skip_invalid) continue;
      BadRequest(res, fmt::format("Invalid value for \"{}\": \"{}\"", by, w));
      return std::nullopt;
    }
    out.push_back(std::move(named));
  }
  if (out.empty() && !skip_invalid) {
    BadRequest(res, fmt::format("\"{}\" must not be empty", by));
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<int64_t> Info(const httplib::Request& req, httplib::Response& res, SimMarket& market,
                            TimePoint now, Json& body, int version) {
  std::optional<std::string> by = OneOf(req, {"id", "slug", "symbol", "address"}, res);
  if (!by) return std::nullopt;
  if (by->empty()) {
    BadRequest(res, "\"value\" must contain at least one of [id, symbol, slug, address]");
    return std::nullopt;
  }
  const bool skip_invalid = req.get_param_value("skip_invalid") == "true";
  std::vector<SimQuote> quotes = market.Snapshot(now);
  const bool per_symbol_array = *by == "symbol" && version == 2;
  auto named = FindCoins(req, *by, quotes, per_symbol_array, skip_invalid, res);
  if (!named) return std::nullopt;
  Json data = Json::object();
  size_t coins = 0;
  for (const Named& n : *named) {
    for (size_t i : n.positions) {
      ++coins;
      Json info = InfoJson(*quotes[i].coin, quotes[i]);
      if (per_symbol_array) {
        data[n.key].push_back(std::move(info));
      } else {
        data[*by == "symbol" ? n.key : std::to_string(quotes[i].coin->id)] = std::move(info);
      }
    }
  }
  body["data"] = std::move(data);
  return PerItems(coins, 100);
}

std::optional<int64_t> Categories(const httplib::Request& req, httplib::Response& res,
                                  SimMarket& market, TimePoint now, Json& body) {
  int64_t start = 1, limit = 5000;
  if (!PageParams(req, 5000, &start, &limit, res)) {
    return std::nullopt;
  }
  std::optional<std::string> by = OneOf(req, {"id", "slug", "symbol"}, res);
  if (!by) return std::nullopt;
  TimePoint updated;
  std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
  std::vector<size_t> wanted;
  if (!by->empty()) {
    auto named = FindCoins(req, *by, quotes, /*all=*/true, /*skip_invalid=*/false, res);
    if (!named) return std::nullopt;
    for (const Named& n : *named)
      wanted.insert(wanted.end(), n.positions.begin(), n.positions.end());
  }
  Json data = Json::array();
  int64_t n = 0;
  for (const CategoryDef& def : kCategories) {
    std::vector<size_t> members = Members(def, quotes);
    if (!by->empty() && std::none_of(wanted.begin(), wanted.end(),
                                     [&](size_t i) { return HasTag(*quotes[i].coin, def.tag); })) {
      continue;
    }
    if (++n < start || n >= start + limit) continue;
    data.push_back(CategoryHead(def, quotes, members, market, now, updated));
  }
  body["data"] = std::move(data);
  return 1;
}

std::optional<int64_t> Category(const httplib::Request& req, httplib::Response& res,
                                SimMarket& market, TimePoint now, Json& body) {
  int64_t start = 1, limit = 100;
  if (!PageParams(req, 1000, &start, &limit, res)) {
    return std::nullopt;
  }
  if (!req.has_param("id")) {
    BadRequest(res, "\"id\" is required");
    return std::nullopt;
  }
  const std::string id = req.get_param_value("id");
  const CategoryDef* def = nullptr;
  for (const CategoryDef& c : kCategories) {
    if (id == c.id) def = &c;
  }
  if (def == nullptr) {
    BadRequest(res, fmt::format("Invalid value for \"id\": \"{}\"", id));
    return std::nullopt;
  }
  TimePoint updated;
  std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
  std::optional<std::vector<Currency>> converts = Converts(req, quotes, res);
  if (!converts) return std::nullopt;
  std::vector<size_t> members = Members(*def, quotes);
  Json data = CategoryHead(*def, quotes, members, market, now, updated);
  const double total_cap = TotalCap(quotes);
  Json coins = Json::array();
  for (int64_t n = start - 1; n < static_cast<int64_t>(members.size()) && n < start - 1 + limit;
       ++n) {
    const size_t i = members[n];
    coins.push_back(CoinJson(quotes[i], static_cast<int64_t>(i + 1), total_cap, *converts,
                             CoinStyle::kListings));
  }
  const size_t listed = coins.size();
  data["coins"] = std::move(coins);
  body["data"] = std::move(data);
  return 1 + static_cast<int64_t>((listed + 199) / 200) + static_cast<int64_t>(converts->size()) -
         1;
}

std::optional<int64_t> FiatMap(const httplib::Request& req, httplib::Response& res, SimMarket&,
                               TimePoint, Json& body) {
  int64_t start = 1, limit = 5000;
  std::string sort, metals;
  if (!PageParams(req, 5000, &start, &limit, res) ||
      !ChoiceParam(req, "sort", {"id", "name"}, "id", &sort, res) ||
      !ChoiceParam(req, "include_metals", {"true", "false"}, "false", &metals, res)) {
    return std::nullopt;
  }
  struct Entry {
    int64_t id;
    std::string name, sign, symbol;
  };
  std::vector<Entry> entries;
  for (const Fiat& f : Fiats()) entries.push_back({f.id, f.name, f.sign, f.symbol});
  if (metals == "true") {
    entries.push_back({3574, "Silver Troy Ounce", "", "XAG"});
    entries.push_back({3575, "Gold Troy Ounce", "", "XAU"});
    entries.push_back({3576, "Palladium Ounce", "", "XPD"});
    entries.push_back({3577, "Platinum Ounce", "", "XPT"});
  }
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return sort == "name" ? a.name < b.name : a.id < b.id;
  });
  Json data = Json::array();
  for (int64_t n = start - 1; n < static_cast<int64_t>(entries.size()) && n < start - 1 + limit;
       ++n) {
    const Entry& e = entries[n];
    data.push_back({{"id", e.id}, {"name", e.name}, {"sign", e.sign}, {"symbol", e.symbol}});
  }
  body["data"] = std::move(data);
  return 1;
}

std::optional<int64_t> ExchangeMap(const httplib::Request& req, httplib::Response& res,
                                   SimMarket& market, TimePoint now, Json& body) {
  int64_t start = 1, limit = 5000, crypto_id = 0;
  std::string sort;
  if (!PageParams(req, 5000, &start, &limit, res) ||
      !IntParam(req, "crypto_id", 1, INT32_MAX, &crypto_id, res) ||
      !ChoiceParam(req, "sort", {"id", "volume_24h"}, "id", &sort, res)) {
    return std::nullopt;
  }
  bool active = false;
  for (const std::string& s : SplitCommaList(
           req.has_param("listing_status") ? req.get_param_value("listing_status") : "active")) {
    if (s != "active" && s != "inactive" && s != "untracked") {
      BadRequest(res, fmt::format("Invalid value for \"listing_status\": \"{}\"", s));
      return std::nullopt;
    }
    active = active || s == "active";
  }
  TimePoint updated;
  std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
  if (crypto_id != 0) {
    const SimCoin* coin = market.FindById(crypto_id);
    if (coin == nullptr || !market.QuoteAt(*coin, now)) {
      BadRequest(res, fmt::format("Invalid value for \"crypto_id\": \"{}\"", crypto_id));
      return std::nullopt;
    }
  }
  std::vector<std::string> slugs = SplitCommaList(req.get_param_value("slug"));
  std::vector<const ExchangeDef*> chosen;
  for (const ExchangeDef& e : kExchanges) {
    if (!active) break;  // every exchange of the sim is active
    if (!slugs.empty() && std::find(slugs.begin(), slugs.end(), e.slug) == slugs.end()) continue;
    chosen.push_back(&e);
  }
  if (sort == "volume_24h") {
    std::stable_sort(chosen.begin(), chosen.end(), [](const ExchangeDef* a, const ExchangeDef* b) {
      return a->volume_share > b->volume_share;
    });
  }
  Json data = Json::array();
  for (int64_t n = start - 1; n < static_cast<int64_t>(chosen.size()) && n < start - 1 + limit;
       ++n) {
    const ExchangeDef& e = *chosen[n];
    data.push_back({{"id", e.id},
                    {"name", e.name},
                    {"slug", e.slug},
                    {"is_active", 1},
                    {"first_historical_data", FormatIso8601(Date(e.launched))},
                    {"last_historical_data", FormatIso8601(updated)}});
  }
  body["data"] = std::move(data);
  return 1;
}

std::optional<int64_t> ExchangeInfo(const httplib::Request& req, httplib::Response& res,
                                    SimMarket& market, TimePoint now, Json& body) {
  std::optional<std::string> by = OneOf(req, {"id", "slug"}, res);
  if (!by) return std::nullopt;
  if (by->empty()) {
    BadRequest(res, "\"value\" must contain at least one of [id, slug]");
    return std::nullopt;
  }
  TimePoint updated;
  const double volume = MarketVolume(market.Snapshot(now, &updated));
  Json data = Json::object();
  for (const std::string& w : SplitCommaList(req.get_param_value(by->c_str()))) {
    const ExchangeDef* found = nullptr;
    for (const ExchangeDef& e : kExchanges) {
      if (*by == "id" ? std::to_string(e.id) == w : w == e.slug) found = &e;
    }
    if (found == nullptr) {
      BadRequest(res, fmt::format("Invalid value for \"{}\": \"{}\"", *by, w));
      return std::nullopt;
    }
    const ExchangeDef& e = *found;
    const std::string site = fmt::format("https://{}.sim.coinlake.invalid/", e.slug);
    Json x;
    x["id"] = e.id;
    x["name"] = e.name;
    x["slug"] = e.slug;
    x["logo"] = fmt::format("https://s2.coinmarketcap.com/static/img/exchanges/64x64/{}.png", e.id);
    x["description"] = fmt::format("{} is an exchange of the coinlake simulated market.", e.name);
    x["date_launched"] = FormatIso8601(Date(e.launched));
    x["notice"] = nullptr;
    x["countries"] = Json::array();
    x["fiats"] = Json::array({"USD", "EUR", "GBP"});
    x["tags"] = nullptr;
    x["type"] = "";
    x["maker_fee"] = e.maker_fee;
    x["taker_fee"] = e.taker_fee;
    x["weekly_visits"] = e.weekly_visits;
    x["spot_volume_usd"] = volume * e.volume_share;
    x["spot_volume_last_updated"] = FormatIso8601(updated);
    x["urls"] = {{"website", Json::array({site})},
                 {"twitter", Json::array({fmt::format("https://twitter.com/{}", e.slug)})},
                 {"blog", Json::array({site + "blog"})},
                 {"chat", Json::array({site + "chat"})},
                 {"fee", Json::array({site + "fees"})}};
    data[std::to_string(e.id)] = std::move(x);
  }
  const size_t exchanges = data.size();
  body["data"] = std::move(data);
  return PerItems(exchanges, 100);
}

std::optional<int64_t> PriceConversion(const httplib::Request& req, httplib::Response& res,
                                       SimMarket& market, TimePoint now, Json& body, int version) {
  std::optional<double> amount;
  if (!NumberParam(req, "amount", &amount, res, /*allow_negative=*/true)) return std::nullopt;
  if (!amount) {
    BadRequest(res, "\"amount\" is required");
    return std::nullopt;
  }
  std::optional<std::string> by = OneOf(req, {"id", "symbol"}, res);
  if (!by) return std::nullopt;
  if (by->empty()) {
    BadRequest(res, "\"value\" must contain at least one of [id, symbol]");
    return std::nullopt;
  }
  TimePoint at = now;
  if (req.has_param("time")) {
    StatusOr<TimePoint> t = ParseSimTime(req.get_param_value("time"));
    if (!t.ok() || *t > now) {
      BadRequest(res,
                 fmt::format("Invalid value for \"time\": \"{}\"", req.get_param_value("time")));
      return std::nullopt;
    }
    at = *t;
  }
  // The market as it was at `at`: the coin's price and the crypto currencies' then.
  std::vector<SimQuote> quotes = market.Snapshot(at);
  std::optional<std::vector<Currency>> converts = Converts(req, quotes, res);
  if (!converts) return std::nullopt;
  const bool per_symbol_array = *by == "symbol" && version == 2;
  std::vector<size_t> found;
  const std::string wanted = req.get_param_value(by->c_str());
  for (size_t i = 0; i < quotes.size(); ++i) {
    const SimCoin& c = *quotes[i].coin;
    if (*by == "id" ? std::to_string(c.id) == wanted : c.symbol == wanted) {
      found.push_back(i);
      if (!per_symbol_array) break;
    }
  }
  if (found.empty()) {
    BadRequest(res, fmt::format("Invalid value for \"{}\": \"{}\"", *by, wanted));
    return std::nullopt;
  }
  Json items = Json::array();
  for (size_t i : found) {
    const SimQuote& q = quotes[i];
    Json item;
    item["id"] = q.coin->id;
    item["symbol"] = q.coin->symbol;
    item["name"] = q.coin->name;
    item["amount"] = *amount;
    item["last_updated"] = FormatIso8601(q.last_updated);
    for (const Currency& cur : *converts) {
      item["quote"][cur.key] = {{"price", *amount * q.price * cur.per_usd},
                                {"last_updated", FormatIso8601(q.last_updated)}};
    }
    items.push_back(std::move(item));
  }
  body["data"] = per_symbol_array ? std::move(items) : std::move(items[0]);
  return static_cast<int64_t>(converts->size());
}

}  // namespace coinlake::cmc::sim
