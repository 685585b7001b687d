#!/usr/bin/env bash
# Crash test (ctest crash_random_kills, label integration): `coinlake run` against a private
# PostgreSQL, a file lake and `coinlake sim` is killed with SIGKILL at random moments (seeded,
# so a failure replays), restarted at once or after a pause, many times. After a clean stop:
# every answer the simulator served is in the lake exactly once (the one on the wire at each
# kill may be missing, never duplicated), every lake object is loaded exactly once, the spool
# is empty, `coinlake audit` passes, and coinlake never died on its own.
# Usage: random_kills.sh COINLAKE_BINARY [KILLS=12] [SEED=6]
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" kills
WANTED="${2:-12}"
RANDOM="${3:-6}"

pg_private
sim_start --coins 600 --seed "${3:-6}"
file_lake
export COINLAKE_LISTINGS_LIMIT=300 COINLAKE_LOG_LEVEL=info

run_start
for _ in $(seq 1 "$WANTED"); do
  rand_sleep 200 2600  # anywhere in a cycle: fetch, spool, lake, load, sleep
  run_kill
  if ((RANDOM % 3 == 0)); then rand_sleep 100 1500; fi  # sometimes back at once
  run_start
done
run_until_ok_cycles 2 60
run_stop
crash_verify
