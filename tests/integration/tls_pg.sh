# shellcheck shell=bash
# Sourced by the integration tests that need PostgreSQL over TLS as on RDS (ssl_verify_full.sh,
# iam_auth.sh). Needs scripts/lib.sh sourced first, COINLAKE_RUN_DIR set and WORK (a private
# directory the test removes at exit).
#
# tls_pg_start NAME TCP_AUTH [EXTRA_SERVER_OPTIONS]
#   Makes a test CA, an unrelated CA and a server certificate for "localhost" (SAN DNS:localhost)
#   signed by the first, then starts a private PostgreSQL with ssl=on whose pg_hba.conf admits
#   the Unix socket (trust, for the test's own admin work) and TCP over TLS only, with TCP_AUTH
#   (trust, or scram-sha-256 to check passwords). Sets:
#     TLS_CERTS      the folder with ca.crt and other-ca.crt
#     TLS_PG_DATA    the data directory (its postgresql.log is in the parent folder)
#     TLS_PG_SOCKET  the Unix socket folder
#     PG_PORT        the TCP port (127.0.0.1 only)

tls_pg_start() {
  local name="$1" auth="$2" extra="${3:-}"
  command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"
  chmod 755 "$WORK"  # the server runs as the postgres user and reads its certificate here
  TLS_CERTS="$WORK/certs"
  mkdir -p "$TLS_CERTS"
  local c="$TLS_CERTS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=coinlake test CA" \
    -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=coinlake other CA" \
    -keyout "$c/other-ca.key" -out "$c/other-ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$c/server.key" -out "$c/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\n' >"$c/san.ext"
  openssl x509 -req -in "$c/server.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" \
    -CAcreateserial -days 2 -extfile "$c/san.ext" -out "$c/server.crt" 2>/dev/null
  chmod 600 "$c/server.key"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$c/server.key" "$c/server.crt"; fi

  pg_start "$name" off "-c ssl=on -c ssl_cert_file=$c/server.crt -c ssl_key_file=$c/server.key $extra"
  TLS_PG_DATA="${STARTED_PG_DATA[-1]}"
  TLS_PG_SOCKET="$(dirname "$TLS_PG_DATA")"
  printf 'local all all trust\nhostssl all all 127.0.0.1/32 %s\n' "$auth" >"$TLS_PG_DATA/pg_hba.conf"
  psql -q -h "$TLS_PG_SOCKET" -p "$PG_PORT" -U postgres -d postgres \
    -c "SELECT pg_reload_conf()" >/dev/null
  # pg_reload_conf() only signals the postmaster: wait until a plain TCP connection is refused,
  # which is also the proof that the tests below talk TLS.
  for _ in $(seq 50); do
    psql -tA "postgresql://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable" -c 'SELECT 1' \
      >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  die "the server still accepts connections without TLS: the test would prove nothing"
}
