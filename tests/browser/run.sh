#!/usr/bin/env bash
# The browser tests' fixture: a database filled by the real pipeline (coinlake sim + migrate +
# fetch), `coinlake serve` over it and over an empty database, then node's test runner driving
# Debian's chromium through playwright-core. Usage: run.sh COINLAKE_BINARY ARTIFACT_DIR
# Needs COINLAKE_TEST_DATABASE_URL (an admin URL; scripts/test sets it) and /usr/bin/chromium;
# without them the test FAILS with a message, it never skips.
set -euo pipefail
BIN="$1"
ARTIFACTS="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../scripts/lib.sh"

[ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || die "COINLAKE_TEST_DATABASE_URL is not set (scripts/test sets it)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing: apt-get install chromium (scripts/test does)"
[ -d "$HERE/node_modules/playwright-core" ] || die "run 'npm ci' in tests/browser (scripts/test does)"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$FAKETIME_LIB" ] || die "libfaketime is missing: apt-get install faketime (scripts/test does)"

WORK="$(mktemp -d)"
DB="coinlake_browser_$$"
EMPTY_DB="coinlake_browser_empty_$$"
STALE_DB="coinlake_browser_stale_$$"
admin_psql() { psql "$COINLAKE_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qAt -c "$1" >/dev/null; }
db_url() { echo "${COINLAKE_TEST_DATABASE_URL%/*}/$1"; }
finish() {
  cleanup_started
  admin_psql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  admin_psql "DROP DATABASE IF EXISTS $EMPTY_DB WITH (FORCE)" || true
  admin_psql "DROP DATABASE IF EXISTS $STALE_DB WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap finish EXIT
admin_psql "CREATE DATABASE $DB"
admin_psql "CREATE DATABASE $EMPTY_DB"
export COINLAKE_LOG_LEVEL=warn
COINLAKE_DATABASE_URL="$(db_url "$DB")" "$BIN" migrate
COINLAKE_DATABASE_URL="$(db_url "$EMPTY_DB")" "$BIN" migrate

wait_port() {
  for _ in $(seq 1 100); do port_busy "$1" && return 0; sleep 0.1; done
  die "nothing listens on port $1"
}

# The simulator runs on a clock that starts 3 hours ago and goes 360 times as fast (6 simulated
# minutes a second): it reaches the present after 30 seconds, so fetching for 30 seconds gives
# 3 hours of history ending about now. A pause of 6 seconds leaves a gap of about 36 minutes.
SIM_PORT=$(free_port 18700)
sim_start=$(date +%s)
# libfaketime preloaded directly (not the faketime wrapper, which forks) so the recorded pid is
# the simulator's own and cleanup stops it.
start_bg env LD_PRELOAD="$FAKETIME_LIB" FAKETIME='-3h x360' FAKETIME_DONT_FAKE_MONOTONIC=1 \
  "$BIN" sim --port "$SIM_PORT" --coins 300
wait_port "$SIM_PORT"
fetch() {
  COINLAKE_DATABASE_URL="$(db_url "$DB")" COINLAKE_CMC_URL="http://127.0.0.1:$SIM_PORT" \
    CMC_API_KEY=k-browser COINLAKE_LAKE_URL="file://$WORK/lake" COINLAKE_SPOOL_DIR="$WORK/spool" \
    COINLAKE_LISTINGS_LIMIT=150 "$BIN" fetch
}
fetch_until() { while [ "$(date +%s)" -lt $((sim_start + $1)) ]; do fetch; sleep 0.5; done; }
fetch_until 14
sleep 6
fetch_until 29

# A copy of the filled database whose data is two days old: the pages must say it is stale.
admin_psql "CREATE DATABASE $STALE_DB TEMPLATE $DB"
psql "$(db_url "$STALE_DB")" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
SELECT coinlake_ensure_quote_partitions(now() - interval '3 days', now());
UPDATE lake_objects SET data_ts = data_ts - interval '2 days';
UPDATE quotes SET ts = ts - interval '2 days', snapshot_ts = snapshot_ts - interval '2 days';
SQL

SERVE_PORT=$(free_port 18800)
start_bg env COINLAKE_DATABASE_URL="$(db_url "$DB")" "$BIN" serve --host 127.0.0.1 --port "$SERVE_PORT"
EMPTY_PORT=$(free_port $((SERVE_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$(db_url "$EMPTY_DB")" "$BIN" serve --host 127.0.0.1 --port "$EMPTY_PORT"
STALE_PORT=$(free_port $((EMPTY_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$(db_url "$STALE_DB")" "$BIN" serve --host 127.0.0.1 --port "$STALE_PORT"
wait_port "$SERVE_PORT"
wait_port "$EMPTY_PORT"
wait_port "$STALE_PORT"

mkdir -p "$ARTIFACTS"
cd "$HERE"
DASHBOARD_URL="http://127.0.0.1:$SERVE_PORT" EMPTY_DASHBOARD_URL="http://127.0.0.1:$EMPTY_PORT" \
  STALE_DASHBOARD_URL="http://127.0.0.1:$STALE_PORT" \
  BROWSER_ARTIFACTS="$ARTIFACTS" node --test --test-reporter=spec dashboard.test.mjs
