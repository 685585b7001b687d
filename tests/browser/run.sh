#!/usr/bin/env bash
# The browser tests' fixture: a database filled by the real pipeline (coinlake sim + migrate +
# fetch), `coinlake serve` over it and over an empty database, then node's test runner driving
# Debian's chromium through playwright-core. Usage: run.sh COINLAKE_BINARY ARTIFACT_DIR
# Needs COINLAKE_TEST_DATABASE_URL (an admin URL; scripts/test sets it) and /usr/bin/chromium;
# without them the test FAILS with a message, it never skips. BROWSER_TEST_PATTERN (a regular
# expression) runs only the tests whose names match it (node --test-name-pattern).
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
ALERTS_DB="coinlake_browser_alerts_$$"
admin_psql() { psql "$COINLAKE_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qAt -c "$1" >/dev/null; }
db_url() { echo "${COINLAKE_TEST_DATABASE_URL%/*}/$1"; }
finish() {
  cleanup_started
  admin_psql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  admin_psql "DROP DATABASE IF EXISTS $EMPTY_DB WITH (FORCE)" || true
  admin_psql "DROP DATABASE IF EXISTS $STALE_DB WITH (FORCE)" || true
  admin_psql "DROP DATABASE IF EXISTS $ALERTS_DB WITH (FORCE)" || true
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
# Alert rules and channels (docs/alerts.md): every fetch evaluates them on its snapshot and
# records what fires in the outbox; a short `coinlake run` below lists them and delivers. BTC is
# always above 1 USD (fires on the first snapshot); ETH never below 1.
start_bg node "$HERE/alert_receiver.mjs" "$WORK/receiver.port"
for _ in $(seq 1 300); do [ -s "$WORK/receiver.port" ] && break; sleep 0.1; done
RECEIVER_PORT="$(cat "$WORK/receiver.port")" || die "the alert receiver did not start"
export COINLAKE_BROWSER_HOOK_SECRET=browser-secret
ALERT_FLAGS=(--alert-rule "btc-high: price BTC above 1 USD cooldown=1h"
             --alert-rule "eth-low: price id:1027 below 1 channels=ops"
             --alert-webhook "ops: http://127.0.0.1:$RECEIVER_PORT/ops secret-env=COINLAKE_BROWSER_HOOK_SECRET"
             --alert-webhook "pager: http://127.0.0.1:$RECEIVER_PORT/pager secret-env=COINLAKE_BROWSER_HOOK_SECRET")
etl() {
  local db="$1"
  shift
  COINLAKE_DATABASE_URL="$(db_url "$db")" COINLAKE_CMC_URL="http://127.0.0.1:$SIM_PORT" \
    CMC_API_KEY=k-browser COINLAKE_LAKE_URL="file://$WORK/lake" COINLAKE_SPOOL_DIR="$WORK/spool" \
    COINLAKE_LISTINGS_LIMIT=150 COINLAKE_CONVERT=USD,EUR ${ETL_EXEC:+exec} "$BIN" "${ALERT_FLAGS[@]}" "$@"
}
fetch() { etl "$DB" fetch; }
fetch_until() { while [ "$(date +%s)" -lt $((sim_start + $1)) ]; do fetch; sleep 0.5; done; }
# A month of Ethereum's history by the real `coinlake backfill`, as the demo makes at its first
# start (hourly quotes and CMC's daily bars), ending before the simulator's clock (3 hours back).
COINLAKE_DATABASE_URL="$(db_url "$DB")" COINLAKE_CMC_URL="http://127.0.0.1:$SIM_PORT" \
  CMC_API_KEY=k-browser COINLAKE_LAKE_URL="file://$WORK/lake" COINLAKE_SPOOL_DIR="$WORK/spool" \
  "$BIN" backfill --ids 1027 --from 30d --to "$(date -u -d '-4 hours' +%Y-%m-%dT%H:00:00Z)" \
  --interval 1h --endpoints quotes > "$WORK/backfill.log" ||
  { cat "$WORK/backfill.log" >&2; die "the backfill failed"; }
fetch_until 14
sleep 6
fetch_until 29

# Backfilled history, as `coinlake backfill` stores it (its ledger row's key and endpoint name it):
# Bitcoin's quotes every 30 minutes over the 6 hours before live polling began, and two days of
# hourly global metrics, so the asset chart spans history and live data and the Global page has a
# series to draw.
psql "$(db_url "$DB")" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
SELECT coinlake_ensure_quote_partitions(now() - interval '3 days', now());
WITH live AS (SELECT min(data_ts) AS since FROM lake_objects WHERE endpoint = 'listings_latest'),
ledger AS (
  INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)
  SELECT 'raw/cmc/quotes_historical/browser-fixture.json.gz', 'fixture', 1, 'quotes_historical',
         since, 24 FROM live
  RETURNING id),
first_live AS (
  SELECT DISTINCT ON (quote_currency) quote_currency, price, market_cap, volume_24h
  FROM quotes WHERE cmc_id = 1 ORDER BY quote_currency, ts)
INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, market_cap,
                    volume_24h, lake_object_id)
