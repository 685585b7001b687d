#!/usr/bin/env bash
# Parquet readers check (ctest, label integration): coinlake's Parquet writer
# (src/parquet/parquet_write_tool) writes the hand-made tables and random tables from SEEDS
# seeds, each with the values and statistics it must hold; DuckDB, parquet-wasm (arrow-rs) and
# hyparquet must each read every file back with the same schema, values, nulls and statistics.
# Usage: parquet_readers_check.sh PARQUET_WRITE_TOOL [SEEDS]   (SEEDS: 20; seed N is table N)
set -euo pipefail
TOOL="$1"
SEEDS="${2:-20}"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

for m in @duckdb/node-api parquet-wasm hyparquet hyparquet-compressors apache-arrow; do
  [ -d "$HERE/node_modules/$m" ] || fail "$m is not installed: run scripts/test (npm ci in tests/parquet)"
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$TOOL" "$WORK" --fixed
for seed in $(seq 1 "$SEEDS"); do "$TOOL" "$WORK" --seed "$seed"; done
node "$HERE/read_parquet.mjs" --check "$WORK"
