#include "cmc/market.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace coinlake::cmc {
namespace {

using std::chrono::minutes;

constexpr int64_t kMinutesPerDay = 1440;
constexpr double kMinutesPerYear = 365.25 * kMinutesPerDay;

// A price's noise per sqrt(minute) at the finest scale: about 5.5% a day for sigma 1.
constexpr double kBaseSigma = 0.00086;
// Value-noise scales, in minutes: 4^0 .. 4^9 (a minute to half a year). Each level adds
// knots of standard deviation sigma * sqrt(period), linearly interpolated, so a change over a
// lag grows like a random walk's and any minute costs one pair of hashes per level.
constexpr int kPriceLevels = 10;
// The volume's noise: hours to days, about 30% in all.
constexpr int64_t kVolumePeriods[] = {60, 240, 1440, 5760};
constexpr double kVolumeSigma = 0.15;

// Prices and supplies of the known coins are theirs at this minute (2026-12-01).
constexpr int64_t kAnchorMinute = 20788 * kMinutesPerDay;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0) {
  return SplitMix64(SplitMix64(SplitMix64(a) ^ b) ^ c);
}

// Uniform in [0, 1).
double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// Uniform with mean 0 and variance 1.
double Centered(uint64_t h) { return (2.0 * Unit(h) - 1.0) * 1.7320508075688772; }

