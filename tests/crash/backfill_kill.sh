#!/usr/bin/env bash
# Crash test (ctest crash_backfill_kill, label integration): `coinlake backfill` interrupted by
# SIGKILL and rerun ends with exactly the rows of an uninterrupted one, asking the API only for
# what was missing (the resume of src/pipeline/backfill.h).
#
# One `coinlake sim`, one private PostgreSQL with two databases, two file lakes and spools:
#   reference:   the backfill, uninterrupted (exit 0);
#   interrupted: the same backfill (same absolute --from/--to, so the same calls and lake keys)
#                killed by a real kill -9 at a random moment (seeded), then at each crash point
#                in turn (COINLAKE_CRASH_AT after_spool, after_lake_put, mid_load,
#                after_load_commit), rerun after each kill, and finally run clean (exit 0).
# Then: both databases hold the same quotes, candles (hourly and daily, both sources),
# global_metrics and ledger rows of the history (md5 of each ordered table; not what differs by
# design: the moment each answer was served, its snapshot_ts, and so its bytes); the spool is empty;
# the lakes hold the same historical keys, each once (no quarantine/ copy), each in the ledger;
# and the simulator served the interrupted backfill exactly the reference's historical answers,
# plus at most one for the random kill (the call on the wire when it died). A crash point kills
# after the answer is spooled, so it adds none: checked exactly, after each kill, as "every
# historical answer served so far is held by the lake or the spool".
# Usage: backfill_kill.sh COINLAKE_BINARY [SEED=11]
set -euo pipefail
source "$(dirname "$0")/lib-crash.sh"
crash_setup "$1" backfill
SEED="${2:-11}"
RANDOM="$SEED"

# 500 coins x 2 days hourly: quotes and OHLCV take 5 calls each (100 coins a call), global
# metrics one; each endpoint's probe comes first: 14 historical answers in all.
BACKFILL=(backfill --from 2026-11-01 --to 2026-11-03 --top 500 --interval 1h
  --endpoints quotes,ohlcv,global)

pg_private  # database "coinlake": the interrupted backfill's
REF_DB_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coinlake_reference"
psql -qAt "$PG_ADMIN_URL" -c "CREATE DATABASE coinlake_reference" >/dev/null
COINLAKE_DATABASE_URL="$REF_DB_URL" "$BIN" migrate >>"$WORK/run.log" 2>&1 ||
  fail "coinlake migrate (reference) failed"
INT_DB_URL="$COINLAKE_DATABASE_URL"
# As many coins as --top asks: the simulator ranks its coins by the market cap of the moment, so
# the top 500 of more than 500 can change between the reference run and a rerun, and `backfill`
# resolves --top again at each run (docs/history.md): one coin swapped at the 500th place
# regroups a call and makes a new key (the flake of docs/reliability.md).
sim_start --coins 500 --seed "$SEED"
export COINLAKE_LOG_LEVEL=info
REF_LAKE="$WORK/lake-reference" REF_SPOOL="$WORK/spool-reference"
INT_LAKE="$WORK/lake" INT_SPOOL="$WORK/spool"  # run_start's spool

# Historical answers (HTTP 200) the simulator served so far.
hist_served() {
  curl -sf "$SIM_URL/__sim/served" | { grep -o '"endpoint":"[^"]*historical[^"]*"' || true; } | wc -l
}
# Historical bodies held by a lake and its spool together (each key counted once).
hist_held() {
  { (cd "$1" 2>/dev/null && find raw -path '*_historical/*' -name '*.json.gz' 2>/dev/null) || true
    (cd "$2" 2>/dev/null && find raw -path '*_historical/*' -name '*.json.gz' 2>/dev/null) || true; } |
    sort -u | wc -l
}
spool_files() { find "$1" -type f 2>/dev/null | wc -l; }

note "plan:"
"$BIN" "${BACKFILL[@]}" --dry-run --database-url "$REF_DB_URL" --lake-url "file://$REF_LAKE" \
  --spool-dir "$REF_SPOOL" >"$WORK/plan.txt" 2>>"$WORK/run.log" || fail "backfill --dry-run failed"
sed 's/^/    /' "$WORK/plan.txt" >&2
CALLS="$(awk '$1 == "total" {print $2}' "$WORK/plan.txt")"
[ "${CALLS:-0}" -ge 6 ] || fail "the plan makes ${CALLS:-no} calls; the test wants several"

