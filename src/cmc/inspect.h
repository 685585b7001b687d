// `coinlake inspect`: the rows a raw CMC payload yields, as JSON lines.
#pragma once

#include <ostream>
#include <string_view>

#include "common/status.h"

namespace coinlake::cmc {

// Detects the payload kind (listings, quotes v1/v2, quotes and OHLCV historical, global metrics
// latest and historical, key info, map; a recorder envelope's .response.body is unwrapped) and
// writes one JSON object per row, each with a "kind" field. A payload that carries a CMC error,
// is not a CMC payload, or cannot be placed, is INVALID_ARGUMENT with one line saying why;
// nothing is written then.
Status WritePayloadRows(std::string_view body, std::ostream& out);

// `coinlake inspect FILE`: as WritePayloadRows, on bytes as stored in the lake or a spool, gzip'd
// (detected by its magic bytes) or plain. Corrupt gzip is INVALID_ARGUMENT too.
Status WriteStoredPayloadRows(std::string_view stored, std::ostream& out);

}  // namespace coinlake::cmc
