#!/usr/bin/env bash
# The README's first command, as a user runs it (ctest, label integration): `scripts/demo --smoke`
# with this build's binary and a private run folder. It starts PostgreSQL, the simulator, the
# ETL and the dashboard, and must see prices come through the API, the lake, the database and
# the dashboard, the health answer say ok and the page served. Its output is the test's log.
# Usage: demo_smoke.sh COINLAKE_BINARY
set -euo pipefail
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Its own PostgreSQL port, below the ephemeral range (32768+, where a client socket can hold a
# free-looking port) and apart from the other tests', so it never races one for a free port.
COINLAKE_BIN="$1" COINLAKE_RUN_DIR="$WORK/run" COINLAKE_INTERVAL=5 \
  COINLAKE_PG_PORT="$((30000 + $$ % 2700))" \
  "$(dirname "$0")/../../scripts/demo" --smoke
