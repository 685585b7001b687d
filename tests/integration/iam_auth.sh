#!/usr/bin/env bash
# IAM database authentication without AWS (ctest, label integration): starts a private
# PostgreSQL that accepts TCP over TLS only (a certificate for "localhost" from a test CA,
# tls_pg.sh) and checks passwords (scram-sha-256), then
# - runs the gtest binary src/warehouse/iam_auth_test.cc against it (fixed clock and credentials:
#   tokens are known in advance and set as the role's password);
# - checks the coinlake binary's switch: COINLAKE_DATABASE_IAM_AUTH=1 refuses a URL that does not
#   verify the server (exit 2, a clear message), =0 turns it off, and a token the server does not
#   know fails the sign-in without the token appearing in any output.
# Usage: iam_auth.sh IAM_AUTH_TEST_BINARY COINLAKE_BINARY
set -euo pipefail
TEST_BINARY="$1"
COINLAKE="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }

WORK="$(mktemp -d)"
export COINLAKE_RUN_DIR="$WORK/run"
# Its own PostgreSQL port, below the ephemeral range (32768+, where a client socket can hold
# a free-looking port) and above the crash tests' 21000-29999: tests that all started from
# 55432 raced for the same free port.
export COINLAKE_PG_PORT="${COINLAKE_PG_PORT:-$((30000 + $$ % 2700))}"
source "$(dirname "$0")/../../scripts/lib.sh"
source "$(dirname "$0")/tls_pg.sh"
trap 'cleanup_started; rm -rf "$WORK"' EXIT

tls_pg_start iam-pg scram-sha-256 "-c password_encryption=scram-sha-256"

export COINLAKE_TEST_DATABASE_URL="postgresql://postgres@/postgres?host=$TLS_PG_SOCKET&port=$PG_PORT"
export COINLAKE_TEST_IAM_HOSTPORT="localhost:$PG_PORT"
export COINLAKE_TEST_IAM_CA_DIR="$TLS_CERTS"
"$TEST_BINARY" --gtest_brief=1 || fail "iam_auth_test failed"

psql -q -h "$TLS_PG_SOCKET" -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE ROLE coinlake_etl LOGIN PASSWORD 'not-a-token'" >/dev/null
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=iam-auth-test-secret AWS_REGION=eu-west-3
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PGPASSFILE=/dev/null  # no password from anywhere but a token
URL="postgresql://coinlake_etl@localhost:$PG_PORT/postgres"
VERIFY="sslmode=verify-full&sslrootcert=$TLS_CERTS/ca.crt"

for sslmode in prefer require; do
  echo "COINLAKE_DATABASE_IAM_AUTH=1 with sslmode=$sslmode: refused before connecting"
  STATUS=0
  COINLAKE_DATABASE_IAM_AUTH=1 "$COINLAKE" migrate --database-url "$URL?sslmode=$sslmode" \
    >"$WORK/out" 2>&1 || STATUS=$?
  [ "$STATUS" = 2 ] || { cat "$WORK/out" >&2; fail "expected exit 2, got $STATUS"; }
  grep -q "sslmode=verify-full" "$WORK/out" ||
    { cat "$WORK/out" >&2; fail "the refusal does not name sslmode"; }
done

echo "COINLAKE_DATABASE_IAM_AUTH=0: off (the URL goes to the server as it is)"
STATUS=0
COINLAKE_DATABASE_IAM_AUTH=0 "$COINLAKE" migrate --database-url "$URL?sslmode=require" \
  >"$WORK/out" 2>&1 || STATUS=$?
[ "$STATUS" != 0 ] || { cat "$WORK/out" >&2; fail "signed in without a password"; }
grep -q "no password supplied" "$WORK/out" ||
  { cat "$WORK/out" >&2; fail "expected libpq to find no password (IAM auth was on with =0?)"; }

echo "--database-iam-auth with a token the server does not know: refused, token never shown"
STATUS=0
"$COINLAKE" migrate --database-iam-auth --database-url "$URL?$VERIFY" >"$WORK/out" 2>&1 || STATUS=$?
[ "$STATUS" != 0 ] || { cat "$WORK/out" >&2; fail "an unknown token signed in"; }
grep -q "password authentication failed" "$WORK/out" ||
  { cat "$WORK/out" >&2; fail "expected the server to refuse the password"; }
! grep -q "X-Amz" "$WORK/out" || { cat "$WORK/out" >&2; fail "the token appears in the output"; }
echo "PASS"