# --- the reference: one uninterrupted backfill ---------------------------------------------------
t0="$(date +%s.%N)"
"$BIN" "${BACKFILL[@]}" --database-url "$REF_DB_URL" --lake-url "file://$REF_LAKE" \
  --spool-dir "$REF_SPOOL" >>"$WORK/run.log" 2>&1 || fail "the reference backfill failed"
REF_SERVED="$(hist_served)"
note "reference: exit 0 in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc -l)") s," \
  "$REF_SERVED historical answers served"

# --- the interrupted backfill --------------------------------------------------------------------
file_lake  # COINLAKE_LAKE_URL, LAKE_DIR: $WORK/lake
INT_ARGS=(-- "${BACKFILL[@]}" --database-url "$INT_DB_URL" --lake-url "file://$INT_LAKE"
  --spool-dir "$INT_SPOOL")
LOST=0  # historical answers served and lost on the wire: only the random kill may lose one
# after_kill WHAT ALLOWANCE: every historical answer served to the interrupted backfill so far is
# held (lake or spool), but for those lost before and at most ALLOWANCE more at this kill.
after_kill() {
  local served held lost
  served=$(($(hist_served) - REF_SERVED))
  held="$(hist_held "$INT_LAKE" "$INT_SPOOL")"
  lost=$((served - held))
  note "$1: killed; $served historical answers served to it so far, $held held" \
    "(lake + spool; $(spool_files "$INT_SPOOL") spool files)"
  [ "$lost" -ge "$LOST" ] || fail "$1: more historical objects held ($held) than served ($served)"
  [ $((lost - LOST)) -le "$2" ] ||
    fail "$1: $((lost - LOST)) historical answers served by this run were lost; at most $2 may be"
  LOST="$lost"
}

# 1. A real kill -9 at a random moment: once 1 to 4 historical answers were served, 0-150 ms on.
target=$((REF_SERVED + 1 + RANDOM % 4))
run_start "${INT_ARGS[@]}"
for _ in $(seq 1 600); do
  [ "$(hist_served)" -ge "$target" ] && break
  run_assert_alive "before the random kill (it has work left)"
  sleep 0.02
done
rand_sleep 0 150
run_kill
after_kill "kill -9 at random" 1

# 2. Each crash point, on a hit that lands on the history (not the key info or the map).
for at in after_spool:2 after_lake_put:7 mid_load:3 after_load_commit:4; do
  run_start COINLAKE_CRASH_AT="$at" "${INT_ARGS[@]}"
  run_expect_crash_point "$at" 60
  after_kill "COINLAKE_CRASH_AT=$at" 0
done

# 3. The last run, clean: it finishes what is missing.
rc=0
"$BIN" "${BACKFILL[@]}" --database-url "$INT_DB_URL" --lake-url "file://$INT_LAKE" \
  --spool-dir "$INT_SPOOL" >>"$WORK/run.log" 2>&1 || rc=$?
RUNS=$((RUNS + 1))
[ "$rc" = 0 ] || fail "the final backfill exited with status $rc"
INT_SERVED=$(($(hist_served) - REF_SERVED))

