#include "warehouse/schema_version.h"

#include <chrono>
#include <string>

namespace coinlake::warehouse {
namespace {

constexpr auto kRereadAfter = std::chrono::minutes(1);

}  // namespace

StatusOr<int> ReadSchemaVersion(Connection& db) {
  // Two statements: PostgreSQL resolves every table a statement names before running it.
  ASSIGN_OR_RETURN(Rows exists, db.Query("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (exists.text(0, 0) != "t") return -1;
  ASSIGN_OR_RETURN(Rows rows, db.Query("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return std::stoi(rows.text(0, 0));
}

StatusOr<bool> SchemaHasMigration(Connection& db, int version) {
  Connection::SchemaSeen& seen = db.schema_seen();
  if (seen.version >= version) return true;
  const auto now = std::chrono::steady_clock::now();
  if (seen.read_at != std::chrono::steady_clock::time_point{} &&
      now - seen.read_at < kRereadAfter) {
    return false;
  }
  ASSIGN_OR_RETURN(seen.version, ReadSchemaVersion(db));
  seen.read_at = now;
  return seen.version >= version;
}

}  // namespace coinlake::warehouse
