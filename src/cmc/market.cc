#include "cmc/market.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace coinlake::cmc {
namespace {

using std::chrono::minutes;

// A price's log change per simulated minute: about 5.5% a day.
constexpr double kMinuteSigma = 0.0015;

struct Seed {
  int64_t id;
  const char* name;
  const char* symbol;
  const char* slug;
  double price;
  double supply;
  std::optional<double> max_supply;
};

// The first coins carry real ids and names (ids are the identity; symbols repeat), including
// non-ASCII names CMC really lists, so every consumer meets them in tests.
const Seed kKnownCoins[] = {
    {1, "Bitcoin", "BTC", "bitcoin", 83117.47, 20090871, 21000000},
    {1027, "Ethereum", "ETH", "ethereum", 4012.55, 122090190.7, std::nullopt},
    {825, "Tether USDt", "USDT", "tether", 1.0002, 172000000000, std::nullopt},
    {52, "XRP", "XRP", "xrp", 2.41, 59000000000, 100000000000},
    {1839, "BNB", "BNB", "bnb", 905.1, 139000000, 200000000},
    {5426, "Solana", "SOL", "solana", 201.3, 540000000, std::nullopt},
    {3408, "USDC", "USDC", "usd-coin", 0.9999, 73000000000, std::nullopt},
    {74, "Dogecoin", "DOGE", "dogecoin", 0.2231, 150000000000, std::nullopt},
    {2010, "Cardano", "ADA", "cardano", 0.81, 36000000000, 45000000000},
    {1958, "TRON", "TRX", "tron", 0.339, 94000000000, std::nullopt},
    {1700, "Æternity", "AE", "aeternity", 0.0213, 400000000, std::nullopt},
    {8884, "İstanbul Başakşehir Fan Token", "IBFK", "istanbul-basaksehir-fan-token", 0.52, 3000000,
     10000000},
    {4571, "HDP.ф", "HDP.ф", "hdp", 0.00041, 1000000000, std::nullopt},
    {19714, "ℓUSD", "LUSD", "lusd", 0.998, 30000000, std::nullopt},
    {23853, "El Dorado Exchange（Arbitrum）", "EDE", "el-dorado-exchange-arb", 0.031, 50000000,
     std::nullopt},
    {36001, "币安人生", "币安人生", "binance-life", 0.0151, 1000000000, 1000000000},
    {11810, "PirateCoin☠", "PirateCoin☠", "piratecoin", 0.0000082, 9000000000000, std::nullopt},
};

std::string SyntheticSymbol(int i) {
  std::string s;
  for (int n = i + 26; n > 0; n /= 26) s.insert(s.begin(), static_cast<char>('A' + n % 26));
  return s;
}

// How many minutes past its last refresh a coin is at `minute`: 0 when it refreshes then. The
// coin's minute in the cycle is a hash of its id (stable across runs and seeds; the ids of the
// synthetic coins are consecutive and a third of them are tokens, so not the id itself).
int64_t MinutesSinceRefresh(int64_t id, TimePoint minute) {
  const auto period = static_cast<uint64_t>(SimMarket::kRefreshMinutes);
  const uint64_t phase = (static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL >> 32) % period;
  const auto at =
      static_cast<uint64_t>(std::chrono::floor<minutes>(minute).time_since_epoch() / minutes(1));
  return static_cast<int64_t>((at + phase) % period);
}

// The coin's quote as CMC would list it from `minute` until its next refresh.
SimQuote Quote(const SimCoin& coin, TimePoint minute) {
  auto change = [&](double then) { return (coin.price / then - 1.0) * 100.0; };
  size_t h = coin.hour_closes.size();
  return {&coin,
          minute,
          coin.price,
          coin.volume_24h,
          coin.price * coin.circulating_supply,
          change(coin.minute_closes.front()),
          change(coin.hour_closes[h > 24 ? h - 25 : 0]),
          change(coin.hour_closes.front())};
}

}  // namespace

