#!/usr/bin/env bash
# Alerts soak (ctest alerts_soak, label integration; issue #26, docs/alerts.md "Soak"):
# `coinlake run` with market rules whose levels sit inside the simulated price paths (read from
# a first snapshot) polls `coinlake sim` on a clock SPEED times as fast (libfaketime, as in
# soak.sh; at x120 a poll a real second, each coin's price moving every 1.5 s), so the rules
# fire, resolve and cool down many times, and sends them to two signed webhook channels of a
# loopback receiver (webhook_receiver.mjs). Each round injects: receiver answers 429
# (Retry-After) and 500, slow answers (past the channel's timeout), an API fault storm, a
# database crash (pg_ctl -m immediate) and restart, and the receiver down while notifications
# are recorded, then `coinlake run` killed with -9 before it could send them, and restarted with
# the receiver.
# After a clean stop: the crash tests' lake/ledger checks, then alerts_verify.mjs recomputes the
# notifications from the loaded snapshots with its own implementation of the rules and requires
# the receiver to have processed each exactly once (a repeat only after a slow answer or a kill,
# byte-identical), in order per channel, every signature valid, alert_outbox to hold the same
# history, all delivered, and the alerts page (`coinlake serve`'s /api/v1/alerts) to show it.
# Usage: alerts_soak.sh COINLAKE_BINARY [ROUNDS=3] [SEED=26] [SPEED=120]
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" alerts-soak
ROUNDS="${2:-3}"
SEED="${3:-26}"
SPEED="${4:-120}"
RANDOM="$SEED"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$FAKETIME_LIB" ] || fail "libfaketime is missing: apt-get install faketime (scripts/test does)"
FAST_CLOCK=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME="+0 x$SPEED" FAKETIME_DONT_FAKE_MONOTONIC=1)
INTERVAL=$SPEED  # seconds on the fast clock: one poll a real second
RX_OUTAGES=0

# wait_until TIMEOUT_S WHAT COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  for _ in $(seq 1 $((timeout * 5))); do
    "$@" && return 0
    [ -z "$RUN_PID" ] || run_assert_alive "while waiting for $what"
    sleep 0.2
  done
  fail "$what: not within ${timeout}s"
}

# --- The receiver: two channels, each its own path and secret. ---
rx_start() {
  node "$CRASH_LIB_DIR/webhook_receiver.mjs" --port "$RX_PORT" --secrets "$WORK/rx-secrets.json" \
    --record "$WORK/received.jsonl" >>"$WORK/receiver.log" 2>&1 &
  RX_PID=$!
  STARTED_PIDS+=("$RX_PID")
  wait_until 10 "the webhook receiver listening on $RX_PORT" port_busy "$RX_PORT"
}
rx_down() {  # kill -9: nothing listens until rx_start
  kill -KILL "$RX_PID" 2>/dev/null
  wait "$RX_PID" 2>/dev/null || true
  RX_OUTAGES=$((RX_OUTAGES + 1))
}
rx_faults() {
  curl -sf -X POST --data "$1" "http://127.0.0.1:$RX_PORT/__ctl/faults" >/dev/null ||
    fail "the receiver refused faults: $1"
}
rx_faults_consumed() {
  curl -sf "http://127.0.0.1:$RX_PORT/__ctl/pending" | grep -q '"pending":0,'
}

FAULT_KINDS=(
  '{"fault":"status","http":503}'
  '{"fault":"status","http":429,"error_code":1008,"retry_after":1}'
  '{"fault":"reset"}'
  '{"fault":"truncated"}'
  '{"fault":"malformed"}'
  '{"fault":"slow","delay_ms":1500}'
)
storm() {  # storm N: N API faults for the next N requests
  local list=() i
  for ((i = 0; i < $1; i++)); do list+=("${FAULT_KINDS[RANDOM % ${#FAULT_KINDS[@]}]}"); done
  sim_faults "[$(IFS=,; echo "${list[*]}")]"
  FAULTS=$((FAULTS + $1))
}

outbox_count() { sql "SELECT count(*) FROM alert_outbox ${1:-}" 2>/dev/null || echo -1; }
outbox_grew_past() { [ "$(outbox_count)" -gt "$1" ]; }
outbox_all_delivered() { [ "$(outbox_count "WHERE delivered_at IS NULL")" = 0 ]; }
live_objects() { sql "SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'" 2>/dev/null || echo -1; }
loaded_past() { [ "$(live_objects)" -gt "$1" ]; }

