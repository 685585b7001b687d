#include "cmc/parser.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

namespace coinlake::cmc {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Where the parser is, for error messages: "data[42].quote.USD.price".
class JsonPath {
 public:
  void Push(std::string_view key) {
    marks_.push_back(path_.size());
    if (!path_.empty()) path_ += '.';
    path_ += key;
  }
  void PushIndex(size_t index) {
    marks_.push_back(path_.size());
    path_ += fmt::format("[{}]", index);
  }
  void Pop() {
    path_.resize(marks_.back());
    marks_.pop_back();
  }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
  std::vector<size_t> marks_;
};

// Thrown inside this file only, for type errors simdjson itself would not report.
struct ShapeError {
  std::string what;
};

std::optional<double> OptionalDouble(value v) {
  if (v.is_null()) return std::nullopt;
  return double(v.get_double());
}

std::optional<int64_t> OptionalInt(value v) {
  if (v.is_null()) return std::nullopt;
  if (v.get_number_type() == simdjson::ondemand::number_type::floating_point_number) {
    return static_cast<int64_t>(double(v.get_double()));
  }
  return int64_t(v.get_int64());
}

std::string OptionalString(value v) {
  if (v.is_null()) return {};
  return std::string(std::string_view(v.get_string()));
}

TimePoint RequiredTime(value v) {
  std::string_view text = v.get_string();
  auto parsed = ParseIso8601(text);
  if (!parsed.ok()) throw ShapeError{parsed.status().message()};
  return *parsed;
}

std::optional<TimePoint> OptionalTime(value v) {
  if (v.is_null()) return std::nullopt;
  return RequiredTime(v);
}

// error_code is a number in v1/v2 and a string in v3+.
int64_t ErrorCode(value v) {
  if (v.is_null()) return 0;
  if (v.type() == json_type::string) {
    std::string_view text = v.get_string();
    int64_t code = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      throw ShapeError{fmt::format("error_code is not a number: '{}'", text)};
    }
    return code;
  }
  return int64_t(v.get_int64());
}

ResponseStatus ParseStatusObject(object obj, JsonPath& path) {
  ResponseStatus status;
  bool has_timestamp = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "timestamp") {
      status.timestamp = RequiredTime(v);
      has_timestamp = true;
    } else if (key == "error_code") {
      status.error_code = ErrorCode(v);
    } else if (key == "error_message") {
      status.error_message = OptionalString(v);
    } else if (key == "credit_count") {
      status.credit_count = OptionalInt(v).value_or(0);
    } else if (key == "total_count") {
      status.total_count = OptionalInt(v);
    }
    path.Pop();
  }
  if (!has_timestamp) throw ShapeError{"status has no timestamp"};
  return status;
}

// Fields of one quote.<CUR> object, merged into a row that already holds the coin's fields.
void ParseQuoteFields(object obj, QuoteRow& row, JsonPath& path) {
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "price")
      row.price = OptionalDouble(v);
    else if (key == "volume_24h")
      row.volume_24h = OptionalDouble(v);
    else if (key == "volume_change_24h")
      row.volume_change_24h = OptionalDouble(v);
    else if (key == "market_cap")
      row.market_cap = OptionalDouble(v);
    else if (key == "market_cap_dominance")
      row.market_cap_dominance = OptionalDouble(v);
    else if (key == "fully_diluted_market_cap")
      row.fully_diluted_market_cap = OptionalDouble(v);
    else if (key == "percent_change_1h")
      row.percent_change_1h = OptionalDouble(v);
    else if (key == "percent_change_24h")
      row.percent_change_24h = OptionalDouble(v);
    else if (key == "percent_change_7d")
      row.percent_change_7d = OptionalDouble(v);
    else if (key == "percent_change_30d")
      row.percent_change_30d = OptionalDouble(v);
    else if (key == "percent_change_60d")
      row.percent_change_60d = OptionalDouble(v);
    else if (key == "percent_change_90d")
      row.percent_change_90d = OptionalDouble(v);
    else if (key == "last_updated") {
      if (auto t = OptionalTime(v)) row.ts = *t;
    }
    path.Pop();
  }
}

