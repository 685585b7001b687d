#include "cmc/parser.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <mutex>
#include <set>
#include <utility>

#include "common/log.h"

// simdjson kernel: On-Demand is header code, so it runs the kernel this file is compiled for:
// Debian's default -march=x86-64, the portable one. It stays portable: per-file SIMD flags would
// crash the binary on CPUs without AVX2 (inline code compiled with AVX2 is shared across
// files), and the gain of a runtime dispatch is small (docs/benchmarks.md, "Measurements behind
// design rules").
namespace coinlake::cmc {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Where the parser is, for error messages: "data[42].quote.USD.price". Pushing is the hot path
// (every field of every coin), so parts are views into simdjson's string buffer, which outlives
// the walk, kept in a fixed array (no capacity checks); the text is built only when an error
// needs it. Parts deeper than kMaxDepth are counted but not kept: CMC payloads are 5 deep.
class JsonPath {
 public:
  void Push(std::string_view key) { PushPart({key, kNoIndex}); }
  void PushIndex(size_t index) { PushPart({{}, index}); }
  void Pop() { --depth_; }
  std::string str() const {
    std::string text;
    for (size_t i = 0; i < std::min(depth_, kMaxDepth); ++i) {
      const Part& part = parts_[i];
      if (part.index != kNoIndex) {
        text += fmt::format("[{}]", part.index);
      } else {
        if (!text.empty()) text += '.';
        text += part.key;
      }
    }
    if (depth_ > kMaxDepth) text += "...";
    return text;
  }

 private:
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  static constexpr size_t kMaxDepth = 16;
  struct Part {
    std::string_view key;
    size_t index;
  };
  void PushPart(Part part) {
    if (depth_ < kMaxDepth) parts_[depth_] = part;
    ++depth_;
  }
  std::array<Part, kMaxDepth> parts_;
  size_t depth_ = 0;
};

// Thrown inside this file only, for type errors simdjson itself would not report.
struct ShapeError {
  std::string what;
};

// Fields CMC sends that no row stores: skipped silently. Anything else unknown is noticed.
constexpr std::string_view kStatusIgnored[] = {"elapsed", "notice"};
constexpr std::string_view kCoinIgnored[] = {"tags",
                                             "platform",
                                             "infinite_supply",
                                             "self_reported_circulating_supply",
                                             "self_reported_market_cap",
                                             "tvl_ratio",
                                             "is_active",
                                             "is_fiat",
                                             "minted_market_cap",
                                             "market_cap_by_total_supply",
                                             "is_market_cap_included_in_calc"};
constexpr std::string_view kQuoteIgnored[] = {"tvl",
                                              "cex_volume_24h",
                                              "dex_volume_24h",
                                              "volume_24h_reported",
                                              "volume_7d",
                                              "volume_7d_reported",
                                              "volume_30d",
                                              "volume_30d_reported",
                                              "market_cap_by_total_supply"};

std::mutex noticed_mu;
bool noticed_cap_said = false;  // the cap is logged once per process (guarded by noticed_mu)
std::set<std::string, std::less<>>& Noticed() {
  static auto* noticed = new std::set<std::string, std::less<>>();
  return *noticed;
}

// Logs a field name the parser does not know, once per process per (object kind, name). Names
// come from the payload, so a hostile or broken answer could bring millions: after
// kMaxNoticedFields names the parser stops remembering (and logging) new ones, and says so once.
template <size_t N>
void Notice(std::string_view kind, std::string_view key, const std::string_view (&ignored)[N]) {
  if (std::find(std::begin(ignored), std::end(ignored), key) != std::end(ignored)) return;
  std::string name = fmt::format("{}.{}", kind, key);
  std::lock_guard lock(noticed_mu);
  auto& noticed = Noticed();
  if (noticed.size() >= kMaxNoticedFields) {
    if (!noticed.contains(name) && !std::exchange(noticed_cap_said, true)) {
      log::Warn("CMC payloads carry too many new fields; no longer noticing new ones",
                {{"remembered", noticed.size()}, {"first_unremembered", name}});
    }
    return;
  }
  if (noticed.insert(name).second) {
    log::Info("CMC payload has a new field", {{"field", name}});
  }
}
void Notice(std::string_view kind, std::string_view key) {
  constexpr std::string_view kNone[] = {""};
  Notice(kind, key, kNone);
}

// A key of a `quote` map names a currency: a fiat or crypto symbol (USD, BRL, BTC, 1INCH, sUSD)
// or, with convert_id, a CMC id (2781): ASCII letters and digits, not all lowercase, at most
// kMaxCurrencyCodeLength. Anything else (a snake_case name, like a field CMC might add beside
// USD) is a new field, never a currency and never a row.
constexpr size_t kMaxCurrencyCodeLength = 16;
bool IsCurrencyCode(std::string_view key) {
  if (key.empty() || key.size() > kMaxCurrencyCodeLength) return false;
  bool upper_or_digit = false;
  for (char c : key) {
    if (std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)))
      upper_or_digit = true;
    else if (!std::islower(static_cast<unsigned char>(c)))
      return false;
  }
  return upper_or_digit;
}

