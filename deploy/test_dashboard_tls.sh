#!/usr/bin/env bash
# HTTPS in front of the dashboard, for real (ctest deploy_dashboard_tls, label integration).
# `coinlake serve` with basic auth on 127.0.0.1 over a migrated database; in front of it Caddy,
# started with coinlake-tls.service's own ExecStart and the shipped Caddyfile, in certificate-file
# mode with a CA and a certificate for "localhost" made here with openssl; both on 127.0.0.1.
# Checks, with curl: HTTPS with the right credentials answers /api/v1/health from the database;
# without credentials or with a wrong password it answers 401 and no data; plain HTTP to the
# HTTPS port gets no data, credentials or not; a client that trusts only the system CAs refuses
# the certificate (so the connection really is the test CA's TLS); another host name gets no
# data. And the Caddyfile's other mode and its misconfigurations: ACME makes a configuration that
# asks Let's Encrypt for the site's name over the HTTP challenge only; a mode without its
# settings, or an unknown or empty mode, makes Caddy refuse to start.
# Usage: test_dashboard_tls.sh COINLAKE_BINARY
set -euo pipefail
COINLAKE="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || fail "COINLAKE_TEST_DATABASE_URL is not set (scripts/test sets it)"
command -v caddy >/dev/null || fail "caddy is missing: scripts/test installs it (scripts/lib-deploy.sh)"
command -v openssl >/dev/null || fail "openssl is missing"

WORK="$(mktemp -d)"
export COINLAKE_RUN_DIR="$WORK/run"
source "$HERE/../scripts/lib.sh"
DB="coinlake_tls_$$"
psql -X -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
trap 'cleanup_started; psql -X -q "$COINLAKE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
export COINLAKE_DATABASE_URL="${COINLAKE_TEST_DATABASE_URL%/*}/$DB"
"$COINLAKE" migrate --log-level warn >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "migrate"; }

c="$WORK/certs"
mkdir "$c"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=coinlake test CA" \
  -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$c/server.key" -out "$c/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$c/san.ext"
openssl x509 -req -in "$c/server.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 2 \
  -extfile "$c/san.ext" -out "$c/server.crt" 2>/dev/null

# Ports of their own, below the ephemeral range and apart from the other tests' ranges.
UPSTREAM_PORT="$(free_port $((17000 + $$ % 800)))"
PASSWORD="$(openssl rand -hex 16)"
COINLAKE_HOST=127.0.0.1 COINLAKE_PORT="$UPSTREAM_PORT" COINLAKE_DASHBOARD_USER=viewer \
  COINLAKE_DASHBOARD_PASSWORD="$PASSWORD" start_bg "$COINLAKE" serve --log-level warn >"$WORK/serve.log" 2>&1
TLS_PORT="$(free_port $((UPSTREAM_PORT + 1)))"

# The unit's command line, with the repository's Caddyfile in place of the installed one.
exec_start="$(sed -n 's/^ExecStart=//p' "$HERE/systemd/coinlake-tls.service")"
[[ "$exec_start" == *" --config /usr/share/coinlake/Caddyfile "* ]] || fail "unexpected ExecStart: $exec_start"
read -ra caddy_cmd <<<"${exec_start/\/usr\/share\/coinlake\/Caddyfile/$HERE/caddy/Caddyfile}"
caddy_env=(XDG_DATA_HOME="$WORK/caddy" XDG_CONFIG_HOME="$WORK/caddy" HOME="$WORK"
  COINLAKE_TLS_SITE=localhost COINLAKE_TLS_MODE=files COINLAKE_TLS_CERT="$c/server.crt" COINLAKE_TLS_KEY="$c/server.key"
  COINLAKE_TLS_BIND=127.0.0.1 COINLAKE_TLS_PORT="$TLS_PORT" COINLAKE_UPSTREAM="127.0.0.1:$UPSTREAM_PORT")
env "${caddy_env[@]}" "${caddy_cmd[@]}" >"$WORK/caddy.log" 2>&1 &
STARTED_PIDS+=($!)

