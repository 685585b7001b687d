// One `coinlake run` per database: a PostgreSQL session advisory lock, held for the life of the
// process by a connection of its own (so two ETL hosts never poll the same API twice).
//
// The lock is tied to the session: it goes when the process dies (kill -9 included) or its
// connection drops. Check() runs before every cycle: while the connection lives the lock is held;
// once it dropped, Check() reconnects and takes the lock again. If another process took it
// meanwhile, Check() returns ALREADY_EXISTS and the caller must stop polling. If the database
// cannot be reached, Check() returns UNAVAILABLE: nobody else can take the lock either, so the
// caller may go on (the spool and the lake keep what it fetches).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::pipeline {

// The lock's key: "coinlake" in ASCII as a bigint. Shown in pg_locks as classid 1668246638,
// objid 1818323813, objsubid 1.
inline constexpr int64_t kRunLockKey = 0x636f696e6c616b65;

class RunLock {
 public:
  // ALREADY_EXISTS (one clear sentence naming the holder) if another process holds the lock;
  // other errors if the database cannot be reached.
  static StatusOr<std::unique_ptr<RunLock>> Acquire(const std::string& database_url);

  // OK while held (re-taken after a dropped connection); ALREADY_EXISTS if another process
  // took it;
  // UNAVAILABLE if the database is unreachable.
  Status Check();

  // The lock's own connection (heartbeat writes go through it); null while disconnected.
  warehouse::Connection* connection() { return db_.get(); }

 private:
  explicit RunLock(std::string url) : url_(std::move(url)) {}
  // Connects and tries the lock: OK, ALREADY_EXISTS, or a connection error.
  Status TryTake();

  std::string url_;
  std::unique_ptr<warehouse::Connection> db_;
};

}  // namespace coinlake::pipeline
