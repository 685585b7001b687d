// A simulated crypto market for `coinlake sim`: thousands of coins with stable ids, each with a
// past going years back.
//
// One market, one history: a coin's price, volume and supply at any minute are a pure function
// of (seed, coin, minute), computed in constant time from counter-based hashes (value noise at
// scales from a minute to half a year, plus a per-coin trend), never by stepping from a start.
// So the latest endpoints and the historical ones answer from the same history, whenever and in
// whatever order they are asked.
//
// Like CMC, the market refreshes each coin's listed quote by the minute, not every coin at
// once: each coin every kRefreshMinutes, at its own minute, so a listing mixes quotes of the
// last few minutes, and two polls a minute apart share some quotes (same coin and last_updated)
// and renew others. A quote's values are fixed by its coin and last_updated. A coin exists from
// its date_added on; before that it is in no answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace coinlake::cmc {

struct SimCoin {
  int64_t id;
  std::string name;
  std::string symbol;
  std::string slug;
  TimePoint date_added;              // also its first_historical_data; a whole minute
  std::optional<double> max_supply;  // null for most coins, as on CMC
  int64_t num_market_pairs;
};

// One coin's quote as of `last_updated` (a refresh minute), the same in every answer until the
// coin's next refresh.
struct SimQuote {
  const SimCoin* coin;  // lives as long as the SimMarket
  TimePoint last_updated;
  double price;
  double volume_24h;
  double market_cap;  // price * circulating_supply
  double circulating_supply;
  double total_supply;
  // (price / price at last_updated - N) - 1, in percent.
  double percent_change_1h;
  double percent_change_24h;
  double percent_change_7d;
  double percent_change_30d;
  double percent_change_60d;
  double percent_change_90d;
};

// One OHLCV bar over [open_time, close_time) of the quotes served for times inside it.
struct SimBar {
  TimePoint open_time;
  TimePoint close_time;  // exclusive
  TimePoint high_time, low_time;
  double open, high, low, close;  // open/close: the quotes in force at the first/last minute
  double volume;                  // traded during the bar
  double market_cap;              // at close
};

class SimMarket {
 public:
  // Builds `coin_count` coins from `seed`; the same seed always gives the same market.
  SimMarket(uint64_t seed, int coin_count);

  // Minutes between two refreshes of one coin's listed quote.
  static constexpr int kRefreshMinutes = 3;

  // Every coin existing at `now`, each as of its last refresh at or before now, sorted by
  // market cap, largest first; `updated` (if given) receives the minute containing `now`: when
  // the market as a whole was updated. Thread-safe.
  std::vector<SimQuote> Snapshot(TimePoint now, TimePoint* updated = nullptr) const;

  // The coin's quote listed at `t` (as of its last refresh at or before t); nullopt before the
  // coin's date_added. (Its first quote may carry a last_updated up to kRefreshMinutes - 1
  // minutes before date_added.)
  std::optional<SimQuote> QuoteAt(const SimCoin& coin, TimePoint t) const;
  // The bar over [open, close) (whole minutes) of the quotes listed for minutes inside it; high
  // and low are exact over every such minute. REQUIRES: open < close.
  SimBar Bar(const SimCoin& coin, TimePoint open, TimePoint close) const;
  // Sum of the market caps and 24h volumes of Snapshot(t), and how many coins it lists.
  struct Totals {
    double market_cap = 0;
    double volume_24h = 0;
    double btc_market_cap = 0;
    double btc_volume_24h = 0;
    double eth_market_cap = 0;
    int64_t coins = 0;
  };
  Totals TotalsAt(TimePoint t) const;

  // Every coin, existing or not yet, in the market's fixed order.
  const std::vector<SimCoin>& coins() const { return coins_; }
  const SimCoin* FindById(int64_t id) const;
  int coin_count() const { return static_cast<int>(coins_.size()); }

  // The minute of `t`'s last refresh of `coin` (the quote's last_updated).
  static TimePoint LastRefresh(const SimCoin& coin, TimePoint t);

 private:
  // Per coin, the hidden parameters of its history (same order as coins_).
  struct Path {
    uint64_t key;            // hash stream of this coin
    double log_price;        // log price at the anchor time, before noise
    double trend;            // log price drift per year
    double sigma;            // noise scale per sqrt(minute)
    double log_supply;       // log circulating supply at the anchor time
    double supply_growth;    // log supply drift per year
    double total_ratio;      // total / circulating supply
    double volume_fraction;  // 24h volume / market cap, before noise
  };

  double PriceAtMinute(size_t i, int64_t minute) const;
  double SupplyAtMinute(size_t i, int64_t minute) const;
  // 24h volume at `minute`, given the price then.
  double VolumeAtMinute(size_t i, int64_t minute, double price) const;
  SimQuote QuoteAtRefresh(size_t i, int64_t minute) const;
  size_t IndexOf(const SimCoin& coin) const { return static_cast<size_t>(&coin - coins_.data()); }

  std::vector<SimCoin> coins_;
  std::vector<Path> paths_;
};

}  // namespace coinlake::cmc