// Calls on_currency(code, quote object) for each currency of a `quote` map, with the path
// pointing into it; other keys are noticed like any unknown field.
template <typename OnCurrency>
void ForEachCurrency(value quote_map, JsonPath& path, OnCurrency&& on_currency) {
  for (auto currency : quote_map.get_object()) {
    std::string_view code = currency.unescaped_key();
    if (!IsCurrencyCode(code)) {
      Notice("quote_map", code);
      continue;
    }
    path.Push(code);
    on_currency(code, currency.value().get_object());
    path.Pop();
  }
}

std::optional<double> OptionalDouble(value v) {
  if (v.is_null()) return std::nullopt;
  return double(v.get_double());
}

// Integers arrive as numbers, as exponent/float forms, and (in some endpoints) as strings.
std::optional<int64_t> OptionalInt(value v) {
  if (v.is_null()) return std::nullopt;
  if (v.type() == json_type::string) {
    std::string_view text = v.get_string();
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      throw ShapeError{fmt::format("not an integer: '{}'", text)};
    }
    return n;
  }
  if (v.get_number_type() != simdjson::ondemand::number_type::signed_integer) {
    double d = v.get_double();
    if (!(d >= -9.2e18 && d <= 9.2e18)) throw ShapeError{"integer out of range"};
    return static_cast<int64_t>(d);
  }
  return int64_t(v.get_int64());
}

std::string OptionalString(value v) {
  if (v.is_null()) return {};
  return std::string(std::string_view(v.get_string()));
}

TimePoint RequiredTime(value v) {
  std::string_view text = v.get_string();
  // Coins of one snapshot share most of their last_updated values: remembering the last text
  // parsed spares an eighth of a listings parse.
  thread_local std::string last_text;
  thread_local TimePoint last_time;
  if (text == last_text) return last_time;
  auto parsed = ParseIso8601(text);
  if (!parsed.ok()) throw ShapeError{parsed.status().message()};
  last_text.assign(text);
  last_time = *parsed;
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
    } else {
      Notice("status", key, kStatusIgnored);
    }
    path.Pop();
  }
  if (!has_timestamp) throw ShapeError{"status has no timestamp"};
  return status;
}

// Fields of one quote.<CUR> object, merged into a row that already holds the coin's fields.
// Returns whether it had a price (even null): quotes/historical refuses points without one.
bool ParseQuoteFields(object obj, QuoteRow& row, JsonPath& path) {
  bool has_price = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "price") {
      row.price = OptionalDouble(v);
      has_price = true;
    } else if (key == "volume_24h")
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
    else if (key == "circulating_supply")  // historical quotes carry supplies per point
      row.circulating_supply = OptionalDouble(v);
    else if (key == "total_supply")
      row.total_supply = OptionalDouble(v);
    else if (key == "last_updated" || key == "timestamp") {
      // latest quotes carry last_updated; historical quotes carry timestamp
      if (auto t = OptionalTime(v)) row.ts = *t;
    } else {
      Notice("quote", key, kQuoteIgnored);
    }
    path.Pop();
  }
  return has_price;
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
      ForEachCurrency(v, path, [&](std::string_view code, object quote) {
        QuoteRow& row = rows.emplace_back();
        row.quote_currency = std::string(code);
        ParseQuoteFields(quote, row, path);
      });
    } else {
      Notice("coin", key, kCoinIgnored);
    }
    path.Pop();
  }
  if (!has_id) throw ShapeError{"coin has no id"};
  // Each currency's quote was parsed into its own row; the coin's fields join them here, in
  // place (the coin's supplies win over a quote's), moved into the last row.
  for (size_t i = first; i < rows.size(); ++i) {
    QuoteRow& row = rows[i];
    bool last = i + 1 == rows.size();
    row.cmc_id = coin.cmc_id;
    row.symbol = last ? std::move(coin.symbol) : coin.symbol;
    row.name = last ? std::move(coin.name) : coin.name;
    row.slug = last ? std::move(coin.slug) : coin.slug;
    row.cmc_rank = coin.cmc_rank;
    row.num_market_pairs = coin.num_market_pairs;
    row.circulating_supply = coin.circulating_supply;
    row.total_supply = coin.total_supply;
    row.max_supply = coin.max_supply;
    row.date_added = coin.date_added;
    if (row.ts == TimePoint{} && coin_updated) row.ts = *coin_updated;
  }
}

// Past this a thread's padded copy of a document is given back after the parse.
constexpr size_t kKeptPaddedBytes = 64 << 20;

// Reused per thread: a fresh parser allocates buffers of a few times the document's size, and
// first-touching those pages cost a third of the parse of a 5000-coin listing
// (docs/benchmarks.md). reprocess workers parse object after object on the same thread.
simdjson::ondemand::parser& ThreadParser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

// simdjson reads past the end of the document: Guarded copies it into this buffer with the
// padding simdjson needs. One per thread, whatever the payload (a static of the template would
// be one per instantiation, each holding the largest document it saw), reserved at the exact
// size (a resize past the copy would double it).
std::string& ThreadPaddedBuffer() {
  thread_local std::string padded;
  return padded;
}

