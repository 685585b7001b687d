# The three Parquet readers that check coinlake's Parquet writer (tests/parquet): DuckDB,
# parquet-wasm (+ apache-arrow), hyparquet (+ hyparquet-compressors), installed with `npm ci`.
# Sourced after lib.sh.

parquet_readers_prepare() {
  npm_ci "$REPO_ROOT/tests/parquet" "the Parquet readers for the Parquet writer check"
}
