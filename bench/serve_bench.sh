#!/usr/bin/env bash
# The dashboard under load: coinlake serve (answer cache off, then on) vs a Flask + psycopg2
# endpoint (gunicorn, 2 workers) vs pgbench running the same prepared statements, on one
# database holding 10 million quote rows, in one run. Figures: docs/benchmarks.md.
# Usage: bench/serve_bench.sh [SECONDS per measurement, default 20] [CONNECTIONS, default 64]
# Needs a built coinlake (COINLAKE_BIN, default build/release/src/app/coinlake).
set -euo pipefail
DURATION="${1:-20}"
CONNS="${2:-64}"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../scripts/lib.sh"
BIN="${COINLAKE_BIN:-$REPO_ROOT/build/release/src/app/coinlake}"
[ -x "$BIN" ] || die "no coinlake binary at $BIN (build it, or set COINLAKE_BIN)"
ensure_packages wrk python3-flask python3-psycopg2 gunicorn postgresql-15 postgresql-contrib
OUT="$REPO_ROOT/bench/out/serve"
mkdir -p "$OUT"

trap cleanup_started EXIT
pg_start bench-serve-pg off
DB_URL="${PG_ADMIN_URL%/*}/coinlake_bench_serve"
if [ "$(psql "$PG_ADMIN_URL" -qAt -c "SELECT 1 FROM pg_database WHERE datname = 'coinlake_bench_serve'")" != 1 ] ||
   [ "$(psql "$DB_URL" -qAt -c "SELECT count(*) >= 10000000 FROM quotes" 2>/dev/null)" != t ]; then
  say "generating 10 million quote rows (kept in $RUN_DIR/bench-serve-pg for later runs)"
  psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS coinlake_bench_serve" \
    -c "CREATE DATABASE coinlake_bench_serve" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "SELECT pg_reload_conf()" >/dev/null
  COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LOG_LEVEL=warn "$BIN" migrate
  start=$(date +%s)
  psql "$DB_URL" -v ON_ERROR_STOP=1 -q -f "$HERE/serve/generate.sql"
  say "generated in $(($(date +%s) - start)) s"
fi
# Later migrations (indexes) reach a kept database too.
COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LOG_LEVEL=warn "$BIN" migrate
psql "$DB_URL" -q -c "ANALYZE"
say "$(psql "$DB_URL" -qAt -c "SELECT count(*) FROM quotes") quote rows"
TO_S=$(psql "$DB_URL" -qAt -c "SELECT floor(extract(epoch FROM max(data_ts)))::bigint FROM lake_objects")
FROM_S=$((TO_S - 86400))
WIDTH=500
BUCKET=$((86400 / WIDTH + 1))  # dashboard::BucketSeconds

