#include "cmc/sim_convert.h"

#include <fmt/format.h>

#include <array>
#include <span>

#include "cmc/sim_http.h"
#include "common/strings.h"

namespace coinlake::cmc::sim {
namespace {

// Fixed rates, so a seed always gives the same answers: units per US dollar.
constexpr std::array<Fiat, 20> kFiats = {{
    {"USD", 2781, 1.0, "United States Dollar", "$"},
    {"AUD", 2782, 1.52, "Australian Dollar", "$"},
    {"BRL", 2783, 5.41, "Brazilian Real", "R$"},
    {"CAD", 2784, 1.37, "Canadian Dollar", "$"},
    {"CHF", 2785, 0.88, "Swiss Franc", "Fr"},
    {"CNY", 2787, 7.24, "Chinese Yuan", "\u00a5"},
    {"EUR", 2790, 0.92, "Euro", "\u20ac"},
    {"GBP", 2791, 0.79, "Pound Sterling", "\u00a3"},
    {"HKD", 2792, 7.82, "Hong Kong Dollar", "$"},
    {"INR", 2796, 83.3, "Indian Rupee", "\u20b9"},
    {"JPY", 2797, 151.2, "Japanese Yen", "\u00a5"},
    {"KRW", 2798, 1370.0, "South Korean Won", "\u20a9"},
    {"MXN", 2799, 17.1, "Mexican Peso", "$"},
    {"NOK", 2801, 10.8, "Norwegian Krone", "kr"},
    {"PLN", 2805, 3.97, "Polish Z\u0142oty", "z\u0142"},
    {"RUB", 2806, 92.0, "Russian Ruble", "\u20bd"},
    {"SEK", 2807, 10.6, "Swedish Krona", "kr"},
    {"SGD", 2808, 1.35, "Singapore Dollar", "S$"},
    {"TRY", 2810, 32.5, "Turkish Lira", "\u20ba"},
    {"ZAR", 2812, 18.6, "South African Rand", "R"},
}};

}  // namespace

std::span<const Fiat> Fiats() { return kFiats; }

std::optional<double> FiatPerUsd(std::string_view symbol) {
  for (const Fiat& f : kFiats) {
    if (symbol == f.symbol) return f.per_usd;
  }
  return std::nullopt;
}

std::optional<double> PerUsdAt(const Currency& currency, const SimMarket& market, TimePoint t) {
  if (currency.coin == nullptr) return currency.per_usd;
  std::optional<SimQuote> q = market.QuoteAt(*currency.coin, t);
  if (!q || q->price <= 0) return std::nullopt;
  return 1.0 / q->price;
}

std::optional<std::vector<Currency>> Converts(const httplib::Request& req,
                                              const std::vector<SimQuote>& quotes,
                                              httplib::Response& res) {
  bool by_id = req.has_param("convert_id");
  if (by_id && req.has_param("convert")) {
    SendError(res, 400, 400, "\"convert\" and \"convert_id\" cannot be used together");
    return std::nullopt;
  }
  const char* param = by_id ? "convert_id" : "convert";
  std::vector<std::string> wanted = req.has_param(param)
                                        ? SplitCommaList(req.get_param_value(param))
                                        : std::vector<std::string>{};
  if (wanted.empty()) wanted.push_back(by_id ? "2781" : "USD");
  if (wanted.size() > kMaxConverts) {
    SendError(res, 400, 400, fmt::format("\"{}\" accepts at most {} values", param, kMaxConverts));
    return std::nullopt;
  }
  std::vector<Currency> out;
  for (const std::string& w : wanted) {
    std::optional<double> rate;
    const SimCoin* coin = nullptr;
    for (const Fiat& f : kFiats) {
      if (by_id ? std::to_string(f.id) == w : w == f.symbol) rate = f.per_usd;
    }
    // A crypto currency: the best-ranked coin with that symbol (or id), priced by the market.
    for (size_t i = 0; !rate && i < quotes.size(); ++i) {
      const SimCoin& c = *quotes[i].coin;
      if ((by_id ? std::to_string(c.id) == w : c.symbol == w) && quotes[i].price > 0) {
        rate = 1.0 / quotes[i].price;
        coin = &c;
      }
    }
    if (!rate) {
      SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", param, w));
      return std::nullopt;
    }
    out.push_back({w, *rate, coin});
  }
  return out;
}

}  // namespace coinlake::cmc::sim