std::string& ThreadPadded(std::string_view json) {
  std::string& padded = ThreadPaddedBuffer();
  if (padded.capacity() < json.size() + simdjson::SIMDJSON_PADDING) {
    std::string().swap(padded);
    padded.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  }
  padded.assign(json);
  padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  return padded;
}

template <typename Fn>
auto Guarded(std::string_view json, Fn&& fn)
    -> decltype(fn(std::declval<simdjson::ondemand::document&>(), std::declval<JsonPath&>())) {
  JsonPath path;
  // Reused per thread: a fresh buffer per document was paid in page faults.
  std::string& padded = ThreadPadded(json);
  struct ReleaseOutsized {
    std::string& padded;
    ~ReleaseOutsized() {
      if (padded.capacity() > kKeptPaddedBytes) std::string().swap(padded);
    }
  } release_outsized{padded};
  simdjson::ondemand::parser& parser = ThreadParser();
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
    doc = parser.iterate(padded.data(), json.size(), padded.size());
    iterating = true;
    return fn(doc, path);
  } catch (const simdjson::simdjson_error& e) {
    // simdjson's words for a top-level array, number or text mean nothing to a user.
    if (path.str().empty() && e.error() == simdjson::INCORRECT_TYPE) {
      return InvalidArgumentError("invalid CMC payload: not a JSON object (CMC answers with one)");
    }
    return InvalidArgumentError(fmt::format("invalid CMC payload at {}: {}", where(), e.what()));
  } catch (const ShapeError& e) {
    return InvalidArgumentError(fmt::format("invalid CMC payload at {}: {}", where(), e.what));
  }
}

// Walks the envelope in any key order: `status` is parsed, `data` is handed to `on_data`
// (which fills payload), and the error code is checked before the data is trusted.
template <typename Payload, typename OnData>
StatusOr<Payload> ParseEnvelope(std::string_view json, OnData&& on_data) {
  return Guarded(json, [&](simdjson::ondemand::document& doc, JsonPath& path) -> StatusOr<Payload> {
    Payload payload;
    if constexpr (std::is_same_v<Payload, QuotesPayload>) {
      // A coin takes 700 to 1200 bytes of JSON: reserving spares regrowing (and moving) the rows.
      payload.rows.reserve(json.size() / 700);
    }
    bool has_status = false;
    bool has_data = false;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      path.Push(key);
      if (key == "status") {
        payload.status = ParseStatusObject(field.value().get_object(), path);
        has_status = true;
      } else if (key == "data") {
        on_data(field.value(), payload, path);
        has_data = true;
      } else {
        Notice("envelope", key);
      }
      path.Pop();
    }
    if (!has_status) return InvalidArgumentError("invalid CMC payload: no status object");
    if (payload.status.error_code != 0) {
      return FailedPreconditionError(
          fmt::format("CMC error {}: {}", payload.status.error_code, payload.status.error_message));
    }
    if (!has_data) return InvalidArgumentError("invalid CMC payload: no data");
    return payload;
  });
}

void FillMissingTimes(QuotesPayload& payload) {
  for (QuoteRow& row : payload.rows) {
    if (row.ts == TimePoint{}) row.ts = payload.status.timestamp;
  }
}

void ParseListingsData(value data, QuotesPayload& payload, JsonPath& path) {
  if (data.type() != json_type::array) throw ShapeError{"data is not an array"};
  size_t index = 0;
  for (auto coin : data.get_array()) {
    path.PushIndex(index++);
    ParseCoin(coin.get_object(), payload.rows, path);
    path.Pop();
  }
}

void ParseQuotesData(value data, QuotesPayload& payload, JsonPath& path) {
  if (data.type() != json_type::object) throw ShapeError{"data is not an object"};
  for (auto entry : data.get_object()) {
    path.Push(entry.unescaped_key());
    value v = entry.value();
    if (v.type() == json_type::array) {  // v2 by symbol: every coin using the symbol
      size_t index = 0;
      for (auto coin : v.get_array()) {
        path.PushIndex(index++);
        ParseCoin(coin.get_object(), payload.rows, path);
        path.Pop();
      }
    } else {
      ParseCoin(v.get_object(), payload.rows, path);
    }
    path.Pop();
  }
}

// Calls on_coin(coin object) for each coin of a historical `data`, wherever CMC put it: the
// coin itself (v1, one id or symbol), keyed by id or symbol (v1 with several, v2 by id), or
// an array of coins per symbol (v2 by symbol). A coin is told from a map of coins by its
// quotes[] or by a scalar field (id, name): a map's values are all objects or arrays.
template <typename OnCoin>
void ForEachHistoricalCoin(value data, JsonPath& path, OnCoin&& on_coin) {
  if (data.type() != json_type::object) {
    throw ShapeError{"data is not an object (one coin, or coins keyed by id or symbol)"};
  }
  object obj = data.get_object();
  bool one_coin = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    json_type type = field.value().type();
    if (key == "quotes" || (type != json_type::object && type != json_type::array)) {
      one_coin = true;
      break;
    }
  }
  obj.reset();
  if (one_coin) {
    on_coin(obj);
    return;
  }
  for (auto entry : obj) {
    path.Push(entry.unescaped_key());
    value v = entry.value();
    if (v.type() == json_type::array) {  // v2 by symbol: every coin using the symbol
      size_t index = 0;
      for (auto coin : v.get_array()) {
        path.PushIndex(index++);
        on_coin(coin.get_object());
        path.Pop();
      }
    } else {
      on_coin(v.get_object());
    }
    path.Pop();
  }
}

