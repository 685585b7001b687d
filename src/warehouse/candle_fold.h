// Candles folded in the client while a rebuild loads quotes: the candles the SQL of loader.cc
// builds from the `quotes` table (kCandleColumns: the first and last price by time, the
// extremes, the last quote's 24h volume, the sample count, the first and last time), computed
// from the rows as they load, so that rebuilding the database from the lake does not ask the
// server to group every quote again (docs/database.md, "Rebuilding quotes").
//
// Each quote counts once, as in the table: a quote (coin, currency, time) that several objects
// carry is the copy of the earliest snapshot (then the smallest key), the one the rebuild keeps
// when it removes duplicates (coinlake_quotes_restore_indexes). A quote without a price is in
// no candle. Tested equal to the SQL on random data (candle_fold_test.cc).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cmc/types.h"
#include "common/time_util.h"

namespace coinlake::warehouse {

// One row of candles_hourly or candles_daily (source 'quotes').
struct Candle {
  int64_t cmc_id = 0;
  std::string quote_currency;
  TimePoint bucket{};
  double open = 0, high = 0, low = 0, close = 0;
  std::optional<double> volume_24h;  // the last quote's
  int64_t samples = 0;
  TimePoint first_ts{}, last_ts{};

  bool operator==(const Candle&) const = default;
};

// Merges the candle of some quotes into the candle of others (no quote in both), as the load
// transaction's SQL merge does: `into` with no samples becomes `part`.
void MergeCandle(Candle& into, const Candle& part);

// Quotes in, hourly candles out. Not thread-safe: its owner serializes the calls.
class CandleFold {
 public:
  // The rows of one loaded object: `snapshot` is its status.timestamp, `key` its lake key.
  void Add(const std::string& key, TimePoint snapshot, const std::vector<cmc::QuoteRow>& rows);

  // Takes out the candles of every hour that ends at or before `boundary`, sorted by coin,
  // currency and hour, and forgets their quotes. A row that comes later for a taken hour is
  // not folded: its hour is late (late_hours), unless it is a later copy of the newest quote
  // taken for its coin (a coin CMC has not refreshed since), which the rebuild removes.
  std::vector<Candle> TakeHoursEndingBy(TimePoint boundary);
  // Takes out the daily candles of the days whose hours are all taken and that end at or
  // before `boundary` (each day once, whole), sorted by coin, currency and day.
  std::vector<Candle> TakeDaysEndingBy(TimePoint boundary);

  // Hours whose candles the table must build if the fold stops here: every late one, every one
  // folded and not taken, and one of each day not taken (its day is rebuilt with it).
  std::set<TimePoint> UnwrittenHours() const;
  const std::set<TimePoint>& late_hours() const { return late_; }

 private:
  struct Quote {
    TimePoint snapshot{};
    const std::string* key = nullptr;  // into keys_
    std::optional<double> price;       // none: in no candle
    std::optional<double> volume;
    bool operator<(const Quote& o) const {
      return std::tie(snapshot, *key) < std::tie(o.snapshot, *o.key);  // which copy is kept
    }
  };
  // A coin and a currency (interned: currencies_).
  using CoinCurrency = std::pair<int64_t, const std::string*>;
  struct CoinCurrencyHash {
    size_t operator()(const CoinCurrency& c) const {
      return std::hash<int64_t>()(c.first) * 31 + std::hash<const void*>()(c.second);
    }
  };
  // A candle's quotes, each time once, in the order they came (a handful an hour: a vector
  // scanned beats a tree allocated per quote, which was most of the fold's cost).
  using Quotes = std::vector<std::pair<TimePoint, Quote>>;

  // Per hour (in order: TakeHoursEndingBy's), coin and currency: the quotes.
  std::map<TimePoint, std::unordered_map<CoinCurrency, Quotes, CoinCurrencyHash>> open_;
  std::set<std::string> keys_, currencies_;
  // Every hour before it was taken; the newest quote taken per coin and currency.
  std::optional<TimePoint> taken_before_;
  std::unordered_map<CoinCurrency, std::pair<TimePoint, Quote>, CoinCurrencyHash> newest_taken_;
  // The days of the hours taken, day first.
  std::map<std::tuple<TimePoint, int64_t, std::string>, Candle> days_;
  std::set<TimePoint> late_;
};

}  // namespace coinlake::warehouse