pg_private
# libpq's connect_timeout (coinlake's default 10 s) runs on the fast clock: 10 s would be 83 ms
# real at x120, too short on a loaded machine, and `run` exits when it cannot connect at start.
# Ten real seconds, in fast seconds (the URL's value wins over coinlake's default).
FAST_CLOCK+=(COINLAKE_DATABASE_URL="$COINLAKE_DATABASE_URL?connect_timeout=$((10 * SPEED))")
SIM_ENV=("${FAST_CLOCK[@]}")
sim_start --coins 200 --seed "$SEED"
file_lake
export COINLAKE_LISTINGS_LIMIT=40 COINLAKE_LOG_LEVEL=info COINLAKE_SPOOL_DIR="$WORK/spool"
export COINLAKE_GLOBAL_METRICS_INTERVAL=0 COINLAKE_KEY_INFO_INTERVAL=0 COINLAKE_MAP_INTERVAL=0

# A first snapshot, loaded with no rule: where the prices are, so the levels sit on their paths.
env "${FAST_CLOCK[@]}" "$BIN" fetch >>"$WORK/run.log" 2>&1 || fail "the first fetch failed"
PRELOADED="$(live_objects)"
# Five coins that move (not a stablecoin). For each, a ladder of price levels around its price
# now and 1h-change levels around its change now, each a price step or two apart: wherever the
# paths go, some levels are crossed again and again. Cooldowns, hysteresis and channels vary
# from rule to rule; the long cooldowns without hysteresis keep some rules quiet while they cool
# down.
mapfile -t COINS < <(sql "SELECT cmc_id, price, percent_change_1h FROM quotes
                          WHERE quote_currency = 'USD' AND price > 0.01 AND abs(price - 1) > 0.05
                          ORDER BY cmc_rank LIMIT 5")
[ "${#COINS[@]}" = 5 ] || fail "the first snapshot has ${#COINS[@]} coins that move, not 5"
PRICE_STEPS=(0.992 0.996 0.999 1.001 1.004 1.008)
CHANGE_STEPS=(-0.6 -0.2 0.2 0.6)
COOLDOWNS=(0 6m 30m 2m 15m)
HYSTERESIS=(0 0.0005 0 0.001)  # of the price; for changes, percentage points x 200
CHANNELS=("" " channels=ops" " channels=dev")
RULES=()
n=0
# scaled X F: X * F as a plain decimal (no exponent: a rule's number is written out)
scaled() { awk -v x="$1" -v f="$2" 'BEGIN { s = sprintf("%.10f", x * f); sub(/0+$/, "", s); sub(/\.$/, "", s); print s }'; }
add_rule() {  # add_rule WHAT HYSTERESIS: the next rule, its options drawn in turn from the lists
  local direction=below
  [ $((n % 2)) = 0 ] && direction=above
  RULES+=("r$n: ${1/DIR/$direction} cooldown=${COOLDOWNS[n % ${#COOLDOWNS[@]}]} hysteresis=$2${CHANNELS[n % ${#CHANNELS[@]}]}")
  n=$((n + 1))
}
for i in 0 1 2 3 4; do
  read -r id p c <<<"${COINS[$i]}"
  for f in "${PRICE_STEPS[@]}"; do
    h="${HYSTERESIS[n % ${#HYSTERESIS[@]}]}"
    add_rule "price id:$id DIR $(scaled "$p" "$f")" "$(scaled "$p" "$h")"
  done
  for d in "${CHANGE_STEPS[@]}"; do
    h="${HYSTERESIS[n % ${#HYSTERESIS[@]}]}"
    add_rule "change 1h id:$id DIR $(awk -v c="$c" -v d="$d" 'BEGIN { printf "%.4f", c + d }')" \
      "$(scaled "$h" 200)"
  done
done
printf '%s\n' "${RULES[@]}" >"$WORK/rules.txt"
# Secrets: one from the environment, one from a file; the receiver knows both on its own.
export SOAK_OPS_SECRET="ops-secret-$SEED-$RANDOM$RANDOM"
printf 'dev-secret-%s-%s' "$SEED" "$RANDOM$RANDOM" >"$WORK/dev.secret"
printf '{"/hook/ops": "%s", "/hook/dev": "%s"}' "$SOAK_OPS_SECRET" "$(cat "$WORK/dev.secret")" >"$WORK/rx-secrets.json"
RX_PORT="$(free_port $((19700 + $$ % 200)))"
: >"$WORK/received.jsonl"
rx_start
ALERT_FLAGS=(
  --alert-webhook "ops: http://127.0.0.1:$RX_PORT/hook/ops secret-env=SOAK_OPS_SECRET timeout=1s"
  --alert-webhook "dev: http://127.0.0.1:$RX_PORT/hook/dev secret-file=$WORK/dev.secret timeout=2s"
)
for rule in "${RULES[@]}"; do ALERT_FLAGS+=(--alert-rule "$rule"); done
soak_run_start() { run_start "${FAST_CLOCK[@]}" -- "${ALERT_FLAGS[@]}" run --interval "$INTERVAL"; }

note "rules: $(tr '\n' ';' <"$WORK/rules.txt")"
soak_run_start
wait_until 60 "a first notification recorded" outbox_grew_past 0
for round in $(seq 1 "$ROUNDS"); do
  note "round $round: receiver answers 429 and 500"
  rx_faults '[{"fault":"status","http":429,"retry_after":1},{"fault":"status","http":500},
              {"fault":"status","http":429,"retry_after":2},{"fault":"status","http":500}]'
  wait_until 60 "the receiver's 429/500 answers used" rx_faults_consumed
  note "round $round: slow receiver"
  rx_faults '[{"fault":"slow","delay_ms":2500},{"fault":"slow","delay_ms":2500}]'
  wait_until 60 "the receiver's slow answers used" rx_faults_consumed
  note "round $round: API fault storm, database crash"
  storm 6
  rand_sleep 500 2500
  pg_crash
  rand_sleep 1000 4000
  pg_restart
  rand_sleep 1000 3000
  note "round $round: receiver down, notifications recorded, coinlake killed before sending"
  rx_down
  recorded="$(outbox_count)"
  wait_until 60 "a notification recorded while the receiver is down" outbox_grew_past "$recorded"
  rand_sleep 0 1500
  run_kill
  undelivered="$(outbox_count "WHERE delivered_at IS NULL")"
  [ "$undelivered" -gt 0 ] || fail "nothing undelivered at the kill"
  note "round $round: $undelivered undelivered at the kill; receiver and coinlake restarted"
  rx_start
  soak_run_start
  rand_sleep 1000 3000
