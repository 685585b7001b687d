#include "cmc/inspect.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cmc/parser.h"
#include "common/bytes.h"

namespace coinlake::cmc {
namespace {

using nlohmann::ordered_json;

ordered_json Number(const std::optional<double>& v) { return v ? ordered_json(*v) : nullptr; }
ordered_json Integer(const std::optional<int64_t>& v) { return v ? ordered_json(*v) : nullptr; }
ordered_json Time(const std::optional<TimePoint>& v) {
  return v ? ordered_json(FormatIso8601(*v)) : nullptr;
}

void Line(std::ostringstream& out, const ordered_json& row) {
  out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void WriteQuotes(const QuotesPayload& p, PayloadKind kind, std::ostringstream& out) {
  for (const QuoteRow& r : p.rows) {
    ordered_json row;
    row["kind"] = PayloadKindName(kind);
    row["cmc_id"] = r.cmc_id;
    row["symbol"] = r.symbol;
    row["name"] = r.name;
    row["slug"] = r.slug;
    row["quote_currency"] = r.quote_currency;
    row["ts"] = FormatIso8601(r.ts);
    row["snapshot_ts"] = FormatIso8601(p.status.timestamp);
    row["cmc_rank"] = Integer(r.cmc_rank);
    row["num_market_pairs"] = Integer(r.num_market_pairs);
    row["price"] = Number(r.price);
    row["volume_24h"] = Number(r.volume_24h);
    row["volume_change_24h"] = Number(r.volume_change_24h);
    row["market_cap"] = Number(r.market_cap);
    row["market_cap_dominance"] = Number(r.market_cap_dominance);
    row["fully_diluted_market_cap"] = Number(r.fully_diluted_market_cap);
    row["percent_change_1h"] = Number(r.percent_change_1h);
    row["percent_change_24h"] = Number(r.percent_change_24h);
    row["percent_change_7d"] = Number(r.percent_change_7d);
    row["percent_change_30d"] = Number(r.percent_change_30d);
    row["circulating_supply"] = Number(r.circulating_supply);
    row["total_supply"] = Number(r.total_supply);
    row["max_supply"] = Number(r.max_supply);
    row["date_added"] = Time(r.date_added);
    Line(out, row);
  }
}

void WriteOhlcv(const OhlcvPayload& p, std::ostringstream& out) {
  for (const OhlcvRow& r : p.rows) {
    ordered_json row;
    row["kind"] = PayloadKindName(PayloadKind::kOhlcvHistorical);
    row["cmc_id"] = r.cmc_id;
    row["symbol"] = r.symbol;
    row["name"] = r.name;
    row["slug"] = r.slug;
    row["quote_currency"] = r.quote_currency;
    row["time_open"] = FormatIso8601(r.time_open);
    row["time_close"] = FormatIso8601(r.time_close);
    row["snapshot_ts"] = FormatIso8601(p.status.timestamp);
    row["open"] = Number(r.open);
    row["high"] = Number(r.high);
    row["low"] = Number(r.low);
    row["close"] = Number(r.close);
    row["volume"] = Number(r.volume);
    row["market_cap"] = Number(r.market_cap);
    Line(out, row);
  }
}

void WriteGlobal(const GlobalMetricsPayload& p, PayloadKind kind, std::ostringstream& out) {
  for (const GlobalMetricsRow& r : p.rows) {
    ordered_json row;
    row["kind"] = PayloadKindName(kind);
    row["ts"] = FormatIso8601(r.ts);
    row["quote_currency"] = r.quote_currency;
    row["total_market_cap"] = Number(r.total_market_cap);
    row["total_volume_24h"] = Number(r.total_volume_24h);
    row["btc_dominance"] = Number(r.btc_dominance);
    row["eth_dominance"] = Number(r.eth_dominance);
    row["active_cryptocurrencies"] = Integer(r.active_cryptocurrencies);
    row["active_exchanges"] = Integer(r.active_exchanges);
    row["active_market_pairs"] = Integer(r.active_market_pairs);
    row["defi_market_cap"] = Number(r.defi_market_cap);
    row["stablecoin_market_cap"] = Number(r.stablecoin_market_cap);
    Line(out, row);
  }
}

void WriteKeyInfo(const KeyInfo& k, std::ostringstream& out) {
  ordered_json row;
  row["kind"] = "key_info";
  row["timestamp"] = FormatIso8601(k.status.timestamp);
  row["credit_limit_monthly"] = Integer(k.credit_limit_monthly);
  row["credit_limit_monthly_reset"] = Time(k.credit_limit_monthly_reset);
  row["credit_limit_daily"] = Integer(k.credit_limit_daily);
  row["credit_limit_daily_reset"] = Time(k.credit_limit_daily_reset);
  row["rate_limit_minute"] = Integer(k.rate_limit_minute);
  row["minute_requests_made"] = Integer(k.minute_requests_made);
  row["minute_requests_left"] = Integer(k.minute_requests_left);
  row["day_credits_used"] = Integer(k.day_credits_used);
  row["day_credits_left"] = Integer(k.day_credits_left);
  row["month_credits_used"] = Integer(k.month_credits_used);
  row["month_credits_left"] = Integer(k.month_credits_left);
  Line(out, row);
}

void WriteMap(const MapPayload& p, std::ostringstream& out) {
  for (const MapRow& r : p.rows) {
    ordered_json row;
    row["kind"] = "map";
    row["cmc_id"] = r.cmc_id;
    row["rank"] = Integer(r.rank);
    row["name"] = r.name;
    row["symbol"] = r.symbol;
    row["slug"] = r.slug;
    row["is_active"] = Integer(r.is_active);
    row["first_historical_data"] = Time(r.first_historical_data);
    row["last_historical_data"] = Time(r.last_historical_data);
    if (r.has_platform) {
      row["platform"] = {{"id", Integer(r.platform_id)},
                         {"name", r.platform_name},
                         {"symbol", r.platform_symbol},
                         {"slug", r.platform_slug},
                         {"token_address", r.token_address}};
    } else {
      row["platform"] = nullptr;
    }
    Line(out, row);
  }
}

// A recorder envelope ({request, response: {status, headers, body}}) keeps the payload in
// .response.body; returns it re-serialised, or nothing if `body` is no such envelope.
std::optional<std::string> UnwrapRecorderEnvelope(std::string_view body) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("response")) return std::nullopt;
  const auto& response = doc["response"];
  if (!response.is_object() || !response.contains("body")) return std::nullopt;
  if (response["body"].is_string()) return response["body"].get<std::string>();
  return response["body"].dump();
}

}  // namespace

