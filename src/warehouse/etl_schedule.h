// The schedule the ETL keeps, as its heartbeat reports it (pipeline_heartbeat, migration 0008):
// the dashboard's gaps and staleness and `audit`'s expected snapshots all follow it.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// Seconds between listings snapshots per the newest ETL heartbeat that reports them; 300 (the
// default schedule) before any has.
StatusOr<int64_t> EtlListingsIntervalSeconds(Connection& db);

}  // namespace coinlake::warehouse