# --- the judgement -------------------------------------------------------------------------------
# table_md5 URL SQL: md5 of the rows in order, one text line each.
table_md5() {
  psql -qAt "$1" -v ON_ERROR_STOP=1 -c "SELECT count(*) || ' ' || coalesce(md5(string_agg(r, E'\n' ORDER BY r)), '-') FROM ($2) AS t(r)"
}
HIST="(key LIKE 'raw/cmc/%\\_historical/%')"
declare -A CHECKS=(
  # Every column but snapshot_ts: a historical quote's snapshot_ts is its answer's
  # status.timestamp, the moment the simulator answered (ts is the quote's own time). The lake
  # object is compared by its key (the request's, the same in both runs), not its ledger id.
  [quotes]="SELECT (q.cmc_id, q.quote_currency, q.ts, q.cmc_rank, q.price, q.volume_24h, q.volume_change_24h, q.market_cap, q.market_cap_dominance, q.fully_diluted_market_cap, q.percent_change_1h, q.percent_change_24h, q.percent_change_7d, q.percent_change_30d, q.percent_change_60d, q.percent_change_90d, q.circulating_supply, q.total_supply, q.max_supply, q.num_market_pairs, l.key)::text FROM quotes q JOIN lake_objects l ON l.id = q.lake_object_id"
  [candles_hourly]="SELECT c::text FROM candles_hourly c"
  [candles_daily]="SELECT c::text FROM candles_daily c"
  [global_metrics]="SELECT g::text FROM global_metrics g"
  # The history's objects (the key info and map a run fetches are keyed by their own time):
  # key, endpoint, data time, rows. Not sha256 and size: an answer's bytes hold its
  # status.timestamp, so each run's differ (each is checked against its lake's bytes below).
  [lake_objects]="SELECT concat_ws(' ', key, endpoint, data_ts, rows) FROM lake_objects WHERE $HIST"
)
mismatch=0
for table in quotes candles_hourly candles_daily global_metrics lake_objects; do
  ref="$(table_md5 "$REF_DB_URL" "${CHECKS[$table]}")"
  got="$(table_md5 "$INT_DB_URL" "${CHECKS[$table]}")"
  if [ "$ref" = "$got" ]; then
    note "  $table: same ${ref%% *} rows (md5 ${ref##* })"
  else
    note "  $table: DIFFERENT: reference ${ref}, interrupted ${got}"
    mismatch=1
  fi
  [ "${ref%% *}" -gt 0 ] || fail "$table: the reference loaded no rows; nothing was compared"
done
[ "$mismatch" = 0 ] || fail "the interrupted backfill's rows differ from the uninterrupted one's"
for url in "$REF_DB_URL" "$INT_DB_URL"; do
  n="$(psql -qAt "$url" -c "SELECT count(*) FROM candles_hourly WHERE source = 'cmc'")"
  [ "$n" -gt 0 ] || fail "no CMC bars (source cmc) in $url"
done

[ "$(spool_files "$INT_SPOOL")" = 0 ] || fail "the spool is not empty: $(find "$INT_SPOOL" -type f | head -5)"
[ "$(spool_files "$REF_SPOOL")" = 0 ] || fail "the reference's spool is not empty"
# The lake: the same historical keys as the reference's, no copy set aside, each one in the
# ledger with the sha256 of its bytes on disk.
hist_keys() { (cd "$1" && find raw -path '*_historical/*' -name '*.json.gz' | sort); }
hist_keys "$REF_LAKE" >"$WORK/ref_keys"
hist_keys "$INT_LAKE" >"$WORK/int_keys"
diff "$WORK/ref_keys" "$WORK/int_keys" >&2 || fail "the lakes hold different historical keys"
aside="$(find "$INT_LAKE" -path '*quarantine/*_historical*' -type f)"
[ -z "$aside" ] || fail "the lake set historical objects aside: $aside"
psql -qAt "$INT_DB_URL" -c "SELECT key || ' ' || sha256 FROM lake_objects WHERE $HIST ORDER BY key" >"$WORK/ledger"
(cd "$INT_LAKE" && while read -r key; do echo "$key $(sha256sum <"$key" | cut -c1-64)"; done <"$WORK/int_keys") >"$WORK/lake_sha"
diff "$WORK/ledger" "$WORK/lake_sha" >&2 || fail "the ledger and the lake's bytes disagree"
KEYS="$(wc -l <"$WORK/int_keys")"

# The API: the reference's answers again, plus the one lost on the wire at the random kill, if
# it was (then asked again); no other.
EXTRA=$((INT_SERVED - REF_SERVED))
[ "$EXTRA" = "$LOST" ] ||
  fail "the interrupted backfill asked for $EXTRA historical answers more than the reference; $LOST were lost at the random kill"
ROWS="$(psql -qAt "$INT_DB_URL" -c "SELECT count(*) FROM quotes")"
echo "PASS: backfill of $CALLS calls ($KEYS historical objects with the probes, $ROWS quote rows):" \
  "runs=$RUNS kills=$KILLS crash_point_deaths=$CRASH_POINT_DEATHS;" \
  "historical answers served: reference $REF_SERVED, interrupted $INT_SERVED" \
  "(+$EXTRA: lost on the wire at the random kill, at most 1 allowed; the crash points +0);" \
  "quotes, candles_hourly, candles_daily, global_metrics, lake_objects identical; spool empty"
