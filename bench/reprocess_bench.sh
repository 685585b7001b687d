#!/usr/bin/env bash
# Loading benchmark (docs/benchmarks.md, "Loading"): one private PostgreSQL (fsync on), one
# deterministic lake, three loaders of the same rows into the same quotes table (its primary
# key and index in place), the tables emptied between runs:
#   1. coinlake reprocess --jobs N        (decompress + parse + COPY + ledger, candles, assets;
#      into the empty table it drops the indexes and builds them at its end: docs/database.md,
#      "Rebuilding quotes")
#   2. psql \copy of the rows pre-flattened to CSV (the server's ingest ceiling)
#   3. the seed's Python stack: json + psycopg2 COPY (bench/reprocess_python.py)
# Prints rows/s for each, the ratios, and reprocess's peak RSS (/usr/bin/time -v); then, for
# reference, psql \copy the way reprocess rebuilds (indexes dropped, built after the COPY), and
# the server's floor: that, split across JOBS psql processes side by side.
#
# Debian's /usr/bin/python3 runs the Python parts (python3-psycopg2 is a Debian package).
# Usage: bench/reprocess_bench.sh [SNAPSHOTS] [COINS] [JOBS]     (default 60 5000 2)
# COINLAKE_BIN=path/to/coinlake uses that binary instead of building the release preset.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT

SNAPSHOTS="${1:-60}"
COINS="${2:-5000}"
JOBS="${3:-2}"
ensure_packages postgresql-15 postgresql-client-15 python3 python3-psycopg2 time bc
if [ -z "${COINLAKE_BIN:-}" ]; then
  build release coinlake
  COINLAKE_BIN="$REPO_ROOT/build/release/src/app/coinlake"
fi

WORK="$RUN_DIR/bench"
LAKE="$WORK/lake-${SNAPSHOTS}x${COINS}"
CSV="$LAKE.csv"
if [ ! -f "$CSV" ]; then
  say "generating the lake: $SNAPSHOTS snapshots x $COINS coins in $LAKE"
  rm -rf "$LAKE"
  mkdir -p "$WORK"
  /usr/bin/python3 "$REPO_ROOT/bench/make_lake.py" "$LAKE" "$SNAPSHOTS" "$COINS" "$CSV.tmp"
  mv "$CSV.tmp" "$CSV"
fi
ROWS=$(wc -l <"$CSV")

pg_start bench-pg on
DB_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coinlake_bench"
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS coinlake_bench" -c "CREATE DATABASE coinlake_bench"
COINLAKE_DATABASE_URL="$DB_URL" "$COINLAKE_BIN" migrate --log-level warn >/dev/null
psql -q "$DB_URL" -c "SELECT coinlake_ensure_quote_partitions('2026-01-01', '2026-12-31')"

reset_tables() {
  psql -q "$DB_URL" -c "TRUNCATE quotes, candles_hourly, candles_daily, candles_pending, assets_pending, asset_names_pending, asset_names, assets, lake_objects" \
    -c "CHECKPOINT"
}
# seconds COMMAND...: runs it, prints the wall time in seconds.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
check_rows() {
  local n
  n=$(psql -tA "$DB_URL" -c "SELECT count(*) FROM quotes")
  [ "$n" = "$ROWS" ] || die "$1 loaded $n rows, expected $ROWS"
}

say "coinlake reprocess --jobs $JOBS ($ROWS rows)"
reset_tables
t0=$(date +%s.%N)
COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LAKE_URL="$LAKE" /usr/bin/time -v -o "$WORK/time.txt" \
  "$COINLAKE_BIN" reprocess --jobs "$JOBS" --log-level warn >/dev/null
t1=$(date +%s.%N)
T_COINLAKE=$(echo "$t1 - $t0" | bc -l)
RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
check_rows "coinlake reprocess"

say "psql \\copy of the same rows as CSV"
reset_tables
COLS="cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h, volume_change_24h, market_cap, market_cap_dominance, fully_diluted_market_cap, percent_change_1h, percent_change_24h, percent_change_7d, percent_change_30d, percent_change_60d, percent_change_90d, circulating_supply, total_supply, max_supply, num_market_pairs, lake_key"
T_PSQL=$(seconds psql -q "$DB_URL" -c "\\copy quotes ($COLS) FROM '$CSV' WITH (FORMAT csv)")
check_rows "psql \\copy"

