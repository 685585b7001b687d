// curated/quotes: flat CSV rows derived from a raw listings/quotes payload, for Athena, DuckDB or
// Spark (docs/athena.sql). Deterministic: the same payload always yields the same bytes, so
// writing it under CuratedQuotesKey() is idempotent like every lake write.
#pragma once

#include <string>

#include "cmc/types.h"
#include "lake/object_store.h"

namespace coinlake::pipeline {

// The CSV header line (no trailing newline), in column order.
extern const char kCuratedQuotesHeader[];

// RFC 4180 CSV with a header row: one line per QuoteRow, snapshot time first. Times are
// ISO-8601 UTC; missing values are empty fields; numbers use the shortest exact form.
std::string CuratedQuotesCsv(const cmc::QuotesPayload& payload);

// Puts the gzip'd CSV of a raw listings_latest/quotes_latest body (`stored`, gzip or plain) under
// CuratedQuotesKey(its data time). Any other key (sidecars, other endpoints) is left alone.
// Idempotent: the same raw object always gives the same bytes, so a repeat is a no-op.
Status PutCuratedQuotes(lake::ObjectStore& store, const std::string& raw_key,
                        std::string_view stored);

}  // namespace coinlake::pipeline