// One coin of a historical answer: on_point(point object) for each entry of its quotes[],
// which appends rows; the coin's id, symbol, name and slug then join those rows (quotes[] may
// come before them, fixture #9 of cmc-more). A coin without id or quotes[] cannot be placed.
template <typename Row, typename OnPoint>
void ParseHistoricalCoin(object coin, std::vector<Row>& rows, JsonPath& path, OnPoint&& on_point) {
  Row head;
  bool has_id = false;
  bool has_quotes = false;
  size_t first = rows.size();
  for (auto field : coin) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "id") {
      head.cmc_id = int64_t(v.get_int64());
      has_id = true;
    } else if (key == "symbol") {
      head.symbol = OptionalString(v);
    } else if (key == "name") {
      head.name = OptionalString(v);
    } else if (key == "slug") {
      head.slug = OptionalString(v);
    } else if (key == "quotes") {
      has_quotes = true;
      size_t index = 0;
      for (auto point : v.get_array()) {
        path.PushIndex(index++);
        on_point(point.get_object());
        path.Pop();
      }
    } else {
      Notice("historical", key, kCoinIgnored);
    }
    path.Pop();
  }
  if (!has_id) throw ShapeError{"coin has no id"};
  if (!has_quotes) throw ShapeError{"coin has no quotes[]"};
  for (size_t i = first; i < rows.size(); ++i) {
    rows[i].cmc_id = head.cmc_id;
    rows[i].symbol = head.symbol;
    rows[i].name = head.name;
    rows[i].slug = head.slug;
  }
}

bool IsBarTimeKey(std::string_view key) {
  return key == "time_open" || key == "time_close" || key == "time_high" || key == "time_low";
}

// One point of a coin's quotes[] in quotes/historical: a row per currency of its quote map,
// timed by quote.<CUR>.timestamp, else by the point's timestamp. A bar (time_open, or a quote
// without price) is refused: parsed as a quote it would load as rows of nulls.
void ParseQuotePoint(object point, std::vector<QuoteRow>& rows, JsonPath& path) {
  size_t first = rows.size();
  std::optional<TimePoint> point_ts;
  bool has_quote = false;
  for (auto field : point) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "timestamp") {
      point_ts = OptionalTime(v);
    } else if (key == "quote") {
      has_quote = true;
      ForEachCurrency(v, path, [&](std::string_view code, object quote) {
        QuoteRow& row = rows.emplace_back();
        row.quote_currency = std::string(code);
        if (!ParseQuoteFields(quote, row, path)) {
          throw ShapeError{"no price: not a quote point (open/high/low/close are OHLCV)"};
        }
      });
    } else if (IsBarTimeKey(key)) {
      throw ShapeError{"an OHLCV bar, not a quote point (ohlcv/historical)"};
    } else {
      Notice("historical_point", key);
    }
    path.Pop();
  }
  if (!has_quote) throw ShapeError{"point has no quote"};
  for (size_t i = first; i < rows.size(); ++i) {
    if (rows[i].ts != TimePoint{}) continue;
    if (!point_ts) throw ShapeError{"point has no timestamp"};
    rows[i].ts = *point_ts;
  }
}

void ParseQuotesHistoricalData(value data, QuotesPayload& payload, JsonPath& path) {
  ForEachHistoricalCoin(data, path, [&](object coin) {
    ParseHistoricalCoin(coin, payload.rows, path,
                        [&](object point) { ParseQuotePoint(point, payload.rows, path); });
  });
}

// Fields of one bar's quote.<CUR>. Returns whether it had open, high, low or close: a quote
// point's price would otherwise load as a bar of nulls.
bool ParseBarFields(object obj, OhlcvRow& row, JsonPath& path) {
  bool has_price = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "open") {
      row.open = OptionalDouble(v);
      has_price = true;
    } else if (key == "high") {
      row.high = OptionalDouble(v);
      has_price = true;
    } else if (key == "low") {
      row.low = OptionalDouble(v);
      has_price = true;
    } else if (key == "close") {
      row.close = OptionalDouble(v);
      has_price = true;
    } else if (key == "volume") {
      row.volume = OptionalDouble(v);
    } else if (key == "market_cap") {
      row.market_cap = OptionalDouble(v);
    } else if (key != "timestamp") {  // the bar's time_close again
      Notice("ohlcv_quote", key);
    }
    path.Pop();
  }
  return has_price;
}

