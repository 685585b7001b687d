#!/usr/bin/env bash
# Compaction benchmark (docs/benchmarks.md, "Compaction (Parquet)"), issue #24's goals, in one
# run on one deterministic lake of DAYS x COINS x SNAPSHOTS listings rows (default 7 x 5000 x 288
# = 10,080,000 quote rows, one snapshot every 5 minutes; plus one global metrics response per
# snapshot), written by bench/make_compact_lake.mjs (two days side by side) and kept under
# .run/bench-compact/ for the next run:
#   baseline: DuckDB's own conversion of the same raw objects (bench/compact_duckdb.mjs convert:
#             read_json of each day's gzip'd responses with the schema given, unnest, the curated
#             columns and types, ORDER BY cmc_id, quote_currency, snapshot_ts, COPY TO one Parquet
#             file per table and day, ZSTD);
#   coinlake: `coinlake compact` over the lake, curated/ removed before each run.
# Interleaved: baseline, coinlake, coinlake, baseline; each under /usr/bin/time -v. Prints the
# rows/s of each (quote rows over the process's wall time, global metrics included in both),
# the ratio (goal: coinlake >= 2x), the Parquet bytes of each and the ratio (goal: coinlake <=
# DuckDB), compact's peak RSS (goal: < 200 MB), the median time of DuckDB queries over
# coinlake's Parquet and over DuckDB's (goal: coinlake's <= 1.2x), whether both answered the
# same, whether both sets of files hold the same rows (count and sum of the rows' hashes, column
# by column in the contract's order), the files' layout, and the CPU.
#
# Usage: bench/compact_bench.sh [DAYS=7] [COINS=5000] [SNAPSHOTS_PER_DAY=288] [QUERY_ROUNDS=7]
#        bench/compact_bench.sh 2 500 24      # a quick check
# COINLAKE_BIN=path/to/coinlake uses that binary instead of building the release preset.
# DuckDB comes from tests/analytics (npm ci there, as scripts/test does).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

DAYS="${1:-7}"
COINS="${2:-5000}"
SNAPS="${3:-288}"
ROUNDS="${4:-7}"
ensure_packages time bc
npm_ci "$REPO_ROOT/tests/analytics" "DuckDB for the compaction benchmark"
bench_binary
[ -x "$COINLAKE_BIN" ] || die "no coinlake binary at $COINLAKE_BIN"
"$COINLAKE_BIN" compact --help >/dev/null 2>&1 || die "$COINLAKE_BIN has no compact command"
DUCK=(node "$REPO_ROOT/bench/compact_duckdb.mjs")

WORK="$RUN_DIR/bench-compact"
LAKE="$WORK/lake-${DAYS}x${COINS}x${SNAPS}"
OUT="$WORK/duckdb-out"
mkdir -p "$WORK"
DAY_LIST=()
for d in $(seq 0 $((DAYS - 1))); do DAY_LIST+=("$(date -u -d "2026-01-01 + $d days" +%F)"); done
if [ ! -f "$LAKE/.complete" ]; then
  say "generating the lake: $DAYS days x $COINS coins x $SNAPS snapshots in $LAKE"
  rm -rf "$LAKE"
  t0=$(date +%s.%N)
  seq 0 $((DAYS - 1)) | xargs -P 2 -I{} node "$REPO_ROOT/bench/make_compact_lake.mjs" "$LAKE" {} "$COINS" "$SNAPS"
  printf 'generated in %.0f s\n' "$(echo "$(date +%s.%N) - $t0" | bc -l)" >&2
  touch "$LAKE/.complete"
fi
ROWS=$((DAYS * COINS * SNAPS))