say "Python: json + psycopg2 COPY"
reset_tables
T_PY=$(seconds /usr/bin/python3 "$REPO_ROOT/bench/reprocess_python.py" "$LAKE" "$DB_URL")
check_rows "reprocess_python.py"

# rebuild_with_psql PARTS: the pre-flattened rows split in PARTS, COPYed by PARTS psql processes
# side by side into quotes without its indexes, the indexes built after (as reprocess rebuilds);
# prints the seconds from the first COPY to the built indexes.
rebuild_with_psql() {
  local part t0 t1
  reset_tables
  rm -f "$WORK/part_"*
  split -n "l/$1" -d "$CSV" "$WORK/part_"
  psql -q "$DB_URL" -c "SELECT coinlake_quotes_defer_indexes()" >/dev/null
  t0=$(date +%s.%N)
  for part in "$WORK/part_"*; do
    psql -q "$DB_URL" -c "\\copy quotes ($COLS) FROM '$part' WITH (FORMAT csv)" &
  done
  wait
  psql -q "$DB_URL" -c "SELECT coinlake_quotes_restore_indexes()" >/dev/null
  t1=$(date +%s.%N)
  rm -f "$WORK/part_"*
  check_rows "psql \\copy x $1 (rebuild)"
  [ "$(psql -tA "$DB_URL" -c "SELECT count(*) FROM quotes_deferred_indexes")" = 0 ] ||
    die "psql \\copy x $1 (rebuild) left the indexes unbuilt"
  echo "$t1 - $t0" | bc -l
}
say "psql \\copy of the same rows, indexes dropped and built after it (as reprocess rebuilds)"
T_PSQL_REBUILD=$(rebuild_with_psql 1)
# The server's floor for this load on this machine: the same in JOBS parts side by side, as
# reprocess's JOBS connections load. No parsing, no ledger, no candles or assets: reprocess
# cannot be faster than this.
say "psql \\copy x $JOBS side by side, indexes built after (the server's floor)"
T_FLOOR=$(rebuild_with_psql "$JOBS")

rate() { echo "$ROWS / $1" | bc -l; }
R_C=$(rate "$T_COINLAKE")
R_P=$(rate "$T_PSQL")
R_Y=$(rate "$T_PY")
printf '\nlake: %s snapshots x %s coins = %s rows, %s compressed\n' "$SNAPSHOTS" "$COINS" "$ROWS" \
  "$(du -sh "$LAKE" | cut -f1)"
printf '%-34s %8.2f s %10.0f rows/s\n' "coinlake reprocess --jobs $JOBS" "$T_COINLAKE" "$R_C"
printf '%-34s %8.2f s %10.0f rows/s\n' "psql \\copy (CSV, ceiling)" "$T_PSQL" "$R_P"
printf '%-34s %8.2f s %10.0f rows/s\n' "python json + psycopg2 COPY" "$T_PY" "$R_Y"
printf 'reprocess / psql \\copy: %.2fx   reprocess / python: %.2fx   reprocess peak RSS: %d MB\n' \
  "$(echo "$R_C / $R_P" | bc -l)" "$(echo "$R_C / $R_Y" | bc -l)" "$((RSS_KB / 1024))"
printf '%-34s %8.2f s %10.0f rows/s (reference: reprocess / it %.2fx)\n' \
  "psql \\copy, indexes built after" "$T_PSQL_REBUILD" "$(rate "$T_PSQL_REBUILD")" \
  "$(echo "$R_C / $(rate "$T_PSQL_REBUILD")" | bc -l)"
printf '%-34s %8.2f s %10.0f rows/s (reference: it / python %.2fx; 5x python needs %.2f s)\n' \
  "psql \\copy x $JOBS, indexes after" "$T_FLOOR" "$(rate "$T_FLOOR")" \
  "$(echo "$T_PY / $T_FLOOR" | bc -l)" "$(echo "$T_PY / 5" | bc -l)"