// One bar of a coin's quotes[]: a row per currency, over [time_open, time_close].
void ParseBar(object point, std::vector<OhlcvRow>& rows, JsonPath& path) {
  size_t first = rows.size();
  std::optional<TimePoint> time_open;
  std::optional<TimePoint> time_close;
  bool has_quote = false;
  for (auto field : point) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "time_open") {
      time_open = RequiredTime(v);
    } else if (key == "time_close") {
      time_close = RequiredTime(v);
    } else if (key == "quote") {
      has_quote = true;
      ForEachCurrency(v, path, [&](std::string_view code, object quote) {
        OhlcvRow& row = rows.emplace_back();
        row.quote_currency = std::string(code);
        if (!ParseBarFields(quote, row, path)) {
          throw ShapeError{"no open, high, low or close: not a bar (price is quotes/historical)"};
        }
      });
    } else if (key != "time_high" && key != "time_low") {  // no column: the bar's extremes' times
      Notice("ohlcv_bar", key);
    }
    path.Pop();
  }
  if (!time_open) throw ShapeError{"bar has no time_open (a quote point is quotes/historical)"};
  if (!time_close) throw ShapeError{"bar has no time_close"};
  if (!has_quote) throw ShapeError{"bar has no quote"};
  for (size_t i = first; i < rows.size(); ++i) {
    rows[i].time_open = *time_open;
    rows[i].time_close = *time_close;
  }
}

void ParseOhlcvHistoricalData(value data, OhlcvPayload& payload, JsonPath& path) {
  ForEachHistoricalCoin(data, path, [&](object coin) {
    ParseHistoricalCoin(coin, payload.rows, path,
                        [&](object point) { ParseBar(point, payload.rows, path); });
  });
}

// Returns whether the quote had a total market cap or volume (even null): a global metrics
// point without either is not one.
bool ParseGlobalQuote(object obj, GlobalMetricsRow& row, JsonPath& path) {
  bool has_total = false;
  for (auto field : obj) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "total_market_cap") {
      row.total_market_cap = OptionalDouble(v);
      has_total = true;
    } else if (key == "total_volume_24h") {
      row.total_volume_24h = OptionalDouble(v);
      has_total = true;
    } else if (key == "defi_market_cap") {
      row.defi_market_cap = OptionalDouble(v);
    } else if (key == "stablecoin_market_cap") {
      row.stablecoin_market_cap = OptionalDouble(v);
    } else if (key == "last_updated" || key == "timestamp") {  // latest, historical
      if (auto t = OptionalTime(v)) row.ts = *t;
    }
    // The other quote figures (altcoin, derivatives, yesterday's) have no column yet.
    path.Pop();
  }
  return has_total;
}

// Keys of global metrics CMC sends that have no column: skipped without a notice.
bool IsUnstoredGlobalKey(std::string_view key) {
  return key.find("dominance") != std::string_view::npos ||
         key.find("volume") != std::string_view::npos ||
         key.find("percentage_change") != std::string_view::npos ||
         key == "total_cryptocurrencies" || key == "total_exchanges";
}

// One point of global-metrics/quotes/historical: a row per quote currency, timed by the
// point's timestamp, else by the quote's.
void ParseGlobalPoint(object point, std::vector<GlobalMetricsRow>& rows, JsonPath& path) {
  size_t first = rows.size();
  GlobalMetricsRow top;  // the point's figures outside `quote` apply to every currency row
  std::optional<TimePoint> point_ts;
  bool has_quote = false;
  for (auto field : point) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "timestamp") {
      point_ts = OptionalTime(v);
    } else if (key == "btc_dominance") {
      top.btc_dominance = OptionalDouble(v);
    } else if (key == "eth_dominance") {
      top.eth_dominance = OptionalDouble(v);
    } else if (key == "active_cryptocurrencies") {
      top.active_cryptocurrencies = OptionalInt(v);
    } else if (key == "active_exchanges") {
      top.active_exchanges = OptionalInt(v);
    } else if (key == "active_market_pairs") {
      top.active_market_pairs = OptionalInt(v);
    } else if (key == "quote") {
      has_quote = true;
      ForEachCurrency(v, path, [&](std::string_view code, object quote) {
        GlobalMetricsRow& row = rows.emplace_back();
        row.quote_currency = std::string(code);
        if (!ParseGlobalQuote(quote, row, path)) {
          throw ShapeError{"no total_market_cap or total_volume_24h: not a global metrics point"};
        }
      });
    } else if (IsBarTimeKey(key)) {
      throw ShapeError{"an OHLCV bar, not a global metrics point"};
    } else if (!IsUnstoredGlobalKey(key)) {
      Notice("global_metrics_point", key);
    }
    path.Pop();
  }
  if (!has_quote) throw ShapeError{"point has no quote"};
  for (size_t i = first; i < rows.size(); ++i) {
    GlobalMetricsRow& row = rows[i];
    row.btc_dominance = top.btc_dominance;
    row.eth_dominance = top.eth_dominance;
    row.active_cryptocurrencies = top.active_cryptocurrencies;
    row.active_exchanges = top.active_exchanges;
    row.active_market_pairs = top.active_market_pairs;
    if (point_ts) row.ts = *point_ts;
    if (row.ts == TimePoint{}) throw ShapeError{"point has no timestamp"};
  }
}

