#include "pipeline/run_lock.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "common/log.h"
#include "warehouse/heartbeat.h"

namespace coinlake::pipeline {
namespace {

const std::string kKey = std::to_string(kRunLockKey);

// "backend 1234 (10.0.0.5, since 2026-...), last heartbeat from host etl-1": best effort, for
// the refusal message only.
std::string DescribeHolder(warehouse::Connection& db) {
  std::vector<std::string> details;
  auto holder = db.Query(R"sql(
    SELECT l.pid, coalesce(host(a.client_addr), 'local socket'), a.backend_start
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid)sql",
                         {kKey});
  if (holder.ok() && !holder->empty()) {
    details.push_back(
        fmt::format("database backend pid {}, client {}", holder->text(0, 0), holder->text(0, 1)));
    if (holder->at(0, 2)) details.push_back("connected since " + holder->text(0, 2));
  }
  if (auto host = warehouse::RunningHostName(db)) {
    details.push_back("last heartbeat from " + *host);
  }
  std::string who = "another coinlake run";
  if (!details.empty()) who += fmt::format(" ({})", fmt::join(details, "; "));
  return who;
}

}  // namespace

StatusOr<std::unique_ptr<RunLock>> RunLock::Acquire(const std::string& database_url) {
  std::unique_ptr<RunLock> lock(new RunLock(database_url));
  RETURN_IF_ERROR(lock->TryTake());
  return lock;
}

Status RunLock::TryTake() {
  db_.reset();
  ASSIGN_OR_RETURN(auto db, warehouse::Connection::Open(url_));
  ASSIGN_OR_RETURN(warehouse::Rows got,
                   db->Query("SELECT pg_try_advisory_lock($1::bigint)", {kKey}));
  if (got.text(0, 0) != "t") {
    return AlreadyExistsError(fmt::format(
        "{} already holds this database's run lock: refusing to start, so the API is never "
        "polled twice (stop the other one first; see docs/operations.md)",
        DescribeHolder(*db)));
  }
  db_ = std::move(db);
  return Status::Ok();
}

Status RunLock::Check() {
  if (db_ && db_->Execute("SELECT 1").ok()) return Status::Ok();
  Status taken = TryTake();
  if (taken.ok()) {
    log::Warn("run lock taken again after the database connection dropped");
    return taken;
  }
  if (taken.code() == StatusCode::kAlreadyExists) return taken;
  return UnavailableError(fmt::format("run lock not held: {}", taken.message()));
}

}  // namespace coinlake::pipeline
