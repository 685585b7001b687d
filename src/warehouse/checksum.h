// A checksum of typed quote rows that C++ (from a re-parsed lake object) and SQL (from the
// quotes table) compute identically, so `audit` can prove the database holds what the lake
// says, bit for bit.
//
// Canonical row: cmc_id, quote_currency, ts (epoch microseconds), then price, volume_24h,
// market_cap, percent_change_1h, percent_change_24h, percent_change_7d as the 16 hex digits
// of their IEEE-754 bits ("" for NULL), comma-separated. These are the quote's own values,
// fixed by its (cmc_id, currency, ts) identity; coin-level fields (rank, supplies, snapshot
// time) may legitimately differ between two snapshots that carry the same quote.
// Checksum: md5 hex of the canonical rows sorted by (cmc_id, currency bytes, ts), joined by
// '\n'; "" for no rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"

namespace coinlake::warehouse {

struct RowsChecksum {
  int64_t rows = 0;
  std::string md5;
  bool operator==(const RowsChecksum&) const = default;
};

RowsChecksum ChecksumQuotes(const std::vector<cmc::QuoteRow>& rows);

// A query returning (count, md5) over the quotes whose identity is in the arrays $1 (bigint[]
// ids), $2 (text[] currencies), $3 (timestamptz[] times), aligned; $4/$5 bound ts for pruning.
extern const char* const kChecksumQuotesByIdentitySql;

// The database's checksum of the quotes with the identities of `rows` (a re-parsed lake object's):
// equal to ChecksumQuotes(rows) when the database holds exactly those quotes, values included.
class Connection;
StatusOr<RowsChecksum> DatabaseChecksumOf(Connection& db, const std::vector<cmc::QuoteRow>& rows);

// Array literals for those parameters.
std::string IntArrayLiteral(const std::vector<int64_t>& values);
std::string TextArrayLiteral(const std::vector<std::string>& values);

}  // namespace coinlake::warehouse
