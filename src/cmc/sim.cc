#include "cmc/sim.h"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <deque>
#include <thread>

#include "cmc/market.h"
#include "cmc/sim_coins.h"
#include "cmc/sim_faults.h"
#include "cmc/sim_historical.h"
#include "cmc/sim_http.h"
#include "cmc/sim_latest.h"
#include "cmc/sim_map.h"
#include "cmc/sim_plans.h"
#include "cmc/sim_reference.h"
#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::cmc {
namespace {

using sim::Fault;
using sim::Json;
using sim::kJsonType;
using sim::SendError;

// The explicit limit if one was given (>= 0, 0 = unlimited), else the plan's.
int64_t Limit(int64_t given, int64_t plan) { return given >= 0 ? given : plan; }

// True when the request's Accept-Encoding names gzip.
bool AcceptsGzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
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
  sim::Plan plan;
  int64_t calls_per_minute;  // 0: unlimited
  int64_t credits_per_day;
  int64_t credits_per_month;
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

  Impl(const SimOptions& o, sim::Plan p)
      : options(o),
        plan(p),
        calls_per_minute(Limit(o.calls_per_minute, sim::Figures(p).calls_per_minute)),
        credits_per_day(Limit(o.credits_per_day, sim::Figures(p).credits_per_day)),
        credits_per_month(Limit(o.credits_per_month, sim::Figures(p).credits_per_month)),
        market(o.seed, o.coins) {}

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
    if (calls_per_minute > 0 && minute_calls >= calls_per_minute) {
      SendError(res, 429, 1008, sim::ErrorMessage(1008));
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
    if (credits_per_day > 0 && day_credits + credits > credits_per_day) {
      SendError(res, 429, 1009, sim::ErrorMessage(1009));
      return false;
    }
    if (credits_per_month > 0 && month_credits + credits > credits_per_month) {
      SendError(res, 429, 1010, sim::ErrorMessage(1010));
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
    if (!sim::PlanCovers(plan, req.path)) {
      SendError(res, 403, 1006, sim::ErrorMessage(1006));
      return;
    }
    std::optional<Fault> fault = TakeFault(req.path);
    if (fault && (fault->kind == "status" || fault->kind == "error_200")) {
      int http = fault->kind == "status" ? fault->http : 200;
      int64_t code = fault->error_code.value_or(sim::DefaultErrorCode(fault->http));
      SendError(res, http, code, sim::ErrorMessage(code));
      if (fault->retry_after) res.set_header("Retry-After", std::to_string(*fault->retry_after));
      return;
    }
    if (fault && fault->kind == "reset") {
      res.set_chunked_content_provider(kJsonType, [](size_t, httplib::DataSink&) { return false; });
      return;
    }
    if (fault && sim::IsFlood(*fault)) {
      sim::ServeFlood(*fault, res);
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
    Json status =
        sim::StatusEnvelope(now, 0, "", *credits, static_cast<int>((Now() - now).count()));
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
          shared->size(), kJsonType,
          [shared, chunk, interval](size_t offset, size_t length, httplib::DataSink& sink) {
            std::this_thread::sleep_for(interval);
            return sink.write(shared->data() + offset, std::min(chunk, length));
          });
      return;
    }
    if (fault && fault->kind == "truncated") {
      auto shared = std::make_shared<std::string>(std::move(text));
      res.set_content_provider(shared->size(), kJsonType,
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
    Send(req, res, std::move(text));
  }

  // A good answer: gzip'd here when the client accepts it (as CMC does; httplib would prefer
  // brotli), plain otherwise.
  static void Send(const httplib::Request& req, httplib::Response& res, std::string text) {
    if (AcceptsGzip(req)) {
      auto gz = GzipCompress(text, 6);
      if (gz.ok()) {
        res.set_header("Content-Encoding", "gzip");
        res.set_header("Vary", "Accept-Encoding");
        res.set_content(std::move(*gz), kJsonType);
        return;
      }
    }
    res.set_content(std::move(text), kJsonType);
  }

  // Answers one latest endpoint whose body `build` makes (sim_latest.h, sim_map.h).
  template <typename Build>
  void Latest(const httplib::Request& req, httplib::Response& res, Build&& build) {
    Serve(req, res, [&](TimePoint now, Json& body) { return build(req, res, market, now, body); });
  }

  void KeyInfo(const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, [&](TimePoint now, Json& body) -> std::optional<int64_t> {
      std::lock_guard lock(mu);
      std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
      auto next = std::chrono::sys_days((ymd.year() / ymd.month() / 1) + std::chrono::months(1));
      auto tomorrow = std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1);
      auto limit = [](int64_t v) { return v > 0 ? Json(v) : Json(nullptr); };
      auto left = [](int64_t limit, int64_t used) {
        return limit > 0 ? Json(std::max<int64_t>(limit - used, 0)) : Json(nullptr);
      };
      // The minute just started when no call was counted in it yet.
      const bool same_minute = std::chrono::floor<std::chrono::minutes>(now) == minute;
      const int64_t made = same_minute ? minute_calls : 0;
      Json p;
      p["credit_limit_daily"] = limit(credits_per_day);
      p["credit_limit_daily_reset"] = "at midnight UTC";
      p["credit_limit_daily_reset_timestamp"] =
          FormatIso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(tomorrow));
      p["credit_limit_monthly"] = limit(credits_per_month);
      p["credit_limit_monthly_reset"] = "at the start of next month";
      p["credit_limit_monthly_reset_timestamp"] =
          FormatIso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(next));
      p["rate_limit_minute"] = limit(calls_per_minute);
      Json usage;
      usage["current_minute"] = {{"requests_made", made},
                                 {"requests_left", left(calls_per_minute, made)}};
      usage["current_day"] = {{"credits_used", day_credits},
                              {"credits_left", left(credits_per_day, day_credits)}};
      usage["current_month"] = {{"credits_used", month_credits},
                                {"credits_left", left(credits_per_month, month_credits)}};
      body["data"] = {{"plan", std::move(p)}, {"usage", std::move(usage)}};
      return 0;
    });
  }
};

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Simulator::~Simulator() { Stop(); }

