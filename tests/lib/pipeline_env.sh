# Sourced by the shell tests that run coinlake on a database and a lake of their own
# (tests/analytics, tests/parquet). Needs COINLAKE (the binary) and fail() from the caller.
#
#   pipeline_env NAME        a fresh database NAME_<pid> on scripts/test's server, a lake and a
#                            spool in $WORK (a temporary folder); all of it removed at exit
#   start_sim PORT ARGS...   `coinlake sim ARGS` on the first free port from PORT, with the
#                            environment in the array SIM_ENV (e.g. libfaketime's); sets
#                            COINLAKE_CMC_URL
#   stop_sim

pipeline_env() {
  [ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || fail "COINLAKE_TEST_DATABASE_URL is not set: run scripts/test"
  command -v psql >/dev/null || fail "psql is missing"
  WORK="$(mktemp -d)"
  DB="coinlake_$1_$$"
  SIM_PID=""
  SIM_ENV=()
  trap pipeline_env_cleanup EXIT
  psql -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
  export COINLAKE_DATABASE_URL="${COINLAKE_TEST_DATABASE_URL%/*}/$DB"
  LAKE="$WORK/lake"
  export COINLAKE_LAKE_URL="file://$LAKE" COINLAKE_SPOOL_DIR="$WORK/spool"
  export CMC_API_KEY="$1-check-key" COINLAKE_LOG_LEVEL=warn
}

pipeline_env_cleanup() {
  stop_sim
  psql -q "$COINLAKE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

start_sim() {
  local port=$1
  shift
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  env "${SIM_ENV[@]}" "$COINLAKE" sim --port "$port" "$@" >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export COINLAKE_CMC_URL="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  fail "the simulator does not listen on port $port: $(tail -3 "$WORK/sim.log")"
}

stop_sim() {
  if [ -n "${SIM_PID:-}" ]; then kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; fi
  SIM_PID=""
  return 0
}
