#include "dashboard/db_pool.h"

#include "common/log.h"

namespace coinlake::dashboard {

DbPool::DbPool(std::string url, int size, DbPoolTimeouts timeouts)
    : url_(std::move(url)),
      size_(size),
      timeouts_(timeouts),
      canceller_([this] { CancelLoop(); }) {}

DbPool::~DbPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cancel_cv_.notify_one();
  canceller_.join();
}

DbPool::Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_));
}

StatusOr<DbPool::Lease> DbPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  // First come, first served: a request arriving while others wait queues behind them, even if
  // a connection is idle for an instant (it is already promised to the first waiter). Without
  // the queue, a thread that just released a connection took it straight back for its
  // keep-alive client's next request, and the unlucky waited many turns (p99 4x the median).
  if (waiters_.empty() && !idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  if (waiters_.empty() && open_ < size_) {
    ++open_;
    lock.unlock();
    return Open();
  }
  Waiter me;
  waiters_.push_back(&me);
  if (!me.handed.wait_for(lock, wait, [&] { return me.conn != nullptr || me.may_open; })) {
    std::erase(waiters_, &me);
    return UnavailableError("all database connections are busy");
  }
  if (me.conn) return Lease(this, std::move(me.conn));
  lock.unlock();  // may_open: the slot of a connection that broke or failed to open is ours
  return Open();
}

StatusOr<DbPool::Lease> DbPool::Open() {
  // Opened outside the lock: a slow or unreachable database must not stall the other threads.
  auto conn = warehouse::Connection::Open(url_);
  Status setup = conn.ok() ? (*conn)->Execute(
                                 "SET default_transaction_read_only = on; "
                                 "SET jit = off")
                           : conn.status();
  // The server ends a statement that outlives the timeout by itself, so a request the client
  // gave up on leaves nothing running (and a lock wait counts too).
  if (setup.ok() && timeouts_.statement.count() > 0) {
    setup = (*conn)->Execute("SELECT set_config('statement_timeout', $1, false)",
                             {std::to_string(timeouts_.statement.count())});
  }
  if (!setup.ok()) {
    std::lock_guard lock(mu_);
    PassSlot();
    return setup;
  }
  (*conn)->SetCallTimeout(timeouts_.call);
  return Lease(this, std::move(*conn));
}

void DbPool::Release(std::unique_ptr<warehouse::Connection> conn) {
  std::lock_guard lock(mu_);
  if (!conn->healthy()) {
    // Broken, perhaps by its call's deadline while its backend still runs the statement: the
    // slot opens a fresh connection only once that statement is cancelled (CancelLoop).
    to_cancel_.push_back(std::move(conn));
    cancel_cv_.notify_one();
  } else if (!waiters_.empty()) {
    Waiter* first = waiters_.front();
    waiters_.pop_front();
    first->conn = std::move(conn);
    first->handed.notify_one();
  } else {
    idle_.push_back(std::move(conn));
  }
}

void DbPool::PassSlot() {
  if (waiters_.empty()) {
    --open_;
    return;
  }
  Waiter* first = waiters_.front();
  waiters_.pop_front();
  first->may_open = true;
  first->handed.notify_one();
}

void DbPool::CancelLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cancel_cv_.wait(lock, [&] { return stopping_ || !to_cancel_.empty(); });
    if (to_cancel_.empty()) return;  // stopping, nothing left to cancel
    std::unique_ptr<warehouse::Connection> conn = std::move(to_cancel_.front());
    to_cancel_.pop_front();
    lock.unlock();
    // A backend that is gone already (the server restarted, or ended the session) makes this a
    // no-op; a server that cannot be reached fails it, and nothing more can be done from here.
    Status cancelled = conn->CancelStatement();
    if (!cancelled.ok()) {
      log::Warn("could not cancel a dashboard statement", {{"error", cancelled.ToString()}});
    }
    conn.reset();
    lock.lock();
    PassSlot();
  }
}

int DbPool::waiting() {
  std::lock_guard lock(mu_);
  return static_cast<int>(waiters_.size());
}

}  // namespace coinlake::dashboard
