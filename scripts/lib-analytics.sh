# DuckDB for the analytics check (tests/analytics): installed from npm with `npm ci`.
# Sourced after lib.sh.

analytics_prepare() {
  local dir="$REPO_ROOT/tests/analytics"
  if [ ! -d "$dir/node_modules/@duckdb/node-api" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing DuckDB for the analytics check (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --silent) || die "npm ci in tests/analytics failed"
    touch "$dir/node_modules"
  fi
}
