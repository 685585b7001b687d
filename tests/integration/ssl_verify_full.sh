#!/usr/bin/env bash
# TLS to PostgreSQL as on RDS (ctest, label integration): starts a private PostgreSQL with
# ssl=on and a server certificate for "localhost" signed by a CA generated here with openssl,
# accepting TLS connections only. Then, with sslmode=verify-full and sslrootcert=<that CA>:
# `coinlake migrate` and a load (`coinlake reprocess` of a one-object lake) succeed, and the
# server log shows coinlake's sessions used TLS. With another CA, or a host name the
# certificate does not name, the connection is refused with a clear message and a non-zero exit.
# Usage: ssl_verify_full.sh COINLAKE_BINARY FIXTURES_DIR
set -euo pipefail
COINLAKE="$1"
FIXTURES="$2"
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

tls_pg_start ssl-pg trust "-c log_connections=on"
CERTS="$TLS_CERTS"
DATA="$TLS_PG_DATA"
psql -q -h "$TLS_PG_SOCKET" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE coinlake_ssl" >/dev/null

URL="postgresql://postgres@localhost:$PG_PORT/coinlake_ssl?sslmode=verify-full&sslrootcert=$CERTS/ca.crt"

LAKE="$WORK/lake"
one_object_lake "$LAKE" "$FIXTURES"

echo "verify-full with the right CA: migrate, reprocess"
COINLAKE_DATABASE_URL="$URL" "$COINLAKE" migrate --log-level warn >"$WORK/out" 2>&1 ||
  { cat "$WORK/out" >&2; fail "migrate over verify-full failed"; }
COINLAKE_DATABASE_URL="$URL" COINLAKE_LAKE_URL="$LAKE" "$COINLAKE" reprocess --log-level warn \
  >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "reprocess over verify-full failed"; }
ROWS=$(psql -tA "$URL" -c "SELECT count(*) FROM quotes")
[ "$ROWS" = 100 ] || fail "expected the fixture's 100 quotes, found $ROWS"
LOG="$(dirname "$DATA")/postgresql.log"
grep -q "application_name=coinlake SSL enabled" "$LOG" ||
  fail "no coinlake session over TLS in the server log ($LOG)"
! grep "application_name=coinlake" "$LOG" | grep -v "SSL enabled" | grep -q "connection authorized" ||
  fail "a coinlake session connected without TLS"

echo "verify-full with another CA: refused, clearly"
set +e
COINLAKE_DATABASE_URL="${URL/ca.crt/other-ca.crt}" "$COINLAKE" migrate >"$WORK/out" 2>&1
STATUS=$?
set -e
[ "$STATUS" != 0 ] || { cat "$WORK/out" >&2; fail "migrate with a wrong CA exited 0"; }
grep -q "certificate verify failed" "$WORK/out" ||
  { cat "$WORK/out" >&2; fail "the wrong-CA error does not say the certificate failed verification"; }

echo "verify-full to a host name the certificate does not name: refused, clearly"
set +e
COINLAKE_DATABASE_URL="${URL/@localhost:/@127.0.0.1:}" "$COINLAKE" migrate >"$WORK/out" 2>&1
STATUS=$?
set -e
[ "$STATUS" != 0 ] || { cat "$WORK/out" >&2; fail "migrate to 127.0.0.1 exited 0"; }
grep -q 'does not match host name' "$WORK/out" ||
  { cat "$WORK/out" >&2; fail "the host-name error does not say the name does not match"; }
echo "PASS"
