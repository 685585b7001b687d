#!/usr/bin/env bash
# Backfill benchmark (docs/benchmarks.md, "Backfill"): `coinlake backfill` of COINS coins x DAYS
# days of hourly quotes from `coinlake sim` into a file lake and a private PostgreSQL (fsync on),
# against the live loader on the same machine, side by side: `coinlake fetch --limit 5000`,
# one listings snapshot of 5000 rows (fetch, spool, lake, load). Interleaved ROUNDS times:
#   backfill: a fresh database, lake and spool; `coinlake backfill --top COINS --from DAYS back
#             --to <the last whole hour> --interval 1h --endpoints quotes` under
#             /usr/bin/time -v (peak RSS); rows = SELECT count(*) FROM quotes;
#   live:     FETCHES x (quotes and candles emptied, so each snapshot inserts all its rows and
#             none is carried over; `coinlake fetch --limit 5000` on its own) into one fresh
#             database and lake.
# Rows per second, two ways for each: by the pipeline's own `runs` row (rows over finished_at -
# started_at: the work of the command, process start excluded), and by the wall time of the
# process. Credits: the backfill's `runs` row minus its probe's one credit, against CMC's
# documented minimum, ceil(COINS x DAYS x 24 / 100).
#
# Usage: bench/backfill.sh [ROUNDS=3] [COINS=100] [DAYS=30] [FETCHES=3]
# COINLAKE_BIN=path uses that binary instead of building the release preset.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT
trap "exit 130" INT TERM  # so the EXIT trap stops the cluster and the sim

ROUNDS="${1:-3}"
COINS="${2:-100}"
DAYS="${3:-30}"
FETCHES="${4:-3}"
LIMIT=5000
ensure_packages postgresql-15 postgresql-client-15 time bc curl
bench_binary
[ -x "$COINLAKE_BIN" ] || die "no coinlake binary at $COINLAKE_BIN"

WORK="$RUN_DIR/bench-backfill"
rm -rf "$WORK"
mkdir -p "$WORK"
pg_start bench-backfill-pg on
export CMC_API_KEY=bench COINLAKE_LOG_LEVEL=warn

start_bg env COINLAKE_LOG_LEVEL=info "$COINLAKE_BIN" sim --port 0 --coins "$LIMIT" --seed 42 >"$WORK/sim.log" 2>&1
SIM_URL=""
for _ in $(seq 1 1200); do  # 5000 coins take a few seconds to build
  SIM_URL="$(grep -o '"url":"http://[^"]*"' "$WORK/sim.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)"
  [ -n "$SIM_URL" ] && break
  sleep 0.05
done
[ -n "$SIM_URL" ] || die "coinlake sim did not start: $(cat "$WORK/sim.log")"

TO="$(date -u +%Y-%m-%dT%H:00:00Z)"  # the last whole hour: every round plans the same calls
POINTS=$((COINS * DAYS * 24))
MIN_CREDITS=$(((POINTS + 99) / 100))

