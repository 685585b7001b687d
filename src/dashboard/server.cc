#include "dashboard/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "common/bytes.h"
#include "common/log.h"
#include "dashboard/answer_cache.h"
#include "dashboard/api.h"
#include "dashboard/db_pool.h"
#include "dashboard/guarded_http.h"
#include "warehouse/db.h"

namespace coinlake::embedded {
const std::map<std::string, std::string_view>& web();
}

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

std::string ContentType(const std::string& path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void SendBody(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(body), "application/json");
}

void SendJson(httplib::Response& res, int status, const json& body) {
  SendBody(res, status, Dump(body));
}

void SendError(httplib::Response& res, const Status& status) {
  int http = 500;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      http = 400;
      break;
    case StatusCode::kNotFound:
      http = 404;
      break;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:  // a statement cancelled at its statement_timeout
      http = 503;
      break;
    default:
      http = 500;
  }
  if (http >= 500) log::Error("api error", {{"error", status.ToString()}});
  // Server-side details stay in the log; clients get the class and, for 4xx, the reason.
  std::string message = http < 500 ? status.message()
                        : status.code() == StatusCode::kResourceExhausted
                            ? "database busy: the query took too long"
                        : http == 503 ? "database unavailable"
                                      : "internal error";
  SendJson(res, http, {{"error", message}});
}

// The largest request body read (only GET is served: bodies are refused, this bounds the read).
constexpr uint64_t kMaxBodyBytes = 64 * 1024;
// The most a request line and its headers may take together (a browser sends 1-2 KiB).
constexpr uint64_t kMaxHeadBytes = 64 * 1024;

// True if the request announces a body over kMaxBodyBytes (or a Content-Length that is not a
// number).
bool BodyTooLarge(const httplib::Request& req) {
  std::string length = req.get_header_value("Content-Length");
  if (length.empty()) return false;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
  return ec != std::errc() || end != length.data() + length.size() || n > kMaxBodyBytes;
}

// Compares secrets in time independent of where they differ.
bool SecretEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % std::max<size_t>(1, b.size())];
  return diff == 0;
}

// Every API handler answers with the JSON text: the busiest ones write it directly, the others
// build a document (Dom) and dump it.
using Handler = std::function<StatusOr<std::string>(warehouse::Connection&, QueryParams&)>;
using CsvWriter = std::string (*)(const json&);

Handler Dom(StatusOr<json> (*handler)(warehouse::Connection&, QueryParams&)) {
  return [handler](warehouse::Connection& db, QueryParams& params) -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(json body, handler(db, params));
    return Dump(body);
  };
}

// Set on a server thread while it serves a connection beyond the limit; that connection is
// answered 503 and closed.
thread_local bool t_over_limit = false;

// httplib's thread pool, plus a connection limit: up to `max` connections are served at once,
// and a few spare threads turn away the ones beyond (a connection queued behind busy
// keep-alive connections would otherwise wait for seconds, unanswered).
class LimitedPool : public httplib::ThreadPool {
 public:
  static constexpr int kSpare = 4;
  explicit LimitedPool(int max) : httplib::ThreadPool(max + kSpare), max_(max) {}
  void enqueue(std::function<void()> fn) override {
    httplib::ThreadPool::enqueue([this, fn = std::move(fn)] {
      t_over_limit = active_.fetch_add(1) >= max_;
      fn();
      t_over_limit = false;
      active_.fetch_sub(1);
    });
  }

 private:
  const int max_;
  std::atomic<int> active_{0};
};

}  // namespace

// Static files come only from the embedded table: no path reaches the file system.
std::optional<StaticFile> FindStaticFile(std::string_view path) {
  if (path.empty()) path = "index.html";
  const auto& files = embedded::web();
  auto it = files.find(std::string(path));
  if (it == files.end()) return std::nullopt;
  return StaticFile{it->second, ContentType(it->first)};
}

