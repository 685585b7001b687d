// Fault-injection hook for the crash-safety tests: a named point in the pipeline where the process
// can be made to die with SIGKILL, as if the power went out there.
//
//   COINLAKE_CRASH_AT=<point>[:<n>]   die the n-th time (default 1st) <point> is reached
//
// Points (docs/operations.md): after_spool (a response is fsync'd in the spool, before the lake
// has it), after_lake_put (an object is in the lake, before it is loaded), mid_load (inside the
// load transaction, after the rows were copied, before COMMIT), after_load_commit (the load
// committed, before the spool copy is removed). Without the variable CrashPoint is a no-op that
// costs one relaxed atomic load. Never set it in production.
#pragma once

#include <string_view>

namespace coinlake {

// Raises SIGKILL when `point` is the configured point and this is its n-th hit.
void CrashPoint(std::string_view point);

// Re-reads COINLAKE_CRASH_AT and resets the hit count (tests).
void ResetCrashPointForTest();

}  // namespace coinlake
