// Which migrations the database a process talks to has. The ETL host migrates; a dashboard
// upgraded first meets the older schema until then. Statements that must work across such an
// upgrade ask whether the migration that added a column is applied, and name the column only
// then: this is the one way coinlake copes with an older schema.
#pragma once

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// The newest migration applied to `db`: 0 with none, -1 without a schema_migrations table.
StatusOr<int> ReadSchemaVersion(Connection& db);

// Whether migration `version` is applied. Memoised on the connection: a yes stands (a schema
// does not go back), a no is read again after a minute, so a long-lived dashboard connection
// notices the ETL host's migration soon without asking on every request.
StatusOr<bool> SchemaHasMigration(Connection& db, int version);

}  // namespace coinlake::warehouse
