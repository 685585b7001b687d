// Versioned schema migrations, compiled into the binary from migrations/NNNN_name.sql.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

struct Migration {
  int version;
  std::string name;  // file name, e.g. 0001_initial_schema.sql
  std::string sql;
};

// The embedded migrations, in version order.
std::vector<Migration> EmbeddedMigrations();

struct MigrateResult {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;
};

// Applies every migration newer than the database's version, each in its own transaction
// together with its row in schema_migrations, under an advisory lock so two hosts never race.
// Idempotent: a second run applies nothing. Fails if an applied migration's text changed, or if
// the database is newer than this binary. Also creates the quotes partitions for this month
// and the next.
StatusOr<MigrateResult> Migrate(Connection& db, const std::vector<Migration>& migrations);

// FAILED_PRECONDITION, saying to run `coinlake migrate`, if the database lacks a migration this
// binary embeds (an upgrade whose migrate has not run yet): the commands that load check it
// first, rather than failing later on a missing column or function.
Status CheckSchemaCurrent(Connection& db);

}  // namespace coinlake::warehouse
