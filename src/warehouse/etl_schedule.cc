#include "warehouse/etl_schedule.h"

#include <string>

namespace coinlake::warehouse {

StatusOr<int64_t> EtlListingsIntervalSeconds(Connection& db) {
  // Read through to_jsonb, so a schema before migration 0008 (a dashboard host upgraded before
  // the ETL host has migrated) gives the default instead of an error on every page.
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT coalesce((SELECT i FROM (
                       SELECT (to_jsonb(h) ->> 'listings_interval_seconds')::integer AS i, beat_at
                       FROM pipeline_heartbeat h) r
                     WHERE i > 0 ORDER BY beat_at DESC LIMIT 1), 300))sql"));
  return std::stoll(rows.text(0, 0));
}

}  // namespace coinlake::warehouse
