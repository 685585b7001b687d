#include "warehouse/checksum.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <tuple>

#include "common/bytes.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

// Hand-formatted rather than with fmt: compaction checksums every quote of a day (a third of
// its parse time went to fmt's format-string machinery).
void AppendInt(std::string& out, int64_t v) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, end);
}

// The big-endian hex of float8send(v), as PostgreSQL's encode(..., 'hex') writes it.
void AppendDouble(std::string& out, std::optional<double> v) {
  out.push_back(',');
  // The loader stores non-finite values as NULL.
  if (!v || !std::isfinite(*v)) return;
  static constexpr char kHex[] = "0123456789abcdef";
  const auto bits = std::bit_cast<uint64_t>(*v);
  char hex[16];
  for (int i = 0; i < 16; ++i) hex[i] = kHex[(bits >> (60 - 4 * i)) & 0xf];
  out.append(hex, sizeof hex);
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

}  // namespace

const char* const kChecksumQuotesByIdentitySql = R"sql(
SELECT count(*), coalesce(md5(string_agg(concat_ws(',', cmc_id, quote_currency,
         (extract(epoch FROM ts) * 1000000)::bigint,
         coalesce(encode(float8send(price), 'hex'), ''),
         coalesce(encode(float8send(volume_24h), 'hex'), ''),
         coalesce(encode(float8send(market_cap), 'hex'), ''),
         coalesce(encode(float8send(percent_change_1h), 'hex'), ''),
         coalesce(encode(float8send(percent_change_24h), 'hex'), ''),
         coalesce(encode(float8send(percent_change_7d), 'hex'), '')),
       E'\n' ORDER BY cmc_id, quote_currency COLLATE "C", ts)), '')
FROM quotes
WHERE ts BETWEEN $4 AND $5
  AND (cmc_id, quote_currency, ts) IN (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])))sql";

RowsChecksum ChecksumQuotes(const std::vector<cmc::QuoteRow>& rows) {
  std::vector<const cmc::QuoteRow*> sorted;
  sorted.reserve(rows.size());
  for (const cmc::QuoteRow& r : rows) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return std::tie(a->cmc_id, a->quote_currency, a->ts) <
           std::tie(b->cmc_id, b->quote_currency, b->ts);
  });
  std::string text;
  for (const cmc::QuoteRow* r : sorted) {
    if (!text.empty()) text.push_back('\n');
    AppendInt(text, r->cmc_id);
    text.push_back(',');
    text.append(r->quote_currency);
    text.push_back(',');
    AppendInt(
        text,
        std::chrono::duration_cast<std::chrono::microseconds>(r->ts.time_since_epoch()).count());
    for (auto v : {r->price, r->volume_24h, r->market_cap, r->percent_change_1h,
                   r->percent_change_24h, r->percent_change_7d}) {
      AppendDouble(text, v);
    }
  }
  return {static_cast<int64_t>(rows.size()), rows.empty() ? "" : Md5Hex(text)};
}

std::string IntArrayLiteral(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(values[i]);
  }
  return out + "}";
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out + "}";
}

StatusOr<RowsChecksum> DatabaseChecksumOf(Connection& db, const std::vector<cmc::QuoteRow>& rows) {
  if (rows.empty()) return RowsChecksum{};
  std::vector<int64_t> ids;
  std::vector<std::string> currencies, times;
  TimePoint lo = rows.front().ts, hi = rows.front().ts;
  for (const cmc::QuoteRow& r : rows) {
    ids.push_back(r.cmc_id);
    currencies.push_back(r.quote_currency);
    times.push_back(FormatIso8601(r.ts));
    lo = std::min(lo, r.ts);
    hi = std::max(hi, r.ts);
  }
  ASSIGN_OR_RETURN(Rows result,
                   db.Query(kChecksumQuotesByIdentitySql,
                            {IntArrayLiteral(ids), TextArrayLiteral(currencies),
                             TextArrayLiteral(times), FormatIso8601(lo), FormatIso8601(hi)}));
  return RowsChecksum{std::stoll(result.text(0, 0)), result.text(0, 1)};
}

}  // namespace coinlake::warehouse
