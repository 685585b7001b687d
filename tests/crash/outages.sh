#!/usr/bin/env bash
# Crash test (ctest crash_outages, label integration): while `coinlake run` polls `coinlake sim`
# into an S3 lake (the strict fake S3, on disk) and a private PostgreSQL, the database server is stopped
# with `pg_ctl -m immediate` (open transactions cut) and restarted, the lake's server is killed
# and restarted, the API answers storms of faults (5xx, 429/1008, resets, truncated and
# malformed bodies, slow answers, unknown fields), and coinlake itself is killed once a round.
# (429 answers carry Retry-After: 1; without it coinlake rightly waits for the next minute.)
# After a clean stop: the same exactly-once checks as the other crash tests.
# Usage: outages.sh COINLAKE_BINARY [ROUNDS=3] [SEED=8]
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" outages
ROUNDS="${2:-3}"
RANDOM="${3:-8}"

FAULT_KINDS=(
  '{"fault":"status","http":503}'
  '{"fault":"status","http":500}'
  '{"fault":"status","http":502}'
  '{"fault":"status","http":429,"error_code":1008,"retry_after":1}'
  '{"fault":"reset"}'
  '{"fault":"truncated"}'
  '{"fault":"malformed"}'
  '{"fault":"slow","delay_ms":1500}'
  '{"fault":"new_field"}'
)
storm() {  # storm N: N faults drawn from FAULT_KINDS for the next N requests
  local list=() i
  for ((i = 0; i < $1; i++)); do list+=("${FAULT_KINDS[RANDOM % ${#FAULT_KINDS[@]}]}"); done
  sim_faults "[$(IFS=,; echo "${list[*]}")]"
  FAULTS=$((FAULTS + $1))
}

pg_private
sim_start --coins 600 --seed "${3:-8}"
s3_lake_start 19400
export COINLAKE_LISTINGS_LIMIT=300 COINLAKE_LOG_LEVEL=info

run_start
for _ in $(seq 1 "$ROUNDS"); do
  rand_sleep 300 1500
  pg_crash  # the database dies mid-cycle
  rand_sleep 500 3000
  pg_restart
  rand_sleep 300 1500
  s3_lake_crash  # the lake goes away; the spool holds
  rand_sleep 500 4000
  s3_lake_start
  storm 8
  rand_sleep 1000 3000
  pg_crash  # both down at once, then coinlake killed too
  s3_lake_crash
  rand_sleep 500 2000
  run_kill
  pg_restart
  s3_lake_start
  run_start
  storm 4
  rand_sleep 500 2000
done
run_assert_alive "after the outages"
run_until_ok_cycles 2 90
run_stop
crash_verify
