#include "warehouse/endpoint_access.h"

#include "warehouse/schema_version.h"

namespace coinlake::warehouse {
namespace {

Param OptionalInt(const std::optional<int64_t>& v) {
  return v ? Param(std::to_string(*v)) : Param();
}

}  // namespace

Status RecordEndpointAccess(Connection& db, const EndpointAccess& a) {
  return db.Execute(
      "INSERT INTO endpoint_access (endpoint, allowed, checked_at, http_status, error_code, "
      "message, earliest) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (endpoint) DO UPDATE SET allowed = excluded.allowed, "
      "checked_at = excluded.checked_at, http_status = excluded.http_status, "
      "error_code = excluded.error_code, message = excluded.message, earliest = excluded.earliest",
      {a.endpoint, a.allowed ? "true" : "false", FormatIso8601(a.checked_at),
       OptionalInt(a.http_status), OptionalInt(a.error_code), a.message,
       a.earliest ? Param(FormatIso8601(*a.earliest)) : Param()});
}

StatusOr<std::vector<EndpointAccess>> ReadEndpointAccess(Connection& db) {
  ASSIGN_OR_RETURN(bool has_table, SchemaHasMigration(db, 14));
  std::vector<EndpointAccess> out;
  if (!has_table) return out;
  ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT endpoint, allowed, checked_at, http_status, "
                                       "error_code, message, earliest FROM endpoint_access "
                                       "ORDER BY endpoint"));
  for (size_t i = 0; i < rows.size(); ++i) {
    EndpointAccess& a = out.emplace_back();
    a.endpoint = rows.text(i, 0);
    a.allowed = rows.text(i, 1) == "t";
    a.checked_at = rows.time(i, 2).value_or(TimePoint{});
    a.http_status = rows.integer(i, 3);
    a.error_code = rows.integer(i, 4);
    a.message = rows.text(i, 5);
    a.earliest = rows.time(i, 6);
  }
  return out;
}

}  // namespace coinlake::warehouse
