#include "dashboard/server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <map>
#include <thread>

#include "common/log.h"
#include "dashboard/api.h"
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

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
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
      http = 503;
      break;
    default:
      http = 500;
  }
  if (http >= 500) log::Error("api error", {{"error", status.ToString()}});
  // Server-side details stay in the log; clients get the class and, for 4xx, the reason.
  std::string message =
      http < 500 ? status.message() : (http == 503 ? "database unavailable" : "internal error");
  SendJson(res, http, {{"error", message}});
}

}  // namespace

struct Server::Impl {
  ServeOptions options;
  httplib::Server http;
  std::thread thread;
  int port = 0;

  // One connection per server thread, reopened when it breaks: no locking on the hot path.
  StatusOr<warehouse::Connection*> Database() {
    thread_local std::unique_ptr<warehouse::Connection> conn;
    thread_local std::string conn_url;
    if (conn && conn->healthy() && conn_url == options.database_url) return conn.get();
    conn.reset();
    ASSIGN_OR_RETURN(conn, warehouse::Connection::Open(options.database_url));
    conn_url = options.database_url;
    (void)conn->Execute("SET default_transaction_read_only = on");
    return conn.get();
  }

  template <typename Handler>
  void Api(const std::string& path, Handler handler) {
    http.Get(path, [this, handler](const httplib::Request& req, httplib::Response& res) {
      auto db = Database();
      if (!db.ok()) return SendError(res, db.status());
      StatusOr<json> body = handler(**db, req);
      if (!body.ok()) return SendError(res, body.status());
      SendJson(res, 200, *body);
    });
  }

  void Routes() {
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
      SetSecurityHeaders(res);
      return httplib::Server::HandlerResponse::Unhandled;
    });
    Api("/api/v1/health",
        [](warehouse::Connection& db, const httplib::Request& req) -> StatusOr<json> {
          if (!req.params.empty()) return InvalidArgumentError("health takes no parameters");
          return Health(db);
        });
    Api("/api/v1/latest",
        [](warehouse::Connection& db, const httplib::Request& req) -> StatusOr<json> {
          ASSIGN_OR_RETURN(LatestQuery query, ParseLatestQuery(req.params));
          return Latest(db, query);
        });
    // Static files come only from the embedded table: no path reaches the file system.
    http.Get(R"(/(.*))", [](const httplib::Request& req, httplib::Response& res) {
      std::string path = req.matches[1];
      if (path.empty()) path = "index.html";
      const auto& files = embedded::web();
      auto it = files.find(path);
      if (it == files.end()) {
        if (path.starts_with("api/")) return SendJson(res, 404, {{"error", "no such endpoint"}});
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(it->second), ContentType(path));
    });
    http.set_payload_max_length(64 * 1024);
    http.set_read_timeout(10, 0);
    http.set_write_timeout(10, 0);
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
  auto impl = std::make_unique<Impl>();
  impl->options = options;
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
  p->thread = std::thread([p] { p->http.listen_after_bind(); });
  log::Info("dashboard listening", {{"url", fmt::format("http://{}:{}/", options.host, p->port)}});
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Status RunServe(const ServeOptions& options, StopSignal& stop) {
  // Fail fast on a bad URL or unreachable database rather than serving 503s forever.
  auto probe = warehouse::Connection::Open(options.database_url);
  if (!probe.ok()) return probe.status();
  ASSIGN_OR_RETURN(auto server, Server::Start(options));
  while (!stop.SleepFor(std::chrono::hours(1))) {
  }
  server->Stop();
  log::Info("dashboard stopped");
  return Status::Ok();
}

}  // namespace coinlake::dashboard
