#include "cmc/sim_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>

#include "cmc/sim_coins.h"
#include "common/strings.h"

namespace coinlake::cmc::sim {
namespace {

struct MapEntry {
  int64_t id;
  std::optional<int64_t> rank;  // null for inactive and untracked coins
  Json json;
};

// Ids of the coins the market does not trade, far above the market's own (at most 140,000).
constexpr int64_t kInactiveIds = 200'000;
constexpr int64_t kUntrackedIds = 300'000;

// A coin the market does not trade: delisted (inactive) or listed without data (untracked).
MapEntry OffMarketEntry(int64_t n, bool inactive, TimePoint updated) {
  const int64_t id = (inactive ? kInactiveIds : kUntrackedIds) + n;
  const std::string kind = inactive ? "Delisted" : "Untracked";
  Json e;
  e["id"] = id;
  e["rank"] = nullptr;
  e["name"] = fmt::format("{} Coin {}", kind, n);
  e["symbol"] = fmt::format("{}{}", inactive ? "DLC" : "UTC", n);
  e["slug"] = fmt::format("{}-coin-{}", inactive ? "delisted" : "untracked", n);
  e["is_active"] = 0;
  if (inactive) {
    e["first_historical_data"] = FormatIso8601(updated - std::chrono::days(2000 + 30 * n));
    e["last_historical_data"] = FormatIso8601(updated - std::chrono::days(400 + 10 * n));
  } else {
    e["first_historical_data"] = nullptr;
    e["last_historical_data"] = nullptr;
  }
  e["platform"] = nullptr;
  return {id, std::nullopt, std::move(e)};
}

}  // namespace

std::optional<int64_t> Map(const httplib::Request& req, httplib::Response& res, SimMarket& market,
                           TimePoint now, Json& body) {
  int64_t start = 1, limit = 5000;
  std::string sort;
  if (!PageParams(req, 5000, &start, &limit, res) ||
      !ChoiceParam(req, "sort", {"id", "cmc_rank"}, "id", &sort, res)) {
    return std::nullopt;
  }
  std::set<std::string> statuses;
  for (const std::string& s : SplitCommaList(
           req.has_param("listing_status") ? req.get_param_value("listing_status") : "active")) {
    if (s != "active" && s != "inactive" && s != "untracked") {
      SendError(res, 400, 400, fmt::format("Invalid value for \"listing_status\": \"{}\"", s));
      return std::nullopt;
    }
    statuses.insert(s);
  }
  std::vector<std::string> symbols = SplitCommaList(req.get_param_value("symbol"));
  TimePoint updated;
  std::vector<MapEntry> entries;
  {
    std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
    if (statuses.count("active")) {
      for (size_t i = 0; i < quotes.size(); ++i) {
        const SimCoin& c = *quotes[i].coin;
        Json e;
        e["id"] = c.id;
        e["rank"] = static_cast<int64_t>(i + 1);
        e["name"] = c.name;
        e["symbol"] = c.symbol;
        e["slug"] = c.slug;
        e["is_active"] = 1;
        e["first_historical_data"] = FormatIso8601(c.date_added);
        e["last_historical_data"] = FormatIso8601(updated);
        e["platform"] = PlatformJson(c, /*map_ids=*/true);
        entries.push_back({c.id, static_cast<int64_t>(i + 1), std::move(e)});
      }
    }
  }
  // One delisted and one untracked coin per fifty traded ones, at least three of each.
  const int64_t off_market = std::max(3, market.coin_count() / 50);
  for (int64_t n = 1; n <= off_market; ++n) {
    if (statuses.count("inactive")) entries.push_back(OffMarketEntry(n, true, updated));
    if (statuses.count("untracked")) entries.push_back(OffMarketEntry(n, false, updated));
  }
  if (!symbols.empty()) {
    std::erase_if(entries, [&](const MapEntry& e) {
      return std::find(symbols.begin(), symbols.end(), e.json["symbol"].get<std::string>()) ==
             symbols.end();
    });
  }
  // sort=cmc_rank puts the ranked coins first, then the unranked by id.
  std::sort(entries.begin(), entries.end(), [&](const MapEntry& a, const MapEntry& b) {
    if (sort == "cmc_rank" && a.rank.has_value() != b.rank.has_value()) return a.rank.has_value();
    if (sort == "cmc_rank" && a.rank && *a.rank != *b.rank) return *a.rank < *b.rank;
    return a.id < b.id;
  });
  Json data = Json::array();
  for (int64_t n = start - 1; n < static_cast<int64_t>(entries.size()) && n < start - 1 + limit;
       ++n) {
    data.push_back(std::move(entries[n].json));
  }
  body["data"] = std::move(data);
  return 0;
}

}  // namespace coinlake::cmc::sim
