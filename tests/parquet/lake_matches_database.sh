#!/usr/bin/env bash
# The analytics layer end to end (ctest parquet_lake_matches_database, label integration): fills a
# lake and a database through the pipeline (coinlake sim -> fetch x3 in two currencies -> a
# backfill of three days of quotes and global metrics), compacts every day, and requires that
#   1. three independent Parquet readers (DuckDB, parquet-wasm, hyparquet) read exactly the
#      database's rows from the files (readers_vs_database.mjs), and `audit` is clean;
#   2. a later backfill that adds objects to compacted days makes them stale (audit names them),
#      a second compaction rebuilds exactly those days (new manifest versions, old files gone),
#      and 1. holds again: nothing lost, nothing doubled.
# Usage: lake_matches_database.sh COINLAKE_BINARY   (needs COINLAKE_TEST_DATABASE_URL: scripts/test)
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$HERE/node_modules/hyparquet" ] || fail "the Parquet readers are not installed: run scripts/test (npm ci in tests/parquet)"
source "$HERE/../lib/pipeline_env.sh"
pipeline_env parquet
export TMPDIR="$WORK"
start_sim 18950 --coins 400

"$COINLAKE" migrate >/dev/null
for _ in 1 2 3; do
  "$COINLAKE" fetch --limit 150 --convert USD,EUR >/dev/null
  sleep 1.1  # a new data second: a new snapshot key
done
"$COINLAKE" backfill --from 3d --ids 1,1027 --interval 1h --endpoints quotes,global >/dev/null

today=$(date -u +%F)
first_day=$(date -u -d '4 days ago' +%F)
compact_all() { "$COINLAKE" compact --from "$first_day" --to "$today" --json; }
check_readers() {
  node "$HERE/readers_vs_database.mjs" "$WORK/lake" "$COINLAKE_DATABASE_URL" || fail "$1: the readers disagree with the database"
}
count_days() { grep -o "\"outcome\":\"$1\"" <<<"$2" | wc -l; }

first="$(compact_all)"
[ "$(count_days compacted "$first")" -ge 6 ] || fail "expected 4+ days of quotes and of global metrics compacted: $first"
check_readers "after the first compaction"
"$COINLAKE" audit --json >"$WORK/audit1.json" || fail "audit after the first compaction: $(cat "$WORK/audit1.json")"

# A late object: history of another coin lands on the compacted days.
"$COINLAKE" backfill --from 3d --ids 52 --interval 1h --endpoints quotes >/dev/null
if "$COINLAKE" audit --json >"$WORK/audit2.json"; then fail "audit found nothing stale after the late backfill"; fi
grep -q '"kind":"manifest_stale"' "$WORK/audit2.json" || fail "audit did not name the stale days: $(cat "$WORK/audit2.json")"
second="$(compact_all)"
[ "$(count_days compacted "$second")" -ge 3 ] || fail "the stale quote days were not rebuilt: $second"
[ "$(count_days up_to_date "$second")" -ge 3 ] || fail "days the backfill did not touch were rebuilt: $second"
grep -q '"version":2' <<<"$second" || fail "no second manifest version: $second"
check_readers "after the late backfill"
"$COINLAKE" audit --json >"$WORK/audit3.json" || fail "audit after the second compaction: $(cat "$WORK/audit3.json")"
stale_files=$(find "$WORK/lake/curated/quotes" -name '*.parquet' | wc -l)
days=$(find "$WORK/lake/curated/quotes" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$stale_files" = "$days" ] || fail "$stale_files Parquet files for $days days: a replaced file was left behind"
echo "PASS: three readers agree with the database before and after a late object; audit clean"