done
loaded="$(live_objects)"
wait_until 60 "3 snapshots loaded after the last restart" loaded_past $((loaded + 2))
wait_until 120 "every notification delivered" outbox_all_delivered
run_stop
# The cycle SIGTERM let finish may have recorded notifications after the sender stopped: they
# wait in the outbox for the next run. One more `run`, polling nothing live (listings off, only
# the free key info), delivers them, and must record and send nothing else.
note "$(outbox_count "WHERE delivered_at IS NULL") recorded at the stop: delivered by the next run"
run_start "${FAST_CLOCK[@]}" COINLAKE_KEY_INFO_INTERVAL=86400 -- "${ALERT_FLAGS[@]}" run --interval 0
wait_until 60 "the notifications recorded at the stop delivered" outbox_all_delivered
sleep 1  # a second for a wrong extra send to show
run_stop
crash_verify

sql "SELECT key, endpoint FROM lake_objects WHERE endpoint IN ('listings_latest', 'quotes_latest')
     ORDER BY loaded_at, data_ts, key" >"$WORK/live-ledger.tsv"
sql "SELECT id, channel, idempotency_key, delivered_at IS NOT NULL,
            translate(encode(convert_to(payload::text, 'UTF8'), 'base64'), E'\n', ''),
            coalesce(collapsed_into::text, '')
     FROM alert_outbox ORDER BY id" >"$WORK/outbox.tsv"
# The alerts page reads the same database: the judge pages through its API too.
DASH_PORT="$(free_port $((19500 + $$ % 150)))"
"$BIN" serve --host 127.0.0.1 --port "$DASH_PORT" >"$WORK/serve.log" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 100); do port_busy "$DASH_PORT" && break; sleep 0.1; done
port_busy "$DASH_PORT" || fail "coinlake serve did not start (log: $WORK/serve.log)"
node "$CRASH_LIB_DIR/alerts_verify.mjs" --rules "$WORK/rules.txt" --channels ops,dev \
  --api "http://127.0.0.1:$DASH_PORT" \
  --lake "$LAKE_DIR" --ledger "$WORK/live-ledger.tsv" --preloaded "$PRELOADED" \
  --records "$WORK/received.jsonl" --outbox "$WORK/outbox.tsv" \
  --max-duplicates "$((KILLS + RX_OUTAGES))" --min-notifications 30 --min-cooldown-quiet 1 \
  --summary-out "$WORK/alerts-summary.json" ||
  fail "the notifications received or recorded differ from what the rules make of the snapshots"
echo "PASS alerts soak: seed=$SEED rounds=$ROUNDS x$SPEED kills=$KILLS pg_outages=$PG_OUTAGES" \
  "receiver_outages=$RX_OUTAGES api_faults=$FAULTS $(cat "$WORK/alerts-summary.json")"
