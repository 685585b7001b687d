#!/usr/bin/env bash
# Sizing benchmark (docs/deploy.md, "Sizing"; issue #25): what one quote row costs in PostgreSQL
# (its partitions: heap, primary key, index, TOAST) and in the lake (the raw gzip'd
# responses and the Parquet layer), measured on one generated day of COINS coins x SNAPSHOTS
# listings (bench/make_compact_lake.mjs, the compaction benchmark's lake), then scaled to the
# deployments docs/deploy.md prices: the free default (top 100 every 5 minutes), 1000 and 5000
# coins every 5 minutes, over one and three years, without retention and with 90 days.
#
# The day is loaded by `coinlake reprocess` (the rows COPYed, the indexes built after) and
# compacted by `coinlake compact`. Candles are measured per row as loaded (hourly and daily, one
# row per coin and bucket) and scaled per hour and per day. Prices per GB-month are parameters:
# RDS_GB_MONTH for gp3 storage (default 0.133, eu-west-3 as docs/deploy.md's cost table has it;
# RDS bills the allocated size, at least 20 GB, so the dollars count max(20 GB, the size)) and
# S3_GB_MONTH for S3 Standard (default 0.023, us-east-1's; the cost table rounds it to ~0.02).
#
# Usage: bench/sizing.sh [COINS=5000] [SNAPSHOTS=288]
# COINLAKE_BIN=path/to/coinlake uses that binary instead of building the release preset.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT

COINS="${1:-5000}"
SNAPS="${2:-288}"
RDS_GB_MONTH="${RDS_GB_MONTH:-0.133}"
S3_GB_MONTH="${S3_GB_MONTH:-0.023}"
RETENTION_DAYS=90
ensure_packages postgresql-15 postgresql-client-15 bc
bench_binary

LAKE="$RUN_DIR/bench-compact/lake-1x${COINS}x${SNAPS}"
if [ ! -f "$LAKE/.complete" ]; then
  say "generating the lake: 1 day x $COINS coins x $SNAPS snapshots in $LAKE"
  rm -rf "$LAKE"
  mkdir -p "$LAKE"
  node "$REPO_ROOT/bench/make_compact_lake.mjs" "$LAKE" 0 "$COINS" "$SNAPS"
  touch "$LAKE/.complete"
fi
ROWS=$((COINS * SNAPS))

pg_start bench-pg off
DB_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coinlake_sizing"
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS coinlake_sizing" -c "CREATE DATABASE coinlake_sizing"
COINLAKE_DATABASE_URL="$DB_URL" "$COINLAKE_BIN" migrate --log-level warn >/dev/null
say "coinlake reprocess: $ROWS quote rows"
COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LAKE_URL="$LAKE" \
  "$COINLAKE_BIN" reprocess --jobs 2 --log-level warn >/dev/null
