#!/usr/bin/env bash
# Freshness and memory benchmark (docs/benchmarks.md, "Freshness and memory"): `coinlake run`
# polls a 5000-coin listings snapshot from `coinlake sim` every INTERVAL seconds into a file
# lake and a private local PostgreSQL. Fetch-to-queryable is measured outside coinlake: the
# API's answer time is the snapshot's own status.timestamp (the simulator stamps it when it
# starts answering, so the figure includes building and sending 5000 coins), and "queryable"
# is the first time a separate psql session, polling every 10 ms, sees that snapshot's ledger
# row (committed in the same transaction as its quote rows). Also samples VmRSS of the run
# process from /proc. Prints median, p90, p99 and max, and the load average.
#
# Usage: bench/freshness.sh [CYCLES=120] [INTERVAL=2] [COINS=5000]
# COINLAKE_BIN=path uses that binary; else BUILD_DIR=build/<dir> (default build/release, built).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CYCLES="${1:-120}"
INTERVAL="${2:-2}"
COINS="${3:-5000}"
if [ -z "${COINLAKE_BIN:-}" ]; then
  BUILD_DIR="${BUILD_DIR:-build/release}"
  if [ "$BUILD_DIR" = build/release ]; then
    (source "$REPO/scripts/lib.sh" && build release coinlake)
  fi
  COINLAKE_BIN="$REPO/$BUILD_DIR/src/app/coinlake"
  [ -x "$COINLAKE_BIN" ] || COINLAKE_BIN="$REPO/$BUILD_DIR/coinlake"
fi
source "$REPO/tests/crash/lib-crash.sh"
crash_setup "$COINLAKE_BIN" freshness

pg_private
# The plan must cover the load, or the credit governor defers polls and the benchmark waits for
# snapshots that never come: CYCLES listings calls of ceil(COINS/200) credits, at 60/INTERVAL
# calls a minute plus key info and the map. Enterprise (30M credits a month, a day's pace of 1M
# available at once, 120 calls a minute) covers up to 5000 coins at any INTERVAL >= 1 for a day.
PLAN="${PLAN:-enterprise}"
sim_start --coins "$COINS" --seed 42 --plan "$PLAN"
plan_figures="$(curl -sf --max-time 10 -H 'X-CMC_PRO_API_KEY: bench' "$SIM_URL/v1/key/info" |
  python3 -c 'import json, sys; p = json.load(sys.stdin)["data"]["plan"]
print(p["credit_limit_monthly"], "credits a month,", p["credit_limit_daily"], "a day,",
      p["rate_limit_minute"], "calls a minute")')" || fail "the sim's key info did not answer"
echo "plan: $PLAN ($plan_figures)"
file_lake
export COINLAKE_LISTINGS_LIMIT="$COINS" COINLAKE_LOG_LEVEL=warn

# The poller: one psql session printing "clock|latest data_ts" every 10 ms.
printf '%s\n' "SELECT extract(epoch FROM clock_timestamp()), coalesce(extract(epoch FROM max(data_ts)), 0) FROM lake_objects" \
  '\watch 0.01' | psql -qAt "$COINLAKE_DATABASE_URL" >"$WORK/poll" 2>"$WORK/poll.err" &
POLL_PID=$!
STARTED_PIDS+=("$POLL_PID")

RUN_INTERVAL="$INTERVAL" run_start
: >"$WORK/rss"
# Fail fast rather than wait forever: three times the schedule, plus a minute of start-up.
DEADLINE=$((SECONDS + CYCLES * INTERVAL * 3 + 60))
while [ "$(sql "SELECT count(*) FROM lake_objects")" -lt "$CYCLES" ]; do
  run_assert_alive "during the benchmark"
  if [ "$SECONDS" -ge "$DEADLINE" ]; then
    fail "$(sql "SELECT count(*) FROM lake_objects") of $CYCLES snapshots after $((CYCLES * INTERVAL * 3 + 60)) s under plan $PLAN; last deferral: $(grep 'endpoint deferred by the credit governor' "$WORK/run.log" | tail -1 | cut -c1-300)"
  fi
  awk '/^VmRSS:/ {print $2}' "/proc/$RUN_PID/status" >>"$WORK/rss"
  sleep 0.5
done
sleep 0.2
run_stop
kill "$POLL_PID" 2>/dev/null || true

# For each snapshot: first poll whose latest data_ts reaches it, minus its data_ts.
sql "SELECT extract(epoch FROM data_ts), rows FROM lake_objects ORDER BY data_ts" >"$WORK/snapshots"
awk -F'[|\t]' 'NR == FNR { snap[++n] = $1; rows[n] = $2; next }
  { clock = $1; latest = $2
    while (i < n && snap[i + 1] <= latest + 0.0005) { i++; print (clock - snap[i]) * 1000, rows[i] } }
  BEGIN { i = 0 }' "$WORK/snapshots" "$WORK/poll" | sort -n >"$WORK/latency_rows"
cut -d' ' -f1 "$WORK/latency_rows" >"$WORK/latency_ms"
# The simulator's prices move once a minute (like CMC's last_updated): the first snapshot of a
# minute inserts all its rows, later ones find them loaded. Both kinds are reported.
awk -v c="$COINS" '$2 == c { print $1 }' "$WORK/latency_rows" >"$WORK/latency_new_ms"
pct() { awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100 + 0.5) + 1; printf "%.0f", v[i] }' "$2"; }
count="$(wc -l <"$WORK/latency_ms")"
[ "$count" -gt 0 ] || fail "the poller saw no snapshot (see $WORK/poll.err)"
# RSS after warm-up: skip the first quarter of the samples.
tail -n +"$(($(wc -l <"$WORK/rss") / 4 + 1))" "$WORK/rss" | sort -n >"$WORK/rss_steady"
rows="$(sql "SELECT count(*) FROM quotes")"
echo "freshness: $count snapshots of $COINS coins every ${INTERVAL}s ($rows quote rows);" \
  "fetch-to-queryable ms: median $(pct 50 "$WORK/latency_ms") p90 $(pct 90 "$WORK/latency_ms")" \
  "p99 $(pct 99 "$WORK/latency_ms") max $(printf '%.0f' "$(tail -1 "$WORK/latency_ms")") (poll every 10 ms)"
if [ -s "$WORK/latency_new_ms" ]; then
  echo "  of which $(wc -l <"$WORK/latency_new_ms") inserted all $COINS rows: median $(pct 50 "$WORK/latency_new_ms")" \
    "p99 $(pct 99 "$WORK/latency_new_ms") max $(sort -n "$WORK/latency_new_ms" | tail -1)"
fi
echo "memory: coinlake run steady-state VmRSS kB: median $(pct 50 "$WORK/rss_steady") max $(tail -1 "$WORK/rss_steady")" \
  "($(wc -l <"$WORK/rss_steady") samples after warm-up)"
echo "load: $(uptime | sed 's/.*load average/load average/')"
