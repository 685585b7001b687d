#include "pipeline/reprocess.h"

#include <fmt/format.h>

#include "common/log.h"
#include "lake/keys.h"
#include "lake/object_store.h"
#include "pipeline/load_object.h"
#include "warehouse/db.h"
#include "warehouse/loader.h"

namespace coinlake::pipeline {

StatusOr<ReprocessReport> RunReprocess(const ReprocessOptions& options, StopSignal& stop) {
  ASSIGN_OR_RETURN(auto lake, lake::OpenObjectStore(options.lake_url));
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(options.database_url));
  warehouse::Loader loader(*db);
  ReprocessReport report;
  std::optional<std::string> token;
  std::string prefix = lake::RawPrefix(lake::kListingsLatest);
  do {
    ASSIGN_OR_RETURN(lake::ListPage page, lake->List(prefix, token, 1000));
    for (const lake::ObjectInfo& object : page.objects) {
      if (stop.stopped()) return report;
      auto parts = lake::ParseRawKey(object.key);
      if (!parts.ok() || parts->is_meta) continue;
      std::string date = FormatDate(parts->data_time);
      if ((!options.from_date.empty() && date < options.from_date) ||
          (!options.to_date.empty() && date > options.to_date)) {
        continue;
      }
      ++report.objects_seen;
      ASSIGN_OR_RETURN(std::string data, lake->Get(object.key));
      ASSIGN_OR_RETURN(warehouse::LoadResult loaded, LoadRawObject(loader, object.key, data));
      if (!loaded.already_loaded) ++report.objects_loaded;
      report.rows += loaded.rows;
    }
    token = std::move(page.next_token);
  } while (token);
  return report;
}

}  // namespace coinlake::pipeline
