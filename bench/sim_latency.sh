#!/usr/bin/env bash
# The sim's per-response latency over one keep-alive connection: curl asks
# /v2/cryptocurrency/quotes/latest?id=1,1027 REQUESTS times in one process (connections reused)
# and prints the median, p90 and max of curl's time_total, the connections opened and the
# HTTP statuses. Figures: docs/benchmarks.md ("Simulator response latency").
# Usage: bench/sim_latency.sh [REQUESTS=300]
# Needs a built coinlake (COINLAKE_BIN, default build/release/src/app/coinlake).
set -euo pipefail
REQUESTS="${1:-300}"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../scripts/lib.sh"
BIN="${COINLAKE_BIN:-$REPO_ROOT/build/release/src/app/coinlake}"
[ -x "$BIN" ] || die "no coinlake binary at $BIN (build it, or set COINLAKE_BIN)"
trap cleanup_started EXIT
PORT=$(free_port 18602)
# REQUESTS calls in well under a minute: no plan's minute limit covers that, so it is lifted.
say "sim on port $PORT: plan enterprise, --calls-per-minute 0 (unlimited)"
start_bg "$BIN" sim --port "$PORT" --coins 500 --plan enterprise --calls-per-minute 0 >/dev/null 2>&1
URL="http://127.0.0.1:$PORT/v2/cryptocurrency/quotes/latest?id=1,1027"
curl -sf --max-time 30 --retry 30 --retry-delay 1 --retry-connrefused -o /dev/null \
  -H 'X-CMC_PRO_API_KEY: bench' "$URL" || die "the sim did not answer"
args=()
for _ in $(seq "$REQUESTS"); do args+=(-o /dev/null "$URL"); done
OUT="$(mktemp)"
curl -s --max-time 120 -H 'X-CMC_PRO_API_KEY: bench' \
  -w '%{time_total} %{num_connects} %{http_code}\n' "${args[@]}" >"$OUT"
awk '{ print $1 * 1000 }' "$OUT" | sort -n | awk '{ v[NR] = $1 } END {
  printf "%d responses: median %.2f ms, p90 %.2f ms, max %.2f ms\n", NR, v[int((NR + 1) / 2)],
    v[int(NR * 0.9)], v[NR] }'
awk '{ c += $2; s[$3]++ } END { printf "connections opened: %d; statuses:", c
  for (k in s) printf " %s x%d", k, s[k]; print "" }' "$OUT"
echo "cpu: $(cpu_model), load: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$OUT"
