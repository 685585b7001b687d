#!/usr/bin/env bash
# Secret hygiene (ctest, label integration). With a recognisable CMC API key, AWS secret,
# database password, dashboard token and alert webhook secrets configured, runs sim, migrate,
# fetch, run (3 cycles, with an alert rule), serve, `alerts test`, and failures: an alert
# receiver that is down, a wrong API key (the sim answers 401/1001), a fetch beside the running
# `run` (refused: the run lock), a wrong AWS secret (the fake S3 answers SignatureDoesNotMatch),
# a database URL whose role does not exist, and a database
# that refuses connections. Then searches every log line (stdout and stderr of each process),
# every lake object (raw, quarantine, meta, curated; file and S3 lakes, gzip decoded), the spool
# folders (also while an outage kept objects there), a pg_dump of the database, the dashboard's
# API answers and /proc/<pid>/cmdline of each running process: no secret may appear anywhere.
# Usage: secret_hygiene.sh COINLAKE_BINARY
#   needs COINLAKE_TEST_DATABASE_URL and COINLAKE_TEST_S3_ENDPOINT (scripts/test starts both)
set -euo pipefail
COINLAKE="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -n "${COINLAKE_TEST_DATABASE_URL:-}" ] || fail "COINLAKE_TEST_DATABASE_URL is not set: run scripts/test"
[ -n "${COINLAKE_TEST_S3_ENDPOINT:-}" ] || fail "COINLAKE_TEST_S3_ENDPOINT is not set: run scripts/test (scripts/lib-s3.sh)"
command -v aws >/dev/null || fail "awscli is needed to read the S3 lake back (apt-get install awscli)"
command -v pg_dump >/dev/null || fail "pg_dump is needed (postgresql-client)"

WORK="$(mktemp -d)"
DB="coinlake_secrets_$$"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for d in "$DB" "${DB}_s3"; do
    psql -q "$COINLAKE_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

rand() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
CMC_KEY="SECRETCMCKEY-$(rand)"
WRONG_CMC_KEY="SECRETCMCWRONGKEY-$(rand)"
AWS_SECRET="coinlake-test-secret-0123456789"  # the fake S3's one valid secret for COINLAKETESTKEYID
WRONG_AWS_SECRET="SECRETAWSWRONG-$(rand)"
DB_PASSWORD="SECRETDBPASSWORD-$(rand)"
DASH_TOKEN="SECRETDASHTOKEN-$(rand)"
HOOK_SECRET="SECRETHOOKENV-$(rand)"       # an alert webhook's HMAC secret, from the environment
HOOK_FILE_SECRET="SECRETHOOKFILE-$(rand)" # ... and one from a file (`alerts test`)
SECRETS=("$CMC_KEY" "$WRONG_CMC_KEY" "$AWS_SECRET" "$WRONG_AWS_SECRET" "$DB_PASSWORD" "$DASH_TOKEN"
  "$HOOK_SECRET" "$HOOK_FILE_SECRET")

psql -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE $DB" >/dev/null
# The S3 lake gets a database of its own: one ledger per lake (the same second's snapshot differs
# between lakes fetched at different times).
psql -q "$COINLAKE_TEST_DATABASE_URL" -c "CREATE DATABASE ${DB}_s3" >/dev/null
# The test cluster trusts local connections, so the password is configured but not checked:
# what matters is where coinlake might copy the URL to.
base="${COINLAKE_TEST_DATABASE_URL%/*}"             # postgresql://postgres@127.0.0.1:PORT
hostport="${base#*@}"
DB_URL="postgresql://postgres:$DB_PASSWORD@$hostport/$DB"
S3_DB_URL="postgresql://postgres:$DB_PASSWORD@$hostport/${DB}_s3"
BAD_ROLE_URL="postgresql://nobody_$$:$DB_PASSWORD@$hostport/$DB?connect_timeout=3"
REFUSED_URL="postgresql://postgres:$DB_PASSWORD@127.0.0.1:1/$DB?connect_timeout=3"
mkdir -p "$WORK/logs" "$WORK/cmdline" "$WORK/api" "$WORK/snapshots"

export COINLAKE_DATABASE_URL="$DB_URL" COINLAKE_LAKE_URL="file://$WORK/lake"
export COINLAKE_SPOOL_DIR="$WORK/spool" COINLAKE_LISTINGS_LIMIT=50 COINLAKE_LOG_LEVEL=debug
export AWS_ACCESS_KEY_ID=COINLAKETESTKEYID AWS_SECRET_ACCESS_KEY="$AWS_SECRET" AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE CMC_API_KEY_FILE

free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}
wait_port() {
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  fail "nothing listens on port $1 ($2)"
}
# Runs coinlake with stdout and stderr kept apart under logs/NAME.{out,err}; returns its status.
cl() {
  local name="$1"; shift
  "$COINLAKE" "$@" >"$WORK/logs/$name.out" 2>"$WORK/logs/$name.err"
}
save_cmdline() { tr '\0' ' ' <"/proc/$2/cmdline" >"$WORK/cmdline/$1"; }

