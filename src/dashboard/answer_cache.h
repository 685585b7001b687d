// A short-lived cache of whole API answers keyed by path and query string: under load every
// client asks for the same few answers (the latest snapshot changes every few minutes), so one
// database query per key and TTL serves them all.
//
// Contract:
// - An answer is computed by one request at a time per key (single flight); concurrent requests
//   for the same key never run the query again.
// - A fresh answer (computed less than `ttl` ago) is served as is. Once it expires, the next
//   request refreshes it while the others keep getting the previous answer, for at most one
//   more `ttl` (so no answer served is older than 2 x ttl). A request with no answer to fall
//   back on waits for the refresh in flight.
// - Errors are never cached: a failed refresh drops the key's answer, and the requests that
//   waited on it run their own query.
// - Memory is bounded: at most `max_entries` keys and `max_bytes` of keys and answers. Answers
//   past their 2 x ttl are dropped first; an answer that still does not fit is served but not
//   kept, so a flood of distinct queries cannot grow the cache or push out what is already in it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace coinlake::dashboard {

class AnswerCache {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::chrono::milliseconds ttl{1000};  // <= 0: no caching, every call computes
    size_t max_entries = 1024;
    size_t max_bytes = 64 << 20;
  };
  // `now` is the clock (tests pass their own).
  explicit AnswerCache(Limits limits, std::function<Clock::time_point()> now = Clock::now);
  ~AnswerCache();

  // The answer for `key`: cached, or computed by `compute` (on this thread) under the contract
  // above. `compute`'s error is returned as is.
  StatusOr<std::string> Get(const std::string& key,
                            const std::function<StatusOr<std::string>()>& compute);

 private:
  struct State;
  // Ends `key`'s refresh with its result: stored if it is an answer that fits, else dropped.
  void Store(const std::string& key, const StatusOr<std::string>& result);
  const Limits limits_;
  const std::function<Clock::time_point()> now_;
  std::unique_ptr<State> state_;
};

}  // namespace coinlake::dashboard