SimMarket::SimMarket(uint64_t seed, int coin_count, TimePoint start)
    : rng_(seed), minute_(std::chrono::floor<minutes>(start)) {
  std::lognormal_distribution<double> price_dist(-2.0, 3.0);
  std::normal_distribution<double> shock(0.0, 1.0);
  std::uniform_int_distribution<int> pairs_dist(1, 900);
  std::uniform_int_distribution<int> age_days(30, 3000);
  std::bernoulli_distribution has_max(0.36);
  for (int i = 0; i < coin_count; ++i) {
    SimCoin coin;
    if (i < static_cast<int>(std::size(kKnownCoins))) {
      const Seed& k = kKnownCoins[i];
      coin = {k.id,     k.name,   k.symbol,     k.slug, TimePoint{}, k.price,
              k.supply, k.supply, k.max_supply, 0,      0,           {}};
      coin.num_market_pairs = 1000 + pairs_dist(rng_) * 10;
    } else {
      coin.id = 40000 + i;  // stable: a function of the position only
      coin.symbol = SyntheticSymbol(i);
      coin.name = fmt::format("Simcoin {}", coin.symbol);
      coin.slug = fmt::format("simcoin-{}", i);
      coin.price = std::min(price_dist(rng_), 5000.0);
      // Market caps fall off like a power law below the real coins' (Zipf-like, as on CMC).
      double cap = 4e10 * std::pow(static_cast<double>(i), -1.4) * std::exp(0.3 * shock(rng_));
      coin.circulating_supply = cap / coin.price;
      coin.total_supply = coin.circulating_supply * 1.1;
      if (has_max(rng_)) coin.max_supply = std::floor(coin.total_supply * 1.5);
      coin.num_market_pairs = pairs_dist(rng_);
    }
    coin.date_added = minute_ - std::chrono::days(age_days(rng_));
    coin.volume_24h = coin.price * coin.circulating_supply * 0.04;
    SeedHistory(coin);
    coins_.push_back(std::move(coin));
  }
  // Each coin was last refreshed at its own minute of the last kRefreshMinutes.
  quotes_.reserve(coins_.size());
  for (const SimCoin& coin : coins_) {
    quotes_.push_back(Quote(coin, minute_ - minutes(MinutesSinceRefresh(coin.id, minute_))));
  }
}

// A market that starts with no past would show the same 1h, 24h and 7d change for every coin
// (all since the start): each coin gets a week of closes walked backwards from its start price,
// with the same volatility as Step's.
void SimMarket::SeedHistory(SimCoin& coin) {
  std::normal_distribution<double> minute_shock(0.0, kMinuteSigma);
  std::normal_distribution<double> hour_shock(0.0, kMinuteSigma * std::sqrt(60.0));
  coin.minute_closes.assign(kMinuteCloses, coin.price);
  for (size_t i = kMinuteCloses - 1; i-- > 0;) {
    coin.minute_closes[i] = coin.minute_closes[i + 1] * std::exp(-minute_shock(rng_));
  }
  // The hour-old close is the first minute close; older hours walk back from it.
  coin.hour_closes.assign(kHourCloses, coin.price);
  coin.hour_closes[kHourCloses - 2] = coin.minute_closes.front();
  for (size_t i = kHourCloses - 2; i-- > 0;) {
    coin.hour_closes[i] = coin.hour_closes[i + 1] * std::exp(-hour_shock(rng_));
  }
}

void SimMarket::Step() {
  std::normal_distribution<double> shock(0.0, kMinuteSigma);
  std::normal_distribution<double> volume_shock(0.0, 0.01);
  for (SimCoin& coin : coins_) {
    coin.price *= std::exp(shock(rng_));
    coin.volume_24h *= std::exp(volume_shock(rng_));
    coin.minute_closes.push_back(coin.price);
    if (coin.minute_closes.size() > kMinuteCloses) {
      coin.minute_closes.erase(coin.minute_closes.begin());
    }
  }
  steps_++;
  if (steps_ % 60 == 0) {
    for (SimCoin& coin : coins_) {
      coin.hour_closes.push_back(coin.price);
      if (coin.hour_closes.size() > kHourCloses) coin.hour_closes.erase(coin.hour_closes.begin());
    }
  }
  minute_ += minutes(1);
  for (size_t i = 0; i < coins_.size(); ++i) {
    if (MinutesSinceRefresh(coins_[i].id, minute_) == 0) quotes_[i] = Quote(coins_[i], minute_);
  }
}

std::vector<SimQuote> SimMarket::Snapshot(TimePoint now, TimePoint* updated) {
  TimePoint target = std::chrono::floor<minutes>(now);
  if (target - minute_ > std::chrono::days(1)) minute_ = target - std::chrono::days(1);
  while (minute_ < target) Step();
  if (updated != nullptr) *updated = minute_;
  std::vector<SimQuote> quotes = quotes_;
  std::sort(quotes.begin(), quotes.end(),
            [](const SimQuote& a, const SimQuote& b) { return a.market_cap > b.market_cap; });
  return quotes;
}

}  // namespace coinlake::cmc
