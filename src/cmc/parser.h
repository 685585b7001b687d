// Turns CoinMarketCap response bodies into typed rows (simdjson On-Demand).
//
// Parsing is by key name, never by position. Unknown keys are skipped, and each new field name
// is logged once per process ("CMC payload has a new field"), so schema drift is visible
// without breaking a load. Every numeric may be null, an integer, 20+ digits or in exponent
// form. Invalid input returns INVALID_ARGUMENT with the JSON path and byte offset of the
// problem; it never crashes. A response whose status.error_code is non-zero is
// FAILED_PRECONDITION (it carries no data, even on HTTP 200).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"

namespace coinlake::cmc {

// Parses only the `status` envelope. Works on error responses, which have no `data`.
StatusOr<ResponseStatus> ParseStatus(std::string_view json);

// /v1/cryptocurrency/listings/latest: `data` is an array of coins, each with a `quote` object
// keyed by currency. One row per (coin, currency).
StatusOr<QuotesPayload> ParseListings(std::string_view json);

// /v1 and /v2 cryptocurrency/quotes/latest: `data` is keyed by id (as a string) or symbol; each
// value is a coin (v1, and v2 by id/slug) or an array of coins (v2 by symbol). One row per
// (coin, currency), in document order.
StatusOr<QuotesPayload> ParseQuotes(std::string_view json);

// /v1 and /v2 cryptocurrency/quotes/historical: `data` is one coin (v1, one id or symbol),
// keyed by id or symbol (v1 with several, v2), or an array per symbol (v2 by symbol); each coin
// has quotes[] each with quote.<CUR>. The row time is the quote's `timestamp`.
StatusOr<QuotesPayload> ParseQuotesHistorical(std::string_view json);

// /v1 and /v2 cryptocurrency/ohlcv/historical: the same placements of coins as quotes
// historical; each coin has quotes[] of bars (time_open, time_close, quote.<CUR>.open/high/
// low/close/volume/market_cap). One row per (coin, bar, currency).
StatusOr<OhlcvPayload> ParseOhlcvHistorical(std::string_view json);

// /v1/global-metrics/quotes/historical: data.quotes[] each with a timestamp, btc_dominance,
// eth_dominance and the active counts, and quote.<CUR> (total_market_cap, total_volume_24h, ...).
// One row per (point, currency).
StatusOr<GlobalMetricsPayload> ParseGlobalMetricsHistorical(std::string_view json);

// /v1/global-metrics/quotes/latest: one row per quote currency.
StatusOr<GlobalMetricsPayload> ParseGlobalMetrics(std::string_view json);

// /v1/key/info.
StatusOr<KeyInfo> ParseKeyInfo(std::string_view json);

// /v1/cryptocurrency/map.
StatusOr<MapPayload> ParseMap(std::string_view json);

enum class PayloadKind {
  kError,  // a status envelope without data
  kListings,
  kQuotes,
  kQuotesHistorical,
  kOhlcvHistorical,
  kGlobalMetrics,
  kGlobalMetricsHistorical,
  kKeyInfo,
  kMap,
};
std::string_view PayloadKindName(PayloadKind kind);

// Tells the payload kind from the shape of `data` alone (bodies in the lake have no request
// beside them when the .meta.json is missing).
StatusOr<PayloadKind> DetectPayloadKind(std::string_view json);

// "coin.minted_market_cap", ...: the new field names noticed so far in this process, at most
// kMaxNoticedFields of them (names come from the payload: hostile input must not grow memory).
inline constexpr size_t kMaxNoticedFields = 256;
std::vector<std::string> NoticedUnknownFields();
// Empties that set, so a test that fills it leaves the next test in the same process a clean one.
void ForgetNoticedFieldsForTest();

// The parsers keep one simdjson parser and one padded copy of the document per thread, sized
// for the largest payload seen, so parsing object after object (reprocess) allocates nothing. A
// long-lived process that parses rarely (`run`) calls this between cycles to hand them back.
void ReleaseThreadParser();

}  // namespace coinlake::cmc
