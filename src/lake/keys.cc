#include "lake/keys.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace coinlake::lake {
namespace {

constexpr std::string_view kBodySuffix = ".json.gz";
constexpr std::string_view kSidecarSuffix = ".meta.json";

std::string Stem(std::string_view area, std::string_view endpoint, TimePoint t,
                 std::string_view request = {}) {
  return fmt::format("{}/cmc/{}/dt={}/{}_{}{}{}", area, endpoint, FormatDate(t), endpoint,
                     FormatKeyTime(t), request.empty() ? "" : "_", request);
}

bool IsRequestDigest(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

bool IsKnownEndpoint(std::string_view endpoint) {
  return endpoint == kListingsLatest || endpoint == kQuotesLatest ||
         endpoint == kGlobalMetricsLatest || endpoint == kKeyInfo || endpoint == kMap ||
         endpoint == kQuotesHistorical || endpoint == kOhlcvHistorical ||
         endpoint == kGlobalMetricsHistorical || endpoint == kListingsHistorical;
}

std::string RawBodyKey(std::string_view endpoint, TimePoint data_time, std::string_view request) {
  return Stem("raw", endpoint, data_time, request) + std::string(kBodySuffix);
}

std::string RawMetaKey(std::string_view endpoint, TimePoint data_time, std::string_view request) {
  return Stem("raw", endpoint, data_time, request) + std::string(kSidecarSuffix);
}

std::string QuarantineKey(std::string_view endpoint, TimePoint time, std::string_view sha256_hex) {
  return fmt::format("{}_{}{}", Stem("quarantine", endpoint, time), sha256_hex.substr(0, 12),
                     kBodySuffix);
}

bool IsBodyKey(std::string_view key) { return key.ends_with(kBodySuffix); }
bool IsSidecarKey(std::string_view key) { return key.ends_with(kSidecarSuffix); }

std::string SidecarKeyOf(std::string_view body_key) {
  body_key.remove_suffix(kBodySuffix.size());
  return std::string(body_key) + std::string(kSidecarSuffix);
}

std::string BodyKeyOf(std::string_view sidecar_key) {
  sidecar_key.remove_suffix(kSidecarSuffix.size());
  return std::string(sidecar_key) + std::string(kBodySuffix);
}

bool IsSidecarOf(std::string_view sidecar_key, std::string_view body_key) {
  return IsSidecarKey(sidecar_key) && IsBodyKey(body_key) && BodyKeyOf(sidecar_key) == body_key;
}

std::string CuratedDayPrefix(std::string_view table, std::string_view date) {
  return fmt::format("curated/{}/dt={}/", table, date);
}

std::string CuratedFileKey(std::string_view table, std::string_view date, std::string_view sha12) {
  return fmt::format("curated/{}/dt={}/{}_{}_{}.parquet", table, date, table, date, sha12);
}

std::string ManifestDayPrefix(std::string_view table, std::string_view date) {
  return fmt::format("curated/_manifests/{}/dt={}/", table, date);
}

std::string ManifestKey(std::string_view table, std::string_view date, int64_t version) {
  return fmt::format("{}v{:06d}.json", ManifestDayPrefix(table, date), version);
}

int64_t ParseManifestVersion(std::string_view key) {
  if (!key.starts_with("curated/_manifests/") || !key.ends_with(".json")) return 0;
  size_t v = key.rfind("/v");
  if (v == std::string_view::npos) return 0;
  std::string_view digits = key.substr(v + 2, key.size() - v - 2 - 5);
  int64_t version = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size() || version < 1) return 0;
  return version;
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
  if (IsBodyKey(rest)) {
    rest.remove_suffix(kBodySuffix.size());
  } else if (IsSidecarKey(rest)) {
    rest.remove_suffix(kSidecarSuffix.size());
    out.is_meta = true;
  } else {
    return bad();
  }
  // YYYY-MM-DDTHH-MM-SSZ, then a historical key's _<request>
  constexpr size_t kKeyTimeSize = 20;
  if (rest.size() > kKeyTimeSize) {
    if (rest[kKeyTimeSize] != '_' || !IsRequestDigest(rest.substr(kKeyTimeSize + 1))) return bad();
    out.request = std::string(rest.substr(kKeyTimeSize + 1));
    rest = rest.substr(0, kKeyTimeSize);
  }
  auto time = ParseKeyTime(rest);
  if (!time.ok()) return bad();
  out.data_time = *time;
  if (FormatDate(out.data_time) != date) return bad();  // dt= must match the name's date
  return out;
}

}  // namespace coinlake::lake