double Normal(uint64_t h) {
  double u1 = Unit(h) + 0x1.0p-54;
  double u2 = Unit(SplitMix64(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Floor division for minutes, which may be negative before 1970.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Linearly interpolated knots of mean 0 and variance scale^2 every `period` minutes.
double ValueNoise(uint64_t key, uint64_t level, int64_t period, int64_t minute, double scale) {
  int64_t k = FloorDiv(minute, period);
  double frac = static_cast<double>(minute - k * period) / static_cast<double>(period);
  double a = Centered(Hash(key, level, static_cast<uint64_t>(k)));
  if (frac == 0) return a * scale;
  double b = Centered(Hash(key, level, static_cast<uint64_t>(k + 1)));
  return (a + (b - a) * frac) * scale;
}

int64_t MinuteOf(TimePoint t) {
  return std::chrono::floor<minutes>(t).time_since_epoch() / minutes(1);
}

TimePoint AtMinute(int64_t minute) { return TimePoint(minutes(minute)); }

int64_t DayMinute(int y, unsigned m, unsigned d) {
  auto days = std::chrono::sys_days(std::chrono::year(y) / m / d).time_since_epoch().count();
  return static_cast<int64_t>(days) * kMinutesPerDay;
}

struct Known {
  int64_t id;
  const char* name;
  const char* symbol;
  const char* slug;
  double price;  // at the anchor
  double supply;
  std::optional<double> max_supply;
  int added_y;
  unsigned added_m, added_d;
  double trend;  // log price drift per year
  double sigma;  // noise, relative to kBaseSigma
};

// The first coins carry real ids, names and listing dates (ids are the identity; symbols
// repeat), including non-ASCII names CMC really lists, so every consumer meets them in tests.
// Stablecoins barely move.
const Known kKnownCoins[] = {
    {1, "Bitcoin", "BTC", "bitcoin", 83117.47, 20090871, 21000000, 2013, 4, 28, 0.51, 0.8},
    {1027, "Ethereum", "ETH", "ethereum", 4012.55, 122090190.7, std::nullopt, 2015, 8, 7, 0.75,
     1.0},
    {825, "Tether USDt", "USDT", "tether", 1.0002, 172000000000, std::nullopt, 2015, 2, 25, 0,
     0.01},
    {52, "XRP", "XRP", "xrp", 2.41, 59000000000, 100000000000, 2013, 8, 4, 0.35, 1.1},
    {1839, "BNB", "BNB", "bnb", 905.1, 139000000, 200000000, 2017, 7, 25, 0.9, 1.0},
    {5426, "Solana", "SOL", "solana", 201.3, 540000000, std::nullopt, 2020, 4, 10, 0.9, 1.3},
    {3408, "USDC", "USDC", "usd-coin", 0.9999, 73000000000, std::nullopt, 2018, 10, 8, 0, 0.01},
    {74, "Dogecoin", "DOGE", "dogecoin", 0.2231, 150000000000, std::nullopt, 2013, 12, 15, 0.45,
     1.4},
    {2010, "Cardano", "ADA", "cardano", 0.81, 36000000000, 45000000000, 2017, 10, 1, 0.3, 1.2},
    {1958, "TRON", "TRX", "tron", 0.339, 94000000000, std::nullopt, 2017, 9, 13, 0.3, 1.0},
    {1700, "Æternity", "AE", "aeternity", 0.0213, 400000000, std::nullopt, 2017, 6, 1, -0.3, 1.3},
    {8884, "İstanbul Başakşehir Fan Token", "IBFK", "istanbul-basaksehir-fan-token", 0.52, 3000000,
     10000000, 2021, 3, 1, -0.1, 1.5},
    {4571, "HDP.ф", "HDP.ф", "hdp", 0.00041, 1000000000, std::nullopt, 2019, 11, 5, -0.2, 1.6},
    {19714, "ℓUSD", "LUSD", "lusd", 0.998, 30000000, std::nullopt, 2022, 5, 2, 0, 0.02},
    {23853, "El Dorado Exchange（Arbitrum）", "EDE", "el-dorado-exchange-arb", 0.031, 50000000,
     std::nullopt, 2023, 3, 14, -0.5, 1.6},
    {36001, "币安人生", "币安人生", "binance-life", 0.0151, 1000000000, 1000000000, 2025, 10, 8,
     0.2, 1.8},
    {11810, "PirateCoin☠", "PirateCoin☠", "piratecoin", 0.0000082, 9000000000000, std::nullopt,
     2021, 7, 20, -0.2, 1.7},
};

std::string SyntheticSymbol(int i) {
  std::string s;
  for (int n = i + 26; n > 0; n /= 26) s.insert(s.begin(), static_cast<char>('A' + n % 26));
  return s;
}

// How many minutes past its last refresh a coin is at `minute`: 0 when it refreshes then. The
// coin's minute in the cycle is a hash of its id (stable across runs and seeds; the ids of the
// synthetic coins are consecutive and a third of them are tokens, so not the id itself).
int64_t MinutesSinceRefresh(int64_t id, int64_t minute) {
  const int64_t period = SimMarket::kRefreshMinutes;
  const auto phase =
      static_cast<int64_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL >> 32) % period);
  return ((minute + phase) % period + period) % period;
}

double Change(double now, double then) { return (now / then - 1.0) * 100.0; }

}  // namespace

