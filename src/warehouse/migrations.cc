#include "warehouse/migrations.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "common/bytes.h"
#include "common/log.h"
#include "warehouse/schema_version.h"

namespace coinlake::embedded {
const std::map<std::string, std::string_view>& migrations();
}

namespace coinlake::warehouse {

std::vector<Migration> EmbeddedMigrations() {
  std::vector<Migration> out;
  for (const auto& [name, sql] : embedded::migrations()) {
    int version = std::atoi(name.c_str());
    if (version > 0) out.push_back({version, name, std::string(sql)});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version < b.version; });
  return out;
}

namespace {

// Applies one migration in its own transaction with its schema_migrations row.
Status Apply(Connection& db, const Migration& m, const std::string& digest) {
  ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  RETURN_IF_ERROR(db.Execute(m.sql));
  RETURN_IF_ERROR(
      db.Execute("INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                 {std::to_string(m.version), m.name, digest}));
  return transaction.Commit();
}

}  // namespace

StatusOr<MigrateResult> Migrate(Connection& db, const std::vector<Migration>& migrations) {
  // Session-level lock: held across the per-migration transactions below, and taken before
  // schema_migrations is created (CREATE TABLE IF NOT EXISTS races with itself).
  RETURN_IF_ERROR(db.Execute("SELECT pg_advisory_lock(hashtext('coinlake_migrate'))"));
  auto unlock = [&db] {
    (void)db.Execute("SELECT pg_advisory_unlock(hashtext('coinlake_migrate'))");
  };
  Status created = db.Execute(R"sql(
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      sha256     text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    ))sql");
  if (created.ok())
    created = db.Execute(R"sql(
    COMMENT ON TABLE schema_migrations IS 'Schema versions applied by coinlake migrate.';
    COMMENT ON COLUMN schema_migrations.version IS 'Migration number (the file''s NNNN prefix).';
    COMMENT ON COLUMN schema_migrations.name IS 'Migration file name.';
    COMMENT ON COLUMN schema_migrations.sha256 IS 'SHA-256 of the migration text: an applied migration must never change.';
    COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied.')sql");
  if (!created.ok()) {
    unlock();
    return created;
  }

  auto applied_rows =
      db.Query("SELECT version, name, sha256 FROM schema_migrations ORDER BY version");
  if (!applied_rows.ok()) {
    unlock();
    return applied_rows.status();
  }
  std::map<int, std::pair<std::string, std::string>> applied;
  for (size_t r = 0; r < applied_rows->size(); ++r) {
    applied[std::stoi(applied_rows->text(r, 0))] = {applied_rows->text(r, 1),
                                                    applied_rows->text(r, 2)};
  }
  MigrateResult result;
  result.from_version = applied.empty() ? 0 : applied.rbegin()->first;
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (result.from_version > known) {
    unlock();
    return FailedPreconditionError(fmt::format(
        "the database schema is at version {}, newer than this coinlake ({}): upgrade coinlake",
        result.from_version, known));
  }
  for (const Migration& m : migrations) {
    std::string digest = Sha256Hex(m.sql);
    auto it = applied.find(m.version);
    if (it != applied.end()) {
      if (it->second.second != digest) {
        unlock();
        return FailedPreconditionError(fmt::format(
            "migration {} was changed after it was applied; add a new migration instead", m.name));
      }
      continue;
    }
    Status status = Apply(db, m, digest);
    if (status.code() == StatusCode::kAlreadyExists) {
      // The lock above is per database, but roles are the cluster's: `migrate` of another
      // database on the same server can create a role between our IF NOT EXISTS and our CREATE
      // ROLE. The transaction was rolled back; once more, the role is there and is skipped.
      log::Warn("migration raced with another database's on a cluster-wide object; retrying",
                {{"name", m.name}, {"error", status.ToString()}});
      status = Apply(db, m, digest);
    }
    if (!status.ok()) {
      unlock();
      return status.WithContext(fmt::format("migration {} failed and was rolled back", m.name));
    }
    log::Info("migration applied", {{"version", m.version}, {"name", m.name}});
    result.applied.push_back(m.name);
  }
  result.to_version = known > result.from_version ? known : result.from_version;
  Status partitions =
      db.Execute("SELECT coinlake_ensure_quote_partitions(now(), now() + interval '1 month')");
  unlock();
  RETURN_IF_ERROR(partitions);
  return result;
}

Status CheckSchemaCurrent(Connection& db) {
  ASSIGN_OR_RETURN(int have, ReadSchemaVersion(db));
  const std::vector<Migration> embedded = EmbeddedMigrations();
  const int need = embedded.empty() ? 0 : embedded.back().version;
  if (have < 0) {
    return FailedPreconditionError(
        "the database has no coinlake schema yet: run `coinlake migrate`");
  }
  if (have < need) {
    return FailedPreconditionError(
        fmt::format("the database schema is at version {}, this coinlake needs {}: run "
                    "`coinlake migrate`",
                    have, need));
  }
  return Status::Ok();
}

}  // namespace coinlake::warehouse