Status ApplyServeEnvironment(ServeOptions& options) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  auto number = [&](const char* name, int min, int max, int& out) -> Status {
    auto v = env(name);
    if (!v) return Status::Ok();
    int64_t n = 0;
    if (!ParseInt(*v, n) || n < min || n > max) {
      return InvalidArgumentError(
          fmt::format("{} must be an integer from {} to {}", name, min, max));
    }
    out = static_cast<int>(n);
    return Status::Ok();
  };
  RETURN_IF_ERROR(number("COINLAKE_DASHBOARD_MAX_CONNECTIONS", 1, 4096, options.max_connections));
  RETURN_IF_ERROR(number("COINLAKE_DASHBOARD_MAX_CONNECTIONS_PER_CLIENT", 1, 4096,
                         options.max_connections_per_client));
  RETURN_IF_ERROR(number("COINLAKE_DASHBOARD_DB_CONNECTIONS", 1, 256, options.db_connections));
  RETURN_IF_ERROR(
      number("COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS", 100, 600000, options.statement_timeout_ms));
  RETURN_IF_ERROR(number("COINLAKE_DASHBOARD_CACHE_MS", 0, 60000, options.cache_ms));
  if (auto v = env("COINLAKE_DASHBOARD_TOKEN")) options.token = *v;
  if (auto v = env("COINLAKE_DASHBOARD_USER")) options.user = *v;
  if (auto v = env("COINLAKE_DASHBOARD_PASSWORD")) options.password = *v;
  if (options.user.empty() != options.password.empty()) {
    return InvalidArgumentError(
        "set both COINLAKE_DASHBOARD_USER and COINLAKE_DASHBOARD_PASSWORD, or neither");
  }
  return Status::Ok();
}

struct Server::Impl {
  ServeOptions options;
  GuardedHttpServer http;
  std::thread thread;
  int port = 0;
  std::unique_ptr<AnswerCache> cache;
  std::unique_ptr<DbPool> db;
  std::string basic_expected;  // "Basic base64(user:password)"
  int listen_socket = -1;

  // True if the request may proceed; otherwise answers 401.
  bool Authorized(const httplib::Request& req, httplib::Response& res) const {
    bool api = req.path.starts_with("/api/");
    bool needs_basic = !basic_expected.empty();
    bool needs_token = !options.token.empty() && api;
    if (!needs_basic && !needs_token) return true;
    std::string auth = req.get_header_value("Authorization");
    if (needs_basic && SecretEquals(auth, basic_expected)) return true;
    if (!options.token.empty() && (SecretEquals(auth, "Bearer " + options.token) ||
                                   SecretEquals(req.get_param_value("token"), options.token))) {
      return true;
    }
    if (needs_basic) res.set_header("WWW-Authenticate", "Basic realm=\"coinlake\"");
    SendJson(res, 401, {{"error", "unauthorized"}});
    return false;
  }

  // An API route: validates the format, strips the access token, serves cached answers.
  void Api(const std::string& path, Handler handler, CsvWriter csv = nullptr,
           bool cacheable = false) {
    http.Get(path, [this, path, handler, csv, cacheable](const httplib::Request& req,
                                                         httplib::Response& res) {
      std::multimap<std::string, std::string> params;
      bool as_csv = false;
      for (const auto& [name, value] : req.params) {
        if (name == "token") continue;
        if (name == "format" && csv != nullptr) {
          if (value != "json" && value != "csv") {
            return SendError(res, InvalidArgumentError("format must be json or csv"));
          }
          as_csv = value == "csv";
          continue;
        }
        params.emplace(name, value);
      }
      auto compute = [&]() -> StatusOr<std::string> {
        ASSIGN_OR_RETURN(DbPool::Lease lease, db->Acquire(std::chrono::seconds(10)));
        QueryParams query(params);
        return handler(*lease, query);
      };
      // The cache key is the query without the token: every client shares one answer.
      auto key = [&] {
        std::string key = path;
        for (const auto& [name, value] : params) key += "\n" + name + "=" + value;
        return key;
      };
      StatusOr<std::string> body = cacheable && !as_csv ? cache->Get(key(), compute) : compute();
      if (!body.ok()) return SendError(res, body.status());
      if (as_csv) {
        // Downloads are rare: the CSV is rendered from the parsed JSON answer.
        res.set_header("Cache-Control", "no-store");
        std::string name = path.substr(path.rfind('/') + 1);
        res.set_header("Content-Disposition",
                       fmt::format("attachment; filename=\"coinlake-{}.csv\"", name));
        res.set_content(csv(json::parse(*body)), "text/csv; charset=utf-8");
        return;
      }
      SendBody(res, 200, std::move(*body));
    });
  }