psql -q "$DB_URL" -c "VACUUM ANALYZE" >/dev/null
q() { psql -tA "$DB_URL" -c "$1"; }
n=$(q "SELECT count(*) FROM quotes")
[ "$n" = "$ROWS" ] || die "reprocess loaded $n quote rows, expected $ROWS"
# Bytes of every partition of quotes (pg_total_relation_size: heap, TOAST, every index).
QUOTE_BYTES=$(q "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                 WHERE inhparent = 'quotes'::regclass")
QUOTE_HEAP=$(q "SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits
                WHERE inhparent = 'quotes'::regclass")
size_of() { q "SELECT pg_total_relation_size('$1'), (SELECT count(*) FROM $1)"; }
IFS='|' read -r HOURLY_BYTES HOURLY_ROWS < <(size_of candles_hourly)
IFS='|' read -r DAILY_BYTES DAILY_ROWS < <(size_of candles_daily)
IFS='|' read -r GLOBAL_BYTES GLOBAL_ROWS < <(size_of global_metrics)

say "coinlake compact"
rm -rf "$LAKE/curated"
COINLAKE_LAKE_URL="file://$LAKE" "$COINLAKE_BIN" compact --log-level warn >/dev/null
PARQUET_BYTES=$(find "$LAKE/curated/quotes" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')
RAW_BYTES=$(find "$LAKE/raw" -path '*listings_latest*' -type f -printf '%s\n' | awk '{s += $1} END {print s}')
rm -rf "$LAKE/curated"

per() { echo "scale=1; $1 / $2" | bc -l; }
B_QUOTE=$(per "$QUOTE_BYTES" "$ROWS")
B_HOURLY=$(per "$HOURLY_BYTES" "$HOURLY_ROWS")
B_DAILY=$(per "$DAILY_BYTES" "$DAILY_ROWS")
B_GLOBAL=$(per "$GLOBAL_BYTES" "$GLOBAL_ROWS")
B_PARQUET=$(per "$PARQUET_BYTES" "$ROWS")
B_RAW=$(per "$RAW_BYTES" "$ROWS")

printf '\nCPU: %s (%s cores); PostgreSQL %s; binary %s (%s)\n' \
  "$(cpu_model)" "$(nproc)" \
  "$(q 'SHOW server_version')" "$COINLAKE_BIN" "$(git -C "$REPO_ROOT" rev-parse --short HEAD)"
printf 'day measured: %s coins x %s snapshots = %s quote rows\n' "$COINS" "$SNAPS" "$ROWS"
printf 'bytes per row                          bytes  (total, rows)\n'
printf '  quotes in PostgreSQL (all)        %8s  (%s, of which heap %s)\n' "$B_QUOTE" "$QUOTE_BYTES" "$QUOTE_HEAP"
printf '  candles_hourly in PostgreSQL      %8s  (%s, %s rows)\n' "$B_HOURLY" "$HOURLY_BYTES" "$HOURLY_ROWS"
printf '  candles_daily in PostgreSQL       %8s  (%s, %s rows)\n' "$B_DAILY" "$DAILY_BYTES" "$DAILY_ROWS"
printf '  global_metrics in PostgreSQL      %8s  (%s, %s rows)\n' "$B_GLOBAL" "$GLOBAL_BYTES" "$GLOBAL_ROWS"
printf '  quotes in the lake, Parquet       %8s  (%s)\n' "$B_PARQUET" "$PARQUET_BYTES"
printf '  quotes in the lake, raw gzip JSON %8s  (%s, listings objects)\n' "$B_RAW" "$RAW_BYTES"

# scenario NAME COINS POLLS_PER_DAY: database and lake after one and three years, with and
# without the retention, in GB and dollars a month.
gb() { echo "scale=2; $1 / 1000000000" | bc -l; }
# RDS bills the allocated storage, 20 GB at least.
billed() { echo "g = $1 / 1000000000; if (g < 20) g = 20; g * $RDS_GB_MONTH" | bc -l; }
printf '\n%-22s %5s  %9s %9s %9s %9s  %9s %9s\n' "deployment" "years" "db GB" "db $/mo" \
  "90d GB" "90d $/mo" "lake GB" "lake $/mo"
printf '(db: quotes, candles and global metrics; 90d: with a %s-day retention; lake: raw and Parquet)\n' \
  "$RETENTION_DAYS"
scenario() {
  local name="$1" coins="$2" polls="$3" years rows_year quotes_all quotes_kept candles global db_all db_kept lake
  for years in 1 3; do
    rows_year=$((coins * polls * 365))
    quotes_all=$(echo "$rows_year * $years * $B_QUOTE" | bc -l)
    # A partition (an ISO week) is dropped once it is wholly beyond the retention: up to a week
    # more is kept.
    quotes_kept=$(echo "$coins * $polls * ($RETENTION_DAYS + 7) * $B_QUOTE" | bc -l)
    candles=$(echo "$coins * 365 * $years * (24 * $B_HOURLY + $B_DAILY)" | bc -l)
    global=$(echo "$polls * 365 * $years * $B_GLOBAL" | bc -l)
    db_all=$(echo "$quotes_all + $candles + $global" | bc -l)
    db_kept=$(echo "$quotes_kept + $candles + $global" | bc -l)
    lake=$(echo "$rows_year * $years * ($B_RAW + $B_PARQUET)" | bc -l)
    printf '%-22s %5s  %9.1f %9.2f %9.1f %9.2f  %9.1f %9.2f\n' "$name" "$years" "$(gb "$db_all")" \
      "$(billed "$db_all")" "$(gb "$db_kept")" "$(billed "$db_kept")" "$(gb "$lake")" \
      "$(echo "$(gb "$lake") * $S3_GB_MONTH" | bc -l)"
  done
}
scenario "free default (100/5m)" 100 288
scenario "1000 coins / 5 min" 1000 288
scenario "5000 coins / 5 min" 5000 288
printf 'prices: RDS gp3 $%s per GB-month, S3 Standard $%s per GB-month (RDS_GB_MONTH, S3_GB_MONTH)\n' \
  "$RDS_GB_MONTH" "$S3_GB_MONTH"
