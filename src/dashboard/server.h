// `coinlake serve`: the dashboard's JSON API and web UI over the read-only database role.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::dashboard {

struct ServeOptions {
  std::string host = "0.0.0.0";
  int port = 8501;  // 0 picks a free port (tests)
  std::string database_url;
  // Requests served at once (each thread holds one read-only database connection); further
  // connections wait for a free thread.
  int threads = 16;
  // How long an identical /latest, /global or /movers answer is reused; 0 disables the cache.
  int cache_ms = 1000;
  // Access control; all empty: open. With a token, /api/ needs "Authorization: Bearer <token>"
  // or ?token=<token>; with a user and password, every path needs HTTP basic auth.
  std::string token;
  std::string user;
  std::string password;
};

// Fills threads, cache_ms, token, user and password from COINLAKE_DASHBOARD_THREADS,
// COINLAKE_DASHBOARD_CACHE_MS, COINLAKE_DASHBOARD_TOKEN, COINLAKE_DASHBOARD_USER and
// COINLAKE_DASHBOARD_PASSWORD when set; INVALID_ARGUMENT for a bad value.
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
