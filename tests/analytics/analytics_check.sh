#!/usr/bin/env bash
# Analytics check (ctest, label integration): fills a lake and a database through the pipeline
# (coinlake sim -> fetch x3 -> compact), then reads raw/ and curated/ with DuckDB (hive partitioning) and
# requires the same row counts as the database for the same objects.
# Usage: analytics_check.sh COINLAKE_BINARY   (needs COINLAKE_TEST_DATABASE_URL from scripts/test)
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || fail "COINLAKE_TEST_DATABASE_URL is not set: run scripts/test"
[ -d "$HERE/node_modules/@duckdb/node-api" ] || fail "DuckDB is not installed: run scripts/test (npm ci in tests/analytics)"

WORK="$(mktemp -d)"
DB="coinlake_analytics_$$"
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  psql -q "$COINLAKE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
export COINLAKE_DATABASE_URL="${COINLAKE_TEST_DATABASE_URL%/*}/$DB"
export COINLAKE_LAKE_URL="file://$WORK/lake" COINLAKE_SPOOL_DIR="$WORK/spool"
export CMC_API_KEY="analytics-check-key" COINLAKE_LOG_LEVEL=warn

port=18900
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
"$COINLAKE" sim --port "$port" --coins 700 >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export COINLAKE_CMC_URL="http://127.0.0.1:$port"

"$COINLAKE" migrate >/dev/null
for _ in 1 2 3; do
  "$COINLAKE" fetch --limit 250 >/dev/null
  sleep 1.1  # a new data second: a new snapshot key
done

# The days are still open: compact names them (from the ledger, in case midnight passed).
first_day=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT to_char(min(data_ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM lake_objects")
last_day=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT to_char(max(data_ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM lake_objects")
"$COINLAKE" compact --from "$first_day" --to "$last_day" >/dev/null

duck="$(node "$HERE/lake_counts.mjs" "$WORK/lake")"
echo "duckdb: $duck"
db_objects=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'")
db_rows=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT count(*) FROM quotes")
db_days=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT count(DISTINCT (data_ts AT TIME ZONE 'UTC')::date) FROM lake_objects")
echo "database: objects=$db_objects rows=$db_rows days=$db_days"

field() { echo "$duck" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
[ "$db_objects" = 3 ] || fail "expected 3 loaded objects, the ledger has $db_objects"
[ "$(field raw_objects)" = "$db_objects" ] || fail "DuckDB sees $(field raw_objects) raw objects, the ledger $db_objects"
[ "$(field raw_rows)" = 750 ] || fail "DuckDB counts $(field raw_rows) coins in raw/, expected 3 x 250"
[ "$(field curated_rows)" = 750 ] || fail "DuckDB counts $(field curated_rows) curated rows, expected 3 x 250"
[ "$(field raw_quotes)" = "$db_rows" ] || fail "DuckDB finds $(field raw_quotes) distinct quotes in raw/, the database $db_rows"
[ "$(field curated_quotes)" = "$db_rows" ] || fail "DuckDB finds $(field curated_quotes) distinct quotes in curated/, the database $db_rows"
[ "$(field raw_days)" = "$db_days" ] || fail "raw/ has $(field raw_days) dt= partitions, the ledger $db_days days"
[ "$(field curated_days)" = "$db_days" ] || fail "curated/ has $(field curated_days) dt= partitions, the ledger $db_days days"
echo "PASS: DuckDB reads the same $db_rows quotes from raw/ and curated/ as the database holds"