URL="https://localhost:$TLS_PORT/api/v1/health"
# request NAME CURL_ARGS...: the status code on stdout; the body in $WORK/NAME.
request() {
  local name="$1"
  shift
  curl -sS --max-time 10 -o "$WORK/$name" -w '%{http_code}' "$@" 2>"$WORK/$name.err" || true
}
for _ in $(seq 100); do
  [ "$(request ready --cacert "$c/ca.crt" -u "viewer:$PASSWORD" "$URL")" = 200 ] && break
  sleep 0.2
done
[ "$(request ok --cacert "$c/ca.crt" -u "viewer:$PASSWORD" -D "$WORK/ok.headers" "$URL")" = 200 ] || {
  cat "$WORK/caddy.log" "$WORK/serve.log" "$WORK/ok.err" >&2
  fail "HTTPS with the credentials does not answer 200"
}
grep -q '"database":"ok"' "$WORK/ok" || fail "the health answer did not come from the database: $(cat "$WORK/ok")"
! grep -qi '^alt-svc:' "$WORK/ok.headers" || fail "Caddy advertises HTTP/3, whose UDP port no firewall opens"
echo "HTTPS with the credentials: 200, from the database"

# no_data NAME WHAT: the answer NAME (none at all when curl gave up) holds no data.
no_data() {
  [ ! -e "$WORK/$1" ] || ! grep -q '"database"' "$WORK/$1" || fail "$2 received data: $(head -c 300 "$WORK/$1")"
}
[ "$(request anonymous --cacert "$c/ca.crt" -D "$WORK/anonymous.headers" "$URL")" = 401 ] ||
  fail "HTTPS without credentials is not refused with 401"
grep -qi '^WWW-Authenticate: Basic' "$WORK/anonymous.headers" || fail "no basic-auth challenge"
no_data anonymous "a request without credentials"
[ "$(request wrong --cacert "$c/ca.crt" -u "viewer:not-$PASSWORD" "$URL")" = 401 ] ||
  fail "a wrong password is not refused with 401"
no_data wrong "a wrong password"
echo "without credentials or with a wrong one: 401, no data"

for creds in "" "viewer:$PASSWORD"; do
  status="$(request plain ${creds:+-u "$creds"} "http://localhost:$TLS_PORT/api/v1/health")"
  [ "$status" != 200 ] || fail "plain HTTP to the HTTPS port answered 200"
  no_data plain "plain HTTP to the HTTPS port"
done
echo "plain HTTP to the HTTPS port: $status, no data"

request untrusted -u "viewer:$PASSWORD" "$URL" >/dev/null
grep -qi 'certificate' "$WORK/untrusted.err" || fail "a client with the system CAs only accepted the certificate"
no_data untrusted "a client that could not verify the certificate"
request otherhost --cacert "$c/ca.crt" -u "viewer:$PASSWORD" -H 'Host: attacker.example' "$URL" >/dev/null
no_data otherhost "a request for another host name"
echo "the certificate is the test CA's; another host name gets nothing"

adapt() { env "${caddy_env[@]}" "$@" caddy adapt --config "$HERE/caddy/Caddyfile" --adapter caddyfile 2>&1; }
acme="$(adapt COINLAKE_TLS_SITE=dashboard.example.com COINLAKE_TLS_MODE=acme COINLAKE_ACME_EMAIL=ops@example.com)" ||
  fail "the ACME mode does not adapt: $acme"
for want in '"subjects":["dashboard.example.com"]' '"tls-alpn":{"disabled":true}' '"email":"ops@example.com","module":"acme"'; do
  grep -qF "$want" <<<"$acme" || fail "the ACME configuration lacks $want: $acme"
done
for bad in "COINLAKE_TLS_MODE=" "COINLAKE_TLS_MODE=none" "COINLAKE_TLS_MODE=files COINLAKE_TLS_KEY=" \
  "COINLAKE_TLS_MODE=acme COINLAKE_ACME_EMAIL="; do
  # shellcheck disable=SC2086 # one word per setting
  ! adapt $bad >/dev/null || fail "Caddy accepts $bad: it must refuse to start"
done
echo "ACME mode asks for the site's name over HTTP-01 only; incomplete or unknown settings are refused"
echo "PASS"
