#include "dashboard/answer_cache.h"

#include <condition_variable>
#include <deque>
#include <unordered_map>

namespace coinlake::dashboard {

struct AnswerCache::State {
  struct Entry {
    // Shared so a reader copies it outside the lock, even if it is replaced meanwhile.
    std::shared_ptr<const std::string> body;  // null until first computed
    Clock::time_point expires;
    bool refreshing = false;
  };
  // A stored answer, in the order stored: expiry times only grow, so the front is the first to
  // drop. A record whose time no longer matches its entry's (refreshed since, or dropped) is
  // skipped.
  struct Stored {
    std::string key;
    Clock::time_point expires;
  };
  std::mutex mu;
  std::condition_variable refreshed;
  std::unordered_map<std::string, Entry> entries;
  std::deque<Stored> order;
  size_t bytes = 0;  // keys and bodies of the entries holding an answer

  void DropBody(const std::string& key, Entry& entry) {
    if (!entry.body) return;
    bytes -= key.size() + entry.body->size();
    entry.body.reset();
  }
  // Drops the answers past their 2 x ttl, oldest first.
  void DropExpired(Clock::time_point now, std::chrono::milliseconds ttl) {
    while (!order.empty() && order.front().expires + ttl <= now) {
      auto it = entries.find(order.front().key);
      if (it != entries.end() && it->second.expires == order.front().expires &&
          !it->second.refreshing) {
        DropBody(it->first, it->second);
        entries.erase(it);
      }
      order.pop_front();
    }
  }
};

AnswerCache::AnswerCache(Limits limits, std::function<Clock::time_point()> now)
    : limits_(limits), now_(std::move(now)), state_(std::make_unique<State>()) {}

AnswerCache::~AnswerCache() = default;

StatusOr<std::string> AnswerCache::Get(const std::string& key,
                                       const std::function<StatusOr<std::string>()>& compute) {
  if (limits_.ttl.count() <= 0) return compute();
  State& s = *state_;
  std::unique_lock lock(s.mu);
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    State::Entry& entry = it->second;
    Clock::time_point now = now_();
    std::shared_ptr<const std::string> answer;
    if (entry.body &&
        (now < entry.expires || (entry.refreshing && now < entry.expires + limits_.ttl))) {
      answer = entry.body;  // fresh, or the previous answer while another request refreshes
    } else if (entry.refreshing) {
      // Nothing to fall back on: wait for the refresh in flight (its compute is bounded by the
      // pool's wait and the statement timeout). If it failed, compute without the cache.
      s.refreshed.wait(lock, [&] {
        auto e = s.entries.find(key);
        return e == s.entries.end() || !e->second.refreshing;
      });
      auto e = s.entries.find(key);
      if (e == s.entries.end() || !e->second.body) {
        lock.unlock();
        return compute();
      }
      answer = e->second.body;
    }
    if (answer) {
      lock.unlock();
      return *answer;
    }
  }
  // This request computes the key: new, or expired with nobody refreshing it.
  s.entries[key].refreshing = true;
  lock.unlock();

  // Whatever happens in compute (even an exception), the key stops refreshing and waiters wake.
  StatusOr<std::string> result = UnavailableError("answer not computed");
  struct Finish {
    AnswerCache* cache;
    const std::string& key;
    const StatusOr<std::string>& result;
    ~Finish() { cache->Store(key, result); }
  };
  {
    Finish finish{this, key, result};
    result = compute();
  }
  return result;
}

void AnswerCache::Store(const std::string& key, const StatusOr<std::string>& result) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  Clock::time_point now = now_();
  s.DropExpired(now, limits_.ttl);  // skips this key: it is still refreshing
  // The entry exists: only this request clears `refreshing`.
  auto it = s.entries.find(key);
  State::Entry& entry = it->second;
  entry.refreshing = false;
  s.refreshed.notify_all();
  s.DropBody(key, entry);
  size_t size = key.size() + (result.ok() ? result->size() : 0);
  if (!result.ok() || s.entries.size() > limits_.max_entries ||
      s.bytes + size > limits_.max_bytes) {
    s.entries.erase(it);
    return;
  }
  entry.body = std::make_shared<const std::string>(*result);
  entry.expires = now + limits_.ttl;
  s.bytes += size;
  s.order.push_back({key, entry.expires});
}

}  // namespace coinlake::dashboard
