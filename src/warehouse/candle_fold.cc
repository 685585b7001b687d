#include "warehouse/candle_fold.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace coinlake::warehouse {
namespace {

// What PostgreSQL holds for a double a binary COPY sent: a non-finite one is NULL
// (BinaryCopyWriter::Float8).
std::optional<double> Stored(std::optional<double> v) {
  if (v && !std::isfinite(*v)) return std::nullopt;
  return v;
}

bool ByCoinCurrencyBucket(const Candle& a, const Candle& b) {
  return std::tie(a.cmc_id, a.quote_currency, a.bucket) <
         std::tie(b.cmc_id, b.quote_currency, b.bucket);
}

}  // namespace

void MergeCandle(Candle& into, const Candle& part) {
  if (into.samples == 0) {
    into = part;
    return;
  }
  if (part.first_ts < into.first_ts) {
    into.open = part.open;
    into.first_ts = part.first_ts;
  }
  if (part.last_ts > into.last_ts) {
    into.close = part.close;
    into.volume_24h = part.volume_24h;
    into.last_ts = part.last_ts;
  }
  into.high = std::max(into.high, part.high);
  into.low = std::min(into.low, part.low);
  into.samples += part.samples;
}

void CandleFold::Add(const std::string& key, TimePoint snapshot,
                     const std::vector<cmc::QuoteRow>& rows) {
  const std::string* interned = &*keys_.insert(key).first;
  const std::string* currency = nullptr;
  for (const cmc::QuoteRow& r : rows) {
    if (currency == nullptr || *currency != r.quote_currency) {
      currency = &*currencies_.insert(r.quote_currency).first;
    }
    const CoinCurrency coin{r.cmc_id, currency};
    const Quote quote{snapshot, interned, Stored(r.price), Stored(r.volume_24h)};
    const TimePoint hour = std::chrono::floor<std::chrono::hours>(r.ts);
    if (taken_before_ && hour < *taken_before_) {
      auto newest = newest_taken_.find(coin);
      const bool losing_copy = newest != newest_taken_.end() && newest->second.first == r.ts &&
                               !(quote < newest->second.second);
      if (!losing_copy) late_.insert(hour);
      continue;
    }
    Quotes& quotes = open_[hour][coin];
    auto same_time =
        std::find_if(quotes.begin(), quotes.end(), [&](const auto& q) { return q.first == r.ts; });
    if (same_time == quotes.end()) {
      quotes.emplace_back(r.ts, quote);
    } else if (quote < same_time->second) {
      same_time->second = quote;
    }
  }
}

std::vector<Candle> CandleFold::TakeHoursEndingBy(TimePoint boundary) {
  std::vector<Candle> out;
  auto it = open_.begin();
  for (; it != open_.end() && it->first + std::chrono::hours(1) <= boundary; ++it) {
    const TimePoint hour = it->first;
    for (const auto& [coin, quotes] : it->second) {
      const auto& [cmc_id, currency] = coin;
      Candle candle{cmc_id, *currency, hour};
      for (const auto& [ts, q] : quotes) {
        if (!q.price) continue;
        MergeCandle(candle, Candle{cmc_id, *currency, hour, *q.price, *q.price, *q.price, *q.price,
                                   q.volume, 1, ts, ts});
      }
      if (candle.samples > 0) {
        const TimePoint day = std::chrono::floor<std::chrono::days>(hour);
        Candle& daily = days_[{day, cmc_id, *currency}];
        MergeCandle(daily, candle);
        daily.bucket = day;
        out.push_back(std::move(candle));
      }
      const auto& [newest_ts, newest] =
          *std::max_element(quotes.begin(), quotes.end(),
                            [](const auto& a, const auto& b) { return a.first < b.first; });
      auto [taken, fresh] = newest_taken_.try_emplace(coin, std::pair{newest_ts, newest});
      if (!fresh && newest_ts > taken->second.first) taken->second = {newest_ts, newest};
    }
  }
  open_.erase(open_.begin(), it);
  const TimePoint first_open = std::chrono::floor<std::chrono::hours>(boundary);
  if (!taken_before_ || first_open > *taken_before_) taken_before_ = first_open;
  std::sort(out.begin(), out.end(), ByCoinCurrencyBucket);
  return out;
}

std::vector<Candle> CandleFold::TakeDaysEndingBy(TimePoint boundary) {
  // A day is whole once every hour before `boundary` is taken and the day ends by then.
  const TimePoint taken_before = taken_before_.value_or(TimePoint::min());
  std::vector<Candle> out;
  auto it = days_.begin();
  for (; it != days_.end(); ++it) {
    const TimePoint end = std::get<0>(it->first) + std::chrono::days(1);
    if (end > boundary || end > taken_before) break;
    out.push_back(std::move(it->second));
  }
  days_.erase(days_.begin(), it);
  std::sort(out.begin(), out.end(), ByCoinCurrencyBucket);
  return out;
}

std::set<TimePoint> CandleFold::UnwrittenHours() const {
  std::set<TimePoint> hours = late_;
  for (const auto& [hour, coins] : open_) hours.insert(hour);
  for (const auto& [key, day] : days_) hours.insert(std::get<0>(key));  // rebuilds the day
  return hours;
}

}  // namespace coinlake::warehouse
