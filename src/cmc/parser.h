// Turns CoinMarketCap response bodies into typed rows (simdjson On-Demand).
//
// Parsing is by key name, never by position; unknown keys are skipped. Invalid input returns
// INVALID_ARGUMENT with the JSON path and byte offset of the problem; it never crashes.
#pragma once

#include <string_view>

#include "cmc/types.h"
#include "common/status.h"

namespace coinlake::cmc {

// Parses only the `status` envelope. Works on error responses, which have no `data`.
StatusOr<ResponseStatus> ParseStatus(std::string_view json);

// Parses a /v1/cryptocurrency/listings/latest response: `data` is an array of coins, each with
// a `quote` object keyed by currency. One row per (coin, currency).
// A response whose status.error_code is non-zero is an error (FAILED_PRECONDITION).
StatusOr<QuotesPayload> ParseListings(std::string_view json);

}  // namespace coinlake::cmc
