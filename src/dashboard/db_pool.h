// The dashboard's database connections: a small fixed pool shared by all HTTP threads.
// PostgreSQL does its best work with about two busy backends per core, while the server keeps
// many more client connections open (one thread each); a request holds a connection only
// while its statements run.
//
// The pool never has more than `size` backends on the server: a connection that broke (a call
// cut by its deadline leaves its statement running in its backend) keeps its slot until the
// server has taken a cancel request for that statement; only then may the slot open another.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::dashboard {

struct DbPoolTimeouts {
  // Server side: PostgreSQL cancels a statement that runs longer (statement_timeout, set once
  // on each connection as it opens); 0 keeps the server's setting.
  std::chrono::milliseconds statement{0};
  // Client side, for a server that stopped answering (warehouse/call_deadline.h): a call still
  // waiting after this is cut, its connection dropped and its statement cancelled; 0: none.
  // Keep it above `statement`, which ends a slow statement more cleanly.
  std::chrono::milliseconds call{0};
};

class DbPool {
 public:
  // At most `size` connections to `url`, opened on first use, read-only, in UTC.
  DbPool(std::string url, int size, DbPoolTimeouts timeouts = {});
  // Waits for the cancel requests still in flight.
  ~DbPool();

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
  // The canceller thread: sends each broken connection's cancel request, then passes its slot.
  // PQcancel blocks until the server has taken the request, so it runs here, not on a request
  // thread.
  void CancelLoop();

  const std::string url_;
  const int size_;
  const DbPoolTimeouts timeouts_;
  std::mutex mu_;
  std::deque<Waiter*> waiters_;  // oldest first; each lives on its Acquire's stack
  std::vector<std::unique_ptr<warehouse::Connection>> idle_;
  int open_ = 0;  // slots in use: connections idle, on loan, being opened or being cancelled
  std::deque<std::unique_ptr<warehouse::Connection>> to_cancel_;  // broken, slot still held
  std::condition_variable cancel_cv_;
  bool stopping_ = false;
  std::thread canceller_;  // last: starts once the members above exist
};

}  // namespace coinlake::dashboard
