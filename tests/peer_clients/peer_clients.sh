#!/usr/bin/env bash
# Peer client test (ctest, label integration): starts `coinlake sim` on a free port and runs
# peer_clients.js, the npm CMC clients against it.
# Usage: peer_clients.sh COINLAKE_BINARY   (needs `npm ci` in tests/peer_clients: scripts/test)
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -d "$HERE/node_modules/coinmarketcap-api" ] || fail "the npm clients are not installed: run scripts/test (npm ci in tests/peer_clients)"

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$COINLAKE" sim --port 0 --coins 300 >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/.*"url":"\(http:[^"]*\)".*/\1/p' "$WORK/sim.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || fail "coinlake sim exited: $(cat "$WORK/sim.log")"
  sleep 0.1
done
[ -n "$url" ] || fail "coinlake sim did not say where it listens"
timeout 60 node "$HERE/peer_clients.js" "$url" || fail "the peer clients failed against the sim"
