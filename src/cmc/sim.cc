#include "cmc/sim.h"

#include <fmt/format.h>
#include <httplib.h>
#include <zlib.h>

#include <atomic>
#include <charconv>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cmc/market.h"
#include "cmc/sim_historical.h"
#include "cmc/sim_http.h"
#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::cmc {
namespace {

using Json = SimJson;

// A coin as listed: its quote and last_updated as of its own last refresh (SimMarket).
Json CoinJson(const SimQuote& q) {
  const SimCoin& c = *q.coin;
  Json coin;
  coin["id"] = c.id;
  coin["name"] = c.name;
  coin["symbol"] = c.symbol;
  coin["slug"] = c.slug;
  coin["num_market_pairs"] = c.num_market_pairs;
  coin["date_added"] = FormatIso8601(c.date_added);
  coin["tags"] = Json::array({"simulated"});
  coin["max_supply"] = c.max_supply ? Json(*c.max_supply) : Json(nullptr);
  coin["circulating_supply"] = q.circulating_supply;
  coin["total_supply"] = q.total_supply;
  coin["infinite_supply"] = !c.max_supply.has_value();
  if (c.id >= 40000 && c.id % 3 == 0) {  // a third of the synthetic coins are ERC-20 tokens
    coin["platform"] = {{"id", 1027},
                        {"name", "Ethereum"},
                        {"symbol", "ETH"},
                        {"slug", "ethereum"},
                        {"token_address", fmt::format("0x{:040x}", c.id * 2654435761ULL)}};
  } else {
    coin["platform"] = nullptr;
  }
  coin["cmc_rank"] = 0;  // filled by the caller, which knows the position
  coin["self_reported_circulating_supply"] = nullptr;
  coin["self_reported_market_cap"] = nullptr;
  coin["tvl_ratio"] = nullptr;
  coin["last_updated"] = FormatIso8601(q.last_updated);
  Json usd;
  usd["price"] = q.price;
  usd["volume_24h"] = q.volume_24h;
  usd["volume_change_24h"] = 0.0;
  usd["percent_change_1h"] = q.percent_change_1h;
  usd["percent_change_24h"] = q.percent_change_24h;
  usd["percent_change_7d"] = q.percent_change_7d;
  usd["percent_change_30d"] = q.percent_change_30d;
  usd["percent_change_60d"] = q.percent_change_60d;
  usd["percent_change_90d"] = q.percent_change_90d;
  usd["market_cap"] = q.market_cap;
  usd["market_cap_dominance"] = 0.0;
  usd["fully_diluted_market_cap"] = q.price * c.max_supply.value_or(q.total_supply);
  usd["tvl"] = nullptr;
  usd["last_updated"] = FormatIso8601(q.last_updated);
  coin["quote"]["USD"] = std::move(usd);
  return coin;
}

// One scripted fault (see sim.h).
struct Fault {
  std::string kind;
  std::string path;  // empty: any endpoint
  int count = 1;
  int http = 500;
  int64_t error_code = 0;
  std::optional<int> retry_after;
  int delay_ms = 0;
  int64_t bytes = int64_t{1} << 30;  // huge, gzip_bomb: decoded body size
  int depth = 100'000;               // deep_nesting
  int chunk_bytes = 64;              // drip
  int interval_ms = 250;             // drip
};

StatusOr<std::vector<Fault>> ParseFaults(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return InvalidArgumentError("faults must be a JSON array");
  }
  std::vector<Fault> faults;
  try {
    for (const auto& f : doc) {
      Fault fault;
      fault.kind = f.at("fault").get<std::string>();
      static const char* kKinds[] = {"status",    "error_200", "slow",         "reset",
                                     "truncated", "malformed", "new_field",    "huge",
                                     "endless",   "gzip_bomb", "deep_nesting", "drip"};
      if (std::find(std::begin(kKinds), std::end(kKinds), fault.kind) == std::end(kKinds)) {
        return InvalidArgumentError(fmt::format("unknown fault '{}'", fault.kind));
      }
      fault.path = f.value("path", "");
      fault.count = f.value("count", 1);
      fault.http = f.value("http", 500);
      fault.error_code = f.value("error_code", int64_t{0});
      if (f.contains("retry_after")) fault.retry_after = f["retry_after"].get<int>();
      fault.delay_ms = f.value("delay_ms", 0);
      fault.bytes = f.value("bytes", fault.bytes);
      fault.depth = f.value("depth", fault.depth);
      fault.chunk_bytes = std::max(1, f.value("chunk_bytes", fault.chunk_bytes));
      fault.interval_ms = f.value("interval_ms", fault.interval_ms);
      faults.push_back(std::move(fault));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("bad fault: {}", e.what()));
  }
  return faults;
}