SELECT 1, f.quote_currency, live.since - h * interval '30 minutes',
       live.since - h * interval '30 minutes', 1, f.price * (1 + 0.02 * sin(h)), f.market_cap,
       f.volume_24h, ledger.id
FROM live, ledger, first_live f, generate_series(1, 12) h;
INSERT INTO global_metrics (ts, quote_currency, total_market_cap, total_volume_24h, btc_dominance,
                            eth_dominance, lake_key)
SELECT date_trunc('hour', now()) - h * interval '1 hour', c, f * (2.5e12 + 4e10 * sin(h / 5.0)),
       f * (9e10 + 1e10 * cos(h / 3.0)), 55 + sin(h / 7.0), 15 + cos(h / 7.0),
       'raw/cmc/global_metrics_historical/browser-fixture.json.gz'
FROM generate_series(1, 48) h, (VALUES ('USD', 1.0), ('EUR', 0.92)) v (c, f)
ON CONFLICT DO NOTHING;
SQL

# A copy of the filled database whose data is two days old: the pages must say it is stale.
admin_psql "CREATE DATABASE $STALE_DB TEMPLATE $DB"
psql "$(db_url "$STALE_DB")" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
SELECT coinlake_ensure_quote_partitions(now() - interval '3 days', now());
UPDATE lake_objects SET data_ts = data_ts - interval '2 days';
UPDATE quotes SET ts = ts - interval '2 days', snapshot_ts = snapshot_ts - interval '2 days';
SQL

# A copy where `coinlake run` ran for a moment (its heartbeat stays out of the other databases):
# it listed the rules for the dashboard and its sender delivered the outbox to "ops", while
# "pager" answered 503 and its notifications wait.
admin_psql "CREATE DATABASE $ALERTS_DB TEMPLATE $DB"
# exec: the recorded pid is coinlake's own, so SIGTERM reaches it (not a subshell's).
(ETL_EXEC=1 etl "$ALERTS_DB" run > "$WORK/run.log" 2>&1) &
RUN_PID=$!
STARTED_PIDS+=("$RUN_PID")
delivered() {
  [ "$(psql "$(db_url "$ALERTS_DB")" -qAt -c "SELECT (SELECT count(*) FROM alert_rules) > 0 AND
    NOT EXISTS (SELECT 1 FROM alert_outbox WHERE channel = 'ops' AND delivered_at IS NULL) AND
    EXISTS (SELECT 1 FROM alert_outbox WHERE channel = 'pager' AND attempts > 0)" 2>/dev/null)" = t ]
}
for _ in $(seq 1 300); do delivered && break; sleep 0.1; done
kill -TERM "$RUN_PID"
wait "$RUN_PID" || { cat "$WORK/run.log" >&2; die "coinlake run failed"; }
delivered || { cat "$WORK/run.log" >&2; die "coinlake run did not list the rules and deliver"; }

SERVE_PORT=$(free_port 18800)
start_bg env COINLAKE_DATABASE_URL="$(db_url "$DB")" "$BIN" serve --host 127.0.0.1 --port "$SERVE_PORT"
EMPTY_PORT=$(free_port $((SERVE_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$(db_url "$EMPTY_DB")" "$BIN" serve --host 127.0.0.1 --port "$EMPTY_PORT"
STALE_PORT=$(free_port $((EMPTY_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$(db_url "$STALE_DB")" "$BIN" serve --host 127.0.0.1 --port "$STALE_PORT"
ALERTS_PORT=$(free_port $((STALE_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$(db_url "$ALERTS_DB")" "$BIN" serve --host 127.0.0.1 --port "$ALERTS_PORT"
wait_port "$SERVE_PORT"
wait_port "$ALERTS_PORT"
wait_port "$EMPTY_PORT"
wait_port "$STALE_PORT"

mkdir -p "$ARTIFACTS"
cd "$HERE"
DASHBOARD_URL="http://127.0.0.1:$SERVE_PORT" EMPTY_DASHBOARD_URL="http://127.0.0.1:$EMPTY_PORT" \
  STALE_DASHBOARD_URL="http://127.0.0.1:$STALE_PORT" ALERTS_DASHBOARD_URL="http://127.0.0.1:$ALERTS_PORT" \
  BROWSER_ARTIFACTS="$ARTIFACTS" node --test --test-reporter=spec \
  ${BROWSER_TEST_PATTERN:+--test-name-pattern="$BROWSER_TEST_PATTERN"} dashboard.test.mjs
