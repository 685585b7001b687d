#!/usr/bin/env bash
# `coinlake fetch` and `coinlake serve` as separate processes must exit 0: fetch after a full
# cycle against the simulator, serve on SIGTERM after answering API, static, bad and unknown
# requests (and sim on SIGTERM too). In the asan preset the binary carries AddressSanitizer,
# whose LeakSanitizer runs at exit and turns any leak into a non-zero exit and a report, so
# this test is the leak check of the two long-running commands (ctest label integration).
# Usage: fetch_serve_exit_clean.sh COINLAKE_BINARY   (needs COINLAKE_TEST_DATABASE_URL)
set -euo pipefail
COINLAKE="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || fail "COINLAKE_TEST_DATABASE_URL is not set: run scripts/test"

# Leak detection on, whatever the caller's environment says; a report fails the exit status.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
sanitized=no
if ldd "$COINLAKE" | grep -q libasan; then sanitized=yes; fi

WORK="$(mktemp -d)"
DB="coinlake_leaks_$$"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  psql -q "$COINLAKE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  local p="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
wait_port() {
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  fail "$2 did not listen on port $1"
}
# stop_and_check NAME PID LOG: SIGTERM, then an exit within 30 s with status 0.
stop_and_check() {
  kill -TERM "$2"
  for _ in $(seq 1 300); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$2" 2>/dev/null; then
    kill -KILL "$2"
    fail "$1 did not exit within 30 s of SIGTERM"
  fi
  local status=0
  wait "$2" || status=$?
  if ((status != 0)); then
    tail -40 "$3" >&2
    fail "$1 exited with status $status after SIGTERM (86: LeakSanitizer found a leak)"
  fi
}

psql -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
export COINLAKE_DATABASE_URL="${COINLAKE_TEST_DATABASE_URL%/*}/$DB"
export COINLAKE_LAKE_URL="file://$WORK/lake" COINLAKE_SPOOL_DIR="$WORK/spool"
export CMC_API_KEY="leak-check-key" COINLAKE_LOG_LEVEL=warn

sim_port="$(free_port 19300)"
"$COINLAKE" sim --port "$sim_port" --coins 300 >"$WORK/sim.log" 2>&1 &
sim_pid=$!
PIDS+=("$sim_pid")
wait_port "$sim_port" "coinlake sim"
export COINLAKE_CMC_URL="http://127.0.0.1:$sim_port"

"$COINLAKE" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "migrate failed"; }
status=0
"$COINLAKE" fetch --limit 200 >"$WORK/fetch.log" 2>&1 || status=$?
if ((status != 0)); then
  tail -40 "$WORK/fetch.log" >&2
  fail "fetch exited with status $status (86: LeakSanitizer found a leak)"
fi
rows=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT count(*) FROM quotes")
[ "$rows" = 200 ] || fail "fetch loaded $rows quotes, expected 200"

serve_port="$(free_port 19400)"
"$COINLAKE" serve --host 127.0.0.1 --port "$serve_port" >"$WORK/serve.log" 2>&1 &
serve_pid=$!
PIDS+=("$serve_pid")
wait_port "$serve_port" "coinlake serve"
base="http://127.0.0.1:$serve_port"
expect() {  # expect CODE PATH: the dashboard answers PATH with HTTP CODE
  local code
  code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base$2")
  [ "$code" = "$1" ] || fail "GET $2 answered $code, expected $1"
}
expect 200 /api/v1/health
expect 200 "/api/v1/latest?limit=50&sort=market_cap"
expect 200 "/api/v1/latest?format=csv"
expect 200 "/api/v1/series?ids=1,1027&range=1d"
expect 200 /api/v1/global
expect 200 /
expect 400 "/api/v1/latest?limit=abc"
expect 400 "/api/v1/series?ids=1&bogus=1"
expect 404 /api/v1/nothing
expect 404 /../etc/passwd

stop_and_check serve "$serve_pid" "$WORK/serve.log"
stop_and_check sim "$sim_pid" "$WORK/sim.log"
PIDS=()
echo "PASS: fetch, serve and sim exited cleanly (AddressSanitizer/LeakSanitizer in the binary: $sanitized)"