// Hostile bodies are generated piece by piece as the client reads, so the sim's own memory
// stays flat however much it sends.
constexpr size_t kPieceBytes = 64 << 10;
const char* Whitespace() {
  static const std::string spaces(kPieceBytes, ' ');
  return spaces.data();
}

// A gzip stream of `size` spaces, deflated as the client reads: about 1 KB on the wire per
// MB inflated, so a client that limits only the compressed size inflates gigabytes.
class GzipBomb {
 public:
  explicit GzipBomb(int64_t size) : left_(size) {
    deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  }
  ~GzipBomb() { deflateEnd(&z_); }
  GzipBomb(const GzipBomb&) = delete;
  GzipBomb& operator=(const GzipBomb&) = delete;

  // Sends the next compressed piece (1 MB inflated); false once the client is gone.
  bool Next(httplib::DataSink& sink) {
    std::string out;
    for (int i = 0; i < 16 && !finished_; ++i) {
      size_t n = static_cast<size_t>(std::min<int64_t>(left_, kPieceBytes));
      left_ -= static_cast<int64_t>(n);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(Whitespace()));
      z_.avail_in = static_cast<uInt>(n);
      int flush = left_ == 0 ? Z_FINISH : Z_NO_FLUSH;
      do {
        z_.next_out = out_;
        z_.avail_out = sizeof out_;
        if (deflate(&z_, flush) == Z_STREAM_END) finished_ = true;
        out.append(reinterpret_cast<char*>(out_), sizeof out_ - z_.avail_out);
      } while (z_.avail_out == 0 || (flush == Z_FINISH && !finished_));
    }
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;
    if (finished_) sink.done();
    return true;
  }

 private:
  z_stream z_{};
  int64_t left_;
  bool finished_ = false;
  Bytef out_[16 << 10];
};

// Answers a flood fault: "huge" (a Content-Length of `bytes` whitespace), "endless" (chunked
// whitespace until the client hangs up) or "gzip_bomb".
void ServeFlood(const Fault& fault, httplib::Response& res) {
  if (fault.kind == "huge") {
    res.set_content_provider(static_cast<size_t>(std::max<int64_t>(fault.bytes, 0)),
                             "application/json; charset=utf-8",
                             [](size_t, size_t length, httplib::DataSink& sink) {
                               return sink.write(Whitespace(), std::min(length, kPieceBytes));
                             });
  } else if (fault.kind == "endless") {
    // Not a JSON content type: httplib would spend its time compressing the flood.
    res.set_chunked_content_provider(
        "application/octet-stream",
        [](size_t, httplib::DataSink& sink) { return sink.write(Whitespace(), kPieceBytes); });
  } else {
    auto bomb = std::make_shared<GzipBomb>(std::max<int64_t>(fault.bytes, 0));
    res.set_header("Content-Encoding", "gzip");
    res.set_chunked_content_provider(
        "application/octet-stream",
        [bomb](size_t, httplib::DataSink& sink) { return bomb->Next(sink); });
  }
}

// CMC's message for each error code the sim produces.
std::string_view ErrorMessage(int64_t code) {
  switch (code) {
    case 1001:
      return "This API Key is invalid.";
    case 1002:
      return "API key missing.";
    case 1006:
      return "Your API Key subscription plan doesn't support this endpoint.";
    case 1008:
      return "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every "
             "minute.";
    case 1009:
      return "You've exceeded your API Key's daily rate limit.";
    case 1010:
      return "You've exceeded your API Key's monthly rate limit.";
    case 1011:
      return "You've hit an IP rate limit.";
    default:
      return "Internal Server Error";
  }
}

// Counts one answer in progress for as long as it lives.
class InProgress {
 public:
  explicit InProgress(std::atomic<int>& count) : count_(count) { ++count_; }
  ~InProgress() { --count_; }
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;

 private:
  std::atomic<int>& count_;
};

}  // namespace

struct Simulator::Impl {
  SimOptions options;
  SimMarket market;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  // Answers being built (a `slow` one sleeps here before it is recorded as served): a crash
  // test waits for none before it reads /__sim/served after killing the client.
  std::atomic<int> in_progress = 0;

