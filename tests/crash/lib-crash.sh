# Shared by the crash-safety and soak drivers (tests/crash/*.sh, bench/freshness.sh): a private
# PostgreSQL cluster (so a test may stop it hard), `coinlake sim`, optionally the fake S3 as the lake,
# and `coinlake run` started, killed and restarted under the driver's control. Sourced, not run.
#
# Every process this starts is stopped on exit. Every death of `coinlake run` is accounted for:
# our own kill -9, a crash point (COINLAKE_CRASH_AT, SIGKILL by design), or SIGTERM then exit 0.
# Anything else fails the test with the log's tail ("the process died on its own").

CRASH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib.sh
source "$CRASH_LIB_DIR/../../scripts/lib.sh"

fail() {
  trap - ERR
  printf 'FAIL: %s\n' "$*" >&2
  if [ -n "${WORK:-}" ] && [ -f "$WORK/run.log" ]; then
    printf -- '--- last lines of coinlake run/fetch output (%s) ---\n' "$WORK/run.log" >&2
    tail -n 12 "$WORK/run.log" | cut -c1-400 >&2
  fi
  exit 1
}
note() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# crash_setup BINARY NAME: a work folder, the cleanup trap, the counters.
crash_setup() {
  BIN="$1"
  [ -x "$BIN" ] || fail "no coinlake binary at '$BIN'"
  command -v node >/dev/null || fail "node is needed (apt-get install nodejs; scripts/test has it)"
  command -v psql >/dev/null || fail "psql is needed (apt-get install postgresql-client-15)"
  command -v curl >/dev/null || fail "curl is needed"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/coinlake-$2.XXXXXX")"
  chmod 755 "$WORK"  # the postgres user must reach its cluster below
  RUN_DIR="$WORK"
  RUN_PID=""
  RUNS=0 KILLS=0 CRASH_POINT_DEATHS=0 PG_OUTAGES=0 LAKE_OUTAGES=0 FAULTS=0 CLEAN_STOPS=0
  : >"$WORK/in_flight"
  trap crash_finish EXIT
  set -E  # a failing command anywhere, even in a function, says where
  trap 'fail "unexpected failure at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
}

crash_finish() {
  local rc=$?
  trap - ERR  # cleanup must run to the end, whatever fails in it
  set +e
  if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then
    kill -KILL "$RUN_PID" 2>/dev/null
    wait "$RUN_PID" 2>/dev/null
  fi
  cleanup_started
  if [ -n "${KEEP_WORK:-}" ] || { [ "$rc" != 0 ] && [ -n "${KEEP_WORK_ON_FAILURE:-}" ]; }; then
    echo "work folder kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}

# pg_private: this test's own cluster and a migrated database "coinlake".
pg_private() {
  # Tests run in parallel (ctest -j): each starts its port search at its own place, so two
  # clusters do not race for the same free port. Below Linux's ephemeral range (32768-60999):
  # there, any outgoing connection of another test could take the port between the search and
  # the bind, or during an outage before pg_restart (seen in CI). pg_start dies with a message
  # if it fails.
  COINLAKE_PG_PORT="${COINLAKE_PG_PORT:-$((21000 + $$ % 9000))}" pg_start pg off >/dev/null
  PG_DATA="${STARTED_PG_DATA[0]}"
  PG_SOCKET_DIR="$(dirname "$PG_DATA")"
  psql -qAt "$PG_ADMIN_URL" -c "CREATE DATABASE coinlake" >/dev/null || fail "CREATE DATABASE failed"
  export COINLAKE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coinlake"
  "$BIN" migrate >>"$WORK/run.log" 2>&1 || fail "coinlake migrate failed"
}

pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# pg_crash: the database server dies at once (no checkpoint, open transactions cut).
pg_crash() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || fail "pg_ctl stop -m immediate failed"
  PG_OUTAGES=$((PG_OUTAGES + 1))
}

# pg_restart: the same cluster on the same port, after crash recovery.
pg_restart() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_SOCKET_DIR/postgresql.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null || fail "PostgreSQL did not restart (see $PG_SOCKET_DIR/postgresql.log)"
}

sql() { psql -qAt -F $'\t' "$COINLAKE_DATABASE_URL" -v ON_ERROR_STOP=1 -c "$1"; }

