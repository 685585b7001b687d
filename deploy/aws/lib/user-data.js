'use strict';
// Boot scripts for the two instances (Debian 12). They install AWS's SSM and CloudWatch agents
// and the coinlake .deb, and enable the right units. coinlake signs in to the database with IAM
// tokens (COINLAKE_DATABASE_IAM_AUTH=1: a fresh token from the instance role for every new
// connection), so the only secret on the ETL host's disk is the API key, which
// coinlake-secrets.service fetches into a root-only systemd credential on every start of
// coinlake-run. The RDS admin password never reaches a file: coinlake-db-roles holds it in its own
// memory, as root, inside the migration window only. Values from CloudFormation arrive as shell
// variables at the top; the rest is plain bash, so `${x}` below is bash, not Fn::Sub.
const fs = require('node:fs');
const path = require('node:path');
const ec2 = require('aws-cdk-lib/aws-ec2');

const RDS_CA_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

// Common first part: packages, agents, the coinlake package, the RDS CA bundle.
function installCommands() {
  return [
    'set -euo pipefail',
    'exec > >(tee -a /var/log/coinlake-bootstrap.log) 2>&1',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update -q',
    'apt-get install -y -q awscli jq curl ca-certificates logrotate postgresql-client',
    // Regional copies of AWS's agents for this machine's architecture (arm64 on the default t4g
    // instances), as AWS documents them: "Manually install SSM Agent on Debian Server"
    // (https://s3.REGION.amazonaws.com/amazon-ssm-REGION/latest/debian_<amd64|arm64>/
    // amazon-ssm-agent.deb, docs.aws.amazon.com/systems-manager/latest/userguide/
    // agent-install-deb.html) and "Download the CloudWatch agent package" (region-specific
    // links https://amazoncloudwatch-agent-REGION.s3.REGION.amazonaws.com/debian/<amd64|arm64>/
    // latest/, docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
    // download-CloudWatch-Agent-on-EC2-Instance-commandline-first.html). Checked 2026-11-28
    // (amd64) and 2026-11-29 (arm64, in AWS's tables and public scripts that use them).
    'ARCH="$(dpkg --print-architecture)"',
    'curl -fsSL -o /tmp/ssm.deb "https://s3.${REGION}.amazonaws.com/amazon-ssm-${REGION}/latest/debian_${ARCH}/amazon-ssm-agent.deb"',
    'curl -fsSL -o /tmp/cwagent.deb "https://amazoncloudwatch-agent-${REGION}.s3.${REGION}.amazonaws.com/debian/${ARCH}/latest/amazon-cloudwatch-agent.deb"',
    'aws s3 cp --region "${REGION}" "s3://${ARTIFACT_BUCKET}/${ARTIFACT_KEY}" /tmp/coinlake.deb',
    'apt-get install -y -q /tmp/ssm.deb /tmp/cwagent.deb /tmp/coinlake.deb',
    'systemctl enable --now amazon-ssm-agent',
    'install -d -m 0755 /etc/ssl/rds',
    `curl -fsSL -o /etc/ssl/rds/global-bundle.pem ${RDS_CA_URL}`,
    'DB_OPTS="sslmode=verify-full&sslrootcert=/etc/ssl/rds/global-bundle.pem"',
  ];
}

// Logs: the units append JSON lines to files that the CloudWatch agent ships (retention is set
// on the log group in the template) and logrotate trims locally.
function logCommands(unit, logGroup) {
  return [
    'install -d -m 0750 /var/log/coinlake',
    `install -d /etc/systemd/system/${unit}.service.d`,
    `printf '[Service]\\nStandardOutput=append:/var/log/coinlake/${unit}.log\\nStandardError=inherit\\n' > /etc/systemd/system/${unit}.service.d/10-logfile.conf`,
    `printf '/var/log/coinlake/*.log {\\n daily\\n rotate 3\\n compress\\n missingok\\n copytruncate\\n}\\n' > /etc/logrotate.d/coinlake`,
    `cat > /opt/aws/amazon-cloudwatch-agent/etc/coinlake.json <<EOF
{"agent": {"run_as_user": "root"},
 "logs": {"logs_collected": {"files": {"collect_list": [
   {"file_path": "/var/log/coinlake/${unit}.log", "log_group_name": "${logGroup}",
    "log_stream_name": "{instance_id}", "timezone": "UTC"},
   {"file_path": "/var/log/coinlake-bootstrap.log", "log_group_name": "${logGroup}",
    "log_stream_name": "{instance_id}-bootstrap", "timezone": "UTC"}]}}}}
EOF`,
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/coinlake.json',
  ];
}

