#include "common/time_util.h"

#include <fmt/format.h>

#include <charconv>

namespace coinlake {
namespace {

// Digits only: from_chars alone would take "-0" as a field (found by fuzz/lake_keys_fuzzer.cc:
// "21--0-00Z" parsed as 21:00:00, a second key for one time) and "-001" as a year.
bool ParseInt(std::string_view text, size_t pos, size_t len, int* out) {
  if (pos + len > text.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const char* first = text.data() + pos;
  auto [ptr, ec] = std::from_chars(first, first + len, *out);
  return ec == std::errc() && ptr == first + len;
}

StatusOr<TimePoint> FromFields(int y, int mo, int d, int h, int mi, int s, int ms,
                               std::string_view text) {
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0) {
    return InvalidArgumentError(fmt::format("invalid date or time: '{}'", text));
  }
  return TimePoint(sys_days(ymd) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms));
}

}  // namespace

TimePoint SystemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

TimePoint NextUtcMidnight(TimePoint now) {
  return TimePoint(std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1));
}

TimePoint NextUtcMonthStart(TimePoint now) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
  return TimePoint(std::chrono::sys_days(ymd.year() / ymd.month() / 1 + std::chrono::months(1)));
}

std::chrono::milliseconds MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

StatusOr<TimePoint> ParseIso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+00:00)
  int y, mo, d, h, mi, s, ms = 0;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' ||
      !ParseInt(text, 0, 4, &y) || !ParseInt(text, 5, 2, &mo) || !ParseInt(text, 8, 2, &d) ||
      !ParseInt(text, 11, 2, &h) || !ParseInt(text, 14, 2, &mi) || !ParseInt(text, 17, 2, &s)) {
    return InvalidArgumentError(fmt::format("not an ISO-8601 time: '{}'", text));
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return InvalidArgumentError(fmt::format("not an ISO-8601 time: '{}'", text));
    for (; digits < 3; ++digits) ms *= 10;
  }
  std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00" && zone != "+0000" && !zone.empty()) {
    return InvalidArgumentError(fmt::format("time is not UTC: '{}'", text));
  }
  return FromFields(y, mo, d, h, mi, s, ms, text);
}

namespace {

// Civil UTC fields of a time point, without the C library's time-zone state.
struct Civil {
  int year, month, day, hour, minute, second, millis;
};

Civil ToCivil(TimePoint t) {
  using namespace std::chrono;
  sys_days days = floor<std::chrono::days>(t);
  year_month_day ymd(days);
  hh_mm_ss<milliseconds> hms(t - days);
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count()),
          static_cast<int>(hms.seconds().count()),
          static_cast<int>(hms.subseconds().count())};
}

}  // namespace

std::string FormatIso8601(TimePoint t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", c.year, c.month, c.day,
                     c.hour, c.minute, c.second, c.millis);
}

std::string FormatDate(TimePoint t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

std::string FormatKeyTime(TimePoint t) {
  Civil c = ToCivil(t);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}-{:02d}-{:02d}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
}

StatusOr<TimePoint> ParseKeyTime(std::string_view text) {
  int y, mo, d, h, mi, s;
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != '-' ||
      text[16] != '-' || text[19] != 'Z' || !ParseInt(text, 0, 4, &y) ||
      !ParseInt(text, 5, 2, &mo) || !ParseInt(text, 8, 2, &d) || !ParseInt(text, 11, 2, &h) ||
      !ParseInt(text, 14, 2, &mi) || !ParseInt(text, 17, 2, &s) || s > 59) {
    // FormatKeyTime never writes second 60: accepting it would give one time two keys.
    return InvalidArgumentError(fmt::format("not a lake key time: '{}'", text));
  }
  return FromFields(y, mo, d, h, mi, s, 0, text);
}

std::optional<int64_t> ParseDurationSeconds(std::string_view text, int64_t max_seconds) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value > max_seconds / unit) {
    return std::nullopt;
  }
  return value * unit;
}

}  // namespace coinlake