// One coin of `data`: appends one row per quote currency.
void ParseCoin(object obj, std::vector<QuoteRow>& rows, JsonPath& path) {
  QuoteRow coin;
  std::optional<TimePoint> coin_updated;
  size_t first = rows.size();
  bool has_id = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "id") {
      coin.cmc_id = int64_t(v.get_int64());
      has_id = true;
    } else if (key == "symbol")
      coin.symbol = OptionalString(v);
    else if (key == "name")
      coin.name = OptionalString(v);
    else if (key == "slug")
      coin.slug = OptionalString(v);
    else if (key == "cmc_rank")
      coin.cmc_rank = OptionalInt(v);
    else if (key == "num_market_pairs")
      coin.num_market_pairs = OptionalInt(v);
    else if (key == "circulating_supply")
      coin.circulating_supply = OptionalDouble(v);
    else if (key == "total_supply")
      coin.total_supply = OptionalDouble(v);
    else if (key == "max_supply")
      coin.max_supply = OptionalDouble(v);
    else if (key == "date_added")
      coin.date_added = OptionalTime(v);
    else if (key == "last_updated")
      coin_updated = OptionalTime(v);
    else if (key == "quote") {
      // Quotes come before or after the coin's own fields; fill those in afterwards.
      for (auto currency : v.get_object()) {
        std::string_view code = currency.unescaped_key();
        path.Push(code);
        QuoteRow row;
        row.quote_currency = std::string(code);
        ParseQuoteFields(currency.value().get_object(), row, path);
        rows.push_back(std::move(row));
        path.Pop();
      }
    }
    path.Pop();
  }
  if (!has_id) throw ShapeError{"coin has no id"};
  for (size_t i = first; i < rows.size(); ++i) {
    QuoteRow& row = rows[i];
    TimePoint ts = row.ts;
    std::string currency = std::move(row.quote_currency);
    QuoteRow quote = std::move(row);
    row = coin;
    row.quote_currency = std::move(currency);
    row.ts = ts;
    row.price = quote.price;
    row.volume_24h = quote.volume_24h;
    row.volume_change_24h = quote.volume_change_24h;
    row.market_cap = quote.market_cap;
    row.market_cap_dominance = quote.market_cap_dominance;
    row.fully_diluted_market_cap = quote.fully_diluted_market_cap;
    row.percent_change_1h = quote.percent_change_1h;
    row.percent_change_24h = quote.percent_change_24h;
    row.percent_change_7d = quote.percent_change_7d;
    row.percent_change_30d = quote.percent_change_30d;
    row.percent_change_60d = quote.percent_change_60d;
    row.percent_change_90d = quote.percent_change_90d;
    if (row.ts == TimePoint{} && coin_updated) row.ts = *coin_updated;
  }
}

template <typename Fn>
auto Guarded(std::string_view json, Fn&& fn)
    -> decltype(fn(std::declval<simdjson::ondemand::document&>(), std::declval<JsonPath&>())) {
  JsonPath path;
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  bool iterating = false;  // current_location() is only valid once iterate() succeeded
  auto where = [&]() -> std::string {
    std::string at = path.str().empty() ? "document" : path.str();
    const char* location = nullptr;
    if (iterating && doc.current_location().get(location) == simdjson::SUCCESS &&
        location != nullptr) {
      return fmt::format("{} (byte {})", at, location - padded.data());
    }
    return at;
  };
  try {
    doc = parser.iterate(padded);
    iterating = true;
    return fn(doc, path);
  } catch (const simdjson::simdjson_error& e) {
    return InvalidArgumentError(fmt::format("invalid CMC payload at {}: {}", where(), e.what()));
  } catch (const ShapeError& e) {
    return InvalidArgumentError(fmt::format("invalid CMC payload at {}: {}", where(), e.what));
  }
}

}  // namespace

StatusOr<ResponseStatus> ParseStatus(std::string_view json) {
  return Guarded(json,
                 [](simdjson::ondemand::document& doc, JsonPath& path) -> StatusOr<ResponseStatus> {
                   for (auto field : doc.get_object()) {
                     std::string_view key = field.unescaped_key();
                     if (key == "status") {
                       path.Push("status");
                       return ParseStatusObject(field.value().get_object(), path);
                     }
                   }
                   return InvalidArgumentError("invalid CMC payload: no status object");
                 });
}

StatusOr<QuotesPayload> ParseListings(std::string_view json) {
  return Guarded(
      json, [](simdjson::ondemand::document& doc, JsonPath& path) -> StatusOr<QuotesPayload> {
        QuotesPayload payload;
        bool has_status = false;
        bool has_data = false;
        for (auto field : doc.get_object()) {
          std::string_view key = field.unescaped_key();
          path.Push(key);
          if (key == "status") {
            payload.status = ParseStatusObject(field.value().get_object(), path);
            has_status = true;
          } else if (key == "data") {
            value data = field.value();
            if (data.type() != json_type::array) throw ShapeError{"data is not an array"};
            size_t index = 0;
            for (auto coin : data.get_array()) {
              path.PushIndex(index++);
              ParseCoin(coin.get_object(), payload.rows, path);
              path.Pop();
            }
            has_data = true;
          }
          path.Pop();
        }
        if (!has_status) return InvalidArgumentError("invalid CMC payload: no status object");
        if (payload.status.error_code != 0) {
          return FailedPreconditionError(fmt::format("CMC error {}: {}", payload.status.error_code,
                                                     payload.status.error_message));
        }
        if (!has_data) return InvalidArgumentError("invalid CMC payload: no data");
        for (QuoteRow& row : payload.rows) {
          if (row.ts == TimePoint{}) row.ts = payload.status.timestamp;
        }
        return payload;
      });
}

}  // namespace coinlake::cmc
