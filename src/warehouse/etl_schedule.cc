#include "warehouse/etl_schedule.h"

#include <string>

namespace coinlake::warehouse {

StatusOr<int64_t> EtlListingsIntervalSeconds(Connection& db) {
  ASSIGN_OR_RETURN(Rows rows, db.Query(R"sql(
    SELECT coalesce((SELECT listings_interval_seconds FROM pipeline_heartbeat
                     WHERE listings_interval_seconds > 0 ORDER BY beat_at DESC LIMIT 1), 300))sql"));
  return std::stoll(rows.text(0, 0));
}

}  // namespace coinlake::warehouse
