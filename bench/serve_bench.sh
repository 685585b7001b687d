#!/usr/bin/env bash
# The dashboard under load: coinlake serve vs a Flask + psycopg2 endpoint (gunicorn, 2 workers)
# vs pgbench running the same SQL, on one database holding 10 million quote rows, in one run.
# Usage: bench/serve_bench.sh [SECONDS per measurement, default 20] [CONNECTIONS, default 64]
# Needs a built coinlake (COINLAKE_BIN, default build/release/coinlake). Figures: docs/benchmarks.md.
set -euo pipefail
DURATION="${1:-20}"
CONNS="${2:-64}"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../scripts/lib.sh"
BIN="${COINLAKE_BIN:-$REPO_ROOT/build/release/coinlake}"
[ -x "$BIN" ] || die "no coinlake binary at $BIN (build it, or set COINLAKE_BIN)"
ensure_packages wrk python3-flask python3-psycopg2 gunicorn postgresql-15 postgresql-contrib
OUT="$REPO_ROOT/bench/out/serve"
mkdir -p "$OUT"

trap cleanup_started EXIT
pg_start bench-serve-pg off
DB_URL="${PG_ADMIN_URL%/*}/coinlake_bench_serve"
if [ "$(psql "$PG_ADMIN_URL" -qAt -c "SELECT 1 FROM pg_database WHERE datname = 'coinlake_bench_serve'")" != 1 ] ||
   [ "$(psql "$DB_URL" -qAt -c "SELECT count(*) >= 10000000 FROM quotes" 2>/dev/null)" != t ]; then
  say "generating 10 million quote rows (a few minutes; kept in .run/bench-serve-pg for later runs)"
  psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS coinlake_bench_serve" -c "CREATE DATABASE coinlake_bench_serve"
  COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LOG_LEVEL=warn "$BIN" migrate
  psql "$DB_URL" -v ON_ERROR_STOP=1 -q -f "$HERE/serve/generate.sql"
fi
say "$(psql "$DB_URL" -qAt -c "SELECT count(*) FROM quotes") quote rows"
TO_S=$(psql "$DB_URL" -qAt -c "SELECT floor(extract(epoch FROM max(data_ts)))::bigint FROM lake_objects")

CL_PORT=$(free_port 18900)
start_bg env COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LOG_LEVEL=warn \
  COINLAKE_DASHBOARD_CACHE_MS="${CACHE_MS:-0}" COINLAKE_DASHBOARD_THREADS="${THREADS:-16}" \
  "$BIN" serve --host 127.0.0.1 --port "$CL_PORT"
FL_PORT=$(free_port $((CL_PORT + 1)))
start_bg env COINLAKE_DATABASE_URL="$DB_URL" BENCH_TO_S="$TO_S" \
  gunicorn --chdir "$HERE" --workers 2 --bind "127.0.0.1:$FL_PORT" --log-level warning serve_flask:app
for p in "$CL_PORT" "$FL_PORT"; do
  for _ in $(seq 1 100); do port_busy "$p" && break; sleep 0.1; done
done

SERIES_Q="ids=1&from=$((TO_S - 86400))&to=$TO_S&width=500"
# wrk_run NAME URL: requests/s and latency percentiles, one line.
wrk_run() {
  local name="$1" url="$2"
  curl -fsS "$url" -o /dev/null || die "$url does not answer"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$OUT/$name.txt" 2>&1
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/$name.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$OUT/$name.txt")
  printf '%-22s %10s req/s  p50 %8s  p99 %8s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}
# pgbench_run NAME FILE: transactions/s of the same SQL straight to PostgreSQL.
pgbench_run() {
  local name="$1" file="$2"
  pgbench -n -M extended -c "$CONNS" -j 2 -T "$DURATION" -D to_s="$TO_S" -f "$file" \
    "$DB_URL" >"$OUT/$name.txt" 2>&1 || { cat "$OUT/$name.txt"; die "pgbench failed"; }
  local tps lat
  tps=$(awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}' "$OUT/$name.txt")
  lat=$(awk -F'= ' '/latency average/ {print $2}' "$OUT/$name.txt")
  printf '%-22s %10s tps    latency average %s\n' "$name" "$tps" "$lat"
}

say "$CONNS connections, ${DURATION}s each, coinlake threads ${THREADS:-16}, cache ${CACHE_MS:-0} ms"
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores; $CONNS connections; ${DURATION}s each"
  wrk_run coinlake-latest "http://127.0.0.1:$CL_PORT/api/v1/latest?limit=100"
  wrk_run flask-latest "http://127.0.0.1:$FL_PORT/api/v1/latest"
  pgbench_run pgbench-latest "$HERE/serve/latest.sql"
  wrk_run coinlake-series "http://127.0.0.1:$CL_PORT/api/v1/series?$SERIES_Q"
  wrk_run flask-series "http://127.0.0.1:$FL_PORT/api/v1/series"
  pgbench_run pgbench-series "$HERE/serve/series.sql"
} | tee "$OUT/summary.txt"