  std::mutex mu;  // guards everything below
  std::deque<Fault> faults;
  Json served = Json::array();
  TimePoint minute{};
  int64_t minute_calls = 0;
  TimePoint day{};
  int64_t day_credits = 0;
  TimePoint month{};
  int64_t month_credits = 0;

  explicit Impl(const SimOptions& o) : options(o), market(o.seed, o.coins, Now()) {}

  TimePoint Now() const { return options.clock ? options.clock() : SystemNow(); }

  // Checks the key header the way CMC does; answers the error and returns false if it fails.
  bool Authorised(const httplib::Request& req, httplib::Response& res) {
    std::string key = req.get_header_value("X-CMC_PRO_API_KEY");
    if (key.empty()) key = req.get_param_value("CMC_PRO_API_KEY");
    if (key.empty()) {
      SendError(res, 401, 1002, "API key missing.");
      return false;
    }
    if (!options.api_key.empty() && key != options.api_key) {
      SendError(res, 401, 1001, "This API Key is invalid.");
      return false;
    }
    return true;
  }

  std::optional<Fault> TakeFault(const std::string& path) {
    std::lock_guard lock(mu);
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (!it->path.empty() && it->path != path) continue;
      Fault f = *it;
      if (--it->count <= 0) faults.erase(it);
      return f;
    }
    return std::nullopt;
  }

  // The minute rate limit: counts every authorised call, as CMC does (key/info included).
  bool AdmitCall(httplib::Response& res) {
    std::lock_guard lock(mu);
    TimePoint now = Now();
    if (std::chrono::floor<std::chrono::minutes>(now) != minute) {
      minute = std::chrono::floor<std::chrono::minutes>(now);
      minute_calls = 0;
    }
    if (options.calls_per_minute > 0 && minute_calls >= options.calls_per_minute) {
      SendError(res, 429, 1008, ErrorMessage(1008));
      return false;
    }
    ++minute_calls;
    return true;
  }

  // Charges `credits` against the daily and monthly budgets, or answers 1009/1010.
  bool Charge(int64_t credits, httplib::Response& res) {
    std::lock_guard lock(mu);
    TimePoint now = Now();
    auto today = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::floor<std::chrono::days>(now));
    if (today != day) {
      day = today;
      day_credits = 0;
    }
    std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
    auto this_month = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::sys_days(ymd.year() / ymd.month() / 1));
    if (this_month != month) {
      month = this_month;
      month_credits = 0;
    }
    if (options.credits_per_day > 0 && day_credits + credits > options.credits_per_day) {
      SendError(res, 429, 1009, ErrorMessage(1009));
      return false;
    }
    if (options.credits_per_month > 0 && month_credits + credits > options.credits_per_month) {
      SendError(res, 429, 1010, ErrorMessage(1010));
      return false;
    }
    day_credits += credits;
    month_credits += credits;
    return true;
  }

  // Runs one API request: key, rate limit, faults, then `build` (which fills data and returns
  // the credit cost, or answers an error itself and returns nullopt).
  template <typename Build>
  void Serve(const httplib::Request& req, httplib::Response& res, Build&& build) {
    InProgress counted(in_progress);
    if (!Authorised(req, res) || !AdmitCall(res)) return;
    std::optional<Fault> fault = TakeFault(req.path);
    if (fault && fault->kind == "status") {
      SendError(res, fault->http, fault->error_code, ErrorMessage(fault->error_code));
      if (fault->retry_after) res.set_header("Retry-After", std::to_string(*fault->retry_after));
      return;
    }
    if (fault && fault->kind == "error_200") {
      SendError(res, 200, fault->error_code, ErrorMessage(fault->error_code));
      return;
    }
    if (fault && fault->kind == "reset") {
      res.set_chunked_content_provider("application/json",
                                       [](size_t, httplib::DataSink&) { return false; });
      return;
    }
    if (fault &&
        (fault->kind == "huge" || fault->kind == "endless" || fault->kind == "gzip_bomb")) {
      ServeFlood(*fault, res);
      return;
    }
    if (fault && fault->kind == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    }
    TimePoint now = Now();
    Json body;
    std::optional<int64_t> credits = build(now, body);
    if (!credits) return;
    if (!Charge(*credits, res)) return;
    Json status = StatusEnvelope(now, 0, "", *credits, static_cast<int>((Now() - now).count()));
    if (body.contains("total_count")) {
      status["total_count"] = body["total_count"];
      body.erase("total_count");
    }
    if (fault && fault->kind == "new_field") {
      status["sim_new_status_field"] = "surprise";
      body["sim_new_envelope_field"] = {{"nested", Json::array({1, 2})}};
    }
    body["status"] = std::move(status);
    std::string text = body.dump();
    if (fault && fault->kind == "malformed") text.resize(text.size() / 2);
    if (fault && fault->kind == "deep_nesting") {
      // A valid status, then data nested `depth` arrays deep: syntactically valid JSON.
      int depth = std::max(fault->depth, 1);
      text = fmt::format(R"({{"status":{},"data":{}{}}})", body["status"].dump(),
                         std::string(depth, '['), std::string(depth, ']'));
    }
    if (fault && fault->kind == "drip") {
      // The real answer, `chunk_bytes` every `interval_ms`: only a total deadline ends it soon.
      auto shared = std::make_shared<std::string>(std::move(text));
      size_t chunk = static_cast<size_t>(fault->chunk_bytes);
      auto interval = std::chrono::milliseconds(fault->interval_ms);
      res.set_content_provider(
          shared->size(), "application/json; charset=utf-8",
          [shared, chunk, interval](size_t offset, size_t length, httplib::DataSink& sink) {
            std::this_thread::sleep_for(interval);
            return sink.write(shared->data() + offset, std::min(chunk, length));
          });
      return;
    }
    if (fault && fault->kind == "truncated") {
      auto shared = std::make_shared<std::string>(std::move(text));
      res.set_content_provider(shared->size(), "application/json; charset=utf-8",
                               [shared](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset >= shared->size() / 2) return false;
                                 sink.write(shared->data(), shared->size() / 2);
                                 return true;
                               });
      return;
    }
    if (!fault || (fault->kind != "malformed" && fault->kind != "deep_nesting")) {
      std::lock_guard lock(mu);
      served.push_back(
          {{"endpoint", req.path}, {"timestamp", FormatIso8601(now)}, {"sha256", Sha256Hex(text)}});
    }
    res.set_content(std::move(text), "application/json; charset=utf-8");
  }

  void Listings(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      int64_t start = 1, limit = 100;
      if (!IntParam(req, "start", 1, INT32_MAX, &start, res) ||
          !IntParam(req, "limit", 1, 5000, &limit, res) || !UsdOnly(req, res)) {
        return std::nullopt;
      }
      Json data = Json::array();
      double total_cap = 0;
      {
        auto lock = market.Lock();
        std::vector<SimQuote> quotes = market.Snapshot(now);
        for (const SimQuote& q : quotes) total_cap += q.market_cap;
        for (int64_t i = start - 1;
             i < static_cast<int64_t>(quotes.size()) && i < start - 1 + limit; ++i) {
          Json coin = CoinJson(quotes[i]);
          coin["cmc_rank"] = i + 1;
          coin["quote"]["USD"]["market_cap_dominance"] = quotes[i].market_cap / total_cap * 100.0;
          data.push_back(std::move(coin));
        }
      }
      int64_t credits = (static_cast<int64_t>(data.size()) + 199) / 200;
      body["data"] = std::move(data);
      body["total_count"] = market.coin_count();
      return std::max<int64_t>(credits, 1);
    });
  }

  // /v2/cryptocurrency/quotes/latest: by id or slug -> keyed by id; by symbol -> array per symbol.
  void Quotes(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      std::string by = req.has_param("id")       ? "id"
                       : req.has_param("slug")   ? "slug"
                       : req.has_param("symbol") ? "symbol"
                                                 : "";
      if (by.empty()) {
        SendError(res, 400, 400, "\"value\" must contain at least one of [id, symbol, slug]");
        return std::nullopt;
      }
      if (!UsdOnly(req, res)) return std::nullopt;
      std::vector<std::string> wanted;
      std::stringstream list(req.get_param_value(by.c_str()));
      for (std::string item; std::getline(list, item, ',');) {
        if (!item.empty()) wanted.push_back(item);
      }
      Json data = Json::object();
      int64_t coins = 0;
      auto lock = market.Lock();
      std::vector<SimQuote> quotes = market.Snapshot(now);
      for (const std::string& w : wanted) {
        bool found = false;
        for (size_t i = 0; i < quotes.size(); ++i) {
          const SimCoin& c = *quotes[i].coin;
          bool match = by == "id"     ? std::to_string(c.id) == w
                       : by == "slug" ? c.slug == w
                                      : c.symbol == w;
          if (!match) continue;
          found = true;
          Json coin = CoinJson(quotes[i]);
          coin["cmc_rank"] = static_cast<int64_t>(i + 1);
          coin["is_active"] = 1;
          coin["is_fiat"] = 0;
          coin["tags"] =
              Json::array({{{"slug", "simulated"}, {"name", "Simulated"}, {"category", "OTHERS"}}});
          ++coins;
          if (by == "symbol") {
            data[w].push_back(std::move(coin));
          } else {
            data[std::to_string(c.id)] = std::move(coin);
            break;
          }
        }
        if (!found && by != "symbol" && req.get_param_value("skip_invalid") == "false") {
          SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", by, w));
          return std::nullopt;
        }
      }
      body["data"] = std::move(data);
      return std::max<int64_t>((coins + 99) / 100, 1);
    });
  }

  void GlobalMetrics(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      if (!UsdOnly(req, res)) return std::nullopt;
      TimePoint updated;
      double total_cap = 0, total_volume = 0, btc = 0, eth = 0;
      {
        auto lock = market.Lock();
        for (const SimQuote& q : market.Snapshot(now, &updated)) {
          total_cap += q.market_cap;
          total_volume += q.volume_24h;
          if (q.coin->id == 1) btc = q.market_cap;
          if (q.coin->id == 1027) eth = q.market_cap;
        }
      }
      Json d;
      d["active_cryptocurrencies"] = market.coin_count();
      d["total_cryptocurrencies"] = market.coin_count() * 4;
      d["active_market_pairs"] = market.coin_count() * 12;
      d["active_exchanges"] = 780;
      d["total_exchanges"] = 11000;
      d["eth_dominance"] = eth / total_cap * 100;
      d["btc_dominance"] = btc / total_cap * 100;
      d["defi_market_cap"] = total_cap * 0.03;
      d["stablecoin_market_cap"] = total_cap * 0.08;
      d["last_updated"] = FormatIso8601(updated);
      Json usd;
      usd["total_market_cap"] = total_cap;
      usd["total_volume_24h"] = total_volume;
      usd["defi_market_cap"] = total_cap * 0.03;
      usd["stablecoin_market_cap"] = total_cap * 0.08;
      usd["last_updated"] = FormatIso8601(updated);
      d["quote"]["USD"] = std::move(usd);
      body["data"] = std::move(d);
      return 1;
    });
  }

  void KeyInfo(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      std::lock_guard lock(mu);
      std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
      auto next = std::chrono::sys_days((ymd.year() / ymd.month() / 1) + std::chrono::months(1));
      Json plan;
      plan["credit_limit_monthly"] =
          options.credits_per_month > 0 ? Json(options.credits_per_month) : Json(nullptr);
      plan["credit_limit_monthly_reset"] = "at the start of next month";
      plan["credit_limit_monthly_reset_timestamp"] =
          FormatIso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(next));
      plan["rate_limit_minute"] =
          options.calls_per_minute > 0 ? Json(options.calls_per_minute) : Json(nullptr);
      if (options.credits_per_day > 0) plan["credit_limit_daily"] = options.credits_per_day;
      Json usage;
      usage["current_minute"] = {
          {"requests_made", minute_calls},
          {"requests_left", std::max<int64_t>(options.calls_per_minute - minute_calls, 0)}};
      usage["current_day"] = {{"credits_used", day_credits}};
      usage["current_month"] = {
          {"credits_used", month_credits},
          {"credits_left", std::max<int64_t>(options.credits_per_month - month_credits, 0)}};
      body["data"] = {{"plan", std::move(plan)}, {"usage", std::move(usage)}};
      return 0;
    });
  }

  void Map(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      int64_t start = 1, limit = 5000;
      if (!IntParam(req, "start", 1, INT32_MAX, &start, res) ||
          !IntParam(req, "limit", 1, 5000, &limit, res)) {
        return std::nullopt;
      }
      TimePoint updated;
      Json data = Json::array();
      auto lock = market.Lock();
      std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
      std::vector<size_t> order(quotes.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),  // sort=id, CMC's default
                [&](size_t a, size_t b) { return quotes[a].coin->id < quotes[b].coin->id; });
      for (int64_t n = start - 1; n < static_cast<int64_t>(order.size()) && n < start - 1 + limit;
           ++n) {
        size_t i = order[n];
        const SimCoin& c = *quotes[i].coin;
        Json e;
        e["id"] = c.id;
        e["rank"] = static_cast<int64_t>(i + 1);
        e["name"] = c.name;
        e["symbol"] = c.symbol;
        e["slug"] = c.slug;
        e["is_active"] = 1;
        e["first_historical_data"] = FormatIso8601(c.date_added);
        e["last_historical_data"] = FormatIso8601(updated);
        Json coin = CoinJson(quotes[i]);
        e["platform"] = coin["platform"].is_null()
                            ? Json(nullptr)
                            : Json({{"id", 1},  // /map uses platform ids (Ethereum = 1)
                                    {"name", "Ethereum"},
                                    {"symbol", "ETH"},
                                    {"slug", "ethereum"},
                                    {"token_address", coin["platform"]["token_address"]}});
        data.push_back(std::move(e));
      }
      body["data"] = std::move(data);
      return 0;
    });
  }

  static bool UsdOnly(const httplib::Request& req, httplib::Response& res) {
    std::string convert = req.has_param("convert") ? req.get_param_value("convert") : "USD";
    if (convert == "USD") return true;
    SendError(res, 400, 400, fmt::format("Invalid value for \"convert\": \"{}\"", convert));
    return false;
  }
};

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Simulator::~Simulator() { Stop(); }