void ParseGlobalHistoricalData(value data, GlobalMetricsPayload& payload, JsonPath& path) {
  if (data.type() != json_type::object) throw ShapeError{"data is not an object"};
  bool has_quotes = false;
  for (auto field : data.get_object()) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "quotes") {
      has_quotes = true;
      size_t index = 0;
      for (auto point : v.get_array()) {
        path.PushIndex(index++);
        ParseGlobalPoint(point.get_object(), payload.rows, path);
        path.Pop();
      }
    } else {
      Notice("global_metrics_historical", key);
    }
    path.Pop();
  }
  if (!has_quotes) throw ShapeError{"data has no quotes[]"};
}

void ParseGlobalData(value data, GlobalMetricsPayload& payload, JsonPath& path) {
  if (data.type() != json_type::object) throw ShapeError{"data is not an object"};
  GlobalMetricsRow top;  // figures outside `quote` apply to every currency row
  std::optional<TimePoint> updated;
  for (auto field : data.get_object()) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    value v = field.value();
    if (key == "btc_dominance") {
      top.btc_dominance = OptionalDouble(v);
    } else if (key == "eth_dominance") {
      top.eth_dominance = OptionalDouble(v);
    } else if (key == "active_cryptocurrencies") {
      top.active_cryptocurrencies = OptionalInt(v);
    } else if (key == "active_exchanges") {
      top.active_exchanges = OptionalInt(v);
    } else if (key == "active_market_pairs") {
      top.active_market_pairs = OptionalInt(v);
    } else if (key == "defi_market_cap") {
      top.defi_market_cap = OptionalDouble(v);  // USD; the quote's own figure wins
    } else if (key == "stablecoin_market_cap") {
      top.stablecoin_market_cap = OptionalDouble(v);
    } else if (key == "last_updated") {
      updated = OptionalTime(v);
    } else if (key == "quote") {
      ForEachCurrency(v, path, [&](std::string_view code, object quote) {
        GlobalMetricsRow& row = payload.rows.emplace_back();
        row.quote_currency = std::string(code);
        ParseGlobalQuote(quote, row, path);
      });
    } else if (!IsUnstoredGlobalKey(key)) {
      Notice("global_metrics", key);
    }
    path.Pop();
  }
  for (GlobalMetricsRow& row : payload.rows) {
    row.btc_dominance = top.btc_dominance;
    row.eth_dominance = top.eth_dominance;
    row.active_cryptocurrencies = top.active_cryptocurrencies;
    row.active_exchanges = top.active_exchanges;
    row.active_market_pairs = top.active_market_pairs;
    if (!row.defi_market_cap && row.quote_currency == "USD")
      row.defi_market_cap = top.defi_market_cap;
    if (!row.stablecoin_market_cap && row.quote_currency == "USD")
      row.stablecoin_market_cap = top.stablecoin_market_cap;
    if (row.ts == TimePoint{} && updated) row.ts = *updated;
  }
}

// Calls fn(key, value) for each field of an object, keeping the path right.
template <typename Fn>
void Fields(value v, JsonPath& path, Fn&& fn) {
  for (auto field : v.get_object()) {
    std::string_view key = field.unescaped_key();
    path.Push(key);
    fn(key, field.value());
    path.Pop();
  }
}

void ParseKeyInfoData(value data, KeyInfo& info, JsonPath& path) {
  if (data.type() != json_type::object) throw ShapeError{"data is not an object"};
  Fields(data, path, [&](std::string_view key, value v) {
    if (key == "plan") {
      Fields(v, path, [&](std::string_view k, value f) {
        if (k == "credit_limit_monthly") {
          info.credit_limit_monthly = OptionalInt(f);
        } else if (k == "credit_limit_monthly_reset_timestamp") {
          info.credit_limit_monthly_reset = OptionalTime(f);
        } else if (k == "credit_limit_daily") {
          info.credit_limit_daily = OptionalInt(f);
        } else if (k == "credit_limit_daily_reset_timestamp") {
          info.credit_limit_daily_reset = OptionalTime(f);
        } else if (k == "rate_limit_minute") {
          info.rate_limit_minute = OptionalInt(f);
        } else if (k != "credit_limit_monthly_reset" && k != "credit_limit_daily_reset") {
          Notice("key_info.plan", k);  // the *_reset texts are for humans ("In 3 days")
        }
      });
    } else if (key == "usage") {
      Fields(v, path, [&](std::string_view period, value p) {
        Fields(p, path, [&](std::string_view k, value f) {
          std::optional<int64_t> n = OptionalInt(f);
          if (period == "current_minute" && k == "requests_made") {
            info.minute_requests_made = n;
          } else if (period == "current_minute" && k == "requests_left") {
            info.minute_requests_left = n;
          } else if (period == "current_day" && k == "credits_used") {
            info.day_credits_used = n;
          } else if (period == "current_day" && k == "credits_left") {
            info.day_credits_left = n;
          } else if (period == "current_month" && k == "credits_used") {
            info.month_credits_used = n;
          } else if (period == "current_month" && k == "credits_left") {
            info.month_credits_left = n;
          } else {
            Notice("key_info.usage", fmt::format("{}.{}", period, k));
          }
        });
      });
    } else {
      Notice("key_info", key);
    }
  });
}