StatusOr<std::unique_ptr<Simulator>> Simulator::Start(const SimOptions& options) {
  if (options.coins < 1 || options.coins > 100000) {
    return InvalidArgumentError("--coins must be between 1 and 100000");
  }
  auto plan = sim::ParsePlan(options.plan);
  if (!plan.ok()) return plan.status().WithContext("--plan");
  auto impl = std::make_unique<Impl>(options, *plan);
  Impl* p = impl.get();
  if (!options.faults.empty()) {
    auto faults = sim::ParseFaults(options.faults);
    if (!faults.ok()) return faults.status().WithContext("--faults");
    p->faults.assign(faults->begin(), faults->end());
  }
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  p->server.Get("/v1/cryptocurrency/listings/latest",
                [p](Req req, Res res) { p->Latest(req, res, sim::Listings); });
  p->server.Get("/v1/cryptocurrency/quotes/latest", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::Quotes(a..., 1); });
  });
  p->server.Get("/v2/cryptocurrency/quotes/latest", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::Quotes(a..., 2); });
  });
  p->server.Get("/v1/global-metrics/quotes/latest",
                [p](Req req, Res res) { p->Latest(req, res, sim::GlobalMetrics); });
  p->server.Get("/v1/key/info", [p](Req req, Res res) { p->KeyInfo(req, res); });
  p->server.Get("/v1/cryptocurrency/map", [p](Req req, Res res) { p->Latest(req, res, sim::Map); });
  p->server.Get("/v1/cryptocurrency/info", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::Info(a..., 1); });
  });
  p->server.Get("/v2/cryptocurrency/info", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::Info(a..., 2); });
  });
  p->server.Get("/v1/cryptocurrency/categories",
                [p](Req req, Res res) { p->Latest(req, res, sim::Categories); });
  p->server.Get("/v1/cryptocurrency/category",
                [p](Req req, Res res) { p->Latest(req, res, sim::Category); });
  p->server.Get("/v1/fiat/map", [p](Req req, Res res) { p->Latest(req, res, sim::FiatMap); });
  p->server.Get("/v1/exchange/map",
                [p](Req req, Res res) { p->Latest(req, res, sim::ExchangeMap); });
  p->server.Get("/v1/exchange/info",
                [p](Req req, Res res) { p->Latest(req, res, sim::ExchangeInfo); });
  p->server.Get("/v1/tools/price-conversion", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::PriceConversion(a..., 1); });
  });
  p->server.Get("/v2/tools/price-conversion", [p](Req req, Res res) {
    p->Latest(req, res, [](auto&... a) { return sim::PriceConversion(a..., 2); });
  });
  sim::RegisterHistoricalEndpoints(
      p->server,
      {.market = &p->market,
       .coin_json =
           [](const SimQuote& q, const std::vector<sim::Currency>& converts) {
             // cmc_rank and dominance are the caller's: it knows the whole listing.
             return sim::CoinJson(q, 0, 0, converts, sim::CoinStyle::kListings);
           },
       .serve = [p](Req req, Res res, const sim::SimBuild& build) { p->Serve(req, res, build); },
       .window = [p](std::string_view path,
                     TimePoint now) { return sim::PlanWindow(p->plan, path, now); }});
  p->server.Post("/__sim/faults", [p](Req req, Res res) {
    auto faults = sim::ParseFaults(req.body);
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
  // Headers and body leave without waiting for the ACK of the previous segment, and a client
  // keeps its connection for many calls, as with CMC.
  p->server.set_tcp_nodelay(true);
  p->server.set_keep_alive_max_count(100);
  // A paid endpoint the sim does not serve (market pairs, OHLCV, ...) is refused under a plan
  // without it, as CMC does, before it is found missing.
  p->server.set_error_handler([p](const httplib::Request& req, httplib::Response& res) {
    if (res.status != 404 || !res.body.empty()) return;
    if (!sim::PlanCovers(p->plan, req.path)) {
      SendError(res, 403, 1006, sim::ErrorMessage(1006));
    } else {
      SendError(res, 404, 404, "Not found");
    }
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
                              {"plan", std::string(sim::Figures(*plan).name)},
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
