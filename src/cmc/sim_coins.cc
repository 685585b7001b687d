#include "cmc/sim_coins.h"

#include <fmt/format.h>

#include <string>

namespace coinlake::cmc::sim {
namespace {

struct Chain {
  int64_t coin_id;  // the chain's own coin: the listings' platform id
  int64_t map_id;   // the map's platform id
  const char* name;
  const char* symbol;
  const char* slug;
};

constexpr Chain kEthereum = {1027, 1, "Ethereum", "ETH", "ethereum"};
constexpr Chain kBnbChain = {1839, 14, "BNB Smart Chain (BEP20)", "BNB", "bnb"};
constexpr Chain kArbitrum = {11841, 51, "Arbitrum", "ARB", "arbitrum"};

struct KnownToken {
  int64_t id;
  const Chain* chain;
  const char* address;
};

// The real coins of the market that are tokens, as on CMC (USDT and USDC rank in the top ten).
constexpr KnownToken kKnownTokens[] = {
    {825, &kEthereum, "0xdac17f958d2ee523a2206206994597c13d831ec7"},
    {3408, &kEthereum, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"},
    {19714, &kEthereum, "0x5f98805a4e8be255a32880fdec7f6728c6568ba0"},
    {8884, &kBnbChain, "0x0a1ae5d8e5fd3b4a1b0e3bbaa3c5e2c6b5b7d3f1"},
    {23853, &kArbitrum, "0xccd05a0fcfc1380e9da27862adb2198e58e0d66f"},
    {36001, &kBnbChain, "0x924fa68a0fc644485b8df8abfa0a41c2e7744444"},
};

// The chain a token lives on, and its address; nullptr for a coin.
const Chain* TokenChain(const SimCoin& coin, std::string* address) {
  for (const KnownToken& t : kKnownTokens) {
    if (t.id == coin.id) {
      *address = t.address;
      return t.chain;
    }
  }
  if (coin.id >= 40000 && coin.id % 3 == 0) {  // a third of the synthetic coins are ERC-20s
    *address = fmt::format("0x{:040x}", coin.id * 2654435761ULL);
    return &kEthereum;
  }
  return nullptr;
}

}  // namespace

std::vector<Tag> Tags(const SimCoin& coin) {
  std::vector<Tag> tags;
  if (coin.id == 1) {
    tags = {{"mineable", "Mineable", "OTHERS"},
            {"pow", "PoW", "ALGORITHM"},
            {"sha-256", "SHA-256", "ALGORITHM"},
            {"store-of-value", "Store Of Value", "CATEGORY"},
            {"layer-1", "Layer 1", "CATEGORY"}};
  } else if (coin.id == 825 || coin.id == 3408 || coin.id == 19714) {
    tags = {{"stablecoin", "Stablecoin", "CATEGORY"},
            {"usd-stablecoin", "USD Stablecoin", "CATEGORY"}};
  } else if (IsToken(coin)) {
    tags = {{"ethereum-ecosystem", "Ethereum Ecosystem", "PLATFORM"}};
  } else {
    tags = {{"layer-1", "Layer 1", "CATEGORY"}};
  }
  tags.push_back({"simulated", "Simulated", "OTHERS"});
  return tags;
}

bool IsToken(const SimCoin& coin) {
  std::string address;
  return TokenChain(coin, &address) != nullptr;
}

Json PlatformJson(const SimCoin& coin, bool map_ids) {
  std::string address;
  const Chain* chain = TokenChain(coin, &address);
  if (chain == nullptr) return nullptr;
  return {{"id", map_ids ? chain->map_id : chain->coin_id},
          {"name", chain->name},
          {"symbol", chain->symbol},
          {"slug", chain->slug},
          {"token_address", address}};
}

Json CoinJson(const SimQuote& q, int64_t rank, double total_cap,
              const std::vector<Currency>& converts, CoinStyle style) {
  const SimCoin& c = *q.coin;
  const bool token = IsToken(c);
  Json coin;
  coin["id"] = c.id;
  coin["name"] = c.name;
  coin["symbol"] = c.symbol;
  coin["slug"] = c.slug;
  if (style != CoinStyle::kListings) coin["is_active"] = 1;
  coin["infinite_supply"] = !c.max_supply.has_value();
  if (style != CoinStyle::kListings) coin["is_fiat"] = 0;
  coin["num_market_pairs"] = c.num_market_pairs;
  coin["date_added"] = FormatIso8601(c.date_added);
  Json tags = Json::array();
  for (const Tag& t : Tags(c)) {
    if (style == CoinStyle::kQuotesV2) {
      tags.push_back({{"slug", t.slug}, {"name", t.name}, {"category", t.category}});
    } else {
      tags.push_back(t.slug);
    }
  }
  coin["tags"] = std::move(tags);
  coin["max_supply"] = c.max_supply ? Json(*c.max_supply) : Json(nullptr);
  coin["circulating_supply"] = q.circulating_supply;
  coin["total_supply"] = q.total_supply;
  coin["platform"] = PlatformJson(c, /*map_ids=*/false);
  coin["cmc_rank"] = rank;
  coin["self_reported_circulating_supply"] = nullptr;
  coin["self_reported_market_cap"] = nullptr;
  coin["tvl_ratio"] = nullptr;
  coin["minted_market_cap"] = q.price * q.total_supply;
  coin["last_updated"] = FormatIso8601(q.last_updated);
  // Tokens trade more on decentralised exchanges than coins do.
  const double dex_share = token ? 0.08 : 0.0015;
  const double dominance = total_cap > 0 ? q.market_cap / total_cap * 100.0 : 0.0;
  for (const Currency& cur : converts) {
    const double f = cur.per_usd;
    Json quote;
    quote["price"] = q.price * f;
    quote["volume_24h"] = q.volume_24h * f;
    quote["volume_change_24h"] = 0.0;
    quote["cex_volume_24h"] = q.volume_24h * (1 - dex_share) * f;
    quote["dex_volume_24h"] = q.volume_24h * dex_share * f;
    quote["percent_change_1h"] = q.percent_change_1h;
    quote["percent_change_24h"] = q.percent_change_24h;
    quote["percent_change_7d"] = q.percent_change_7d;
    quote["percent_change_30d"] = q.percent_change_30d;
    quote["percent_change_60d"] = q.percent_change_60d;
    quote["percent_change_90d"] = q.percent_change_90d;
    quote["market_cap"] = q.market_cap * f;
    quote["market_cap_dominance"] = dominance;
    quote["fully_diluted_market_cap"] = q.price * c.max_supply.value_or(q.total_supply) * f;
    quote["tvl"] = nullptr;
    quote["last_updated"] = FormatIso8601(q.last_updated);
    coin["quote"][cur.key] = std::move(quote);
  }
  return coin;
}

}  // namespace coinlake::cmc::sim