void ParseMapPlatform(value v, MapRow& row, JsonPath& path) {
  if (v.is_null()) return;
  row.has_platform = true;
  Fields(v, path, [&](std::string_view k, value f) {
    if (k == "id") {
      row.platform_id = OptionalInt(f);  // a string in some endpoints
    } else if (k == "name") {
      row.platform_name = OptionalString(f);
    } else if (k == "symbol") {
      row.platform_symbol = OptionalString(f);
    } else if (k == "slug") {
      row.platform_slug = OptionalString(f);
    } else if (k == "token_address") {
      row.token_address = OptionalString(f);
    } else {
      Notice("map.platform", k);
    }
  });
}

void ParseMapData(value data, MapPayload& payload, JsonPath& path) {
  if (data.type() != json_type::array) throw ShapeError{"data is not an array"};
  size_t index = 0;
  for (auto entry : data.get_array()) {
    path.PushIndex(index++);
    MapRow row;
    bool has_id = false;
    Fields(entry.value(), path, [&](std::string_view k, value f) {
      if (k == "id") {
        row.cmc_id = int64_t(f.get_int64());
        has_id = true;
      } else if (k == "rank") {
        row.rank = OptionalInt(f);
      } else if (k == "name") {
        row.name = OptionalString(f);
      } else if (k == "symbol") {
        row.symbol = OptionalString(f);
      } else if (k == "slug") {
        row.slug = OptionalString(f);
      } else if (k == "is_active") {
        row.is_active = OptionalInt(f);
      } else if (k == "first_historical_data") {
        row.first_historical_data = OptionalTime(f);
      } else if (k == "last_historical_data") {
        row.last_historical_data = OptionalTime(f);
      } else if (k == "platform") {
        ParseMapPlatform(f, row, path);
      } else if (k != "status") {  // aux=status: "active" etc., same as is_active
        Notice("map", k);
      }
    });
    if (!has_id) throw ShapeError{"entry has no id"};
    payload.rows.push_back(std::move(row));
    path.Pop();
  }
}

// What one entry of a quotes[] array is, from its keys and its first currency's: a bar, a
// global metrics point, a coin's quote point, or (nullopt) none of them.
std::optional<PayloadKind> PointKind(value point) {
  if (point.type() != json_type::object) return std::nullopt;
  for (auto field : point.get_object()) {
    std::string_view key = field.unescaped_key();
    if (IsBarTimeKey(key)) return PayloadKind::kOhlcvHistorical;
    if (key == "btc_dominance" || key == "eth_dominance" || key == "active_cryptocurrencies") {
      return PayloadKind::kGlobalMetricsHistorical;
    }
    if (key != "quote") continue;
    value quote_map = field.value();
    if (quote_map.type() != json_type::object) continue;
    for (auto currency : quote_map.get_object()) {
      value quote = currency.value();
      if (quote.type() != json_type::object) continue;
      for (auto f : quote.get_object()) {
        std::string_view k = f.unescaped_key();
        if (k == "open" || k == "high" || k == "low" || k == "close") {
          return PayloadKind::kOhlcvHistorical;
        }
        if (k == "total_market_cap" || k == "total_volume_24h") {
          return PayloadKind::kGlobalMetricsHistorical;
        }
        if (k == "price") return PayloadKind::kQuotesHistorical;
      }
    }
  }
  return std::nullopt;
}

// The kind of a quotes[] array, from its first entry; nullopt when empty or unknown.
std::optional<PayloadKind> QuotesKind(value quotes) {
  if (quotes.type() != json_type::array) return std::nullopt;
  for (auto point : quotes.get_array()) return PointKind(point.value());
  return std::nullopt;
}

// The kind of a coin object found under a key of `data`: latest quotes have a quote map,
// historical ones quotes[] (an empty quotes[] is a quote history without points).
std::optional<PayloadKind> CoinKind(value coin) {
  if (coin.type() != json_type::object) return std::nullopt;
  for (auto field : coin.get_object()) {
    std::string_view key = field.unescaped_key();
    if (key == "quote") return PayloadKind::kQuotes;
    if (key == "quotes") {
      return QuotesKind(field.value()).value_or(PayloadKind::kQuotesHistorical);
    }
  }
  return std::nullopt;
}