# sim_start [FLAGS...]: `coinlake sim` on a free port (port 0, read back from its log).
sim_start() {
  # SIM_ENV: optional VAR=value words for the simulator (a fast clock).
  start_bg env ${SIM_ENV[@]+"${SIM_ENV[@]}"} "$BIN" sim --port 0 "$@" >"$WORK/sim.log" 2>&1
  SIM_PID="${STARTED_PIDS[-1]}"
  local url=""
  for _ in $(seq 1 200); do
    url="$(grep -o '"url":"http://[^"]*"' "$WORK/sim.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)"
    [ -n "$url" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || fail "coinlake sim exited: $(cat "$WORK/sim.log")"
    sleep 0.05
  done
  [ -n "$url" ] || fail "coinlake sim did not say where it listens"
  SIM_URL="$url"
  export COINLAKE_CMC_URL="$SIM_URL" CMC_API_KEY="crash-test-key"
}

sim_faults() {  # sim_faults JSON_ARRAY
  curl -sf -X POST --data "$1" "$SIM_URL/__sim/faults" >/dev/null || fail "the sim refused faults: $1"
}
served_count() { curl -sf "$SIM_URL/__sim/served" | { grep -o '"sha256"' || true; } | wc -l; }
# sim_wait_idle: until the simulator builds no answer (a `slow` one is recorded as served only
# when its delay ends, maybe after the client that asked for it was killed).
sim_wait_idle() {
  for _ in $(seq 1 100); do
    curl -sf "$SIM_URL/__sim/busy" | grep -q '"in_progress":0' && return 0
    sleep 0.1
  done
  fail "the simulator was still building an answer 10 s after coinlake was killed"
}

# s3_lake_start [PORT]: the strict fake S3 (tests/s3/fake_s3.mjs, SigV4 verified, If-None-Match
# honoured like S3) as the lake, its objects on disk in $WORK/s3lake; restartable.
s3_lake_start() {
  local script="$CRASH_LIB_DIR/../s3/fake_s3.mjs"
  [ -d "$CRASH_LIB_DIR/../s3/node_modules" ] ||
    fail "the fake S3's modules are not installed: run 'npm ci' in tests/s3 (scripts/test does)"
  S3_LAKE_DIR="$WORK/s3lake"
  mkdir -p "$S3_LAKE_DIR"
  [ -n "${S3_LAKE_PORT:-}" ] || S3_LAKE_PORT="$(free_port "${1:-19400}")"
  node "$script" "$S3_LAKE_PORT" --dir "$S3_LAKE_DIR" >>"$WORK/s3lake.log" 2>&1 &
  S3_LAKE_PID=$!
  STARTED_PIDS+=("$S3_LAKE_PID")
  for _ in $(seq 1 100); do port_busy "$S3_LAKE_PORT" && break; sleep 0.1; done
  port_busy "$S3_LAKE_PORT" || fail "the fake S3 did not start on port $S3_LAKE_PORT"
  export AWS_ACCESS_KEY_ID=COINLAKETESTKEYID AWS_SECRET_ACCESS_KEY=coinlake-test-secret-0123456789
  export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_SESSION_TOKEN
  export COINLAKE_LAKE_URL="s3://coinlake/lake?region=us-east-1&endpoint=http://127.0.0.1:$S3_LAKE_PORT&path_style=true"
  LAKE_DIR="$S3_LAKE_DIR/coinlake/lake"
}

# s3_lake_crash: the lake's server dies (kill -9); its objects stay on disk for s3_lake_start.
s3_lake_crash() {
  kill -KILL "$S3_LAKE_PID" 2>/dev/null
  wait "$S3_LAKE_PID" 2>/dev/null || true
  LAKE_OUTAGES=$((LAKE_OUTAGES + 1))
}

file_lake() {
  LAKE_DIR="$WORK/lake"
  export COINLAKE_LAKE_URL="file://$LAKE_DIR"
}

# run_start [ENV=VALUE...] [-- COMMAND FLAGS]: `coinlake run` (default) in the background.
run_start() {
  local env_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do env_args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  local cmd=("$@")
  [ ${#cmd[@]} -gt 0 ] || cmd=(run --interval "${RUN_INTERVAL:-1}")
  RUN_START_SERVED="$(served_count)"
  export COINLAKE_SPOOL_DIR="$WORK/spool"
  env ${env_args[@]+"${env_args[@]}"} "$BIN" "${cmd[@]}" >>"$WORK/run.log" 2>&1 &
  RUN_PID=$!
  RUNS=$((RUNS + 1))
}

# run_assert_alive WHEN: the process must still be running (it never dies on its own).
run_assert_alive() {
  if ! kill -0 "$RUN_PID" 2>/dev/null; then
    local rc=0
    wait "$RUN_PID" || rc=$?
    RUN_PID=""
    fail "coinlake died on its own (exit status $rc) $1"
  fi
}

# run_kill: kill -9 now. The answer the simulator served last, if the killed process asked for
# it, may have been on the wire: the verifier allows that one (and only that one) to be missing.
run_kill() {
  run_assert_alive "before kill #$((KILLS + 1))"
  kill -KILL "$RUN_PID"
  wait "$RUN_PID" 2>/dev/null || true
  RUN_PID=""
  KILLS=$((KILLS + 1))
  sim_wait_idle
  local n
  n="$(served_count)"
  if [ "$n" -gt "$RUN_START_SERVED" ]; then echo $((n - 1)) >>"$WORK/in_flight"; fi
}

# run_expect_crash_point POINT TIMEOUT_S: the process must die by SIGKILL (its crash point).
run_expect_crash_point() {
  local point="$1" timeout="$2" rc=0
  for _ in $(seq 1 $((timeout * 10))); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$RUN_PID" 2>/dev/null; then
    kill -KILL "$RUN_PID"; wait "$RUN_PID" 2>/dev/null || true; RUN_PID=""
    fail "COINLAKE_CRASH_AT=$point did not fire within ${timeout}s (does this build have the crash points?)"
  fi
  wait "$RUN_PID" || rc=$?
  RUN_PID=""
  [ "$rc" = 137 ] || fail "with COINLAKE_CRASH_AT=$point coinlake exited with status $rc, not by SIGKILL (137)"
  CRASH_POINT_DEATHS=$((CRASH_POINT_DEATHS + 1))
}

# run_stop: SIGTERM finishes the cycle in flight and exits 0.
run_stop() {
  run_assert_alive "before SIGTERM"
  kill -TERM "$RUN_PID"
  local rc=0
  for _ in $(seq 1 600); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$RUN_PID" 2>/dev/null && fail "coinlake did not stop within 60 s of SIGTERM"
  wait "$RUN_PID" || rc=$?
  RUN_PID=""
  [ "$rc" = 0 ] || fail "coinlake exited with status $rc after SIGTERM (expected 0)"
  CLEAN_STOPS=$((CLEAN_STOPS + 1))
}

# ok_cycles_since EPOCH_S: cycles recorded 'ok' that started after that time.
ok_cycles_since() {
  sql "SELECT count(*) FROM runs WHERE outcome = 'ok' AND started_at > to_timestamp($1)" 2>/dev/null || echo 0
}

# run_until_ok_cycles N TIMEOUT_S: lets the running process complete N clean cycles.
run_until_ok_cycles() {
  local want="$1" timeout="$2" since
  since="$(date +%s.%N)"
  for _ in $(seq 1 $((timeout * 5))); do
    run_assert_alive "while waiting for $want clean cycles"
    [ "$(ok_cycles_since "$since")" -ge "$want" ] && return 0
    sleep 0.2
  done
  fail "no $want clean cycles within ${timeout}s after recovery"
}

# rand_ms LO HI: a deterministic (seeded with RANDOM=seed) delay, printed as seconds.
rand_sleep() {
  local lo="$1" hi="$2"
  local ms=$((lo + RANDOM % (hi - lo + 1)))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}

# crash_verify: after a clean stop, the judgement (verify.mjs) and `coinlake audit`.
crash_verify() {
  curl -sf "$SIM_URL/__sim/served" >"$WORK/served.json" || fail "could not read the sim's served log"
  sql "SELECT key, sha256, rows FROM lake_objects ORDER BY key" >"$WORK/ledger.tsv"
  sql "SELECT l.key, q.n FROM (SELECT lake_object_id, count(*) AS n FROM quotes GROUP BY 1) q LEFT JOIN lake_objects l ON l.id = q.lake_object_id" >"$WORK/quotes.tsv"
  node "$CRASH_LIB_DIR/verify.mjs" --served "$WORK/served.json" --lake "$LAKE_DIR" \
    --ledger "$WORK/ledger.tsv" --quotes "$WORK/quotes.tsv" \
    --spool "$WORK/spool" --in-flight "$WORK/in_flight" --summary-out "$WORK/summary.json" ||
    fail "the lake, ledger or quotes do not match what the simulator served (above)"
  "$BIN" audit --interval 3600 >"$WORK/audit.out" 2>&1 || {
    cat "$WORK/audit.out" >&2
    fail "coinlake audit found discrepancies"
  }
  local failed
  failed="$(sql "SELECT count(*) FROM runs WHERE outcome = 'failed'")"
  echo "PASS: runs=$RUNS kills=$KILLS crash_point_deaths=$CRASH_POINT_DEATHS pg_outages=$PG_OUTAGES" \
    "lake_outages=$LAKE_OUTAGES faults=$FAULTS clean_stops=$CLEAN_STOPS failed_cycles=$failed" \
    "$(cat "$WORK/summary.json")"
}
