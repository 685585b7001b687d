# DuckDB for the analytics check (tests/analytics): installed from npm with `npm ci`.
# Sourced after lib.sh.

analytics_prepare() {
  npm_ci "$REPO_ROOT/tests/analytics" "DuckDB for the analytics check"
}