Status WritePayloadRows(std::string_view body, std::ostream& out) {
  auto kind = DetectPayloadKind(body);
  std::optional<std::string> unwrapped;
  if (kind.ok() && *kind == PayloadKind::kError && !ParseStatus(body).ok()) {
    unwrapped = UnwrapRecorderEnvelope(body);
    if (unwrapped) {
      body = *unwrapped;
      kind = DetectPayloadKind(body);
    }
  }
  if (!kind.ok()) return kind.status();
  std::ostringstream rows;  // written only once all of it parsed
  switch (*kind) {
    case PayloadKind::kError: {
      ASSIGN_OR_RETURN(ResponseStatus status, ParseStatus(body));
      return InvalidArgumentError(fmt::format("the payload is a CMC error, code {}: {}",
                                              status.error_code, status.error_message));
    }
    case PayloadKind::kListings:
    case PayloadKind::kQuotes:
    case PayloadKind::kQuotesHistorical: {
      auto parsed = *kind == PayloadKind::kListings ? ParseListings(body)
                    : *kind == PayloadKind::kQuotes ? ParseQuotes(body)
                                                    : ParseQuotesHistorical(body);
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
      WriteQuotes(*parsed, *kind, rows);
      break;
    }
    case PayloadKind::kGlobalMetrics:
    case PayloadKind::kGlobalMetricsHistorical: {
      auto parsed = *kind == PayloadKind::kGlobalMetrics ? ParseGlobalMetrics(body)
                                                         : ParseGlobalMetricsHistorical(body);
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
      WriteGlobal(*parsed, *kind, rows);
      break;
    }
    case PayloadKind::kOhlcvHistorical: {
      auto parsed = ParseOhlcvHistorical(body);
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
      WriteOhlcv(*parsed, rows);
      break;
    }
    case PayloadKind::kKeyInfo: {
      auto parsed = ParseKeyInfo(body);
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
      WriteKeyInfo(*parsed, rows);
      break;
    }
    case PayloadKind::kMap: {
      auto parsed = ParseMap(body);
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message());
      WriteMap(*parsed, rows);
      break;
    }
  }
  out << rows.str();
  return Status::Ok();
}

Status WriteStoredPayloadRows(std::string_view stored, std::ostream& out) {
  if (!LooksGzipped(stored)) return WritePayloadRows(stored, out);
  auto inflated = GzipDecompress(stored);
  if (!inflated.ok()) return InvalidArgumentError(inflated.status().message());
  return WritePayloadRows(*inflated, out);
}

}  // namespace coinlake::cmc
