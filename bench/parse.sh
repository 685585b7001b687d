#!/usr/bin/env bash
# Parsing benchmark (docs/benchmarks.md, "Parsing"), in one run:
#   1. a deterministic 5000-coin listings payload, served by `coinlake sim --seed 42`
#   2. coinlake's parser (rows built) and simdjson's raw On-Demand walk over the same bytes
#      (bench/parse_bench.cc, Google Benchmark)
#   3. Python's stdlib json + flattening (bench/parse_python.py), the seed design's stack
# and prints MB/s, rows/s and the ratios.
#
# Usage: bench/parse.sh [COINS]        (default 5000)
# BUILD_DIR=build/<dir> uses an existing build dir (default: the release preset).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
trap cleanup_started EXIT

COINS="${1:-5000}"
ensure_packages python3 curl libbenchmark-dev
BUILD_DIR="${BUILD_DIR:-build/release}"
if [ "$BUILD_DIR" = build/release ]; then
  build release coinlake parse_bench
else
  cmake --build "$REPO_ROOT/$BUILD_DIR" -j"$(nproc)" --target coinlake --target parse_bench
fi
BIN="$REPO_ROOT/$BUILD_DIR"
COINLAKE="$BIN/src/app/coinlake"
[ -x "$COINLAKE" ] || COINLAKE="$BIN/coinlake"
PARSE_BENCH="$BIN/bench/parse_bench"
[ -x "$PARSE_BENCH" ] || PARSE_BENCH="$BIN/parse_bench"

WORK="$RUN_DIR/bench"
mkdir -p "$WORK"
PAYLOAD="$WORK/listings_${COINS}.json"
PORT=$(free_port 18502)
# One call of at most 25 credits: the free plan covers it.
say "generating $PAYLOAD from the sim (seed 42, $COINS coins, plan basic)"
start_bg "$COINLAKE" sim --port "$PORT" --seed 42 --coins "$COINS" --plan basic >/dev/null 2>&1
curl -sf --max-time 60 --retry 30 --retry-delay 1 --retry-connrefused -H 'X-CMC_PRO_API_KEY: bench' \
  "http://127.0.0.1:$PORT/v1/cryptocurrency/listings/latest?limit=$COINS" -o "$PAYLOAD"
cleanup_started
printf '%s bytes\n' "$(stat -c %s "$PAYLOAD")" >&2

say "coinlake parser and simdjson raw walk"
"$PARSE_BENCH" "$PAYLOAD" --benchmark_format=json --benchmark_out="$WORK/parse_bench.json" \
  --benchmark_out_format=json >/dev/null
say "python json + flatten"
python3 "$(dirname "$0")/parse_python.py" "$PAYLOAD" 5 >"$WORK/parse_python.json"

python3 - "$WORK/parse_bench.json" "$WORK/parse_python.json" <<'PY'
import json, sys
bench = {b["name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
py = json.load(open(sys.argv[2]))
ours, raw = bench["BM_CoinlakeParseListings"], bench["BM_SimdjsonRawWalk"]
mb = lambda b: b["bytes_per_second"] / 1e6
print(f"{'':28}{'MB/s':>10}{'rows/s':>14}")
print(f"{'coinlake ParseListings':28}{mb(ours):10.1f}{ours['items_per_second']:14,.0f}")
print(f"{'simdjson raw walk':28}{mb(raw):10.1f}{raw['items_per_second']:14,.0f}")
print(f"{'python json + flatten':28}{py['mb_per_s']:10.1f}{py['rows_per_s']:14,.0f}")
print(f"coinlake / python:       {mb(ours) / py['mb_per_s']:.1f}x   (goal >= 20x)")
print(f"simdjson raw / coinlake: {mb(raw) / mb(ours):.2f}x  (goal <= 2x)")
PY
