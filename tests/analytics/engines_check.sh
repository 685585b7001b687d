#!/usr/bin/env bash
# Engines check (ctest analytics_engines, label integration): the compacted lake answers the
# analytical questions exactly as the database does.
#   1. A lake and a fresh database filled over four past UTC days, both ways data arrives:
#      - live: `coinlake fetch` (listings of 50 coins, global metrics) against a simulator whose
#        clock (libfaketime) starts at 23:50 four days ago and runs 30 times as fast, fetched
#        until midnight has passed: snapshots on the day 4 days ago and 3 days ago;
#      - history: `coinlake backfill` (quotes and global metrics of the top 25 coins, hourly,
#        00:00-12:00) of the day before yesterday and of yesterday, each window inside its day.
#   2. `coinlake compact` (no dates: every closed day): one Parquet file per table and day under
#      curated/<table>/dt=DAY/, a manifest per table and day.
#   3. engines_check.mjs: DuckDB over curated/*/dt=*/*.parquet and psql over the database ask
#      the same questions (the rows themselves, count and sha256; Bitcoin's daily OHLC; the top
#      10 movers of a day; BTC dominance over time) and must agree.
# It fails, never skips, when DuckDB, libfaketime or the database is missing.
# Usage: engines_check.sh COINLAKE_BINARY   (needs COINLAKE_TEST_DATABASE_URL from scripts/test)
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$HERE/node_modules/@duckdb/node-api" ] || fail "DuckDB is not installed: run scripts/test (npm ci in tests/analytics)"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$FAKETIME_LIB" ] || fail "libfaketime is missing: apt-get install faketime (scripts/test does)"
source "$HERE/../lib/pipeline_env.sh"
pipeline_env engines

L1="$(date -u -d '4 days ago' +%F)"
L2="$(date -u -d '3 days ago' +%F)"
D1="$(date -u -d '2 days ago' +%F)"
D2="$(date -u -d 'yesterday' +%F)"
"$COINLAKE" migrate >/dev/null
psql -qAt "$COINLAKE_DATABASE_URL" -c "SELECT coinlake_ensure_quote_partitions('$L1', current_date + 1)" >/dev/null

# Live snapshots across midnight, on a simulated clock (the fetches use the real one; a raw key
# is the response's own status.timestamp).
offset=$(($(date +%s) - $(date -u -d "$L1 23:50:00" +%s)))
SIM_ENV=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME="-${offset} x30" FAKETIME_DONT_FAKE_MONOTONIC=1)
start_sim 18950 --coins 300
SIM_ENV=()
snapshots() { (find "$LAKE/raw/cmc/listings_latest/dt=$1" -name '*.json.gz' 2>/dev/null || true) | wc -l; }
# Until two snapshots of the second day (the simulated midnight comes 20 s after the start; a
# loaded machine slows the fetches, not the clock), at most 2 minutes.
end=$(($(date +%s) + 120))
while [ "$(snapshots "$L2")" -lt 2 ] && [ "$(date +%s)" -lt "$end" ]; do
  "$COINLAKE" fetch --limit 50 >>"$WORK/fetch.log" 2>&1 || { tail -5 "$WORK/fetch.log" >&2; fail "coinlake fetch failed"; }
  sleep 0.5
done
stop_sim
for day in "$L1" "$L2"; do
  n=$(snapshots "$day")
  [ "$n" -ge 2 ] || fail "the simulated clock gave $n listings snapshots on $day, expected 2 or more"
done

# History of the next two days.
start_sim 18950 --coins 300
for day in "$D1" "$D2"; do
  "$COINLAKE" backfill --top 25 --from "${day}T00:00:00Z" --to "${day}T12:00:00Z" --interval 1h \
    --endpoints quotes,global >"$WORK/backfill-$day.log" 2>&1 ||
    { tail -5 "$WORK/backfill-$day.log" >&2; fail "coinlake backfill of $day failed"; }
done
stop_sim
db_days=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT string_agg(DISTINCT (ts AT TIME ZONE 'UTC')::date::text, ',') FROM quotes")
[ "$db_days" = "$L1,$L2,$D1,$D2" ] || fail "the database holds quotes of days '$db_days', expected $L1,$L2,$D1,$D2"
gm_rows=$(psql -qtA "$COINLAKE_DATABASE_URL" -c "SELECT count(*) FROM global_metrics")
[ "$gm_rows" -gt 0 ] || fail "no global metrics were loaded"

"$COINLAKE" compact >"$WORK/compact.log" 2>&1 ||
  { tail -5 "$WORK/compact.log" >&2; fail "coinlake compact failed"; }

# The files of the contract: exactly one Parquet file per table and day, and its manifest.
for table in quotes global_metrics; do
  for day in "$L1" "$L2" "$D1" "$D2"; do
    n=$( (find "$LAKE/curated/$table/dt=$day" -name "${table}_${day}_*.parquet" 2>/dev/null || true) | wc -l)
    [ "$n" = 1 ] || fail "curated/$table/dt=$day holds $n Parquet files, expected 1"
    m=$( (find "$LAKE/curated/_manifests/$table/dt=$day" -name '*.json' 2>/dev/null || true) | wc -l)
    [ "$m" -ge 1 ] || fail "no manifest under curated/_manifests/$table/dt=$day"
  done
done
[ -z "$(find "$LAKE/curated" -name '*.csv.gz')" ] || fail "curated/ still holds CSV files after compact"

node "$HERE/engines_check.mjs" "$LAKE" "$COINLAKE_DATABASE_URL" "$D2"