  void Routes() {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      SetSecurityHeaders(res);
      if (t_over_limit || GuardedHttpServer::OverClientLimit()) {
        res.set_header("Connection", "close");
        res.set_header("Retry-After", "1");
        SendJson(res, 503,
                 {{"error", t_over_limit ? "too many connections"
                                         : "too many connections from this address"}});
        return httplib::Server::HandlerResponse::Handled;
      }
      // Bodies are refused here, before httplib reads them: it would read a chunked body whole
      // whatever its size (its limit applies to Content-Length only), and skip an oversized
      // Content-Length body byte by byte before answering.
      if (req.has_header("Transfer-Encoding")) {
        res.set_header("Connection", "close");
        SendJson(res, 411, {{"error", "chunked request bodies are not accepted"}});
        return httplib::Server::HandlerResponse::Handled;
      }
      if (BodyTooLarge(req)) {
        res.set_header("Connection", "close");
        SendJson(res, 413, {{"error", "request body too large"}});
        return httplib::Server::HandlerResponse::Handled;
      }
      return Authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                  : httplib::Server::HandlerResponse::Handled;
    });
    Api("/api/v1/health",
        [](warehouse::Connection& db, QueryParams& params) -> StatusOr<std::string> {
          RETURN_IF_ERROR(params.Finish());
          ASSIGN_OR_RETURN(json body, Health(db));
          return Dump(body);
        });
    Api(
        "/api/v1/latest",
        [](warehouse::Connection& db, QueryParams& params) -> StatusOr<std::string> {
          // ParseLatestQuery validates the whole query string itself.
          ASSIGN_OR_RETURN(LatestQuery query, ParseLatestQuery(params.all()));
          return Latest(db, query);
        },
        LatestCsv, true);
    Api("/api/v1/assets", Dom(Assets));
    Api("/api/v1/series", Series, SeriesCsv, true);
    Api("/api/v1/candles", Dom(Candles), CandlesCsv, true);
    Api("/api/v1/sparklines", Dom(Sparklines), nullptr, true);
    Api("/api/v1/movers", Dom(Movers), nullptr, true);
    Api("/api/v1/global", Dom(Global), nullptr, true);
    Api("/api/v1/global/series", GlobalSeries, nullptr, true);
    Api("/api/v1/currencies", Dom(Currencies), nullptr, true);
    Api("/api/v1/pipeline", Dom(Pipeline));
    Api("/api/v1/alerts", Dom(Alerts), nullptr, true);
    http.Get(R"(/(.*))", [](const httplib::Request& req, httplib::Response& res) {
      std::string path = req.matches[1];
      auto file = FindStaticFile(path);
      if (!file) {
        if (path.starts_with("api/")) return SendJson(res, 404, {{"error", "no such endpoint"}});
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(file->body), file->content_type);
    });
    // Only GET: anything else is refused before a body is read.
    auto refuse = [](const httplib::Request&, httplib::Response& res) {
      SendJson(res, 405, {{"error", "method not allowed"}});
    };
    http.Post(".*", refuse);
    http.Put(".*", refuse);
    http.Delete(".*", refuse);
    http.Patch(".*", refuse);
    // httplib's own refusals (a bad request line or header: 400, a body over the limit: 413, a
    // request line over 8 KiB: 414) come without a body: give them the API's JSON error. A
    // request GuardedHttpServer cut (too slow, too big) reads to httplib as a bad request: say
    // which, and close.
    http.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (auto cut = GuardedHttpServer::CutStatus(); cut && res.status == 400) {
            res.status = *cut;
            res.set_header("Connection", "close");
          }
          SendJson(res, res.status,
                   {{"error", res.status == 408   ? "request not received in time"
                              : res.status == 413 ? "request body too large"
                              : res.status == 414 ? "request line too long"
                              : res.status == 431 ? "request headers too large"
                              : res.status < 500  ? "bad request"
                                                  : "internal error"}});
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_payload_max_length(kMaxBodyBytes);
    http.set_read_timeout(10, 0);
    http.set_write_timeout(10, 0);
    http.set_keep_alive_max_count(1000);
    http.set_keep_alive_timeout(5);
    // An answer is written as headers then body; with Nagle on, the body waits for the client's
    // delayed ACK of the headers, which caps keep-alive throughput far below the CPU's
    // (docs/benchmarks.md, "Dashboard").
    http.set_tcp_nodelay(true);
    http.set_request_limits(
        {std::chrono::milliseconds(options.request_timeout_ms), kMaxHeadBytes + kMaxBodyBytes});
    int max_connections = options.max_connections;
    http.new_task_queue = [max_connections] { return new LimitedPool(max_connections); };
    http.set_max_connections_per_client(options.max_connections_per_client);
    // Keep the listening socket (to widen its backlog after bind) and httplib's reuse option.
    http.set_socket_options([this](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_socket = sock;
    });
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (res.status >= 500) {
        log::Warn("request failed", {{"path", req.path}, {"status", res.status}});
      }
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

