#!/usr/bin/env bash
# A simulated year through compaction and retention (issue #25's "done when"; docs/database.md,
# "Retention"): a generated lake of DAYS closed UTC days from 2026-01-01 (COINS coins x SNAPSHOTS
# listings a day, bench/make_compact_lake.mjs, the compaction benchmark's generator) goes through
#   1. `reprocess` (every quote), `compact` (every closed day to Parquet), `retention` with
#      RETENTION_DAYS (default 90) against today's clock, and `audit` with the same retention,
#      which must be clean;
#   2. the dashboard: `/api/v1/series?range=365d` of one coin must be drawn from the hourly
#      candles ("interval": "1h") and reach back to the lake's first day;
#   3. `reprocess --force` with the retention, which must rebuild the same database (count and
#      md5 of every lake-derived table, as test_lake.cc's TablesChecksum) while never holding
#      much more than the retention: the database's size is sampled every second, and its peak
#      printed beside the size after step 1.
# Prints each step's time, the sizes, the checks and the CPU; exits non-zero when a check fails.
#
# Usage: bench/simulated_year.sh [COINS=100] [SNAPSHOTS=24] [DAYS=365] [RETENTION_DAYS=90]
# DAYS stops at yesterday (the generator's days are dated; a day not closed is not compacted).
# COINLAKE_BIN=path/to/coinlake uses that binary instead of building the release preset.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT

COINS="${1:-100}"
SNAPS="${2:-24}"
DAYS="${3:-365}"
RETENTION_DAYS="${4:-90}"
ensure_packages postgresql-15 postgresql-client-15 curl
command -v node >/dev/null || die "node is needed to generate the lake (apt-get install nodejs)"
bench_binary

closed_days=$((($(date -u +%s) - $(date -u -d 2026-01-01 +%s)) / 86400))
((DAYS <= closed_days)) || DAYS=$closed_days
((DAYS > 0)) || die "no closed day since 2026-01-01 to generate"
LAKE="$RUN_DIR/bench-year/lake-${DAYS}x${COINS}x${SNAPS}"
if [ ! -f "$LAKE/.complete" ]; then
  say "generating the lake: $DAYS days x $COINS coins x $SNAPS snapshots in $LAKE"
  rm -rf "$LAKE"
  mkdir -p "$LAKE"
  seq 0 $((DAYS - 1)) | xargs -P "$(nproc)" -I{} node "$REPO_ROOT/bench/make_compact_lake.mjs" \
    "$LAKE" {} "$COINS" "$SNAPS"
  touch "$LAKE/.complete"
fi
rm -rf "$LAKE/curated"

pg_start bench-pg off
DB_URL="${PG_ADMIN_URL%/*}/coinlake_year"
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS coinlake_year" -c "CREATE DATABASE coinlake_year"
q() { psql -tA "$DB_URL" -c "$1"; }
cl() {
  COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LAKE_URL="file://$LAKE" \
    COINLAKE_QUOTES_RETENTION_DAYS="$RETENTION_DAYS" "$COINLAKE_BIN" --log-level warn "$@"
}
STEPS=()
timed() {
  local name="$1" start
  shift
  start=$(date +%s.%N)
  "$@"
  STEPS+=("$(printf '%-34s %7.1f s' "$name" "$(echo "$(date +%s.%N) - $start" | bc -l)")")
}
# Count and md5 of every lake-derived table (the ledger without its load time). A quote names
# its lake object by the ledger's id, which a rebuild numbers anew: its key is compared instead.
checksum() {
  local t
  q "SELECT 'quotes ' || count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
     FROM (SELECT to_jsonb(q) - 'lake_object_id' || jsonb_build_object('lake_key', l.key) AS t
           FROM quotes q LEFT JOIN lake_objects l ON l.id = q.lake_object_id) s"
  for t in assets asset_names candles_hourly candles_daily global_metrics; do
    q "SELECT '$t ' || count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM $t t"
  done
  q "SELECT 'lake_objects ' || count(*) || ':' || coalesce(md5(string_agg(concat_ws(',', key, sha256,
     size, endpoint, data_ts, rows, carried_ids), '|' ORDER BY key)), '') FROM lake_objects"
}
db_size() { q "SELECT pg_database_size(current_database())"; }
mb() { echo "scale=1; $1 / 1000000" | bc -l; }
FAILED=0
check() {
  if [ "$1" = ok ]; then printf 'ok      %s\n' "$2"; else printf 'FAILED  %s\n' "$2"; FAILED=1; fi
}