# The simulator accepts only the real key.
sim_port=$(free_port 19300)
CMC_API_KEY="$CMC_KEY" "$COINLAKE" sim --port "$sim_port" --coins 200 \
  >"$WORK/logs/sim.out" 2>"$WORK/logs/sim.err" &
PIDS+=($!); sim_pid=$!
wait_port "$sim_port" sim
save_cmdline sim "$sim_pid"
export COINLAKE_CMC_URL="http://127.0.0.1:$sim_port" CMC_API_KEY="$CMC_KEY"

cl migrate migrate || fail "migrate failed: $(cat "$WORK/logs/migrate.err")"
cl fetch fetch || fail "fetch failed: $(tail -3 "$WORK/logs/fetch.out")"
# Failures. A wrong API key: the sim answers 401 with error_code 1001, which is quarantined.
# (Before `run` starts: a fetch beside it is refused.)
CMC_API_KEY="$WRONG_CMC_KEY" cl bad_key fetch && fail "a fetch with a wrong API key succeeded"
grep -q '1001' "$WORK/logs/bad_key.out" || fail "the wrong-key fetch did not report 1001: $(tail -3 "$WORK/logs/bad_key.out")"

# An alert rule that fires on the first cycle, to a webhook nobody answers: the sender's retries
# log errors and write last_error, and the outbox keeps the signed bodies.
COINLAKE_HOOK_SECRET="$HOOK_SECRET" COINLAKE_INTERVAL=10 "$COINLAKE" run \
  --alert-webhook "ops: http://127.0.0.1:1/hook secret-env=COINLAKE_HOOK_SECRET" \
  --alert-rule "btc-any: price BTC above 0.0001" >"$WORK/logs/run.out" 2>"$WORK/logs/run.err" &
PIDS+=($!); run_pid=$!
save_cmdline run "$run_pid"

dash_port=$(free_port 19400)
COINLAKE_DASHBOARD_TOKEN="$DASH_TOKEN" "$COINLAKE" serve --host 127.0.0.1 --port "$dash_port" \
  >"$WORK/logs/serve.out" 2>"$WORK/logs/serve.err" &
PIDS+=($!); serve_pid=$!
wait_port "$dash_port" serve
save_cmdline serve "$serve_pid"

# A fetch beside the running `run` is refused (the run lock), its message naming the holder.
for _ in $(seq 1 100); do
  psql -qtA "$DB_URL" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'" | grep -qv '^0$' && break
  sleep 0.1
done
cl locked fetch && fail "a fetch beside a running run succeeded"
grep -q "run lock" "$WORK/logs/locked.err" || fail "the refused fetch did not name the run lock: $(cat "$WORK/logs/locked.err")"

# `alerts test` with the secret in a file, to a receiver that is down.
printf '%s\n' "$HOOK_FILE_SECRET" >"$WORK/hook.secret"
cl alerts_test --alert-webhook "ops: http://127.0.0.1:1/hook secret-file=$WORK/hook.secret" \
  alerts test ops && fail "alerts test to a closed port succeeded"
grep -q "Couldn't connect" "$WORK/logs/alerts_test.err" ||
  fail "alerts test did not report the refused connection: $(cat "$WORK/logs/alerts_test.err")"

# A wrong AWS secret: the fake S3 refuses the signature; the response waits in the spool.
s3_bucket="secrets$(rand)"
s3_lake="s3://$s3_bucket/lake?endpoint=$COINLAKE_TEST_S3_ENDPOINT&path_style=true"
COINLAKE_DATABASE_URL="$S3_DB_URL" cl migrate_s3 migrate || fail "migrate of the S3 database failed"
AWS_SECRET_ACCESS_KEY="$WRONG_AWS_SECRET" COINLAKE_LAKE_URL="$s3_lake" COINLAKE_DATABASE_URL="$S3_DB_URL" \
  COINLAKE_SPOOL_DIR="$WORK/spool-s3" cl bad_aws fetch && fail "a fetch with a wrong AWS secret succeeded"
grep -q 'SignatureDoesNotMatch\|403' "$WORK/logs/bad_aws.out" ||
  fail "the wrong-secret fetch did not report the S3 refusal: $(tail -3 "$WORK/logs/bad_aws.out")"
[ -n "$(ls -A "$WORK/spool-s3")" ] || fail "the S3 outage left nothing in the spool"
cp -r "$WORK/spool-s3" "$WORK/snapshots/spool-during-s3-outage"
# The right secret: the spool drains into the S3 lake.
COINLAKE_LAKE_URL="$s3_lake" COINLAKE_DATABASE_URL="$S3_DB_URL" COINLAKE_SPOOL_DIR="$WORK/spool-s3" cl good_aws fetch ||
  fail "the S3 fetch failed: $(tail -3 "$WORK/logs/good_aws.out")"

