#include "dashboard/db_pool.h"

namespace coinlake::dashboard {

DbPool::DbPool(std::string url, int size) : url_(std::move(url)), size_(size) {}

DbPool::Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_));
}

StatusOr<DbPool::Lease> DbPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < size_; })) {
    return UnavailableError("all database connections are busy");
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  // Opened outside the lock: a slow or unreachable database must not stall the other threads.
  auto conn = warehouse::Connection::Open(url_);
  Status setup = conn.ok() ? (*conn)->Execute(
                                 "SET default_transaction_read_only = on; "
                                 "SET jit = off")
                           : conn.status();
  if (!setup.ok()) {
    lock.lock();
    --open_;
    freed_.notify_one();
    return setup;
  }
  return Lease(this, std::move(*conn));
}

void DbPool::Release(std::unique_ptr<warehouse::Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken: the next Acquire opens a fresh one
  }
  freed_.notify_one();
}

}  // namespace coinlake::dashboard