# timed NAME COMMAND...: runs it under /usr/bin/time -v; appends "NAME seconds rss_kb" to results.
: >"$WORK/results.txt"
timed() {
  local name="$1" t0 t1
  shift
  sync
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time-$name.txt" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
    { tail -5 "$WORK/$name.err" >&2; die "$name failed"; }
  t1=$(date +%s.%N)
  echo "$name $(echo "$t1 - $t0" | bc -l) $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time-$name.txt")" >>"$WORK/results.txt"
}
baseline() {
  rm -rf "$OUT"
  say "DuckDB conversion ($1)"
  timed "duckdb-$1" "${DUCK[@]}" convert "$LAKE" "$OUT" "${DAY_LIST[@]}"
  local n
  n=$("${DUCK[@]}" count "$OUT/quotes/*/*.parquet")
  [ "$n" = "$ROWS" ] || die "DuckDB wrote $n quote rows, expected $ROWS"
}
coinlake() {
  rm -rf "$LAKE/curated"
  say "coinlake compact ($1)"
  timed "coinlake-$1" env COINLAKE_LAKE_URL="file://$LAKE" COINLAKE_LOG_LEVEL=warn "$COINLAKE_BIN" compact
  local files n
  files=$(find "$LAKE/curated/quotes" -name '*.parquet' | wc -l)
  [ "$files" = "$DAYS" ] || die "coinlake compact wrote $files quotes files, expected one per day ($DAYS)"
  n=$("${DUCK[@]}" count "$LAKE/curated/quotes/*/*.parquet")
  [ "$n" = "$ROWS" ] || die "coinlake compact wrote $n quote rows, expected $ROWS"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
baseline 1
coinlake 1
coinlake 2
baseline 2
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

bytes() { find "$1" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
B_COINLAKE=$(bytes "$LAKE/curated")
B_DUCKDB=$(bytes "$OUT")
B_RAW=$(find "$LAKE/raw" -name '*.json.gz' -printf '%s\n' | awk '{s += $1} END {print s + 0}')

say "queries ($ROUNDS rounds each, alternating; A = coinlake's Parquet, B = DuckDB's)"
MID_DAY="${DAY_LIST[$((DAYS / 2))]}"
"${DUCK[@]}" query "$LAKE/curated/quotes/*/*.parquet" "$OUT/quotes/*/*.parquet" "$MID_DAY" "$ROUNDS" \
  "$(((COINS + 1) / 2))" \
  >"$WORK/queries.txt"

# The figures.
field() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$WORK/results.txt"; }
mean() { echo "($1 + $2) / 2" | bc -l; }
T_D=$(mean "$(field duckdb-1 2)" "$(field duckdb-2 2)")
T_C=$(mean "$(field coinlake-1 2)" "$(field coinlake-2 2)")
R_D=$(echo "$ROWS / $T_D" | bc -l)
R_C=$(echo "$ROWS / $T_C" | bc -l)
RSS_C=$(printf '%s\n%s\n' "$(field coinlake-1 3)" "$(field coinlake-2 3)" | sort -n | tail -1)
RSS_D=$(printf '%s\n%s\n' "$(field duckdb-1 3)" "$(field duckdb-2 3)" | sort -n | tail -1)
echo
echo "CPU: $(cpu_model) ($(nproc) cores); load average $LOAD_BEFORE before, $LOAD_AFTER after"
echo "binary: $COINLAKE_BIN ($(git -C "$REPO_ROOT" rev-parse --short HEAD)); DuckDB $(node -p "require('$REPO_ROOT/tests/analytics/node_modules/@duckdb/node-api/package.json').version")"
printf 'lake: %s days x %s coins x %s snapshots = %s quote rows (+ %s global metrics rows), %s raw gzip bytes (%.0f MB)\n' \
  "$DAYS" "$COINS" "$SNAPS" "$ROWS" "$((DAYS * SNAPS))" "$B_RAW" "$(echo "$B_RAW / 1048576" | bc -l)"
awk '{printf "  %-11s %8.2f s %10.0f rows/s  peak RSS %6.1f MB\n", $1, $2, '"$ROWS"' / $2, $3 / 1024}' "$WORK/results.txt"
printf '%-38s %8.2f s %10.0f rows/s  peak RSS %6.1f MB\n' "DuckDB read_json -> Parquet (mean)" "$T_D" "$R_D" "$(echo "$RSS_D / 1024" | bc -l)"
printf '%-38s %8.2f s %10.0f rows/s  peak RSS %6.1f MB\n' "coinlake compact (mean)" "$T_C" "$R_C" "$(echo "$RSS_C / 1024" | bc -l)"
printf 'throughput coinlake / DuckDB: %.2fx (goal >= 2x)\n' "$(echo "$R_C / $R_D" | bc -l)"
printf 'Parquet bytes: coinlake %s (%.1f MB), DuckDB %s (%.1f MB), coinlake / DuckDB %.3f (goal <= 1)\n' \
  "$B_COINLAKE" "$(echo "$B_COINLAKE / 1048576" | bc -l)" "$B_DUCKDB" "$(echo "$B_DUCKDB / 1048576" | bc -l)" \
  "$(echo "$B_COINLAKE / $B_DUCKDB" | bc -l)"
printf 'compact peak RSS: %.1f MB (goal < 200 MB)\n' "$(echo "$RSS_C / 1024" | bc -l)"
echo "layout coinlake: $("${DUCK[@]}" layout "$LAKE/curated/quotes/*/*.parquet")"
echo "layout DuckDB:   $("${DUCK[@]}" layout "$OUT/quotes/*/*.parquet")"
echo "DuckDB queries, median of $ROUNDS (day $MID_DAY for the movers):"
node -e '
for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
  const q = JSON.parse(l);
  console.log(`  ${q.query.padEnd(20)} coinlake ${q.a_ms.toFixed(1).padStart(8)} ms  DuckDB ${q.b_ms.toFixed(1).padStart(8)} ms  ratio ${(q.a_ms / q.b_ms).toFixed(2)} (goal <= 1.2)  same answer: ${q.same}`);
}' "$WORK/queries.txt"
for table in quotes global_metrics; do
  a=$("${DUCK[@]}" checksum "$LAKE/curated/$table/*/*.parquet" 2>&1 | tail -1)
  b=$("${DUCK[@]}" checksum "$OUT/$table/*/*.parquet" 2>&1 | tail -1)
  if [ "$a" = "$b" ]; then echo "$table: the same rows in both (count and sum of row hashes: $a)"
  else echo "$table: the rows DIFFER: coinlake $a, DuckDB $b (bench/compact_duckdb.mjs diff names them)"; fi
done
grep -q '"same":false' "$WORK/queries.txt" && die "a query answered differently over the two sets of Parquet files"
exit 0
