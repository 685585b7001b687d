#!/usr/bin/env bash
# Analytics check (ctest, label integration): fills a lake and a database through the pipeline
# (coinlake sim -> fetch x3 -> compact), then reads raw/ and curated/ with DuckDB (hive partitioning) and
# requires the same row counts as the database for the same objects.
# Usage: analytics_check.sh COINLAKE_BINARY   (needs COINLAKE_TEST_DATABASE_URL from scripts/test)
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$HERE/node_modules/@duckdb/node-api" ] || fail "DuckDB is not installed: run scripts/test (npm ci in tests/analytics)"
source "$HERE/../lib/pipeline_env.sh"
pipeline_env analytics
start_sim 18900 --coins 700

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