// The kind of a payload from its `data`, looking as deep as the first quote point: v2 data
// {"1": {..., "quotes": [...]}} is a history, not latest quotes, and bars are not quote points.
PayloadKind DataKind(value data) {
  if (data.type() == json_type::array) {
    // listings coins have a quote; map entries do not. An empty array is listings.
    for (auto first : data.get_array()) {
      for (auto f : first.get_object()) {
        if (std::string_view(f.unescaped_key()) == "quote") return PayloadKind::kListings;
      }
      return PayloadKind::kMap;
    }
    return PayloadKind::kListings;
  }
  if (data.type() != json_type::object) throw ShapeError{"data is neither array nor object"};
  bool has_quotes = false;
  bool coin_fields = false;  // data is one coin (v1 historical), not a map of them
  for (auto f : data.get_object()) {
    std::string_view key = f.unescaped_key();
    if (key == "plan" || key == "usage") return PayloadKind::kKeyInfo;
    if (key == "btc_dominance" || key == "active_cryptocurrencies" ||
        key == "total_cryptocurrencies") {
      return PayloadKind::kGlobalMetrics;
    }
    value v = f.value();
    if (key == "quotes") {
      has_quotes = true;
      if (auto kind = QuotesKind(v)) return *kind;
    } else if (key == "id" || key == "symbol" || key == "name" || key == "slug") {
      coin_fields = true;
    } else if (v.type() == json_type::object) {  // a coin keyed by id or symbol
      if (auto kind = CoinKind(v)) return *kind;
    } else if (v.type() == json_type::array && key != "tags") {  // coins of one symbol (v2)
      for (auto coin : v.get_array()) {
        if (auto kind = CoinKind(coin.value())) return *kind;
      }
    }
  }
  // quotes[] without a point to look at: a coin's (quotes) or the market's (global metrics).
  if (has_quotes) {
    return coin_fields ? PayloadKind::kQuotesHistorical : PayloadKind::kGlobalMetricsHistorical;
  }
  return PayloadKind::kQuotes;
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
  ASSIGN_OR_RETURN(QuotesPayload payload, ParseEnvelope<QuotesPayload>(json, ParseListingsData));
  FillMissingTimes(payload);
  return payload;
}

StatusOr<QuotesPayload> ParseQuotes(std::string_view json) {
  ASSIGN_OR_RETURN(QuotesPayload payload, ParseEnvelope<QuotesPayload>(json, ParseQuotesData));
  FillMissingTimes(payload);
  return payload;
}

StatusOr<QuotesPayload> ParseQuotesHistorical(std::string_view json) {
  return ParseEnvelope<QuotesPayload>(json, ParseQuotesHistoricalData);
}

StatusOr<OhlcvPayload> ParseOhlcvHistorical(std::string_view json) {
  return ParseEnvelope<OhlcvPayload>(json, ParseOhlcvHistoricalData);
}

StatusOr<GlobalMetricsPayload> ParseGlobalMetricsHistorical(std::string_view json) {
  return ParseEnvelope<GlobalMetricsPayload>(json, ParseGlobalHistoricalData);
}

StatusOr<GlobalMetricsPayload> ParseGlobalMetrics(std::string_view json) {
  ASSIGN_OR_RETURN(GlobalMetricsPayload payload,
                   ParseEnvelope<GlobalMetricsPayload>(json, ParseGlobalData));
  for (GlobalMetricsRow& row : payload.rows) {
    if (row.ts == TimePoint{}) row.ts = payload.status.timestamp;
  }
  return payload;
}

StatusOr<KeyInfo> ParseKeyInfo(std::string_view json) {
  return ParseEnvelope<KeyInfo>(json, ParseKeyInfoData);
}

StatusOr<MapPayload> ParseMap(std::string_view json) {
  return ParseEnvelope<MapPayload>(json, ParseMapData);
}

std::string_view PayloadKindName(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kError:
      return "error";
    case PayloadKind::kListings:
      return "listings";
    case PayloadKind::kQuotes:
      return "quotes";
    case PayloadKind::kQuotesHistorical:
      return "quotes_historical";
    case PayloadKind::kOhlcvHistorical:
      return "ohlcv_historical";
    case PayloadKind::kGlobalMetrics:
      return "global_metrics";
    case PayloadKind::kGlobalMetricsHistorical:
      return "global_metrics_historical";
    case PayloadKind::kKeyInfo:
      return "key_info";
    case PayloadKind::kMap:
      return "map";
  }
  return "unknown";
}

StatusOr<PayloadKind> DetectPayloadKind(std::string_view json) {
  return Guarded(json,
                 [](simdjson::ondemand::document& doc, JsonPath& path) -> StatusOr<PayloadKind> {
                   for (auto field : doc.get_object()) {
                     if (std::string_view(field.unescaped_key()) != "data") continue;
                     path.Push("data");
                     return DataKind(field.value());
                   }
                   return PayloadKind::kError;
                 });
}

std::vector<std::string> NoticedUnknownFields() {
  std::lock_guard lock(noticed_mu);
  return {Noticed().begin(), Noticed().end()};
}

void ForgetNoticedFieldsForTest() {
  std::lock_guard lock(noticed_mu);
  Noticed().clear();
  noticed_cap_said = false;
}

void ReleaseThreadParser() {
  ThreadParser() = simdjson::ondemand::parser();
  std::string().swap(ThreadPaddedBuffer());
}

}  // namespace coinlake::cmc
