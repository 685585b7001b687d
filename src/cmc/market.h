// A simulated crypto market for `coinlake sim`: thousands of coins with stable ids whose prices
// follow seeded random walks, advanced one step per simulated minute. Like CMC, it refreshes
// each coin's listed quote by the minute, not every coin at once: each coin every
// kRefreshMinutes, at its own minute, so a listing mixes quotes of the last few minutes, and two
// polls a minute apart share some quotes (same coin and last_updated) and renew others.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace coinlake::cmc {

struct SimCoin {
  int64_t id;
  std::string name;
  std::string symbol;
  std::string slug;
  TimePoint date_added;
  double price;
  double circulating_supply;
  double total_supply;
  std::optional<double> max_supply;  // null for most coins, as on CMC
  double volume_24h;
  int64_t num_market_pairs;
  // Closes for the percent changes: the last 61 minutes and the last 169 hours, newest last.
  std::vector<double> minute_closes;
  std::vector<double> hour_closes;
};

// What one coin looks like in a response: its quote as of its last refresh, the same in every
// answer until the next (a quote's values are fixed by its coin and last_updated, as on CMC).
struct SimQuote {
  const SimCoin* coin;  // valid until the next Snapshot()
  TimePoint last_updated;
  double price;
  double volume_24h;
  double market_cap;
  double percent_change_1h;
  double percent_change_24h;
  double percent_change_7d;
};

class SimMarket {
 public:
  // Builds `coin_count` coins from `seed`; the same seed always gives the same market.
  SimMarket(uint64_t seed, int coin_count, TimePoint start);

  // Minutes between two refreshes of one coin's listed quote.
  static constexpr int kRefreshMinutes = 3;

  // Advances the walk to the minute containing `now` (at most one day of steps at a time) and
  // returns each coin's quote as of its last refresh, sorted by market cap, largest first, and
  // in `updated` (if given) the minute the walk reached: when the market as a whole was updated.
  // REQUIRES: the caller holds the lock returned by Lock() while it reads the quotes.
  std::vector<SimQuote> Snapshot(TimePoint now, TimePoint* updated = nullptr);
  std::unique_lock<std::mutex> Lock() { return std::unique_lock(mu_); }

  int coin_count() const { return static_cast<int>(coins_.size()); }

 private:
  // Closes kept per coin: an hour of minutes and a week of hours, each with both ends.
  static constexpr size_t kMinuteCloses = 61;
  static constexpr size_t kHourCloses = 169;

  void SeedHistory(SimCoin& coin);  // a synthetic past week, so changes differ from the start
  void Step();                      // one simulated minute, then the refreshes due at its end

  std::mutex mu_;
  std::mt19937_64 rng_;
  std::vector<SimCoin> coins_;
  std::vector<SimQuote> quotes_;  // per coin (same order): its quote as of its last refresh
  TimePoint minute_;              // the minute the walk has reached
  int64_t steps_ = 0;
};

}  // namespace coinlake::cmc