// coinlake-secrets.service runs before the given units on every start, so a rotated secret is
// picked up by `systemctl restart`. It writes root-only files that the units load (as systemd
// credentials, or the dashboard's login as an environment file, which systemd reads as root);
// no secret reaches the template, a command line or a log.
function secretsUnitCommands(script, units) {
  const dropIns = units.flatMap((u) => [
    `install -d /etc/systemd/system/${u}.service.d`,
    `printf '[Unit]\\nRequires=coinlake-secrets.service\\nAfter=coinlake-secrets.service\\n' > /etc/systemd/system/${u}.service.d/20-secrets.conf`,
  ]);
  return [
    `cat > /usr/local/sbin/coinlake-secrets <<'EOF'\n${script}\nEOF`,
    'chmod 0700 /usr/local/sbin/coinlake-secrets',
    `cat > /etc/systemd/system/coinlake-secrets.service <<'EOF'
[Unit]
Description=coinlake: fetch secrets from Secrets Manager into /etc/coinlake/credentials
Wants=network-online.target
After=network-online.target
[Service]
Type=oneshot
EnvironmentFile=/etc/coinlake/aws.env
ExecStart=/usr/local/sbin/coinlake-secrets
Restart=on-failure
RestartSec=15s
EOF`,
    ...dropIns,
  ];
}

// The first lines of every secrets script: root-only files in /etc/coinlake/credentials.
const SECRET_HELPERS = `#!/bin/bash
set -euo pipefail
umask 077
install -d -m 0700 /etc/coinlake/credentials
secret() { aws secretsmanager get-secret-value --region "$REGION" --secret-id "$1" --query SecretString --output text; }`;

// Before every `coinlake migrate` on the ETL host (ExecCondition= of coinlake-migrate, as root).
// Inside the migration window it signs in as the RDS admin, whose password lives in this
// process's memory only, and makes the login roles (db-roles.sql); `coinlake migrate` then runs
// as coinlake_migrator with IAM tokens. Outside the window Secrets Manager refuses: exit 1 makes
// systemd skip the migration, which is the steady state, not a failure (coinlake run itself
// refuses a schema older than it needs). Any other error exits 255: a failure, retried.
const DB_ROLES = `#!/bin/bash
set -euo pipefail
trap 'exit 255' ERR
source /etc/coinlake/aws.env
if ! reply="$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$ADMIN_SECRET" --query SecretString --output text 2>&1)"; then
  if [[ "$reply" == *AccessDenied* ]]; then
    echo "coinlake-migrate skipped: the migration window is closed (MigrationWindowEnd; docs/deploy.md, Migrations)"
    exit 1
  fi
  echo "$reply" >&2
  exit 255
fi
PGPASSWORD="$(jq -r .password <<<"$reply")" psql -X -q -v ON_ERROR_STOP=1 \\
  "host=$DB_HOST dbname=coinlake user=$ADMIN_USER sslmode=verify-full sslrootcert=/etc/ssl/rds/global-bundle.pem" <<'SQL'
${fs.readFileSync(path.join(__dirname, 'db-roles.sql'), 'utf8').trimEnd()}
SQL`;

