#!/usr/bin/env bash
# Alert latency and cost benchmark (docs/benchmarks.md, "Alert latency"; issue #26's goal: from a
# snapshot's arrival to the webhook receiver holding the alert, p99 under 1 s with 100 market
# rules over 5000 coins, and evaluating them adding under 5 % to a cycle's time).
#
# `coinlake run` polls a 5000-coin listings snapshot from `coinlake sim` every INTERVAL seconds
# into a file lake and a private PostgreSQL, with one webhook channel to a loopback receiver
# (bench/alerts_receiver.mjs, node) that records the receive time of every notification. The
# run alternates ROUNDS times between a phase without rules (OFF_S seconds) and a phase with
# 100 rules (ON_S seconds), switched by rewriting its --config file and SIGHUP, so both kinds of
# cycle are measured in the same process, on the same database and the same machine load.
#
# The rules: 100 coins spread over the ranks (every 50th), half named by symbol, half by id; a
# quarter on percent_change_1h, the rest on the price; half above, half below; cooldown=0. Each
# ON phase sets every level to the coin's value in the listing of that moment, so the simulator's
# next refresh of the coin (every 3 minutes, at its own minute) moves it across about half the
# time: many rules fire and resolve (a rule firing from the last phase may resolve at once).
#
# Latency of a notification = its receive time at the receiver (taken when the whole request is
# in) - the snapshot's arrival at the ETL. Arrival = the cycle's start (runs.started_at) +
# its extract_ms (from the "cycle finished" log line): the extract stage is the request, the
# whole response read, and its status checked (spooling is counted apart, in spool_ms), so that
# is when the ETL holds the response. The notification's cycle is the one whose extract stage
# contains the snapshot's status.timestamp (the body's `time`). Also printed: the latency from
# status.timestamp itself, which the simulator stamps as it starts answering, before it builds,
# gzips and sends the 5000 coins (so it adds the simulator's time to the ETL's). All clocks are
# this machine's. Cycle time: duration_ms of each "cycle finished" line, by phase; the first two
# cycles after each switch are left out (the reload lands between cycles). The rules' own cost per
# cycle: alerts_ms of the same lines (the rules' work inside the load transactions), against
# duration_ms.
#
# Usage: bench/alerts_latency.sh [ROUNDS=3] [ON_S=90] [OFF_S=45] [INTERVAL=2] [COINS=5000]
# COINLAKE_BIN=path uses that binary; else BUILD_DIR=build/<dir> (default build/release, built).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"
ON_S="${2:-90}"
OFF_S="${3:-45}"
INTERVAL="${4:-2}"
COINS="${5:-5000}"
if [ -z "${COINLAKE_BIN:-}" ]; then
  BUILD_DIR="${BUILD_DIR:-build/release}"
  if [ "$BUILD_DIR" = build/release ]; then
    (source "$REPO/scripts/lib.sh" && build release coinlake)
  fi
  COINLAKE_BIN="$REPO/$BUILD_DIR/src/app/coinlake"
fi
source "$REPO/tests/crash/lib-crash.sh"
crash_setup "$COINLAKE_BIN" alerts-latency

pg_private
sim_start --coins "$COINS" --seed 42 --plan enterprise
file_lake
# Only listings on the schedule: the cycles compared are listings cycles.
export COINLAKE_LISTINGS_LIMIT="$COINS" COINLAKE_INTERVAL="$INTERVAL" COINLAKE_LOG_LEVEL=info
export COINLAKE_GLOBAL_METRICS_INTERVAL=0 COINLAKE_MAP_INTERVAL=0 COINLAKE_QUOTES_INTERVAL=0
export COINLAKE_BENCH_HOOK_SECRET="bench-secret-$RANDOM$RANDOM"

RECEIVER_PORT="$(free_port 18700)"
: >"$WORK/received"
node "$REPO/bench/alerts_receiver.mjs" "$RECEIVER_PORT" "$WORK/received" >"$WORK/receiver.log" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 100); do port_busy "$RECEIVER_PORT" && break; sleep 0.05; done
port_busy "$RECEIVER_PORT" || fail "the receiver did not start"
CHANNEL="alert-webhook = \"bench: http://127.0.0.1:$RECEIVER_PORT/hook secret-env=COINLAKE_BENCH_HOOK_SECRET\""