# fresh_db NAME: an empty migrated database; prints its URL.
fresh_db() {
  local url="postgresql://postgres@127.0.0.1:$PG_PORT/$1"
  PGOPTIONS="-c client_min_messages=warning" psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  COINLAKE_DATABASE_URL="$url" "$COINLAKE_BIN" migrate --log-level warn >/dev/null
  # The window's months have their partitions before the clock starts, as in production.
  psql -qAt "$url" -c "SELECT coinlake_ensure_quote_partitions((timestamptz '$TO' - interval '$((DAYS + 1)) days')::date, timestamptz '$TO'::date + 31)" >/dev/null
  echo "$url"
}
q() { psql -qAt "$1" -v ON_ERROR_STOP=1 -c "$2"; }
now() { date +%s.%N; }
# next_second: the live snapshot's key is its second; start each fetch in a new one.
next_second() {
  local ms=$((1050 - 10#$(date +%3N)))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }

say "plan"
DB="$(fresh_db coinlake_backfill)"
"$COINLAKE_BIN" backfill --dry-run --database-url "$DB" --lake-url "file://$WORK/lake-plan" \
  --spool-dir "$WORK/spool-plan" --cmc-url "$SIM_URL" --top "$COINS" --from "${DAYS}d" --to "$TO" \
  --interval 1h --endpoints quotes | tee "$WORK/plan.txt"

: >"$WORK/results.tsv"  # kind round rows runs_s wall_s rss_kb credits load_before load_after
backfill_round() {
  local r="$1" db t0 t1 rows runs_s credits la
  db="$(fresh_db coinlake_backfill)"
  rm -rf "$WORK/lake-bf" "$WORK/spool-bf"
  la="$(loadavg)"
  t0="$(now)"
  /usr/bin/time -v -o "$WORK/time-bf-$r.txt" "$COINLAKE_BIN" backfill --database-url "$db" \
    --lake-url "file://$WORK/lake-bf" --spool-dir "$WORK/spool-bf" --cmc-url "$SIM_URL" \
    --top "$COINS" --from "${DAYS}d" --to "$TO" --interval 1h --endpoints quotes \
    >"$WORK/backfill-$r.out" 2>"$WORK/backfill-$r.log" ||
    { tail -5 "$WORK/backfill-$r.log" >&2; die "backfill round $r failed"; }
  t1="$(now)"
  rows="$(q "$db" "SELECT count(*) FROM quotes")"
  [ "$rows" = "$POINTS" ] || die "backfill round $r loaded $rows quote rows, expected $POINTS"
  runs_s="$(q "$db" "SELECT extract(epoch FROM finished_at - started_at) FROM runs WHERE command = 'backfill' AND outcome = 'ok'")"
  credits="$(q "$db" "SELECT credits FROM runs WHERE command = 'backfill'")"
  printf 'backfill\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$rows" "$runs_s" "$(echo "$t1 - $t0" | bc -l)" \
    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time-bf-$r.txt")" "$credits" \
    "$la" "$(loadavg)" >>"$WORK/results.tsv"
}
live_round() {
  local r="$1" db t0 t1 i rows=0 runs_s=0 wall=0 n s rss=0 la
  db="$(fresh_db coinlake_live)"
  rm -rf "$WORK/lake-live" "$WORK/spool-live"
  la="$(loadavg)"
  for i in $(seq 1 "$FETCHES"); do
    q "$db" "TRUNCATE quotes, candles_hourly, candles_daily, candles_pending" >/dev/null
    next_second
    t0="$(now)"
    /usr/bin/time -v -o "$WORK/time-live-$r-$i.txt" "$COINLAKE_BIN" fetch --database-url "$db" \
      --lake-url "file://$WORK/lake-live" --spool-dir "$WORK/spool-live" --cmc-url "$SIM_URL" \
      --limit "$LIMIT" --global-metrics-interval 0 --key-info-interval 0 --map-interval 0 \
      >"$WORK/fetch-$r-$i.out" 2>"$WORK/fetch-$r-$i.log" ||
      { tail -5 "$WORK/fetch-$r-$i.log" >&2; die "fetch round $r.$i failed"; }
    t1="$(now)"
    n="$(q "$db" "SELECT count(*) FROM quotes")"
    [ "$n" = "$LIMIT" ] || die "fetch round $r.$i loaded $n quote rows, expected $LIMIT"
    s="$(q "$db" "SELECT extract(epoch FROM finished_at - started_at) FROM runs WHERE command = 'fetch' ORDER BY id DESC LIMIT 1")"
    rows=$((rows + n))
    runs_s="$(echo "$runs_s + $s" | bc -l)"
    wall="$(echo "$wall + $t1 - $t0" | bc -l)"
    n="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time-live-$r-$i.txt")"
    [ "$n" -gt "$rss" ] && rss="$n"
  done
  printf 'live\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$rows" "$runs_s" "$wall" "$rss" "-" "$la" \
    "$(loadavg)" >>"$WORK/results.tsv"
}

for r in $(seq 1 "$ROUNDS"); do
  say "round $r of $ROUNDS: backfill ($COINS coins x $DAYS days hourly = $POINTS points)"
  backfill_round "$r"
  say "round $r of $ROUNDS: live loader ($FETCHES x coinlake fetch --limit $LIMIT)"
  live_round "$r"
done

# The figures.
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
rate_of() {  # rate_of KIND COLUMN(4: runs, 5: wall): rows/s per round
  awk -F'\t' -v k="$1" -v c="$2" '$1 == k {printf "%.0f\n", $3 / $c}' "$WORK/results.tsv"
}
echo
echo "CPU: $(cpu_model) ($(nproc) cores); binary: $COINLAKE_BIN"
echo "window: $(sed -n 1p "$WORK/plan.txt")"
printf '%-9s %5s %8s %9s %9s %11s %11s %9s %8s %s\n' kind round rows runs_s wall_s "rows/s runs" \
  "rows/s wall" "peak RSS" credits "load avg"
awk -F'\t' '{printf "%-9s %5s %8s %9.2f %9.2f %11.0f %11.0f %6.1f MB %8s %s -> %s\n",
  $1, $2, $3, $4, $5, $3 / $4, $3 / $5, $6 / 1024, $7, $8, $9}' "$WORK/results.tsv"
BF_RUNS="$(rate_of backfill 4 | median)" LV_RUNS="$(rate_of live 4 | median)"
BF_WALL="$(rate_of backfill 5 | median)" LV_WALL="$(rate_of live 5 | median)"
RSS_MAX="$(awk -F'\t' '$1 == "backfill" && $6 > m {m = $6} END {print m}' "$WORK/results.tsv")"
CREDITS="$(awk -F'\t' '$1 == "backfill" {print $7 - 1}' "$WORK/results.tsv" | sort -u | tr '\n' ' ')"
echo
printf 'median rows/s by the runs ledger: backfill %s, live %s: %.2fx\n' "$BF_RUNS" "$LV_RUNS" \
  "$(echo "$BF_RUNS / $LV_RUNS" | bc -l)"
printf 'median rows/s by wall time:        backfill %s, live %s: %.2fx\n' "$BF_WALL" "$LV_WALL" \
  "$(echo "$BF_WALL / $LV_WALL" | bc -l)"
printf 'backfill peak RSS (max of %s rounds): %.1f MB\n' "$ROUNDS" "$(echo "$RSS_MAX / 1024" | bc -l)"
printf 'credits charged for the data (the runs row minus the probe'"'"'s 1): %s; CMC'"'"'s minimum for %s points: %s\n' \
  "$CREDITS" "$POINTS" "$MIN_CREDITS"