StatusOr<std::unique_ptr<Server>> Server::Start(const ServeOptions& options) {
  if (options.max_connections < 1) {
    return InvalidArgumentError("max_connections must be at least 1");
  }
  if (options.statement_timeout_ms < 1) {
    return InvalidArgumentError("statement_timeout_ms must be at least 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (impl->options.db_connections <= 0) {
    impl->options.db_connections =
        std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  }
  if (impl->options.max_connections_per_client <= 0) {
    impl->options.max_connections_per_client = std::max(8, options.max_connections / 4);
  }
  impl->cache = std::make_unique<AnswerCache>(
      AnswerCache::Limits{.ttl = std::chrono::milliseconds(options.cache_ms)});
  // No dashboard statement takes more than a fraction of a second: the server cancels one that
  // runs past the statement timeout, and a call still unanswered after twice that is on a
  // database that stopped answering.
  const std::chrono::milliseconds statement_timeout(options.statement_timeout_ms);
  impl->db = std::make_unique<DbPool>(options.database_url, impl->options.db_connections,
                                      DbPoolTimeouts{statement_timeout, 2 * statement_timeout});
  if (!options.token.empty()) log::RegisterSecret(options.token);
  if (!options.password.empty()) {
    log::RegisterSecret(options.password);
    impl->basic_expected = "Basic " + Base64Encode(options.user + ":" + options.password);
  }
  impl->Routes();
  Impl* p = impl.get();
  if (options.port == 0) {
    p->port = p->http.bind_to_any_port(options.host);
  } else if (p->http.bind_to_port(options.host, options.port)) {
    p->port = options.port;
  }
  if (p->port <= 0) {
    return UnavailableError(
        fmt::format("cannot listen on {}:{} (in use?)", options.host, options.port));
  }
  // httplib listens with a backlog of 5: a burst of new connections (64 clients starting at
  // once) would overflow it, and each dropped SYN costs its client a one-second retransmit.
  // Listening again on a listening socket only changes the backlog.
  if (p->listen_socket >= 0) ::listen(p->listen_socket, SOMAXCONN);
  p->thread = std::thread([p] { p->http.listen_after_bind(); });
  // Wait until the accept loop runs: httplib's stop() is a no-op before that, so an early
  // Stop() would leave the thread listening forever and the join would hang.
  while (!p->http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log::Info("dashboard listening",
            {{"url", fmt::format("http://{}:{}/", options.host, p->port)},
             {"max_connections", options.max_connections},
             {"max_connections_per_client", p->options.max_connections_per_client},
             {"db_connections", p->options.db_connections},
             {"statement_timeout_ms", options.statement_timeout_ms},
             {"auth", !p->basic_expected.empty() ? "basic"
                      : options.token.empty()    ? "none"
                                                 : "token"}});
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Status RunServe(const ServeOptions& given, StopSignal& stop) {
  ServeOptions options = given;
  RETURN_IF_ERROR(ApplyServeEnvironment(options));
  // Fail fast on a bad URL or unreachable database rather than serving 503s forever. The probe
  // is closed at once: the pool's connections are the only ones the dashboard keeps.
  RETURN_IF_ERROR(warehouse::Connection::Open(options.database_url).status());
  ASSIGN_OR_RETURN(auto server, Server::Start(options));
  while (stop.SleepFor(std::chrono::hours(1))) {  // false once stopped
  }
  server->Stop();
  log::Info("dashboard stopped");
  return Status::Ok();
}

}  // namespace coinlake::dashboard
