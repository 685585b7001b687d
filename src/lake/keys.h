// The lake layout (docs/lake.md): pure functions from (endpoint, data time) to object keys.
//
//   raw/cmc/<endpoint>/dt=YYYY-MM-DD/<endpoint>_YYYY-MM-DDTHH-MM-SSZ.json.gz
//   raw/cmc/<endpoint>/dt=YYYY-MM-DD/<endpoint>_YYYY-MM-DDTHH-MM-SSZ.meta.json
//   quarantine/cmc/<endpoint>/dt=YYYY-MM-DD/<endpoint>_YYYY-MM-DDTHH-MM-SSZ_<sha12>.json.gz
//   curated/<table>/dt=YYYY-MM-DD/<table>_YYYY-MM-DD_<sha12>.parquet         (`compact`)
//   curated/_manifests/<table>/dt=YYYY-MM-DD/v000001.json                   (its manifests)
//   raw/cmc/<endpoint>/dt=YYYY-MM-DD/<endpoint>_YYYY-MM-DDTHH-MM-SSZ_<request>.json.gz  (history)
//
// The time of a live endpoint's key is the payload's own status.timestamp (data time), so the
// same response always gets the same key, whichever run fetched it. A historical endpoint's key
// is made from its request instead: the time is the start of the window it asks for and
// <request> a digest of the whole request (coins, window, interval, currencies), so a backfill
// run again finds what it already holds before asking CMC.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::lake {

// Endpoint names used in keys.
inline constexpr std::string_view kListingsLatest = "listings_latest";
inline constexpr std::string_view kQuotesLatest = "quotes_latest";
inline constexpr std::string_view kGlobalMetricsLatest = "global_metrics_latest";
inline constexpr std::string_view kKeyInfo = "key_info";
inline constexpr std::string_view kMap = "map";
// The historical endpoints (`coinlake backfill`, `audit --fill`).
inline constexpr std::string_view kQuotesHistorical = "quotes_historical";
inline constexpr std::string_view kOhlcvHistorical = "ohlcv_historical";
inline constexpr std::string_view kGlobalMetricsHistorical = "global_metrics_historical";
inline constexpr std::string_view kListingsHistorical = "listings_historical";

bool IsKnownEndpoint(std::string_view endpoint);

// `request`: empty for a live endpoint; for a historical one, the request's digest (lower-case
// letters, digits and '-').
std::string RawBodyKey(std::string_view endpoint, TimePoint data_time,
                       std::string_view request = {});
std::string RawMetaKey(std::string_view endpoint, TimePoint data_time,
                       std::string_view request = {});
// Quarantined bodies may not have a data time (unparsable): `time` is then the fetch time, and
// the body's hash keeps two different bad answers in the same second apart.
std::string QuarantineKey(std::string_view endpoint, TimePoint time, std::string_view sha256_hex);
// The analytics layer (`coinlake compact`, docs/lake.md): one Parquet file per table and UTC day,
// named by the start of its sha256 (a recompacted day gets a new name), and the day's manifests,
// numbered from 1; the highest number is the current one.
std::string CuratedDayPrefix(std::string_view table, std::string_view date);
std::string CuratedFileKey(std::string_view table, std::string_view date, std::string_view sha12);
std::string ManifestDayPrefix(std::string_view table, std::string_view date);
std::string ManifestKey(std::string_view table, std::string_view date, int64_t version);
// The version of a ManifestKey; 0 for any other key.
int64_t ParseManifestVersion(std::string_view key);

// A body (raw/ or quarantine/, .json.gz) and its sidecar (.meta.json) share a stem, so key
// order puts a body right before its sidecar.
bool IsBodyKey(std::string_view key);
bool IsSidecarKey(std::string_view key);
// The sidecar key of a body key (REQUIRES: IsBodyKey), and the body key of a sidecar key
// (REQUIRES: IsSidecarKey).
std::string SidecarKeyOf(std::string_view body_key);
std::string BodyKeyOf(std::string_view sidecar_key);
// Whether `sidecar_key` is the sidecar of `body_key`.
bool IsSidecarOf(std::string_view sidecar_key, std::string_view body_key);

// "raw/cmc/listings_latest/" : the prefix that holds one endpoint's raw objects.
std::string RawPrefix(std::string_view endpoint);

struct RawKey {
  std::string endpoint;
  TimePoint data_time{};
  bool is_meta = false;  // .meta.json sidecar rather than the .json.gz body
  std::string request;   // a historical key's request digest; empty for a live one
};

// Inverse of RawBodyKey/RawMetaKey. INVALID_ARGUMENT for anything else.
StatusOr<RawKey> ParseRawKey(std::string_view key);

}  // namespace coinlake::lake