cl migrate >/dev/null
timed "reprocess (every quote)" cl --quotes-retention-days 0 reprocess --jobs 2 >/dev/null
ALL_QUOTES=$(q "SELECT count(*) FROM quotes")
SIZE_ALL=$(db_size)
timed "compact (every closed day)" cl compact >/dev/null
timed "retention ($RETENTION_DAYS days)" cl retention >"$LAKE/../retention.txt" || true
q "VACUUM" >/dev/null
SIZE_KEPT=$(db_size)
KEPT_QUOTES=$(q "SELECT count(*) FROM quotes")
AUDIT_OK=ok
# The generator's snapshots are evenly spaced: that is the schedule audit checks.
INTERVAL_S=$((86400 / SNAPS))
timed "audit" cl audit --interval "$INTERVAL_S" >"$LAKE/../audit.txt" || AUDIT_OK=no
BEFORE=$(checksum)

# The dashboard's year: one coin's series over 365 days.
PORT=$(free_port 18900)
start_bg env COINLAKE_DATABASE_URL="$DB_URL" "$COINLAKE_BIN" --log-level warn serve \
  --host 127.0.0.1 --port "$PORT"
for _ in $(seq 1 100); do port_busy "$PORT" && break; sleep 0.1; done
read -r INTERVAL POINTS FIRST < <(
  curl -fsS "http://127.0.0.1:$PORT/api/v1/series?ids=1&range=365d&width=1000" | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const p = s.series[0].points;
    console.log(s.interval, p.length, p.length ? p[0].t : "-");')

# The database rebuilt from the lake with the retention, its size sampled meanwhile.
SAMPLES="$LAKE/../sizes.txt"
: >"$SAMPLES"
(while sleep 1; do db_size >>"$SAMPLES" 2>/dev/null || true; done) &
SAMPLER=$!
timed "reprocess --force (retention)" cl reprocess --force --jobs 2 >/dev/null
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
PEAK=$(sort -n "$SAMPLES" | tail -1)
AFTER=$(checksum)
AUDIT_AGAIN=ok
cl audit --interval "$INTERVAL_S" >/dev/null || AUDIT_AGAIN=no

printf '\nCPU: %s (%s cores); PostgreSQL %s; binary %s (%s)\n' \
  "$(cpu_model)" "$(nproc)" \
  "$(q 'SHOW server_version')" "$COINLAKE_BIN" "$(git -C "$REPO_ROOT" rev-parse --short HEAD)"
printf 'lake: %s days from 2026-01-01 x %s coins x %s snapshots = %s quote rows; retention %s days\n' \
  "$DAYS" "$COINS" "$SNAPS" "$ALL_QUOTES" "$RETENTION_DAYS"
printf '%s\n' "${STEPS[@]}"
printf 'database with every quote             %8s MB\n' "$(mb "$SIZE_ALL")"
printf 'database after retention              %8s MB  (%s quote rows kept)\n' \
  "$(mb "$SIZE_KEPT")" "$KEPT_QUOTES"
printf 'peak while reprocess --force ran      %8s MB\n' "$(mb "${PEAK:-0}")"
sed 's/^/retention: /' "$LAKE/../retention.txt"
check "$AUDIT_OK" "audit with the retention is clean after compaction and retention"
[ "$KEPT_QUOTES" -lt "$ALL_QUOTES" ] && ok=ok || ok=no
check "$ok" "retention dropped partitions of quotes ($ALL_QUOTES -> $KEPT_QUOTES rows)"
[ "$INTERVAL" = 1h ] && [[ "$FIRST" < 2026-01-02 ]] && ok=ok || ok=no
check "$ok" "the dashboard's 365-day series is drawn from hourly candles ($INTERVAL, $POINTS points from $FIRST)"
[ "$BEFORE" = "$AFTER" ] && ok=ok || ok=no
check "$ok" "reprocess --force with the retention rebuilt the same database (count and md5 of 7 tables)"
[ "$ok" = ok ] || diff <(echo "$BEFORE") <(echo "$AFTER") || true
check "$AUDIT_AGAIN" "audit is clean after the rebuild"
exit "$FAILED"
