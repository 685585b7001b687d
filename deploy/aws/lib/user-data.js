'use strict';
// Boot scripts for the two instances (Debian 12). They install AWS's SSM and CloudWatch agents
// and the coinlake .deb, and enable the right units. coinlake signs in to the database with IAM
// tokens (COINLAKE_DATABASE_IAM_AUTH=1: a fresh token from the instance role for every new
// connection), so the only secrets on disk are the ETL's API key and, for `migrate`, the RDS
// admin password: coinlake-secrets.service fetches both into root-only systemd credentials on
// every start of the ETL units. Values from CloudFormation arrive as shell variables at the top;
// the rest is plain bash, so `${x}` below is bash, not Fn::Sub.
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
// picked up by `systemctl restart`. It writes root-only files that the units load as systemd
// credentials; no secret reaches an environment variable or the template.
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

// A bash function library for the secrets scripts: one secret's JSON field into a 0600 file.
const SECRET_HELPERS = `#!/bin/bash
set -euo pipefail
umask 077
install -d -m 0700 /etc/coinlake/credentials
secret() { aws secretsmanager get-secret-value --region "$REGION" --secret-id "$1" --query SecretString --output text; }
# pgpass FILE SECRET_JSON: one libpq password-file line. The template generates passwords
# without ':' and '\\', so no field needs escaping.
pgpass() {
  jq -r --arg h "$DB_HOST" '[$h, "5432", "*", .username, .password] | join(":")' <<<"$2" > "$1.tmp"
  mv "$1.tmp" "$1"
}`;

// Login users for the two NOLOGIN groups that `coinlake migrate` creates. They have no password:
// `rds_iam` makes RDS accept only IAM tokens for them, and the instance roles may make tokens for
// their own user only (rds-db:connect on dbuser:<DbiResourceId>/<user>). Runs as root after
// every successful migrate (ExecStartPost=+), with the admin's password file.
const DB_USERS = `#!/bin/bash
set -euo pipefail
source /etc/coinlake/aws.env
PGPASSFILE=/etc/coinlake/credentials/migrate.pgpass psql -q -v ON_ERROR_STOP=1 \\
  "host=$DB_HOST dbname=coinlake user=$ADMIN_USER sslmode=verify-full sslrootcert=/etc/ssl/rds/global-bundle.pem" <<'SQL'
SELECT 'CREATE ROLE coinlake_etl LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coinlake_etl')\\gexec
SELECT 'CREATE ROLE coinlake_web LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coinlake_web')\\gexec
ALTER ROLE coinlake_etl PASSWORD NULL;
ALTER ROLE coinlake_web PASSWORD NULL;
GRANT coinlake_writer TO coinlake_etl;
GRANT coinlake_reader TO coinlake_web;
GRANT rds_iam TO coinlake_etl, coinlake_web;
SQL`;

