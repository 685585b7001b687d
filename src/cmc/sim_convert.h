// The quote currencies of a sim answer: CMC's `convert` (symbols) or `convert_id` (CMC ids),
// comma-separated. Fiat currencies have fixed rates to USD; a crypto currency's rate is the
// market's own price of that coin.
#pragma once

#include <httplib.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cmc/market.h"

namespace coinlake::cmc::sim {

struct Currency {
  std::string key;  // the key of the quote object: the symbol, or the id with convert_id
  double per_usd;   // units of this currency worth one US dollar
  // A crypto currency's coin (per_usd is 1 / its price in the quotes given); null for fiat.
  const SimCoin* coin = nullptr;
};

// A fiat currency the sim converts to, with CMC's id (convert_id) and its fixed rate.
struct Fiat {
  const char* symbol;
  int64_t id;
  double per_usd;  // units per US dollar
  const char* name;
  const char* sign;
};

// Every fiat currency the sim knows, by id.
std::span<const Fiat> Fiats();

// At most this many currencies in one request, as CMC allows.
inline constexpr size_t kMaxConverts = 120;

// The request's currencies, in the order given (USD when neither parameter is given); answers
// 400 and returns nullopt for an unknown currency, both parameters, or too many.
// `quotes` is the market's snapshot (crypto rates), sorted by market cap.
std::optional<std::vector<Currency>> Converts(const httplib::Request& req,
                                              const std::vector<SimQuote>& quotes,
                                              httplib::Response& res);

// Units of `currency` worth one US dollar at `t`: a fiat's fixed rate, or 1 / the price the
// market listed for a crypto currency's coin at t (nullopt before the coin existed).
std::optional<double> PerUsdAt(const Currency& currency, const SimMarket& market, TimePoint t);

// The fixed rate of a fiat currency given by symbol ("EUR"), or nullopt.
std::optional<double> FiatPerUsd(std::string_view symbol);

}  // namespace coinlake::cmc::sim