# write_config on|off: the channel, and with "on" 100 rules levelled at the market of now.
write_config() {
  {
    echo "$CHANNEL"
    if [ "$1" = on ]; then
      curl -sf --max-time 30 -H 'X-CMC_PRO_API_KEY: bench' \
        "$SIM_URL/v1/cryptocurrency/listings/latest?limit=$COINS" |
        python3 -c '
import json, sys
coins = json.load(sys.stdin)["data"]
best = {}  # symbol -> the best-ranked coin carrying it: what a rule by symbol watches
for c in coins:
    b = best.get(c["symbol"])
    if b is None or (c["cmc_rank"], c["id"]) < (b["cmc_rank"], b["id"]):
        best[c["symbol"]] = c
picked = sorted(coins, key=lambda c: c["cmc_rank"])[::max(1, len(coins) // 100)][:100]
for r, c in enumerate(picked):
    by_symbol = r % 2 == 0
    watched = best[c["symbol"]] if by_symbol else c
    who = c["symbol"] if by_symbol else "id:%d" % c["id"]
    q = watched["quote"]["USD"]
    side = "above" if (r // 2) % 2 == 0 else "below"
    if r % 4 == 3:
        what = "change 1h %s %s %r" % (who, side, q["percent_change_1h"])
    else:
        what = "price %s %s %r" % (who, side, q["price"])
    print("alert-rule = \"bench-%03d: %s cooldown=0\"" % (r, what))
'
    fi
  } >"$WORK/config.new"
  mv "$WORK/config.new" "$WORK/coinlake.toml"
}

write_config off
run_start -- --config "$WORK/coinlake.toml" run
: >"$WORK/phases"
switch() {  # switch on|off: new configuration, SIGHUP, and the time it was sent
  write_config "$1"
  run_assert_alive "before switching rules $1"
  echo "$(date +%s.%N) $1" >>"$WORK/phases"
  kill -HUP "$RUN_PID"
}
echo "$(date +%s.%N) off" >>"$WORK/phases"
for round in $(seq 1 "$ROUNDS"); do
  note "round $round/$ROUNDS: ${OFF_S}s without rules"
  sleep "$OFF_S"
  switch on
  note "round $round/$ROUNDS: ${ON_S}s with 100 rules"
  sleep "$ON_S"
  switch off
done
sleep 3  # the last notifications reach the receiver
run_stop

undelivered="$(sql "SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL")"
recorded="$(sql "SELECT count(*) FROM alert_outbox")"
grep '"msg":"cycle finished"' "$WORK/run.log" >"$WORK/cycles.jsonl" || fail "no cycle finished"
sql "SELECT extract(epoch FROM started_at) FROM runs WHERE command = 'run' ORDER BY id" >"$WORK/runs"
python3 - "$WORK/phases" "$WORK/cycles.jsonl" "$WORK/received" "$recorded" "$undelivered" \
  "$WORK/runs" <<'PY'
import bisect, datetime, json, statistics, sys
phases_file, cycles_file, received_file, recorded, undelivered, runs_file = sys.argv[1:]
run_starts = sorted(float(l) for l in open(runs_file) if l.strip())
phases = [(float(t), p) for t, p in (l.split() for l in open(phases_file))]

def epoch(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round((len(v) - 1) * p / 100)))]

by_phase = {"on": [], "off": []}
since_switch = 0
phase_index = 0
extract = []
windows = []  # (cycle start, arrival = start + extract), for the notifications
for line in open(cycles_file):
    c = json.loads(line)
    end = epoch(c["ts"])
    start = end - c["duration_ms"] / 1000
    # The exact start is the runs row's (the log line is written after the row is finished).
    k = bisect.bisect_left(run_starts, start)
    near = [run_starts[j] for j in (k - 1, k) if 0 <= j < len(run_starts)]
    if near and min(abs(x - start) for x in near) < 0.5:
        start = min(near, key=lambda x: abs(x - start))
    windows.append((start, start + c["extract_ms"] / 1000))
    i = max(k for k, (t, _) in enumerate(phases) if t <= start) if start >= phases[0][0] else 0
    if i != phase_index:
        phase_index, since_switch = i, 0
    since_switch += 1
    extract.append(c["extract_ms"])
    if since_switch > 2 and c["outcome"] == "ok":
        by_phase[phases[i][1]].append((c["duration_ms"], c["load_ms"], c.get("alerts_ms", 0.0)))

lat, from_stamp, unmatched = [], [], 0
for line in open(received_file):
    received, key, time, event = line.split()
    if time == "-":
        unmatched += 1
        continue
    stamp = epoch(time)
    from_stamp.append(float(received) - stamp * 1000)
    arrival = [a for s, a in windows if s - 0.005 <= stamp <= a + 0.005]
    if arrival:
        lat.append(float(received) - arrival[0] * 1000)
    else:
        unmatched += 1
print("notifications: %s recorded, %d received, %s undelivered at the end; %d not matched to a"
      " cycle" % (recorded, len(from_stamp), undelivered, unmatched))
def show(name, v):
    if v:
        print("%s: p50 %.0f p95 %.0f p99 %.0f max %.0f ms (n=%d)" %
              (name, pct(v, 50), pct(v, 95), pct(v, 99), max(v), len(v)))
show("latency, arrival at the ETL -> receiver", lat)
show("latency, status.timestamp -> receiver", from_stamp)
print("extract_ms per cycle (request to parsed response): median %.0f p99 %.0f" %
      (pct(extract, 50), pct(extract, 99)))
for name in ("off", "on"):
    d = [x[0] for x in by_phase[name]]
    l = [x[1] for x in by_phase[name]]
    if d:
        print("cycles %-3s rules: n=%d duration_ms median %.0f mean %.1f p90 %.0f; load_ms median %.0f"
              " mean %.1f" % (name, len(d), pct(d, 50), statistics.mean(d), pct(d, 90),
                             pct(l, 50), statistics.mean(l)))
on = [x[0] for x in by_phase["on"]]
off = [x[0] for x in by_phase["off"]]
if on and off:
    print("with rules / without: median %.3f, mean %.3f" %
          (pct(on, 50) / pct(off, 50), statistics.mean(on) / statistics.mean(off)))
# The rules' own share, measured inside each cycle (alerts_ms: the rules' work in the load
# transaction), which the phase comparison above cannot resolve when the machine's load moves.
a = [x[2] for x in by_phase["on"]]
if on:
    shares = [x[2] / x[0] for x in by_phase["on"] if x[0] > 0]
    print("alerts_ms per cycle with rules: median %.2f mean %.2f p99 %.2f max %.2f ms; share of the"
          " cycle: total %.2f %%, median %.2f %%, p99 %.2f %%" %
          (pct(a, 50), statistics.mean(a), pct(a, 99), max(a), 100 * sum(a) / sum(on),
           100 * pct(shares, 50), 100 * pct(shares, 99)))
PY
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores;" \
  "load: $(uptime | sed 's/.*load average/load average/')"