# coinlake's database pool: its default, two connections per core (at least 4).
DB_CONNS="${DB_CONNS:-$(($(nproc) * 2 > 4 ? $(nproc) * 2 : 4))}"
# Every wrk connection comes from 127.0.0.1: lift the per-address limit, the bench measures the
# server.
serve() {  # serve PORT CACHE_MS
  start_bg env COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LOG_LEVEL=warn \
    COINLAKE_DASHBOARD_CACHE_MS="$2" COINLAKE_DASHBOARD_DB_CONNECTIONS="$DB_CONNS" \
    COINLAKE_DASHBOARD_MAX_CONNECTIONS_PER_CLIENT=256 \
    "$BIN" serve --host 127.0.0.1 --port "$1"
}
NC_PORT=$(free_port 18900)
serve "$NC_PORT" 0
C_PORT=$(free_port $((NC_PORT + 1)))
serve "$C_PORT" 1000
FL_PORT=$(free_port $((C_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$DB_URL" BENCH_TO_S="$TO_S" \
  gunicorn --chdir "$HERE" --workers 2 --bind "127.0.0.1:$FL_PORT" --log-level warning serve_flask:app
for p in "$NC_PORT" "$C_PORT" "$FL_PORT"; do
  for _ in $(seq 1 100); do port_busy "$p" && break; sleep 0.1; done
done

load() { cut -d' ' -f1 /proc/loadavg; }
# wrk_run NAME URL: requests/s, latency percentiles and the load average, one line.
wrk_run() {
  local name="$1" url="$2"
  curl -fsS "$url" -o /dev/null || die "$url does not answer"
  wrk -t2 -c"$CONNS" -d3s "$url" >/dev/null 2>&1  # warm up: connections, prepared statements
  local before
  before=$(load)
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$OUT/$name.txt" 2>&1
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/$name.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$OUT/$name.txt")
  printf '%-24s %10s req/s  p50 %8s  p99 %8s  load %s-%s %s\n' "$name" "$rps" "$p50" "$p99" \
    "$before" "$(load)" "$errors"
}
# pgbench_run NAME FILE [CLIENTS]: transactions/s of the same prepared statement straight to
# PostgreSQL, from CONNECTIONS clients (each its own backend) or CLIENTS.
pgbench_run() {
  local name="$1" file="$2" clients="${3:-$CONNS}"
  local before
  before=$(load)
  pgbench -n -M prepared -c "$clients" -j 2 -T "$DURATION" -D currency=USD -D limit=100 \
    -D ids='{1}' -D from_s="$FROM_S" -D to_s="$TO_S" -D bucket="$BUCKET" -f "$file" \
    "$DB_URL" >"$OUT/$name.txt" 2>&1 || { cat "$OUT/$name.txt"; die "pgbench failed"; }
  local tps lat
  tps=$(awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}' "$OUT/$name.txt")
  lat=$(awk -F'= ' '/latency average/ {print $2}' "$OUT/$name.txt")
  printf '%-24s %10s tps    latency average %s  load %s-%s\n' "$name" "$tps" "$lat" \
    "$before" "$(load)"
}

SERIES_Q="ids=1&from=$FROM_S&to=$TO_S&width=$WIDTH"
say "$CONNS connections, ${DURATION}s each"
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores; $CONNS connections; ${DURATION}s each; $(uptime)"
  wrk_run coinlake-latest-nocache "http://127.0.0.1:$NC_PORT/api/v1/latest?limit=100"
  wrk_run coinlake-latest-cached "http://127.0.0.1:$C_PORT/api/v1/latest?limit=100"
  wrk_run flask-latest "http://127.0.0.1:$FL_PORT/api/v1/latest"
  pgbench_run pgbench-latest "$HERE/serve/latest.sql"
  pgbench_run pgbench-latest-c$DB_CONNS "$HERE/serve/latest.sql" "$DB_CONNS"
  wrk_run coinlake-series "http://127.0.0.1:$NC_PORT/api/v1/series?$SERIES_Q"
  wrk_run coinlake-series-cached "http://127.0.0.1:$C_PORT/api/v1/series?$SERIES_Q"
  wrk_run flask-series "http://127.0.0.1:$FL_PORT/api/v1/series"
  pgbench_run pgbench-series "$HERE/serve/series.sql"
  pgbench_run pgbench-series-c$DB_CONNS "$HERE/serve/series.sql" "$DB_CONNS"
} | tee "$OUT/summary.txt"
# Ratios: coinlake over Flask and over pgbench, per endpoint.
awk -v n="$DB_CONNS" '{v[$1] = $2}
  END {
    printf "latest uncached: %.1fx Flask, %.2fx pgbench, %.2fx pgbench with %d clients\n", v["coinlake-latest-nocache"] / v["flask-latest"], v["coinlake-latest-nocache"] / v["pgbench-latest"], v["coinlake-latest-nocache"] / v["pgbench-latest-c" n], n
    printf "latest cached:   %.1fx Flask, %.2fx pgbench\n", v["coinlake-latest-cached"] / v["flask-latest"], v["coinlake-latest-cached"] / v["pgbench-latest"]
    printf "series uncached: %.1fx Flask, %.2fx pgbench, %.2fx pgbench with %d clients\n", v["coinlake-series"] / v["flask-series"], v["coinlake-series"] / v["pgbench-series"], v["coinlake-series"] / v["pgbench-series-c" n], n
    printf "series cached:   %.1fx Flask, %.2fx pgbench\n", v["coinlake-series-cached"] / v["flask-series"], v["coinlake-series-cached"] / v["pgbench-series"]
  }' "$OUT/summary.txt" | tee -a "$OUT/summary.txt"
