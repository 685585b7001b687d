#!/usr/bin/env bash
# Loading benchmark (docs/benchmarks.md, "Loading"): one private PostgreSQL (fsync on), one
# deterministic lake, three loaders of the same rows into the same quotes table (its primary
# key and index in place), the tables emptied between runs:
#   1. coinlake reprocess --jobs N        (decompress + parse + COPY + ledger, candles, assets;
#      into the empty table it drops the indexes and builds them at its end: docs/database.md,
#      "Rebuilding quotes")
#   2. psql \copy of the rows pre-flattened to CSV (the server's ingest ceiling)
#   3. the seed's Python stack: json + psycopg2 COPY (bench/reprocess_python.py)
# The three run ROUNDS times, interleaved (the order turns each round: a slow spell of this
# shared machine falls on a different loader each time), and every figure is the median of its
# rounds; each ratio is taken within a round, then its median and range are given. A single
# round moved \copy's own server CPU between 7.0 and 11.0 s per million rows (docs/benchmarks.md,
# session 20). Prints rows/s for each, the ratios, and reprocess's peak RSS (/usr/bin/time); then,
# for reference, psql \copy the way reprocess rebuilds (indexes dropped, built after the COPY),
# and the server's floor: that, split across JOBS psql processes side by side. Last, issue #25's
# CPU figures for the three loaders: the server's CPU seconds per million rows (every process of
# the cluster, from /proc, a CHECKPOINT after the load included) and the loader's own.
#
# Debian's /usr/bin/python3 runs the Python parts (python3-psycopg2 is a Debian package).
# Usage: bench/reprocess_bench.sh [SNAPSHOTS] [COINS] [JOBS] [ROUNDS]   (default 60 5000 2 3)
# COINLAKE_BIN=path/to/coinlake uses that binary instead of building the release preset.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT

SNAPSHOTS="${1:-60}"
COINS="${2:-5000}"
JOBS="${3:-2}"
ROUNDS="${4:-3}"
ensure_packages postgresql-15 postgresql-client-15 python3 python3-psycopg2 time bc
bench_binary

WORK="$RUN_DIR/bench"
LAKE="$WORK/lake-${SNAPSHOTS}x${COINS}"
CSV="$LAKE.rows.csv"  # (not .csv: those of before the ledger reference have keys)
if [ ! -f "$CSV" ]; then
  say "generating the lake: $SNAPSHOTS snapshots x $COINS coins in $LAKE"
  rm -rf "$LAKE"
  mkdir -p "$WORK"
  /usr/bin/python3 "$REPO_ROOT/bench/make_lake.py" "$LAKE" "$SNAPSHOTS" "$COINS" "$CSV.tmp"
  mv "$CSV.tmp" "$CSV"
fi
ROWS=$(wc -l <"$CSV")

# Autovacuum off: its ANALYZE after a load lands in whichever measurement is running (the
# server CPU of \copy moved 8.6-11.4 s per million rows with it on).
pg_start bench-pg on "-c autovacuum=off"
DB_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coinlake_bench"
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS coinlake_bench" -c "CREATE DATABASE coinlake_bench"
COINLAKE_DATABASE_URL="$DB_URL" "$COINLAKE_BIN" migrate --log-level warn >/dev/null
psql -q "$DB_URL" -c "SELECT coinlake_ensure_quote_partitions('2026-01-01', '2026-12-31')"

reset_tables() {
  psql -q "$DB_URL" -c "TRUNCATE quotes, candles_hourly, candles_daily, candles_pending, assets_pending, asset_names_pending, asset_names, assets, lake_objects" \
    -c "CHECKPOINT"
}
check_rows() {
  local n
  n=$(psql -tA "$DB_URL" -c "SELECT count(*) FROM quotes")
  [ "$n" = "$ROWS" ] || die "$1 loaded $n rows, expected $ROWS"
}

