# S3 test servers for scripts/test: the strict fake S3 (with fake IMDSv2 and container
# credentials) and s3rver 3.7.1. Sourced after lib.sh; s3_start exports the endpoints the tests
# read (COINLAKE_TEST_S3_ENDPOINT, COINLAKE_TEST_S3RVER_ENDPOINT). cleanup_started stops them.

S3_TEST_DIR="$REPO_ROOT/tests/s3"

# Waits until 127.0.0.1:PORT accepts connections (or dies naming WHAT).
wait_port() {
  local port="$1" what="$2"
  for _ in $(seq 1 100); do port_busy "$port" && return 0; sleep 0.1; done
  die "$what did not start on port $port"
}

s3_start() {
  npm_ci "$S3_TEST_DIR" "the S3 test servers"
  local fake_port s3rver_port
  fake_port="$(free_port 19100)"
  start_bg node "$S3_TEST_DIR/fake_s3.mjs" "$fake_port" >"$RUN_DIR/fake-s3.log" 2>&1
  wait_port "$fake_port" "the fake S3"
  s3rver_port="$(free_port $((fake_port + 1)))"
  rm -rf "$RUN_DIR/s3rver" && mkdir -p "$RUN_DIR/s3rver"
  # s3rver's continuation tokens use DES, which Node 20's OpenSSL 3 only has in its legacy provider.
  NODE_OPTIONS=--openssl-legacy-provider start_bg node "$S3_TEST_DIR/node_modules/.bin/s3rver" \
    -d "$RUN_DIR/s3rver" -a 127.0.0.1 -p "$s3rver_port" --silent --configure-bucket coinlake \
    >"$RUN_DIR/s3rver.log" 2>&1
  wait_port "$s3rver_port" "s3rver"
  export COINLAKE_TEST_S3_ENDPOINT="http://127.0.0.1:$fake_port"
  export COINLAKE_TEST_S3RVER_ENDPOINT="http://127.0.0.1:$s3rver_port"
}