function etlUserData(v) {
  const ud = ec2.UserData.forLinux();
  const script = `${SECRET_HELPERS}
secret "$CMC_SECRET" > /etc/coinlake/credentials/cmc_api_key.tmp
mv /etc/coinlake/credentials/cmc_api_key.tmp /etc/coinlake/credentials/cmc_api_key`;
  ud.addCommands(
    ...vars(v),
    ...installCommands(),
    ...awsEnv(['REGION=${REGION}', 'DB_HOST=${DB_HOST}', 'ADMIN_USER=${ADMIN_USER}',
      `CMC_SECRET=${v.cmcSecret}`, `ADMIN_SECRET=${v.adminSecret}`]),
    // The ETL writes as coinlake_etl, migrate runs as coinlake_migrator (the schema's owner),
    // both with IAM tokens; their password files (LoadCredential=) stay empty.
    'cat > /etc/coinlake/coinlake.env <<EOF',
    'COINLAKE_DATABASE_URL=postgresql://coinlake_etl@${DB_HOST}:5432/coinlake?${DB_OPTS}',
    'COINLAKE_DATABASE_IAM_AUTH=1',
    'AWS_REGION=${REGION}',
    'COINLAKE_LAKE_URL=s3://${LAKE_BUCKET}/?region=${REGION}',
    'COINLAKE_INTERVAL=300',
    'COINLAKE_LISTINGS_LIMIT=100',
    'COINLAKE_LOG_LEVEL=info',
    'COINLAKE_CONFIG=/etc/coinlake/coinlake.toml',
    'EOF',
    // What may change with `systemctl reload coinlake-run`: alert rules and channels first. The
    // stack's alarm topic is a channel, so the default pipeline rules are on from the start.
    'cat > /etc/coinlake/coinlake.toml <<EOF',
    '# coinlake run re-reads this file on `systemctl reload coinlake-run` (docs/operations.md).',
    '# Alerts (docs/alerts.md): the stack\'s alarm topic (output EtlAlarmTopicArn) is a channel;',
    '# add alert-rule lines here, or more channels.',
    'alert-channel = "aws: sns ${ALERT_TOPIC}"',
    'EOF',
    'printf "COINLAKE_DATABASE_URL=postgresql://coinlake_migrator@%s:5432/coinlake?%s\\n" "${DB_HOST}" "${DB_OPTS}" > /etc/coinlake/migrate.env',
    'install -m 0600 /dev/null /etc/coinlake/credentials/pgpass',
    'install -m 0600 /dev/null /etc/coinlake/credentials/migrate.pgpass',
    ...secretsUnitCommands(script, ['coinlake-run']),
    `cat > /usr/local/sbin/coinlake-db-roles <<'EOF'\n${DB_ROLES}\nEOF`,
    'chmod 0700 /usr/local/sbin/coinlake-db-roles',
    'install -d /etc/systemd/system/coinlake-migrate.service.d',
    `printf '[Service]\\nExecCondition=+/usr/local/sbin/coinlake-db-roles\\n' > /etc/systemd/system/coinlake-migrate.service.d/30-db-roles.conf`,
    ...logCommands('coinlake-run', v.logGroup),
    'systemctl daemon-reload',
    // First boot, inside the migration window: the login roles, the schema, then the ETL.
    'systemctl enable coinlake-migrate.service coinlake-run.service',
    'systemctl start coinlake-migrate.service',
    'systemctl status --no-pager coinlake-migrate.service || true',
    'systemctl start coinlake-run.service',
  );
  return ud;
}

