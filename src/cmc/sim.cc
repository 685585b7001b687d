#include "cmc/sim.h"

#include <fmt/format.h>
#include <httplib.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/market.h"
#include "common/log.h"

namespace coinlake::cmc {
namespace {

using Json = nlohmann::ordered_json;

Json StatusEnvelope(TimePoint now, int64_t error_code, std::string_view message, int64_t credits,
                    int elapsed_ms) {
  Json status;
  status["timestamp"] = FormatIso8601(now);
  status["error_code"] = error_code;
  status["error_message"] = error_code == 0 ? Json(nullptr) : Json(message);
  status["elapsed"] = elapsed_ms;
  status["credit_count"] = credits;
  status["notice"] = nullptr;
  return status;
}

void SendError(httplib::Response& res, int http_status, int64_t error_code,
               std::string_view message) {
  Json body;
  body["status"] = StatusEnvelope(SystemNow(), error_code, message, 0, 0);
  res.status = http_status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

// CMC accepts integers only in a range and answers 400 otherwise.
bool IntParam(const httplib::Request& req, const char* name, int64_t lo, int64_t hi, int64_t* out,
              httplib::Response& res) {
  if (!req.has_param(name)) return true;
  std::string text = req.get_param_value(name);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < lo || value > hi) {
    SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", name, text));
    return false;
  }
  *out = value;
  return true;
}

Json CoinJson(const SimQuote& q, TimePoint updated) {
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
  coin["circulating_supply"] = c.circulating_supply;
  coin["total_supply"] = c.total_supply;
  coin["infinite_supply"] = !c.max_supply.has_value();
  coin["platform"] = nullptr;
  coin["cmc_rank"] = 0;  // filled by the caller, which knows the position
  coin["self_reported_circulating_supply"] = nullptr;
  coin["self_reported_market_cap"] = nullptr;
  coin["tvl_ratio"] = nullptr;
  coin["last_updated"] = FormatIso8601(updated);
  Json usd;
  usd["price"] = c.price;
  usd["volume_24h"] = c.volume_24h;
  usd["volume_change_24h"] = 0.0;
  usd["percent_change_1h"] = q.percent_change_1h;
  usd["percent_change_24h"] = q.percent_change_24h;
  usd["percent_change_7d"] = q.percent_change_7d;
  usd["market_cap"] = q.market_cap;
  usd["market_cap_dominance"] = 0.0;
  usd["fully_diluted_market_cap"] = c.price * c.max_supply.value_or(c.total_supply);
  usd["tvl"] = nullptr;
  usd["last_updated"] = FormatIso8601(updated);
  coin["quote"]["USD"] = std::move(usd);
  return coin;
}

}  // namespace

struct Simulator::Impl {
  SimOptions options;
  SimMarket market;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  explicit Impl(const SimOptions& o) : options(o), market(o.seed, o.coins, SystemNow()) {}

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

  void Listings(const httplib::Request& req, httplib::Response& res) {
    if (!Authorised(req, res)) return;
    int64_t start = 1, limit = 100;
    if (!IntParam(req, "start", 1, INT32_MAX, &start, res) ||
        !IntParam(req, "limit", 1, 5000, &limit, res)) {
      return;
    }
    std::string convert = req.has_param("convert") ? req.get_param_value("convert") : "USD";
    if (convert != "USD") {
      SendError(res, 400, 400, fmt::format("Invalid value for \"convert\": \"{}\"", convert));
      return;
    }
    TimePoint now = SystemNow();
    TimePoint updated;
    Json data = Json::array();
    double total_cap = 0;
    {
      auto lock = market.Lock();
      std::vector<SimQuote> quotes = market.Snapshot(now, &updated);
      for (const SimQuote& q : quotes) total_cap += q.market_cap;
      for (int64_t i = start - 1; i < static_cast<int64_t>(quotes.size()) && i < start - 1 + limit;
           ++i) {
        Json coin = CoinJson(quotes[i], updated);
        coin["cmc_rank"] = i + 1;
        coin["quote"]["USD"]["market_cap_dominance"] = quotes[i].market_cap / total_cap * 100.0;
        data.push_back(std::move(coin));
      }
    }
    int64_t credits = (static_cast<int64_t>(data.size()) + 199) / 200;
    Json body;
    body["status"] = StatusEnvelope(now, 0, "", std::max<int64_t>(credits, 1),
                                    static_cast<int>((SystemNow() - now).count()));
    body["status"]["total_count"] = market.coin_count();
    body["data"] = std::move(data);
    res.set_content(body.dump(), "application/json; charset=utf-8");
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
  p->server.Get(
      "/v1/cryptocurrency/listings/latest",
      [p](const httplib::Request& req, httplib::Response& res) { p->Listings(req, res); });
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