# A role that does not exist, and a database that refuses connections, password in the URL.
COINLAKE_DATABASE_URL="$BAD_ROLE_URL" cl bad_role fetch && fail "a fetch as a missing role succeeded"
COINLAKE_DATABASE_URL="$REFUSED_URL" cl refused fetch && fail "a fetch to port 1 succeeded"
COINLAKE_DATABASE_URL="$BAD_ROLE_URL" cl bad_role_serve serve --port "$(free_port 19500)" &&
  fail "serve as a missing role succeeded"
COINLAKE_DATABASE_URL="$REFUSED_URL" cl refused_migrate migrate && fail "migrate to port 1 succeeded"
grep -qi 'nobody_\|role\|connect' "$WORK/logs/bad_role.err" "$WORK/logs/bad_role.out" ||
  fail "the missing-role fetch said nothing useful"

# The dashboard's answers (pipeline status carries the runs' errors).
for path in health latest pipeline "series?ids=1" global; do
  curl -sf -H "Authorization: Bearer $DASH_TOKEN" "http://127.0.0.1:$dash_port/api/v1/$path" \
    >"$WORK/api/${path%%\?*}.json" || fail "GET /api/v1/$path failed"
done
curl -s "http://127.0.0.1:$dash_port/api/v1/health?token=wrong-$DASH_TOKEN" >"$WORK/api/denied.json"

# Three cycles of `run` (one at start, then every 10 s).
for _ in $(seq 1 300); do
  n=$(psql -qtA "$DB_URL" -c "SELECT count(*) FROM runs WHERE command = 'run' AND finished_at IS NOT NULL")
  [ "$n" -ge 3 ] && break
  sleep 0.1
done
[ "$n" -ge 3 ] || fail "run finished $n cycles in 30 s, expected 3"
for name in sim run serve; do
  pid_var="${name}_pid"
  kill -0 "${!pid_var}" 2>/dev/null || fail "$name is no longer running"
  save_cmdline "$name-late" "${!pid_var}"
done
kill "$run_pid" "$serve_pid"
wait "$run_pid" || fail "run did not stop cleanly on SIGTERM"
wait "$serve_pid" || fail "serve did not stop cleanly on SIGTERM"

pg_dump --no-owner "$DB_URL" >"$WORK/snapshots/pg_dump.sql" || fail "pg_dump failed"
pg_dump --no-owner "$S3_DB_URL" >"$WORK/snapshots/pg_dump_s3.sql" || fail "pg_dump of the S3 database failed"
rows=$(psql -qtA "$DB_URL" -c "SELECT count(*) FROM quotes")
[ "$rows" -gt 0 ] || fail "nothing was loaded"
psql -qtA "$DB_URL" -c "SELECT count(*) FROM runs WHERE outcome = 'failed'" | grep -qv '^0$' ||
  fail "no failed run was recorded"
psql -qtA "$DB_URL" -c "SELECT count(*) FROM alert_outbox WHERE attempts >= 1 AND last_error IS NOT NULL" |
  grep -qv '^0$' || fail "the alert sender made no attempt"

mkdir -p "$WORK/s3"
aws --endpoint-url "$COINLAKE_TEST_S3_ENDPOINT" s3 cp --recursive --only-show-errors \
  "s3://$s3_bucket/lake" "$WORK/s3" || fail "could not read the S3 lake back"
s3_objects=$(find "$WORK/s3" -type f | wc -l)
[ "$s3_objects" -ge 2 ] || fail "the S3 lake holds $s3_objects objects, expected the spooled ones"

# Everything gathered, gzip decoded, searched for every secret.
files=0
leaks=()
while IFS= read -r -d '' f; do
  files=$((files + 1))
  content="$(gzip -dc -f "$f" 2>/dev/null || cat "$f")"
  for s in "${SECRETS[@]}"; do
    if grep -qaF -- "$s" <<<"$content"; then leaks+=("${s:0:16}... in ${f#"$WORK"/}"); fi
  done
done < <(find "$WORK/logs" "$WORK/lake" "$WORK/s3" "$WORK/spool" "$WORK/spool-s3" \
  "$WORK/snapshots" "$WORK/api" "$WORK/cmdline" -type f -print0)
lake_objects=$(find "$WORK/lake" -type f | wc -l)
quarantined=$(find "$WORK/lake/quarantine" -type f 2>/dev/null | wc -l)
[ "$quarantined" -ge 1 ] || fail "the 401 answer was not quarantined"
log_lines=$(cat "$WORK"/logs/* | wc -l)
echo "searched $files files: $log_lines log lines, $lake_objects file-lake objects ($quarantined quarantined), $s3_objects S3 objects, pg_dump $(wc -c <"$WORK/snapshots/pg_dump.sql") bytes, $(ls "$WORK/cmdline" | wc -l) cmdlines"
if [ "${#leaks[@]}" -gt 0 ]; then
  printf 'LEAK: %s\n' "${leaks[@]}" >&2
  fail "${#leaks[@]} secret leaks"
fi
echo "PASS: no secret in logs, lake, spool, database, API answers or command lines"