function etlUserData(v) {
  const ud = ec2.UserData.forLinux();
  const script = `${SECRET_HELPERS}
secret "$CMC_SECRET" > /etc/coinlake/credentials/cmc_api_key.tmp
mv /etc/coinlake/credentials/cmc_api_key.tmp /etc/coinlake/credentials/cmc_api_key
pgpass /etc/coinlake/credentials/migrate.pgpass "$(secret "$ADMIN_SECRET")"
# coinlake-run signs in with IAM tokens; its password file (LoadCredential=) stays empty.
: > /etc/coinlake/credentials/pgpass`;
  ud.addCommands(
    ...vars(v),
    ...installCommands(),
    ...aws_env(v),
    // The ETL writes as coinlake_etl with IAM tokens; migrate runs as the RDS admin user with
    // its password (IAM auth off for it).
    'cat > /etc/coinlake/coinlake.env <<EOF',
    'COINLAKE_DATABASE_URL=postgresql://coinlake_etl@${DB_HOST}:5432/coinlake?${DB_OPTS}',
    'COINLAKE_DATABASE_IAM_AUTH=1',
    'AWS_REGION=${REGION}',
    'COINLAKE_LAKE_URL=s3://${LAKE_BUCKET}/?region=${REGION}',
    'COINLAKE_INTERVAL=300',
    'COINLAKE_LISTINGS_LIMIT=100',
    'COINLAKE_LOG_LEVEL=info',
    'EOF',
    'printf "COINLAKE_DATABASE_URL=postgresql://%s@%s:5432/coinlake?%s\\nCOINLAKE_DATABASE_IAM_AUTH=0\\n" "${ADMIN_USER}" "${DB_HOST}" "${DB_OPTS}" > /etc/coinlake/migrate.env',
    ...secretsUnitCommands(script, ['coinlake-migrate', 'coinlake-run']),
    `cat > /usr/local/sbin/coinlake-db-users <<'EOF'\n${DB_USERS}\nEOF`,
    'chmod 0700 /usr/local/sbin/coinlake-db-users',
    `printf '[Service]\\nExecStartPost=+/usr/local/sbin/coinlake-db-users\\n' > /etc/systemd/system/coinlake-migrate.service.d/30-db-users.conf`,
    ...logCommands('coinlake-run', v.logGroup),
    'systemctl daemon-reload',
    // First boot: secrets, schema, then (ExecStartPost) the IAM login users, then the ETL.
    'systemctl enable coinlake-migrate.service coinlake-run.service',
    'systemctl start coinlake-migrate.service',
    'systemctl start coinlake-run.service',
  );
  return ud;
}

// The dashboard host holds no secret at all: coinlake_web signs in with IAM tokens.
function dashboardUserData(v) {
  const ud = ec2.UserData.forLinux();
  ud.addCommands(
    ...vars(v),
    ...installCommands(),
    'install -d -m 0700 /etc/coinlake/credentials',
    // coinlake-serve's password file (LoadCredential=) stays empty: IAM tokens instead.
    'install -m 0600 /dev/null /etc/coinlake/credentials/serve.pgpass',
    'cat > /etc/coinlake/coinlake.env <<EOF',
    'COINLAKE_DATABASE_URL=postgresql://coinlake_web@${DB_HOST}:5432/coinlake?${DB_OPTS}',
    'COINLAKE_DATABASE_IAM_AUTH=1',
    'AWS_REGION=${REGION}',
    'COINLAKE_HOST=0.0.0.0',
    'COINLAKE_PORT=8501',
    'COINLAKE_LOG_LEVEL=info',
    'EOF',
    // The schema belongs to the ETL host; this host only reads.
    'systemctl mask coinlake-migrate.service',
    ...logCommands('coinlake-serve', v.logGroup),
    'systemctl daemon-reload',
    // Wait (up to 40 min) for the ETL host to create the read-only login user.
    'for i in $(seq 240); do PGPASSWORD="$(aws rds generate-db-auth-token --region "${REGION}" --hostname "${DB_HOST}" --port 5432 --username coinlake_web)" psql -qtA "host=${DB_HOST} dbname=coinlake user=coinlake_web sslmode=verify-full sslrootcert=/etc/ssl/rds/global-bundle.pem" -c "SELECT 1" && break; sleep 10; done',
    'systemctl enable --now coinlake-serve.service',
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
  ];
}

// What coinlake-secrets and coinlake-db-users need (names only, no values).
function aws_env(v) {
  return [
    'install -d -m 0755 /etc/coinlake',
    'cat > /etc/coinlake/aws.env <<EOF',
    'REGION=${REGION}',
    'DB_HOST=${DB_HOST}',
    'ADMIN_USER=${ADMIN_USER}',
    `CMC_SECRET=${v.cmcSecret}`,
    `ADMIN_SECRET=${v.adminSecret}`,
    'EOF',
  ];
}

module.exports = { etlUserData, dashboardUserData };
