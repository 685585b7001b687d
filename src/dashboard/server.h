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
};

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