StatusOr<std::unique_ptr<Simulator>> Simulator::Start(const SimOptions& options) {
  if (options.coins < 1 || options.coins > 100000) {
    return InvalidArgumentError("--coins must be between 1 and 100000");
  }
  auto impl = std::make_unique<Impl>(options);
  Impl* p = impl.get();
  if (!options.faults.empty()) {
    auto faults = ParseFaults(options.faults);
    if (!faults.ok()) return faults.status().WithContext("--faults");
    p->faults.assign(faults->begin(), faults->end());
  }
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  p->server.Get("/v1/cryptocurrency/listings/latest",
                [p](Req req, Res res) { p->Listings(req, res); });
  p->server.Get("/v2/cryptocurrency/quotes/latest", [p](Req req, Res res) { p->Quotes(req, res); });
  p->server.Get("/v1/global-metrics/quotes/latest",
                [p](Req req, Res res) { p->GlobalMetrics(req, res); });
  p->server.Get("/v1/key/info", [p](Req req, Res res) { p->KeyInfo(req, res); });
  p->server.Get("/v1/cryptocurrency/map", [p](Req req, Res res) { p->Map(req, res); });
  RegisterHistoricalEndpoints(p->server, {&p->market, CoinJson, [p](Req req, Res res, auto build) {
                                            p->Serve(req, res, build);
                                          }});
  p->server.Post("/__sim/faults", [p](Req req, Res res) {
    auto faults = ParseFaults(req.body);
    if (!faults.ok()) {
      res.status = 400;
      res.set_content(faults.status().message() + "\n", "text/plain");
      return;
    }
    std::lock_guard lock(p->mu);
    for (Fault& f : *faults) p->faults.push_back(std::move(f));
    res.set_content(fmt::format("{{\"pending\":{}}}", p->faults.size()), "application/json");
  });
  p->server.Delete("/__sim/faults", [p](Req, Res res) {
    std::lock_guard lock(p->mu);
    p->faults.clear();
    res.set_content("{\"pending\":0}", "application/json");
  });
  p->server.Get("/__sim/busy", [p](Req, Res res) {
    res.set_content(fmt::format("{{\"in_progress\":{}}}", p->in_progress.load()),
                    "application/json");
  });
  p->server.Get("/__sim/served", [p](Req, Res res) {
    std::lock_guard lock(p->mu);
    res.set_content(p->served.dump(), "application/json");
  });
  p->server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) SendError(res, 404, 404, "Not found");
  });
  if (options.port == 0) {
    p->port = p->server.bind_to_any_port(options.host);
  } else if (p->server.bind_to_port(options.host, options.port)) {
    p->port = options.port;
  }
  if (p->port <= 0) {
    return UnavailableError(
        fmt::format("sim cannot listen on {}:{} (in use?)", options.host, options.port));
  }
  p->thread = std::thread([p] { p->server.listen_after_bind(); });
  // Wait until the accept loop runs: httplib's stop() is a no-op before that, so an early
  // Stop() would leave the thread listening forever and the join would hang.
  while (!p->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log::Info("sim listening", {{"url", fmt::format("http://{}:{}", options.host, p->port)},
                              {"coins", options.coins},
                              {"seed", options.seed}});
  return std::unique_ptr<Simulator>(new Simulator(std::move(impl)));
}

int Simulator::port() const { return impl_->port; }

std::string Simulator::base_url() const {
  return fmt::format("http://{}:{}", impl_->options.host, impl_->port);
}

void Simulator::Stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace coinlake::cmc
