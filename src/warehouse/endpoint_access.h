// What the API key's plan was found to allow, per historical endpoint: the `endpoint_access`
// table (migration 0014). `coinlake backfill` writes a row after the first request of an
// endpoint (its probe); `coinlake plan` and the dashboard's pipeline page read them. Its SQL
// lives only here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

struct EndpointAccess {
  std::string endpoint;  // lake name: quotes_historical, ohlcv_historical, ...
  bool allowed = false;
  TimePoint checked_at{};
  std::optional<int64_t> http_status;
  std::optional<int64_t> error_code;  // CMC's status.error_code (1006: not on this plan)
  std::string message;                // CMC's own error_message; empty when allowed
  std::optional<TimePoint> earliest;  // the earliest time the probe asked for
};

// Replaces the endpoint's row.
Status RecordEndpointAccess(Connection& db, const EndpointAccess& access);

// Every endpoint's row, by name; none on a schema before migration 14.
StatusOr<std::vector<EndpointAccess>> ReadEndpointAccess(Connection& db);

}  // namespace coinlake::warehouse
