#include "pipeline/curated.h"

#include <fmt/format.h>

#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"

namespace coinlake::pipeline {
namespace {

std::string Field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

template <typename T>
std::string Opt(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "";  // {} is the shortest round-trip form for doubles
}

std::string OptTime(const std::optional<TimePoint>& t) { return t ? FormatIso8601(*t) : ""; }

}  // namespace

const char kCuratedQuotesHeader[] =
    "snapshot_ts,cmc_id,symbol,name,slug,quote_currency,ts,cmc_rank,num_market_pairs,price,"
    "volume_24h,volume_change_24h,market_cap,market_cap_dominance,fully_diluted_market_cap,"
    "percent_change_1h,percent_change_24h,percent_change_7d,percent_change_30d,"
    "percent_change_60d,percent_change_90d,circulating_supply,total_supply,max_supply,date_added";

std::string CuratedQuotesCsv(const cmc::QuotesPayload& payload) {
  std::string out = std::string(kCuratedQuotesHeader) + "\n";
  const std::string snapshot = FormatIso8601(payload.status.timestamp);
  for (const cmc::QuoteRow& r : payload.rows) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", snapshot,
        r.cmc_id, Field(r.symbol), Field(r.name), Field(r.slug), Field(r.quote_currency),
        FormatIso8601(r.ts), Opt(r.cmc_rank), Opt(r.num_market_pairs), Opt(r.price),
        Opt(r.volume_24h), Opt(r.volume_change_24h), Opt(r.market_cap), Opt(r.market_cap_dominance),
        Opt(r.fully_diluted_market_cap), Opt(r.percent_change_1h), Opt(r.percent_change_24h),
        Opt(r.percent_change_7d), Opt(r.percent_change_30d), Opt(r.percent_change_60d),
        Opt(r.percent_change_90d), Opt(r.circulating_supply), Opt(r.total_supply),
        Opt(r.max_supply), OptTime(r.date_added));
  }
  return out;
}

Status PutCuratedQuotes(lake::ObjectStore& store, const std::string& raw_key,
                        std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey key, lake::ParseRawKey(raw_key));
  if (key.is_meta ||
      (key.endpoint != lake::kListingsLatest && key.endpoint != lake::kQuotesLatest)) {
    return Status::Ok();
  }
  std::string json;
  if (LooksGzipped(stored)) {
    ASSIGN_OR_RETURN(json, GzipDecompress(stored));
  } else {
    json = std::string(stored);
  }
  ASSIGN_OR_RETURN(cmc::QuotesPayload payload, key.endpoint == lake::kListingsLatest
                                                   ? cmc::ParseListings(json)
                                                   : cmc::ParseQuotes(json));
  ASSIGN_OR_RETURN(std::string gz, GzipCompress(CuratedQuotesCsv(payload)));
  return store.Put(lake::CuratedQuotesKey(key.data_time, key.endpoint), gz);
}

}  // namespace coinlake::pipeline
