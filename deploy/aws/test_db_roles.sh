#!/usr/bin/env bash
# The AWS template's database roles, for real (ctest deploy_aws_db_roles, label integration).
# A private PostgreSQL 15 stands in for RDS: a master user with CREATEROLE and CREATEDB but no
# superuser, owning the database, and an rds_iam group. Then what the ETL host does in a
# migration window, twice (idempotent): lib/db-roles.sql as the master, `coinlake migrate` as
# coinlake_migrator. Then the steady state: coinlake_etl loads a lake object, coinlake_web reads
# it and cannot write, neither can create, drop or empty a table, the migrator owns every table
# and cannot create roles, and the three logins have no password and are in rds_iam. (IAM tokens
# themselves: tests/integration/iam_auth.sh; who may sign in as whom: test/stack.test.js.)
# Usage: test_db_roles.sh COINLAKE_BINARY FIXTURES_DIR
set -euo pipefail
COINLAKE="$1"
FIXTURES="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }

WORK="$(mktemp -d)"
export COINLAKE_RUN_DIR="$WORK/run"
# Roles are cluster-wide, so this test has a cluster of its own, on a port of its own (below the
# ephemeral range, apart from the other tests' ranges: see tests/integration/ssl_verify_full.sh).
export COINLAKE_PG_PORT="${COINLAKE_PG_PORT:-$((16000 + $$ % 1000))}"
source "$HERE/../../scripts/lib.sh"
trap 'cleanup_started; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
pg_start roles-pg off
as() { psql -X -q -v ON_ERROR_STOP=1 -tA "postgresql://$1@127.0.0.1:$PG_PORT/coinlake" "${@:2}"; }
# refused ROLE SQL: the statement must fail with a permission error.
refused() {
  local out
  if out="$(as "$1" -c "$2" 2>&1)"; then fail "$1 may run: $2"; fi
  grep -qE 'permission denied|must be owner' <<<"$out" || fail "$1: '$2' failed, but not for want of rights: $out"
}

psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" <<'SQL'
CREATE ROLE rds_iam NOLOGIN;
CREATE ROLE coinlake_admin LOGIN CREATEROLE CREATEDB;
CREATE DATABASE coinlake OWNER coinlake_admin;
SQL

migrate() {
  as coinlake_admin -f "$HERE/lib/db-roles.sql" >/dev/null || fail "db-roles.sql as the RDS master failed"
  COINLAKE_DATABASE_URL="postgresql://coinlake_migrator@127.0.0.1:$PG_PORT/coinlake" \
    "$COINLAKE" migrate --log-level warn >"$WORK/out" 2>&1 ||
    { cat "$WORK/out" >&2; fail "coinlake migrate as coinlake_migrator failed ($1)"; }
}
migrate "first window"
migrate "second window, over the existing schema"
echo "roles and schema made by the master and the migrator, twice"

one_object_lake "$WORK/lake" "$FIXTURES"
COINLAKE_DATABASE_URL="postgresql://coinlake_etl@127.0.0.1:$PG_PORT/coinlake" COINLAKE_LAKE_URL="$WORK/lake" \
  "$COINLAKE" reprocess --log-level warn >"$WORK/out" 2>&1 ||
  { cat "$WORK/out" >&2; fail "coinlake_etl could not load the lake into the migrator's schema"; }
[ "$(as coinlake_web -c 'SELECT count(*) FROM quotes')" = 100 ] || fail "coinlake_web does not read the 100 quotes"
echo "coinlake_etl loads, coinlake_web reads"

for role in coinlake_etl coinlake_web; do
  refused "$role" 'CREATE TABLE intruder (x int)'
  refused "$role" 'DROP TABLE quotes'
  refused "$role" 'TRUNCATE quotes'
  refused "$role" 'ALTER TABLE quotes ADD COLUMN intruder int'
done
refused coinlake_web 'DELETE FROM quotes'
refused coinlake_web "UPDATE runs SET outcome = 'failed'"
refused coinlake_migrator 'CREATE ROLE intruder LOGIN'
echo "neither application login can change the schema; the migrator cannot make roles"

[ "$(as coinlake_admin -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'coinlake_migrator'")" = 0 ] ||
  fail "a table is not owned by coinlake_migrator"
[ "$(psql -X -tA "$PG_ADMIN_URL" -c "SELECT count(*) FROM pg_authid WHERE rolname IN ('coinlake_migrator', 'coinlake_etl', 'coinlake_web') AND rolpassword IS NULL AND rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb AND pg_has_role(oid, 'rds_iam', 'MEMBER')")" = 3 ] ||
  fail "the three logins must have no password, no privilege attribute, and be in rds_iam"
echo "PASS"
