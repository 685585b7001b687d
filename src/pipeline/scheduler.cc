#include "pipeline/scheduler.h"

#include <algorithm>

namespace coinlake::pipeline {

TimePoint NextSlotAfter(TimePoint t, std::chrono::seconds interval) {
  auto period = std::chrono::duration_cast<std::chrono::milliseconds>(interval);
  auto since_epoch = t.time_since_epoch();
  // floor division, valid for times before the epoch too (tests use small numbers)
  auto slots = since_epoch / period;
  if (since_epoch % period < std::chrono::milliseconds::zero()) --slots;
  return TimePoint((slots + 1) * period);
}

Scheduler::Scheduler(const std::vector<EndpointSchedule>& schedule, TimePoint start) {
  for (const EndpointSchedule& e : schedule) {
    if (e.interval.count() <= 0) continue;
    // The slot in progress at start: due at once, and on time (its lag counts from `start`, not
    // from the slot's beginning, or a restart at 13:00 would report a daily map as 13 hours late).
    entries_.push_back(
        {e.endpoint, e.interval, NextSlotAfter(start, e.interval) - e.interval, start});
  }
}

std::vector<std::string_view> Scheduler::TakeDue(TimePoint now) {
  std::vector<std::string_view> due;
  TimePoint latest{};
  for (Entry& e : entries_) {
    if (now < e.next) continue;
    due.push_back(e.endpoint);
    TimePoint following = NextSlotAfter(now, e.interval);
    // Slots between e.next and the latest one at or before `now` were missed.
    skipped_ += (following - e.next) / e.interval - 1;
    e.next = following;
    latest = std::max(latest, std::max(following - e.interval, e.on_time_from));
  }
  if (!due.empty()) last_slot_ = latest;
  return due;
}

TimePoint Scheduler::NextTick() const {
  TimePoint next = TimePoint::max();
  for (const Entry& e : entries_) next = std::min(next, e.next);
  return next;
}

void Scheduler::Replace(const std::vector<EndpointSchedule>& schedule, TimePoint now) {
  std::vector<Entry> entries;
  for (const EndpointSchedule& e : schedule) {
    if (e.interval.count() <= 0) continue;
    auto same = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& old) {
      return old.endpoint == e.endpoint && old.interval == e.interval;
    });
    entries.push_back({e.endpoint, e.interval,
                       same != entries_.end() ? same->next : NextSlotAfter(now, e.interval),
                       TimePoint{}});
  }
  entries_ = std::move(entries);
}

}  // namespace coinlake::pipeline
