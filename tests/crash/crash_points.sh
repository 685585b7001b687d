#!/usr/bin/env bash
# Crash test (ctest crash_points, label integration): coinlake dies by SIGKILL at each stage
# boundary (COINLAKE_CRASH_AT: after_spool, after_lake_put, mid_load, after_load_commit), on the
# first, second or third time it gets there, in `run` and in `fetch`, and is restarted each
# time. After a clean stop: every served answer is in the lake exactly once (no allowance: at
# each point the answer is already spooled), every object loaded exactly once, the spool empty,
# `coinlake audit` passes.
# Usage: crash_points.sh COINLAKE_BINARY [ROUNDS=2] [SEED=7]
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" points
ROUNDS="${2:-2}"
RANDOM="${3:-7}"
POINTS=(after_spool after_lake_put mid_load after_load_commit)

pg_private
sim_start --coins 600 --seed "${3:-7}"
file_lake
export COINLAKE_LISTINGS_LIMIT=300 COINLAKE_LOG_LEVEL=info

for _ in $(seq 1 "$ROUNDS"); do
  for point in "${POINTS[@]}"; do
    at="$point:$((1 + RANDOM % 3))"
    run_start COINLAKE_CRASH_AT="$at"
    run_expect_crash_point "$at" 30
  done
done
# A fetch is one cycle: started within the second of the previous death, all its answers lose
# the same-second tie-break (quarantine/, never loaded), and mid_load or after_load_commit is
# never reached. So each fetch starts in a new second (CI saw exit 0 instead of the crash).
next_second() {
  local ms=$((1050 - 10#$(date +%3N)))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}
for point in "${POINTS[@]}"; do
  next_second
  run_start COINLAKE_CRASH_AT="$point" -- fetch
  run_expect_crash_point "$point (fetch)" 30
done
run_start
run_until_ok_cycles 2 60
run_stop
crash_verify
