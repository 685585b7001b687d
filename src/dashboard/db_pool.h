// The dashboard's database connections: a small fixed pool shared by all HTTP threads.
// PostgreSQL does its best work with about two busy backends per core, while the server keeps
// many more client connections open (one thread each); a request holds a connection only
// while its statements run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

class DbPool {
 public:
  // At most `size` connections to `url`, opened on first use, read-only, in UTC. With a
  // `call_timeout`, a statement still running after it is cut client-side (its connection
  // dropped, warehouse/call_deadline.h): a frozen database answers 503s, not hung threads.
  DbPool(std::string url, int size, std::chrono::milliseconds call_timeout = {});

  // A connection on loan; returned to the pool (or dropped if it broke) when destroyed.
  class Lease {
   public:
    Lease(DbPool* pool, std::unique_ptr<warehouse::Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    warehouse::Connection& operator*() const { return *conn_; }

   private:
    DbPool* pool_;
    std::unique_ptr<warehouse::Connection> conn_;
  };

  // Waits up to `wait` for a free connection, first come first served: a connection released
  // while requests wait goes to the one that has waited longest, never to a later arrival.
  // UNAVAILABLE if none frees up in time or the database cannot be reached.
  StatusOr<Lease> Acquire(std::chrono::milliseconds wait);

  // Requests waiting in Acquire now (tests, metrics).
  int waiting();

 private:
  // A request queued in Acquire; Release hands it a connection, or the right to open one.
  struct Waiter {
    std::condition_variable handed;
    std::unique_ptr<warehouse::Connection> conn;
    bool may_open = false;
  };
  // Opens a connection for a slot already counted in open_ (outside the lock).
  StatusOr<Lease> Open();
  void Release(std::unique_ptr<warehouse::Connection> conn);
  // Gives a slot that has no connection (broken, or failed to open) to the first waiter, or
  // frees it. Under mu_.
  void PassSlot();
  const std::string url_;
  const int size_;
  const std::chrono::milliseconds call_timeout_;
  std::mutex mu_;
  std::deque<Waiter*> waiters_;  // oldest first; each lives on its Acquire's stack
  std::vector<std::unique_ptr<warehouse::Connection>> idle_;
  int open_ = 0;  // connections idle, on loan or being opened
};

}  // namespace coinlake::dashboard