SimMarket::SimMarket(uint64_t seed, int coin_count) {
  coins_.reserve(static_cast<size_t>(std::max(coin_count, 0)));
  paths_.reserve(coins_.capacity());
  const int64_t first_synthetic = DayMinute(2013, 6, 1);
  const int64_t last_synthetic = DayMinute(2025, 6, 1);
  for (int i = 0; i < coin_count; ++i) {
    // Each coin's parameters come from hashes of (seed, position): the same seed, the same
    // coin, whatever the coin count.
    auto draw = [&](uint64_t what) { return Hash(seed, static_cast<uint64_t>(i), what); };
    SimCoin coin;
    Path path;
    path.key = draw(0);
    double price = 0, supply = 0;
    if (i < static_cast<int>(std::size(kKnownCoins))) {
      const Known& k = kKnownCoins[i];
      coin = {k.id,
              k.name,
              k.symbol,
              k.slug,
              AtMinute(DayMinute(k.added_y, k.added_m, k.added_d)),
              k.max_supply,
              1000 + static_cast<int64_t>(Unit(draw(1)) * 900) * 10};
      price = k.price;
      supply = k.supply;
      path.trend = k.trend;
      path.sigma = kBaseSigma * k.sigma;
      path.total_ratio = 1.0;
      path.supply_growth = k.max_supply ? 0.02 : 0.04;
    } else {
      coin.id = 40000 + i;  // stable: a function of the position only
      coin.symbol = SyntheticSymbol(i);
      coin.name = fmt::format("Simcoin {}", coin.symbol);
      coin.slug = fmt::format("simcoin-{}", i);
      int64_t day =
          FloorDiv(first_synthetic +
                       static_cast<int64_t>(Unit(draw(2)) *
                                            static_cast<double>(last_synthetic - first_synthetic)),
                   kMinutesPerDay);
      coin.date_added = AtMinute(day * kMinutesPerDay);
      coin.num_market_pairs = 1 + static_cast<int64_t>(Unit(draw(1)) * 900);
      price = std::min(std::exp(-2.0 + 3.0 * Normal(draw(3))), 5000.0);
      // Market caps fall off like a power law below the real coins' (Zipf-like, as on CMC).
      double cap = 4e10 * std::pow(static_cast<double>(i), -1.4) * std::exp(0.3 * Normal(draw(4)));
      supply = cap / price;
      path.total_ratio = 1.1;
      if (Unit(draw(5)) < 0.36) coin.max_supply = std::floor(supply * 1.1 * 1.5);
      path.trend = -0.4 + Unit(draw(6));
      path.sigma = kBaseSigma * (0.7 + Unit(draw(7)));
      path.supply_growth = 0.1 * Unit(draw(8));
    }
    path.log_price = std::log(price);
    path.log_supply = std::log(supply);
    path.volume_fraction = 0.04 * std::exp(0.5 * Normal(draw(9)));
    coins_.push_back(std::move(coin));
    paths_.push_back(path);
  }
}

double SimMarket::PriceAtMinute(size_t i, int64_t minute) const {
  const Path& p = paths_[i];
  double log_price =
      p.log_price + p.trend * static_cast<double>(minute - kAnchorMinute) / kMinutesPerYear;
  int64_t period = 1;
  for (int level = 0; level < kPriceLevels; ++level, period *= 4) {
    log_price += ValueNoise(p.key, static_cast<uint64_t>(level), period, minute,
                            p.sigma * std::sqrt(static_cast<double>(period)));
  }
  return std::exp(log_price);
}

double SimMarket::SupplyAtMinute(size_t i, int64_t minute) const {
  const Path& p = paths_[i];
  double supply =
      std::exp(p.log_supply +
               p.supply_growth * static_cast<double>(minute - kAnchorMinute) / kMinutesPerYear);
  const auto& max = coins_[i].max_supply;
  return max ? std::min(supply, *max) : supply;
}

double SimMarket::VolumeAtMinute(size_t i, int64_t minute, double price) const {
  const Path& p = paths_[i];
  double noise = 0;
  uint64_t level = 100;
  for (int64_t period : kVolumePeriods) {
    noise += ValueNoise(p.key, level++, period, minute, kVolumeSigma);
  }
  return price * SupplyAtMinute(i, minute) * p.volume_fraction * std::exp(noise);
}

SimQuote SimMarket::QuoteAtRefresh(size_t i, int64_t minute) const {
  const Path& p = paths_[i];
  double price = PriceAtMinute(i, minute);
  double supply = SupplyAtMinute(i, minute);
  auto change = [&](int64_t lag) { return Change(price, PriceAtMinute(i, minute - lag)); };
  const auto& max = coins_[i].max_supply;
  double total = max ? std::min(supply * p.total_ratio, *max) : supply * p.total_ratio;
  return {&coins_[i],
          AtMinute(minute),
          price,
          VolumeAtMinute(i, minute, price),
          price * supply,
          supply,
          total,
          change(60),
          change(kMinutesPerDay),
          change(7 * kMinutesPerDay),
          change(30 * kMinutesPerDay),
          change(60 * kMinutesPerDay),
          change(90 * kMinutesPerDay)};
}

TimePoint SimMarket::LastRefresh(const SimCoin& coin, TimePoint t) {
  int64_t minute = MinuteOf(t);
  return AtMinute(minute - MinutesSinceRefresh(coin.id, minute));
}