// The dashboard host. coinlake_web signs in with IAM tokens; the host's one secret is the
// dashboard's own login (HTTP basic auth), which coinlake-secrets fetches into a root-only
// environment file before every start of coinlake-serve. With DashboardDomain set, Caddy
// (coinlake-tls) serves HTTPS on 8501 with a Let's Encrypt certificate, and coinlake serve
// listens on 127.0.0.1:8502 only.
function dashboardUserData(v) {
  const ud = ec2.UserData.forLinux();
  const script = `${SECRET_HELPERS}
secret "$DASHBOARD_SECRET" | jq -r '"COINLAKE_DASHBOARD_USER=\\(.username)\\nCOINLAKE_DASHBOARD_PASSWORD=\\(.password)"' > /etc/coinlake/credentials/dashboard.env.tmp
mv /etc/coinlake/credentials/dashboard.env.tmp /etc/coinlake/credentials/dashboard.env`;
  ud.addCommands(
    ...vars(v),
    ...installCommands(),
    ...awsEnv(['REGION=${REGION}', `DASHBOARD_SECRET=${v.dashboardSecret}`]),
    // coinlake-serve's password file (LoadCredential=) stays empty: IAM tokens instead.
    'install -m 0600 /dev/null /etc/coinlake/credentials/serve.pgpass',
    'SERVE_HOST=0.0.0.0 SERVE_PORT=8501',
    'if [ -n "${DASHBOARD_DOMAIN}" ]; then',
    // Debian's caddy.service would serve its default site on port 80: it never starts.
    "  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d",
    '  apt-get install -y -q caddy',
    '  rm -f /usr/sbin/policy-rc.d',
    '  systemctl disable caddy.service',
    '  printf "COINLAKE_TLS_SITE=%s\\nCOINLAKE_TLS_MODE=acme\\nCOINLAKE_ACME_EMAIL=%s\\n" "${DASHBOARD_DOMAIN}" "${ACME_EMAIL}" > /etc/coinlake/tls.env',
    '  SERVE_HOST=127.0.0.1 SERVE_PORT=8502',
    'fi',
    'cat > /etc/coinlake/serve.env <<EOF',
    'COINLAKE_DATABASE_URL=postgresql://coinlake_web@${DB_HOST}:5432/coinlake?${DB_OPTS}',
    'COINLAKE_DATABASE_IAM_AUTH=1',
    'AWS_REGION=${REGION}',
    'COINLAKE_HOST=${SERVE_HOST}',
    'COINLAKE_PORT=${SERVE_PORT}',
    'COINLAKE_LOG_LEVEL=info',
    'EOF',
    ...secretsUnitCommands(script, ['coinlake-serve']),
    // The schema belongs to the ETL host; this host only reads.
    'systemctl mask coinlake-migrate.service',
    ...logCommands('coinlake-serve', v.logGroup),
    'systemctl daemon-reload',
    // Wait (up to 40 min) for the ETL host to create the read-only login user.
    'for i in $(seq 240); do PGPASSWORD="$(aws rds generate-db-auth-token --region "${REGION}" --hostname "${DB_HOST}" --port 5432 --username coinlake_web)" psql -qtA "host=${DB_HOST} dbname=coinlake user=coinlake_web sslmode=verify-full sslrootcert=/etc/ssl/rds/global-bundle.pem" -c "SELECT 1" && break; sleep 10; done',
    'systemctl enable --now coinlake-serve.service',
    'if [ -n "${DASHBOARD_DOMAIN}" ]; then systemctl enable --now coinlake-tls.service; fi',
  );
  return ud;
}

// Template values become shell variables (CDK joins the tokens with Fn::Join).
function vars(v) {
  return [
    `REGION='${v.region}'`,
    `ARTIFACT_BUCKET='${v.artifactBucket}'`,
    `ARTIFACT_KEY='${v.artifactKey}'`,
    `DB_HOST='${v.dbHost}'`,
    `LAKE_BUCKET='${v.lakeBucket}'`,
    `ADMIN_USER='${v.adminUser}'`,
    `DASHBOARD_DOMAIN='${v.dashboardDomain}'`,
    `ACME_EMAIL='${v.acmeEmail}'`,
    ...(v.alertTopic ? [`ALERT_TOPIC='${v.alertTopic}'`] : []),
  ];
}

// /etc/coinlake/aws.env: what coinlake-secrets and coinlake-db-roles need (names only, no values).
function awsEnv(lines) {
  return ['install -d -m 0755 /etc/coinlake', 'cat > /etc/coinlake/aws.env <<EOF', ...lines, 'EOF'];
}

module.exports = { etlUserData, dashboardUserData };
