#include "lake/keys.h"

#include <fmt/format.h>

namespace coinlake::lake {
namespace {

std::string Stem(std::string_view area, std::string_view endpoint, TimePoint t) {
  return fmt::format("{}/cmc/{}/dt={}/{}_{}", area, endpoint, FormatDate(t), endpoint,
                     FormatKeyTime(t));
}

}  // namespace

bool IsKnownEndpoint(std::string_view endpoint) {
  return endpoint == kListingsLatest || endpoint == kQuotesLatest ||
         endpoint == kGlobalMetricsLatest || endpoint == kKeyInfo || endpoint == kMap;
}

std::string RawBodyKey(std::string_view endpoint, TimePoint data_time) {
  return Stem("raw", endpoint, data_time) + ".json.gz";
}

std::string RawMetaKey(std::string_view endpoint, TimePoint data_time) {
  return Stem("raw", endpoint, data_time) + ".meta.json";
}

std::string QuarantineKey(std::string_view endpoint, TimePoint time, std::string_view sha256_hex) {
  return fmt::format("{}_{}.json.gz", Stem("quarantine", endpoint, time), sha256_hex.substr(0, 12));
}

std::string CuratedQuotesKey(TimePoint data_time, std::string_view source) {
  return fmt::format("curated/quotes/dt={}/{}_{}.csv.gz", FormatDate(data_time),
                     source == kQuotesLatest ? kQuotesLatest : "quotes", FormatKeyTime(data_time));
}

std::string RawPrefix(std::string_view endpoint) { return fmt::format("raw/cmc/{}/", endpoint); }

StatusOr<RawKey> ParseRawKey(std::string_view key) {
  auto bad = [&] { return InvalidArgumentError(fmt::format("not a raw lake key: '{}'", key)); };
  constexpr std::string_view kRoot = "raw/cmc/";
  if (!key.starts_with(kRoot)) return bad();
  std::string_view rest = key.substr(kRoot.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return bad();
  RawKey out;
  out.endpoint = std::string(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);
  // dt=YYYY-MM-DD/
  if (rest.size() < 14 || !rest.starts_with("dt=") || rest[13] != '/') return bad();
  std::string_view date = rest.substr(3, 10);
  rest.remove_prefix(14);
  std::string name_prefix = out.endpoint + "_";
  if (!rest.starts_with(name_prefix)) return bad();
  rest.remove_prefix(name_prefix.size());
  if (rest.ends_with(".json.gz")) {
    rest.remove_suffix(8);
  } else if (rest.ends_with(".meta.json")) {
    rest.remove_suffix(10);
    out.is_meta = true;
  } else {
    return bad();
  }
  auto time = ParseKeyTime(rest);
  if (!time.ok()) return bad();
  out.data_time = *time;
  if (FormatDate(out.data_time) != date) return bad();  // dt= must match the name's date
  return out;
}

}  // namespace coinlake::lake