std::optional<SimQuote> SimMarket::QuoteAt(const SimCoin& coin, TimePoint t) const {
  if (t < coin.date_added) return std::nullopt;
  return QuoteAtRefresh(IndexOf(coin), MinuteOf(LastRefresh(coin, t)));
}

std::vector<SimQuote> SimMarket::Snapshot(TimePoint now, TimePoint* updated) const {
  if (updated != nullptr) *updated = std::chrono::floor<minutes>(now);
  std::vector<SimQuote> quotes;
  quotes.reserve(coins_.size());
  for (const SimCoin& coin : coins_) {
    if (auto q = QuoteAt(coin, now)) quotes.push_back(*q);
  }
  std::sort(quotes.begin(), quotes.end(), [](const SimQuote& a, const SimQuote& b) {
    return a.market_cap != b.market_cap ? a.market_cap > b.market_cap : a.coin->id < b.coin->id;
  });
  return quotes;
}

SimBar SimMarket::Bar(const SimCoin& coin, TimePoint open, TimePoint close) const {
  const size_t i = IndexOf(coin);
  const int64_t first = MinuteOf(open), end = std::max(MinuteOf(close), first + 1);
  SimBar bar{AtMinute(first), AtMinute(end), {}, {}, 0, 0, 0, 0, 0, 0};
  // Walk the refreshes: the quote listed at minute m is the one of m's last refresh, so each
  // refresh's price holds for the bar's minutes until the next one.
  int64_t refresh = first - MinutesSinceRefresh(coin.id, first);
  bool any = false;
  double price = 0;
  for (; refresh < end; refresh += kRefreshMinutes) {
    int64_t from = std::max(refresh, first);
    int64_t to = std::min(refresh + kRefreshMinutes, end);
    price = PriceAtMinute(i, refresh);
    if (!any) {
      bar.open = bar.high = bar.low = price;
      bar.high_time = bar.low_time = AtMinute(from);
      any = true;
    }
    if (price > bar.high) {
      bar.high = price;
      bar.high_time = AtMinute(from);
    }
    if (price < bar.low) {
      bar.low = price;
      bar.low_time = AtMinute(from);
    }
    bar.volume +=
        VolumeAtMinute(i, refresh, price) * static_cast<double>(to - from) / kMinutesPerDay;
  }
  bar.close = price;
  bar.market_cap = price * SupplyAtMinute(i, refresh - kRefreshMinutes);
  return bar;
}

SimMarket::Totals SimMarket::TotalsAt(TimePoint t) const {
  // Summed in Snapshot's order, so the sums equal those over Snapshot(t) to the last bit.
  struct Entry {
    double cap, volume;
    int64_t id;
  };
  std::vector<Entry> entries;
  entries.reserve(coins_.size());
  const int64_t minute = MinuteOf(t);
  for (size_t i = 0; i < coins_.size(); ++i) {
    int64_t refreshed = minute - MinutesSinceRefresh(coins_[i].id, minute);
    if (AtMinute(minute) < coins_[i].date_added) continue;
    double price = PriceAtMinute(i, refreshed);
    entries.push_back(
        {price * SupplyAtMinute(i, refreshed), VolumeAtMinute(i, refreshed, price), coins_[i].id});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.cap != b.cap ? a.cap > b.cap : a.id < b.id;
  });
  Totals totals;
  for (const Entry& e : entries) {
    totals.market_cap += e.cap;
    totals.volume_24h += e.volume;
    if (e.id == 1) {
      totals.btc_market_cap = e.cap;
      totals.btc_volume_24h = e.volume;
    }
    if (e.id == 1027) totals.eth_market_cap = e.cap;
  }
  totals.coins = static_cast<int64_t>(entries.size());
  return totals;
}

const SimCoin* SimMarket::FindById(int64_t id) const {
  for (const SimCoin& coin : coins_) {
    if (coin.id == id) return &coin;
  }
  return nullptr;
}

}  // namespace coinlake::cmc