# CPU seconds the server has used so far: the postmaster's own and its reaped children's
# (cutime, cstime: every backend that exited), plus its live children's (utime, stime).
TICK=$(getconf CLK_TCK)
POSTMASTER=$(head -1 "$(psql -tA "$DB_URL" -c "SHOW data_directory")/postmaster.pid")
server_cpu() {
  local total pid f
  sleep 0.3  # the postmaster reaps a backend that just exited
  read -r -a f < <(sed 's/^.*) //' "/proc/$POSTMASTER/stat")
  total=$((f[11] + f[12] + f[13] + f[14]))  # fields 14-17 of proc(5)
  for pid in $(pgrep -P "$POSTMASTER"); do
    read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + f[11] + f[12]))
  done
  echo "$total / $TICK" | bc -l
}
# measure NAME COMMAND...: runs the loader under /usr/bin/time, then a CHECKPOINT (the server's
# cost of making the load durable counts); sets T_NAME (wall seconds, the load alone),
# CLIENT_NAME (the loader's user + system CPU seconds) and SERVER_NAME (the server's CPU
# seconds, checkpoint included).
measure() {
  local name="$1" s0 t0 t1
  shift
  reset_tables
  s0=$(server_cpu)
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" "$@" >/dev/null
  t1=$(date +%s.%N)
  psql -q "$DB_URL" -c "CHECKPOINT"
  printf -v "T_$name" '%s' "$(echo "$t1 - $t0" | bc -l)"
  printf -v "CLIENT_$name" '%s' "$(awk '{print $1 + $2}' "$WORK/time.txt")"
  printf -v "SERVER_$name" '%s' "$(echo "$(server_cpu) - $s0" | bc -l)"
  printf -v "RSS_$name" '%s' "$(awk '{print $3}' "$WORK/time.txt")"
}

COLS="cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h, volume_change_24h, market_cap, market_cap_dominance, fully_diluted_market_cap, percent_change_1h, percent_change_24h, percent_change_7d, percent_change_30d, percent_change_60d, percent_change_90d, circulating_supply, total_supply, max_supply, num_market_pairs, lake_object_id"
run_loader() {
  case "$1" in
  COINLAKE)
    say "coinlake reprocess --jobs $JOBS ($ROWS rows)"
    measure COINLAKE env COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LAKE_URL="$LAKE" \
      "$COINLAKE_BIN" reprocess --jobs "$JOBS" --log-level warn
    check_rows "coinlake reprocess"
    ;;
  PSQL)
    say "psql \\copy of the same rows as CSV"
    measure PSQL psql -q "$DB_URL" -c "\\copy quotes ($COLS) FROM '$CSV' WITH (FORMAT csv)"
    check_rows "psql \\copy"
    ;;
  PY)
    say "Python: json + psycopg2 COPY"
    measure PY /usr/bin/python3 "$REPO_ROOT/bench/reprocess_python.py" "$LAKE" "$DB_URL"
    check_rows "reprocess_python.py"
    ;;
  esac
}
# Each round's figures, a line per round: the three loaders' wall, client and server seconds
# and reprocess's peak RSS, in LOADERS' order.
LOADERS=(COINLAKE PSQL PY)
: >"$WORK/rounds.txt"
for ((round = 0; round < ROUNDS; round++)); do
  for ((i = 0; i < 3; i++)); do
    run_loader "${LOADERS[(round + i) % 3]}"
  done
  line=""
  for name in "${LOADERS[@]}"; do
    t="T_$name" c="CLIENT_$name" v="SERVER_$name"
    line+="${!t} ${!c} ${!v} "
  done
  echo "$line$RSS_COINLAKE" >>"$WORK/rounds.txt"
