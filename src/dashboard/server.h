// `coinlake serve`: the dashboard's JSON API and web UI over the read-only database role.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::dashboard {

struct ServeOptions {
  std::string host = "0.0.0.0";
  int port = 8501;  // 0 picks a free port (tests)
  std::string database_url;
  // Client connections served at once, one thread each (keep-alive connections keep theirs);
  // a connection beyond the limit gets 503 and is closed.
  int max_connections = 256;
  // Of those, at most this many from one client address (0: a quarter of max_connections, at
  // least 8, as a browser opens up to six); one beyond gets 503 and is closed, so one client
  // cannot hold every thread. Clients behind one proxy or NAT share an address.
  int max_connections_per_client = 0;
  // Read-only database connections shared by those threads; 0: two per core (at least 4).
  // Requests beyond it wait for a free one, briefly: the database is the bottleneck.
  int db_connections = 0;
  // PostgreSQL cancels a dashboard statement that runs longer (statement_timeout, on each of
  // those connections), so a request given up on leaves no query behind. The client side gives
  // a database that stopped answering twice this before it drops the connection.
  int statement_timeout_ms = 5000;
  // How long an identical /latest, /series, /candles, /sparklines, /movers or /global answer
  // is reused (one query per distinct query string; answers are at most 2x this old, see
  // answer_cache.h); 0 disables the cache.
  int cache_ms = 1000;
  // A request (line, headers, body) must arrive within this of its first byte, or it is
  // answered 408 and its connection closed: a client dripping bytes cannot hold a thread.
  int request_timeout_ms = 10'000;
  // Access control; all empty: open. With a token, /api/ needs "Authorization: Bearer <token>"
  // or ?token=<token>; with a user and password, every path needs HTTP basic auth.
  std::string token;
  std::string user;
  std::string password;
};

// A file of the embedded web UI for a request path without its leading '/' ("" is index.html):
// its bytes and content type, or nothing. Pure: no request path reaches the file system.
struct StaticFile {
  std::string_view body;
  std::string content_type;
};
std::optional<StaticFile> FindStaticFile(std::string_view path);

// Fills the options from COINLAKE_DASHBOARD_MAX_CONNECTIONS,
// COINLAKE_DASHBOARD_MAX_CONNECTIONS_PER_CLIENT, COINLAKE_DASHBOARD_DB_CONNECTIONS,
// COINLAKE_DASHBOARD_STATEMENT_TIMEOUT_MS, COINLAKE_DASHBOARD_CACHE_MS,
// COINLAKE_DASHBOARD_TOKEN, COINLAKE_DASHBOARD_USER and COINLAKE_DASHBOARD_PASSWORD when set;
// INVALID_ARGUMENT for a bad value.
Status ApplyServeEnvironment(ServeOptions& options);

class Server {
 public:
  // Binds the port and starts serving on background threads.
  static StatusOr<std::unique_ptr<Server>> Start(const ServeOptions& options);
  ~Server();
  int port() const;
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Serves until `stop`.
Status RunServe(const ServeOptions& options, StopSignal& stop);

}  // namespace coinlake::dashboard
