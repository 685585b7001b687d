// When `coinlake run` fetches what: a pure scheduler over wall-clock time (no clock, no sleep,
// no I/O), so every rule below is unit-tested with made-up times.
//
// - Each endpoint with an interval > 0 has slots at the multiples of its interval since the Unix
//   epoch, in UTC: every 300 s means :00, :05, :10, ... of every hour.
// - TakeDue(now) returns the endpoints whose next slot is at or before `now` and moves each one
//   to its first slot after `now`. An endpoint is due at most once per call, however late the
//   call is: when a cycle overran several slots, the latest of them fires (late) and the earlier
//   ones are skipped and counted, so cycles never stack up.
// - The first TakeDue after construction fires every endpoint at once (the slot in progress), so
//   a restart fetches right away; slots then follow the wall clock.
// - Replace() swaps the schedule (SIGHUP): an endpoint whose interval did not change keeps its
//   next slot; a new or changed one starts at its first slot after `now`.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/time_util.h"
#include "pipeline/fetch.h"

namespace coinlake::pipeline {

class Scheduler {
 public:
  Scheduler(const std::vector<EndpointSchedule>& schedule, TimePoint start);

  // Due endpoints, in schedule order; empty when nothing is due yet.
  std::vector<std::string_view> TakeDue(TimePoint now);

  // The earliest next slot of any endpoint; TimePoint::max() when every endpoint is off.
  TimePoint NextTick() const;

  void Replace(const std::vector<EndpointSchedule>& schedule, TimePoint now);

  // The latest slot the last non-empty TakeDue fired (its lateness is the schedule lag).
  TimePoint last_slot() const { return last_slot_; }

  // Slots skipped so far because an earlier cycle ran past them (all endpoints).
  int64_t skipped() const { return skipped_; }

 private:
  struct Entry {
    std::string_view endpoint;
    std::chrono::seconds interval;
    TimePoint next;          // the next slot to fire
    TimePoint on_time_from;  // the first slot fired at start is on time from the start itself
  };
  std::vector<Entry> entries_;
  int64_t skipped_ = 0;
  TimePoint last_slot_{};
};

// The first multiple of `interval` (since the epoch) strictly after `t`.
TimePoint NextSlotAfter(TimePoint t, std::chrono::seconds interval);

}  // namespace coinlake::pipeline