done
# median COLUMN_EXPRESSION: the median over the rounds of an awk expression of a round's fields
# ($1-$3 reprocess's wall, client, server; $4-$6 \copy's; $7-$9 Python's; $10 peak RSS KB).
median() {
  awk "{print $1}" "$WORK/rounds.txt" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
range() { awk "{print $1}" "$WORK/rounds.txt" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }
T_COINLAKE=$(median '$1') CLIENT_COINLAKE=$(median '$2') SERVER_COINLAKE=$(median '$3')
T_PSQL=$(median '$4') CLIENT_PSQL=$(median '$5') SERVER_PSQL=$(median '$6')
T_PY=$(median '$7') CLIENT_PY=$(median '$8') SERVER_PY=$(median '$9')
RSS_KB=$(median '$10')

# rebuild_with_psql PARTS: the pre-flattened rows split in PARTS, COPYed by PARTS psql processes
# side by side into quotes without its indexes, the indexes built after (as reprocess rebuilds);
# sets T_REBUILD (seconds from the first COPY to the built indexes), and SERVER_BARE_COPY and
# SERVER_INDEX_BUILD (the server's CPU seconds of each half; the server_cpu calls between them
# take 0.3 s each, so T_REBUILD is the sum of the halves' wall times).
rebuild_with_psql() {
  local part t0 t1 t2 t3 s0 s1
  reset_tables
  rm -f "$WORK/part_"*
  split -n "l/$1" -d "$CSV" "$WORK/part_"
  psql -q "$DB_URL" -c "SELECT coinlake_quotes_defer_indexes()" >/dev/null
  s0=$(server_cpu)
  t0=$(date +%s.%N)
  for part in "$WORK/part_"*; do
    psql -q "$DB_URL" -c "\\copy quotes ($COLS) FROM '$part' WITH (FORMAT csv)" &
  done
  wait
  t1=$(date +%s.%N)
  s1=$(server_cpu)
  t2=$(date +%s.%N)
  psql -q "$DB_URL" -c "SELECT coinlake_quotes_restore_indexes()" >/dev/null
  t3=$(date +%s.%N)
  SERVER_INDEX_BUILD=$(echo "$(server_cpu) - $s1" | bc -l)
  SERVER_BARE_COPY=$(echo "$s1 - $s0" | bc -l)
  rm -f "$WORK/part_"*
  check_rows "psql \\copy x $1 (rebuild)"
  [ "$(psql -tA "$DB_URL" -c "SELECT count(*) FROM quotes_deferred_indexes")" = 0 ] ||
    die "psql \\copy x $1 (rebuild) left the indexes unbuilt"
  T_REBUILD=$(echo "$t1 - $t0 + $t3 - $t2" | bc -l)
}
say "psql \\copy of the same rows, indexes dropped and built after it (as reprocess rebuilds)"
rebuild_with_psql 1
T_PSQL_REBUILD=$T_REBUILD
# Where \copy's server CPU goes on this machine, to compare machines part by part: the
# same rows' CSV parsing and heap inserts alone, and the index build after them. Against the
# indexed \copy, the difference is what maintaining the indexes row by row costs.
SERVER_COPY_ALONE=$SERVER_BARE_COPY SERVER_INDEXES_AFTER=$SERVER_INDEX_BUILD
# The server's floor for this load on this machine: the same in JOBS parts side by side, as
# reprocess's JOBS connections load. No parsing, no ledger, no candles or assets: reprocess
# cannot be faster than this.
say "psql \\copy x $JOBS side by side, indexes built after (the server's floor)"
rebuild_with_psql "$JOBS"
T_FLOOR=$T_REBUILD

rate() { echo "$ROWS / $1" | bc -l; }
R_C=$(rate "$T_COINLAKE")
R_P=$(rate "$T_PSQL")
R_Y=$(rate "$T_PY")
printf '\nlake: %s snapshots x %s coins = %s rows, %s compressed; medians of %s interleaved rounds\n' \
  "$SNAPSHOTS" "$COINS" "$ROWS" "$(du -sh "$LAKE" | cut -f1)" "$ROUNDS"
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
# CPU seconds per million rows: the server's (checkpoint included) and the loader's own.
per_m() { echo "$1 * 1000000 / $ROWS" | bc -l; }
printf '\nCPU s per million rows        server   client\n'
printf '%-28s %7.2f  %7.2f\n' "coinlake reprocess" "$(per_m "$SERVER_COINLAKE")" "$(per_m "$CLIENT_COINLAKE")"
printf '%-28s %7.2f  %7.2f\n' "psql \\copy (CSV)" "$(per_m "$SERVER_PSQL")" "$(per_m "$CLIENT_PSQL")"
printf '%-28s %7.2f  %7.2f\n' "python json + psycopg2" "$(per_m "$SERVER_PY")" "$(per_m "$CLIENT_PY")"
printf '\\copy server CPU s per million rows, in parts (one run, no checkpoint): CSV parsing and heap\n'
printf 'inserts alone %.2f, then the index build %.2f (the indexed \\copy above, checkpoint included,\n' \
  "$(per_m "$SERVER_COPY_ALONE")" "$(per_m "$SERVER_INDEXES_AFTER")"
printf 'is both, with the indexes maintained row by row instead of built)\n'
printf '\nround   wall x  server x  client x   (reprocess against \\copy, \\copy, python; the order turns)\n'
awk '{printf "%5d  %6.2f  %7.2f  %7.2f\n", NR, $4 / $1, $3 / $6, $2 / $8}' "$WORK/rounds.txt"
printf 'issue #25 goals, ratio within each round: median (range over %s rounds)\n' "$ROUNDS"
printf 'wall:   reprocess rows/s / \\copy rows/s  %.2fx (%s)  goal >= 1\n' "$(median '$4 / $1')" "$(range '$4 / $1')"
printf 'server: reprocess / \\copy CPU            %.2fx (%s)  goal <= 1\n' "$(median '$3 / $6')" "$(range '$3 / $6')"
printf 'client: reprocess / python CPU          %.2fx (%s)  goal <= 0.2\n' "$(median '$2 / $8')" "$(range '$2 / $8')"
printf 'CPU: %s (%s cores)\n' "$(cpu_model)" "$(nproc)"
