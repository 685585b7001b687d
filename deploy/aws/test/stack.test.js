'use strict';
// Offline checks of the synthesised template: every security property the deployment promises,
// the bootstrap-free shape, and cdk-nag (synthesis throws on an unacknowledged finding).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const { Template, Match } = require('aws-cdk-lib/assertions');
const { buildApp } = require('../bin/app');
const { decide, render } = require('./policy');

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'coinlake-cdk-test-'));
test.after(() => fs.rmSync(outdir, { recursive: true, force: true }));
const { app, stack } = buildApp(outdir);
const assembly = app.synth(); // throws if cdk-nag reports anything unacknowledged
const raw = assembly.getStackByName(stack.stackName).template;
const template = Template.fromJSON(raw);
const resources = (type) => Object.entries(raw.Resources).filter(([, r]) => r.Type === type);
const one = (type, pred = () => true) => {
  const found = resources(type).filter(([, r]) => pred(r));
  assert.equal(found.length, 1, `exactly one ${type}`);
  return found[0];
};
const sgId = (logicalPrefix) => resources('AWS::EC2::SecurityGroup').find(([k]) => k.startsWith(logicalPrefix))[0];
const statements = (roleName) => {
  const [roleId] = resources('AWS::IAM::Role').find(([k]) => k.startsWith(roleName));
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
};
const actionsOf = (st) => [].concat(st.Action);
const lakeBucket = () => resources('AWS::S3::Bucket').find(([k]) => k.startsWith('Lake') && !k.startsWith('LakeAccessLogs'));
const lakePolicy = () => {
  const [lakeId] = lakeBucket();
  return one('AWS::S3::BucketPolicy', (b) => b.Properties.Bucket.Ref === lakeId)[1].Properties.PolicyDocument.Statement;
};
const resourceId = (prefix) => Object.keys(raw.Resources).find((k) => k.startsWith(prefix));
// The body of a `cat > FILE <<'EOF'` in a script.
const heredoc = (script, file) => new RegExp(`cat > ${file} <<'EOF'\\n([\\s\\S]*?)\\nEOF\\n`).exec(script)[1];
// Runs a piece of boot script in bash with /etc/coinlake and /usr/sbin moved into a temporary
// folder and the given commands replaced by functions; returns that folder.
const runBoot = (snippet, { env = {}, stubs = {} } = {}) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coinlake-boot-'));
  fs.mkdirSync(path.join(root, 'etc/coinlake/credentials'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
  const functions = Object.entries(stubs).map(([name, body]) => `${name}() { ${body}; }`).join('\n');
  const script = snippet.replaceAll('/etc/coinlake', `${root}/etc/coinlake`).replaceAll('/usr/sbin/', `${root}/usr/sbin/`);
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', `${functions}\n${script}`], { env: { PATH: process.env.PATH, ...env } });
  assert.equal(r.status, 0, r.stderr.toString());
  return root;
};
// Renders an instance's user data with placeholders for template values, for `bash -n`.
const userData = (prefix) => {
  const [, inst] = resources('AWS::EC2::Instance').find(([k]) => k.startsWith(prefix));
  const join = inst.Properties.UserData['Fn::Base64']['Fn::Join'];
  return join[1].map((p) => (typeof p === 'string' ? p : 'PLACEHOLDER')).join(join[0]);
};

test('template deploys without bootstrap: no BootstrapVersion, no assets, no custom resources, fits inline', () => {
  assert.ok(!raw.Parameters.BootstrapVersion);
  assert.ok(!raw.Rules || !raw.Rules.CheckBootstrapVersion);
  const manifest = assembly.getStackByName(stack.stackName).assets;
  assert.deepEqual(manifest, []);
  for (const r of Object.values(raw.Resources)) {
    assert.ok(!r.Type.startsWith('Custom::') && r.Type !== 'AWS::Lambda::Function' && r.Type !== 'AWS::CloudFormation::CustomResource', r.Type);
  }
  assert.ok(JSON.stringify(raw).length < 51200, 'minified template must fit the 51,200-byte inline limit');
});

test('network: public and isolated subnets, no NAT gateway, S3 gateway endpoint, reject flow logs', () => {
  template.resourceCountIs('AWS::EC2::NatGateway', 0);
  template.resourceCountIs('AWS::EC2::Subnet', 4);
  template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 2);
  template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false }, 2);
  template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
    VpcEndpointType: 'Gateway',
    ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
  });
  template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
  template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
});

test('security groups: ETL has no ingress; dashboard 8501 from the parameter only; nothing open to the world or on 22', () => {
  const etl = sgId('EtlSg');
  const dash = sgId('DashboardSg');
  const db = sgId('DatabaseSg');
  const ingress = [];
  for (const [id, sg] of resources('AWS::EC2::SecurityGroup')) {
    for (const rule of sg.Properties.SecurityGroupIngress || []) ingress.push({ group: id, ...rule });
  }
  for (const [, r] of resources('AWS::EC2::SecurityGroupIngress')) ingress.push({ group: r.Properties.GroupId['Fn::GetAtt'][0], condition: r.Condition, ...r.Properties });
  assert.deepEqual(ingress.filter((r) => r.group === etl), []);
  // The one exception, tested with HTTPS below: the ACME challenge on 80, only with a domain.
  const acme = ingress.filter((r) => r.CidrIp === '0.0.0.0/0');
  assert.deepEqual(acme.map((r) => [r.group, r.FromPort, r.ToPort, r.condition]), [[dash, 80, 80, 'DashboardHttps']]);
  for (const r of ingress.filter((i) => !acme.includes(i))) {
    assert.notEqual(r.CidrIp, '0.0.0.0/0');
    assert.notEqual(r.CidrIpv6, '::/0');
    assert.ok(!(r.FromPort <= 22 && r.ToPort >= 22), 'no port 22');
    assert.notEqual(r.IpProtocol, '-1');
  }
  const dashRules = ingress.filter((r) => r.group === dash && !acme.includes(r));
  assert.deepEqual(dashRules.map((r) => [r.FromPort, r.ToPort, r.CidrIp]), [[8501, 8501, { Ref: 'DashboardAllowedCidr' }]]);
  const dbRules = ingress.filter((r) => r.group === db);
  assert.deepEqual(dbRules.map((r) => [r.FromPort, r.ToPort, r.SourceSecurityGroupId['Fn::GetAtt'][0]]).sort(),
    [[5432, 5432, dash], [5432, 5432, etl]].sort());
  assert.ok(dbRules.every((r) => !r.CidrIp));
});

test('Spot for the ETL only, off by default: persistent, stopped (not terminated) on interruption', () => {
  const p = raw.Parameters.EtlSpot;
  assert.equal(p.Default, 'false');
  assert.deepEqual(p.AllowedValues, ['false', 'true']);
  assert.deepEqual(raw.Conditions.EtlOnSpot, { 'Fn::Equals': [{ Ref: 'EtlSpot' }, 'true'] });
  const [ltId, lt] = one('AWS::EC2::LaunchTemplate');
  assert.equal(lt.Condition, 'EtlOnSpot');
  assert.deepEqual(lt.Properties.LaunchTemplateData.InstanceMarketOptions,
    { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'persistent', InstanceInterruptionBehavior: 'stop' } });
  const [, etl] = resources('AWS::EC2::Instance').find(([k]) => k.startsWith('Etl'));
  assert.deepEqual(etl.Properties.LaunchTemplate, { 'Fn::If': ['EtlOnSpot',
    { LaunchTemplateId: { Ref: ltId }, Version: { 'Fn::GetAtt': [ltId, 'LatestVersionNumber'] } }, { Ref: 'AWS::NoValue' }] });
  const [, dash] = resources('AWS::EC2::Instance').find(([k]) => k.startsWith('Dashboard'));
  assert.equal(dash.Properties.LaunchTemplate, undefined, 'the dashboard stays on-demand');
});

test('the dashboard CIDR is a required parameter, /16 to /32 only: CloudFormation refuses anything wider', () => {
  const p = raw.Parameters.DashboardAllowedCidr;
  assert.equal(p.Type, 'String');
  assert.equal(p.Default, undefined);
  // CloudFormation checks a parameter against AllowedPattern before it creates or changes
  // anything, and prints ConstraintDescription on a mismatch.
  const accepted = (cidr) => new RegExp(p.AllowedPattern).test(cidr);
  for (const ok of ['203.0.113.7/32', '198.51.100.0/24', '10.20.0.0/16', '255.255.255.255/32', '0.0.0.0/16']) {
    assert.ok(accepted(ok), `${ok} must be accepted`);
  }
  for (const bad of ['0.0.0.0/0', '0.0.0.0/1', '10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '203.0.0.0/15',
    '203.0.113.7', '203.0.113.7/33', '256.0.113.7/32', '203.0.113.07/32', '203.0.113.7/032', 'example.com/32',
    ' 203.0.113.7/32', '203.0.113.7/32 ', '2001:db8::/48']) {
    assert.ok(!accepted(bad), `${bad} must be refused`);
  }
  assert.match(p.ConstraintDescription, /\/16 to \/32/);
});

test('instances: IMDSv2 only with hop limit 1, no key pair, instance profile, encrypted disk, termination protection', () => {
  const instances = resources('AWS::EC2::Instance');
  assert.equal(instances.length, 2);
  for (const [id, i] of instances) {
    const p = i.Properties;
    assert.deepEqual(p.MetadataOptions, { HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, HttpTokens: 'required' });
    assert.equal(p.KeyName, undefined);
    assert.ok(p.IamInstanceProfile);
    // On by default; off only for the ETL on Spot (EtlSpot=true), where EC2 forbids it.
    assert.deepEqual(p.DisableApiTermination, id.startsWith('Etl') ? { 'Fn::If': ['EtlOnSpot', false, true] } : true);
    assert.ok(p.BlockDeviceMappings.every((b) => b.Ebs.Encrypted === true));
    assert.equal(p.NetworkInterfaces[0].AssociatePublicIpAddress, true);
    assert.equal(p.InstanceType, 't4g.nano', 'arm64 (Graviton), like scripts/package-arm64');
    assert.deepEqual(p.ImageId, { Ref: 'DebianImageId' });
    assert.equal(raw.Parameters.DebianImageId.Default, '/aws/service/debian/release/12/latest/arm64');
    assert.deepEqual(p.CreditSpecification, { CPUCredits: 'standard' }, 'no surplus CPU credits billed');
  }
  for (const [, r] of resources('AWS::IAM::Role').filter(([k]) => !k.startsWith('VpcRejectedTraffic'))) {
    assert.ok(JSON.stringify(r.Properties.ManagedPolicyArns).includes('AmazonSSMManagedInstanceCore'));
  }
  for (const [, g] of resources('AWS::Logs::LogGroup')) assert.ok(g.Properties.RetentionInDays > 0);
});

test('database: PostgreSQL 15, private, encrypted, TLS forced, protected, backed up, smallest class', () => {
  const [, db] = one('AWS::RDS::DBInstance');
  const p = db.Properties;
  assert.equal(p.Engine, 'postgres');
  assert.match(String(p.EngineVersion), /^15/);
  assert.equal(p.DBInstanceClass, 'db.t4g.micro');
  assert.equal(p.PubliclyAccessible, false);
  assert.equal(p.StorageEncrypted, true);
  assert.equal(p.DeletionProtection, true);
  assert.ok(p.BackupRetentionPeriod >= 7);
  assert.equal(p.CACertificateIdentifier, 'rds-ca-rsa2048-g1');
  assert.equal(db.DeletionPolicy, 'Snapshot');
  assert.deepEqual(p.VPCSecurityGroups, [{ 'Fn::GetAtt': [sgId('DatabaseSg'), 'GroupId'] }]);
  // The instance uses the group that forces TLS (a group defined but not attached would not).
  const [groupId] = one('AWS::RDS::DBParameterGroup', (g) => g.Properties.Parameters['rds.force_ssl'] === '1');
  assert.deepEqual(p.DBParameterGroupName, { Ref: groupId });
  const [, subnets] = one('AWS::RDS::DBSubnetGroup');
  for (const ref of subnets.Properties.SubnetIds) assert.match(ref.Ref, /dbSubnet/);
});

test('lake bucket: public access blocked, encrypted, TLS only, versioned, raw/ lifecycle', () => {
  const [, lake] = lakeBucket();
  for (const [, b] of resources('AWS::S3::Bucket')) {
    assert.deepEqual(b.Properties.PublicAccessBlockConfiguration,
      { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    assert.ok(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm);
  }
  const p = lake.Properties;
  assert.equal(p.VersioningConfiguration.Status, 'Enabled');
  assert.equal(p.OwnershipControls.Rules[0].ObjectOwnership, 'BucketOwnerEnforced');
  assert.equal(lake.DeletionPolicy, 'Retain');
  const rawRule = p.LifecycleConfiguration.Rules.find((r) => r.Prefix === 'raw/');
  assert.equal(rawRule.Status, 'Enabled');
  assert.equal(rawRule.Transitions[0].StorageClass, 'GLACIER_IR');
  assert.ok(lakePolicy().some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
});

test('lake bucket policy: raw/ and quarantine/ are write-once and never deleted, for every principal', () => {
  const [lakeId] = lakeBucket();
  const overTls = { 'aws:SecureTransport': 'true' };
  const request = (action, key, context = overTls) =>
    decide(lakePolicy(), { action, resource: `<${lakeId}.Arn>/${key}`, context });
  for (const prefix of ['raw/', 'quarantine/']) {
    const key = `${prefix}cmc/listings_latest/dt=2026-11-27/listings_latest_2026-11-27T21-50-03Z.json.gz`;
    // Denied even to a principal whose own policy allows PutObject: only a create (If-None-Match)
    // gets through, so no credential can overwrite what the API sent.
    assert.equal(request('s3:PutObject', key), 'deny', `${prefix}: a PUT without If-None-Match could overwrite`);
    assert.notEqual(request('s3:PutObject', key, { ...overTls, 's3:if-none-match': '*' }), 'deny', `${prefix}: a create must pass`);
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion']) {
      assert.equal(request(action, key), 'deny', `${prefix}: ${action}`);
    }
  }
  // curated/ is derived from raw/: compact writes a day's new Parquet file, then deletes the one
  // it replaced.
  const parquet = 'curated/quotes/dt=2026-11-27/quotes_2026-11-27_0123456789ab.parquet';
  assert.notEqual(request('s3:PutObject', parquet), 'deny');
  assert.notEqual(request('s3:DeleteObject', parquet), 'deny');
});

test('IAM: ETL puts and gets lake prefixes, lists with a prefix condition, deletes and aborts uploads only in curated/; dashboard has no lake access', () => {
  const etl = statements('EtlRole');
  const all = etl.flatMap(actionsOf);
  assert.ok(all.every((a) => !/\*/.test(a)), `no wildcard action: ${all}`);
  const deletes = etl.filter((s) => actionsOf(s).some((a) => /Delete/.test(a)));
  assert.deepEqual(deletes.map((s) => s.Sid), ['CuratedReplacedFilesDelete']);
  assert.deepEqual(actionsOf(deletes[0]), ['s3:DeleteObject']);
  assert.deepEqual(deletes[0].Resource['Fn::Join'][1].at(-1), '/curated/*');
  const aborts = etl.filter((s) => actionsOf(s).includes('s3:AbortMultipartUpload'));
  assert.deepEqual(aborts.map((s) => s.Sid), ['CuratedMultipartAbort']);
  assert.deepEqual(actionsOf(aborts[0]), ['s3:AbortMultipartUpload']);
  assert.deepEqual(aborts[0].Resource['Fn::Join'][1].at(-1), '/curated/*');
  const objects = etl.find((s) => s.Sid === 'LakeObjectsNoDelete');
  assert.deepEqual(actionsOf(objects).sort(), ['s3:GetObject', 's3:PutObject']);
  assert.deepEqual(objects.Resource.map((r) => r['Fn::Join'][1].at(-1)), ['/raw/*', '/quarantine/*', '/curated/*']);
  const list = etl.find((s) => s.Sid === 'LakeListWithinPrefixes');
  assert.ok(list.Condition.StringLike['s3:prefix'].includes('raw/*'));
  const secretsOf = (sts) => sts.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue')).flatMap((s) => [].concat(s.Resource)).map((r) => r.Ref).sort();
  // Without a condition, the ETL reads the API key only; the admin secret (referenced through its
  // attachment to the database) only inside the migration window (test below).
  assert.deepEqual(secretsOf(etl.filter((s) => !s.Condition)), [resourceId('CmcApiKey')]);
  assert.deepEqual(secretsOf(etl.filter((s) => s.Condition)), [resourceId('DatabaseSecretAttachment')]);

  const dash = statements('DashboardRole');
  assert.deepEqual(secretsOf(dash), [resourceId('DashboardLogin')], 'the dashboard reads its own login only');
  const s3 = dash.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
  assert.equal(s3.length, 1, 'only the package download');
  assert.deepEqual(actionsOf(s3[0]), ['s3:GetObject']);
  assert.match(JSON.stringify(s3[0].Resource), /ArtifactBucket.*ArtifactKey/);
  assert.ok(!JSON.stringify(dash).includes('Lake'), 'the dashboard role never names the lake');
});

test('migration window: after MigrationWindowEnd the ETL role can neither read the admin secret nor sign in as the schema owner', () => {
  const end = '2026-12-01T18:00:00Z';
  const [dbId] = one('AWS::RDS::DBInstance');
  const adminSecret = `<${resourceId('DatabaseSecretAttachment')}>`;
  const dbUser = (user) => `arn:<AWS::Partition>:rds-db:<AWS::Region>:<AWS::AccountId>:dbuser:<${dbId}.DbiResourceId>/${user}`;
  // The role's own statements; its one managed policy, AmazonSSMManagedInstanceCore, grants
  // neither Secrets Manager nor RDS.
  const ask = (role, action, resource, time) =>
    decide(statements(role), { action, resource, context: { 'aws:CurrentTime': time }, params: { MigrationWindowEnd: end } });
  const before = '2026-12-01T17:15:00Z';
  for (const after of ['2026-12-01T18:00:01Z', '2027-06-01T00:00:00Z']) {
    assert.equal(ask('EtlRole', 'secretsmanager:GetSecretValue', adminSecret, after), 'implicit-deny', `admin secret at ${after}`);
    assert.equal(ask('EtlRole', 'rds-db:connect', dbUser('coinlake_migrator'), after), 'implicit-deny', `schema owner at ${after}`);
    assert.equal(ask('EtlRole', 'rds-db:connect', dbUser('coinlake_admin'), after), 'implicit-deny');
    // What coinlake run needs stays.
    assert.equal(ask('EtlRole', 'rds-db:connect', dbUser('coinlake_etl'), after), 'allow');
    assert.equal(ask('EtlRole', 'secretsmanager:GetSecretValue', `<${resourceId('CmcApiKey')}>`, after), 'allow');
  }
  // Inside the window the ETL host can make the roles and migrate.
  assert.equal(ask('EtlRole', 'secretsmanager:GetSecretValue', adminSecret, before), 'allow');
  assert.equal(ask('EtlRole', 'rds-db:connect', dbUser('coinlake_migrator'), before), 'allow');
  // The dashboard never can, and no role can step into another one.
  for (const time of [before, '2027-06-01T00:00:00Z']) {
    assert.equal(ask('DashboardRole', 'secretsmanager:GetSecretValue', adminSecret, time), 'implicit-deny');
    assert.equal(ask('DashboardRole', 'rds-db:connect', dbUser('coinlake_migrator'), time), 'implicit-deny');
  }
  for (const role of ['EtlRole', 'DashboardRole']) {
    assert.ok(!statements(role).flatMap(actionsOf).some((a) => /^(sts|iam):/.test(a)), `${role} assumes or changes no role`);
  }
  const p = raw.Parameters.MigrationWindowEnd;
  assert.equal(p.Default, undefined, 'required: every new stack says when its window ends');
  assert.ok(new RegExp(p.AllowedPattern).test(end));
  for (const bad of ['tomorrow', '2026-12-01 18:00:00', '2026-12-01T18:00:00+01:00']) assert.ok(!new RegExp(p.AllowedPattern).test(bad), bad);
});

test('IAM database auth: on for RDS; each role connects as its own user only; no app-user secrets', () => {
  const [dbId, db] = one('AWS::RDS::DBInstance');
  assert.equal(db.Properties.EnableIAMDatabaseAuthentication, true);
  // Without a condition; the ETL's windowed sign-in as coinlake_migrator is tested above.
  const connectOf = (role) => statements(role).filter((s) => !s.Condition && actionsOf(s).some((a) => a.startsWith('rds-db:')));
  for (const [role, user] of [['EtlRole', 'coinlake_etl'], ['DashboardRole', 'coinlake_web']]) {
    const st = connectOf(role);
    assert.equal(st.length, 1, `${role}: one rds-db statement`);
    assert.equal(st[0].Effect, 'Allow');
    assert.deepEqual(actionsOf(st[0]), ['rds-db:connect']);
    const resources = [].concat(st[0].Resource);
    assert.equal(resources.length, 1, `${role}: one database user`);
    // arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>, nothing wider.
    const parts = resources[0]['Fn::Join'][1];
    assert.ok(parts.some((p) => typeof p === 'string' && p.includes(':dbuser:')), JSON.stringify(parts));
    assert.ok(parts.some((p) => p['Fn::GetAtt']?.[0] === dbId && p['Fn::GetAtt'][1] === 'DbiResourceId'), JSON.stringify(parts));
    assert.equal(parts.at(-1), `/${user}`, `${role} connects as ${user} only`);
    assert.ok(!JSON.stringify(resources).includes('*'), 'no wildcard database user');
  }
  const secrets = resources('AWS::SecretsManager::Secret').map(([k]) => k);
  assert.equal(secrets.length, 3, `only the API key, the RDS admin and the dashboard login: ${secrets}`);
  assert.ok(secrets.some((k) => k.startsWith('CmcApiKey')));
  assert.ok(secrets.some((k) => k.startsWith('CoinlakeDatabaseSecret')), 'the RDS admin secret');
  assert.ok(!JSON.stringify(raw.Outputs).match(/EtlDbUser|DashboardDbUser/));
  const etl = userData('Etl');
  const dash = userData('Dashboard');
  assert.match(etl, /GRANT rds_iam TO coinlake_migrator, coinlake_etl, coinlake_web/);
  assert.match(etl, /ExecCondition=\+\/usr\/local\/sbin\/coinlake-db-roles/, 'before every migrate, as root');
  for (const [script, user] of [[etl, 'coinlake_etl'], [dash, 'coinlake_web']]) {
    assert.match(script, new RegExp(`COINLAKE_DATABASE_URL=postgresql://${user}@`));
    assert.match(script, /COINLAKE_DATABASE_IAM_AUTH=1/);
  }
  assert.ok(!etl.includes('COINLAKE_DATABASE_IAM_AUTH=0'), 'every login on the ETL host uses IAM tokens');
  assert.match(etl, /COINLAKE_DATABASE_URL=postgresql:\/\/coinlake_migrator@%s/, 'migrate signs in as the schema owner');
});

test('dashboard: private by default, with a generated login that only the dashboard host reads, root-only there', () => {
  const loginId = resourceId('DashboardLogin');
  assert.ok(loginId, 'a generated dashboard login');
  const g = raw.Resources[loginId].Properties.GenerateSecretString;
  assert.deepEqual(JSON.parse(g.SecretStringTemplate), { username: 'coinlake' });
  assert.equal(g.GenerateStringKey, 'password');
  assert.ok(g.PasswordLength >= 32);
  // Free of what an environment file, a URL or basic auth would read specially.
  for (const ch of ['$', '"', "'", '\\', '`', ':', '#', ' ', '%']) assert.ok(g.ExcludeCharacters.includes(ch), ch);

  const read = (role, id) => decide(statements(role), {
    action: 'secretsmanager:GetSecretValue', resource: `<${id}>`,
    context: { 'aws:CurrentTime': '2026-12-01T17:00:00Z' }, params: { MigrationWindowEnd: '2026-12-01T18:00:00Z' },
  });
  assert.equal(read('DashboardRole', loginId), 'allow');
  assert.equal(read('EtlRole', loginId), 'implicit-deny', 'the ETL host never sees the dashboard login');
  for (const other of ['CmcApiKey', 'DatabaseSecretAttachment']) assert.equal(read('DashboardRole', resourceId(other)), 'implicit-deny', other);

  // On the host: coinlake-secrets (before every start of coinlake-serve) writes the login into a
  // root-only environment file, which the unit reads (deploy/systemd/test_units.sh). Run it with
  // a stand-in for the AWS CLI.
  const dash = userData('Dashboard');
  assert.match(dash, /install -d \/etc\/systemd\/system\/coinlake-serve\.service\.d/);
  assert.match(dash, /Requires=coinlake-secrets\.service\\nAfter=coinlake-secrets\.service\\n' > \/etc\/systemd\/system\/coinlake-serve\.service\.d\/20-secrets\.conf/);
  const fetch = heredoc(dash, '/usr/local/sbin/coinlake-secrets');
  const root = runBoot(fetch, {
    env: { REGION: 'eu-west-3', DASHBOARD_SECRET: 'arn:aws:secretsmanager:eu-west-3:1:secret:login' },
    stubs: { aws: `[ "$*" = "secretsmanager get-secret-value --region eu-west-3 --secret-id arn:aws:secretsmanager:eu-west-3:1:secret:login --query SecretString --output text" ] && echo '{"username":"coinlake","password":"Zq8-kT.w_9"}'` },
  });
  const file = path.join(root, 'etc/coinlake/credentials/dashboard.env');
  assert.equal(fs.readFileSync(file, 'utf8'), 'COINLAKE_DASHBOARD_USER=coinlake\nCOINLAKE_DASHBOARD_PASSWORD=Zq8-kT.w_9\n');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  fs.rmSync(root, { recursive: true, force: true });
  assert.ok(!/COINLAKE_DASHBOARD_(PASSWORD|TOKEN)=/.test(dash.replace(fetch, '')), 'the login appears nowhere else');

  // The stack says where the login is and how to read it.
  assert.deepEqual(raw.Outputs.DashboardLoginSecretArn.Value, { Ref: loginId });
  assert.equal(render(raw.Outputs.DashboardLoginCommand.Value),
    `aws secretsmanager get-secret-value --region <AWS::Region> --secret-id <${loginId}> --query SecretString --output text`);
});

test('dashboard HTTPS: off by default; with DashboardDomain, Caddy on 8501 by ACME, coinlake serve on 127.0.0.1:8502, port 80 for the challenge', () => {
  const domain = raw.Parameters.DashboardDomain;
  const email = raw.Parameters.DashboardAcmeEmail;
  assert.equal(domain.Default, '');
  assert.equal(email.Default, '');
  // Both values reach the boot script and the Caddyfile: names and addresses only.
  const okDomain = (v) => new RegExp(domain.AllowedPattern).test(v);
  const okEmail = (v) => new RegExp(email.AllowedPattern).test(v);
  for (const v of ['', 'dashboard.example.com', 'a-b.c.example.org']) assert.ok(okDomain(v), v);
  for (const v of ["x.example.com' ; reboot ; '", 'x.example.com\n}', 'x.example.com {', 'Example.com', '-x.example.com', 'localhost', '$(id).example.com']) {
    assert.ok(!okDomain(v), JSON.stringify(v));
  }
  for (const v of ['', 'ops@example.com', 'first.last+coinlake@mail.example.org']) assert.ok(okEmail(v), v);
  for (const v of ['ops', "ops@example.com'", 'ops@example.com\n}', 'a b@example.com', '{$HOME}@example.com']) assert.ok(!okEmail(v), JSON.stringify(v));
  assert.deepEqual(raw.Conditions.DashboardHttps, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DashboardDomain' }, ''] }] });
  assert.deepEqual(raw.Rules.DashboardHttpsNeedsAnEmail.RuleCondition, raw.Conditions.DashboardHttps);
  assert.deepEqual(raw.Rules.DashboardHttpsNeedsAnEmail.Assertions[0].Assert, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DashboardAcmeEmail' }, ''] }] });
  assert.deepEqual(raw.Outputs.DashboardUrl.Value['Fn::If'][0], 'DashboardHttps');
  assert.match(render(raw.Outputs.DashboardUrl.Value['Fn::If'][1], { DashboardDomain: 'dashboard.example.com' }), /^https:\/\/dashboard\.example\.com:8501$/);
  assert.match(render(raw.Outputs.DashboardUrl.Value['Fn::If'][2]), /^http:\/\/<Dashboard[^>]*\.PublicDnsName>:8501$/);

  // The boot script's settings, run both ways.
  const dash = userData('Dashboard');
  const start = dash.indexOf('SERVE_HOST=0.0.0.0 SERVE_PORT=8501');
  const end = dash.indexOf('\nEOF\n', dash.indexOf('cat > /etc/coinlake/serve.env <<EOF')) + 5;
  assert.ok(start > 0 && end > start);
  const settings = dash.slice(start, end);
  const boot = (env) => runBoot(settings, {
    env: { DB_HOST: 'db.example', DB_OPTS: 'sslmode=verify-full', REGION: 'eu-west-3', ...env },
    stubs: { 'apt-get': 'echo "apt-get $*" >> "$CALLS"', systemctl: 'echo "systemctl $*" >> "$CALLS"', chmod: 'command chmod "$@"' },
  });
  const calls = (root) => fs.readFileSync(path.join(root, 'calls'), 'utf8');
  const plain = boot({ DASHBOARD_DOMAIN: '', ACME_EMAIL: '', CALLS: '/dev/null' });
  const plainServe = fs.readFileSync(path.join(plain, 'etc/coinlake/serve.env'), 'utf8');
  assert.match(plainServe, /^COINLAKE_HOST=0\.0\.0\.0\nCOINLAKE_PORT=8501$/m);
  assert.ok(!fs.existsSync(path.join(plain, 'etc/coinlake/tls.env')));
  const tlsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'coinlake-calls-'));
  const tls = boot({ DASHBOARD_DOMAIN: 'dashboard.example.com', ACME_EMAIL: 'ops@example.com', CALLS: path.join(tlsRoot, 'calls') });
  assert.match(fs.readFileSync(path.join(tls, 'etc/coinlake/serve.env'), 'utf8'), /^COINLAKE_HOST=127\.0\.0\.1\nCOINLAKE_PORT=8502$/m);
  assert.equal(fs.readFileSync(path.join(tls, 'etc/coinlake/tls.env'), 'utf8'),
    'COINLAKE_TLS_SITE=dashboard.example.com\nCOINLAKE_TLS_MODE=acme\nCOINLAKE_ACME_EMAIL=ops@example.com\n');
  // Debian's caddy.service (its default site on port 80) neither starts at install nor at boot.
  assert.equal(calls(tlsRoot), 'apt-get install -y -q caddy\nsystemctl disable caddy.service\n');
  assert.ok(!fs.existsSync(path.join(tls, 'usr/sbin/policy-rc.d')), 'policy-rc.d is removed again');
  assert.match(settings, /exit 101\\n' > \/usr\/sbin\/policy-rc\.d && chmod 0755 \/usr\/sbin\/policy-rc\.d\n {2}apt-get install -y -q caddy/);
  assert.match(dash, /\nif \[ -n "\$\{DASHBOARD_DOMAIN\}" \]; then systemctl enable --now coinlake-tls\.service; fi$/);
  for (const root of [plain, tls, tlsRoot]) fs.rmSync(root, { recursive: true, force: true });
});

test('secrets: the API key value is never in the template; passwords are generated', () => {
  for (const [, s] of resources('AWS::SecretsManager::Secret')) {
    assert.equal(s.Properties.SecretString, undefined);
    assert.ok(s.Properties.GenerateSecretString);
  }
  assert.ok(!JSON.stringify(raw).match(/CMC_API_KEY=|X-CMC_PRO_API_KEY/));
});

test('user data: valid bash; installs the package; secrets into root-only credentials; migrate on the ETL only', () => {
  const etl = userData('Etl');
  const dash = userData('Dashboard');
  for (const script of [etl, dash]) {
    const r = spawnSync('bash', ['-n'], { input: script });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.match(script, /apt-get install -y -q \/tmp\/ssm.deb \/tmp\/cwagent.deb \/tmp\/coinlake.deb/);
    assert.match(script, /install -d -m 0700 \/etc\/coinlake\/credentials/);
    assert.match(script, /sslmode=verify-full/);
    assert.match(script, /amazon-cloudwatch-agent-ctl/);
    // The agents for the machine's own architecture (arm64 on t4g), never a fixed one.
    assert.match(script, /ARCH="\$\(dpkg --print-architecture\)"/);
    assert.match(script, /latest\/debian_\$\{ARCH\}\/amazon-ssm-agent\.deb/);
    assert.match(script, /\/debian\/\$\{ARCH\}\/latest\/amazon-cloudwatch-agent\.deb/);
  }
  assert.match(etl, /aws secretsmanager get-secret-value/);
  assert.match(etl, /umask 077/);
  // The scripts user data writes are valid bash too. The admin password stays in the memory of
  // coinlake-db-roles (root): no other script reads the admin secret, no file receives it.
  const secrets = heredoc(etl, '/usr/local/sbin/coinlake-secrets');
  const roles = heredoc(etl, '/usr/local/sbin/coinlake-db-roles');
  for (const body of [secrets, roles]) assert.equal(spawnSync('bash', ['-n'], { input: body }).status, 0, body);
  assert.ok(!secrets.includes('ADMIN_SECRET'), 'coinlake-secrets (before every start of coinlake-run) never reads the admin secret');
  assert.match(roles, /PGPASSWORD="\$\(jq -r \.password <<<"\$reply"\)" psql /, 'the password goes to psql alone');
  assert.ok(!/>\s*\S*pgpass/.test(roles) && !/migrate\.pgpass.*secret/.test(etl), 'no password file for the admin');
  assert.match(etl, /install -m 0600 \/dev\/null \/etc\/coinlake\/credentials\/migrate\.pgpass/);
  assert.match(etl, /systemctl start coinlake-migrate.service/);
  assert.match(etl, /GRANT coinlake_writer TO coinlake_etl/);
  assert.match(dash, /systemctl mask coinlake-migrate.service/);
  // coinlake-serve reads serve.env only (deploy/systemd/test_units.sh): the read-only login goes there.
  assert.match(dash, /cat > \/etc\/coinlake\/serve\.env <<EOF\nCOINLAKE_DATABASE_URL=postgresql:\/\/coinlake_web@/);
  assert.ok(!dash.includes('/etc/coinlake/coinlake.env'), 'the dashboard host has no ETL settings');
  assert.ok(!dash.includes('CMC_SECRET=') || /CMC_SECRET=\n/.test(dash), 'the dashboard never learns the API key secret');
});

test('logs: on each host the unit writes its JSON lines to a file the CloudWatch agent ships to the host log group', () => {
  for (const [prefix, unit, group] of [['Etl', 'coinlake-run', 'EtlLogs'], ['Dashboard', 'coinlake-serve', 'DashboardLogs']]) {
    const [, inst] = resources('AWS::EC2::Instance').find(([k]) => k.startsWith(prefix));
    const join = inst.Properties.UserData['Fn::Base64']['Fn::Join'];
    const script = join[1].map((p) => (typeof p === 'string' ? p : p.Ref ? `REF:${p.Ref}` : 'PLACEHOLDER')).join(join[0]);
    assert.match(script, new RegExp(`StandardOutput=append:/var/log/coinlake/${unit}.log`));
    const heredoc = /coinlake\.json <<EOF\n([\s\S]*?)\nEOF/.exec(script);
    assert.ok(heredoc, `${prefix}: no CloudWatch agent configuration`);
    const files = JSON.parse(heredoc[1]).logs.logs_collected.files.collect_list;
    const unitLog = files.find((f) => f.file_path === `/var/log/coinlake/${unit}.log`);
    assert.ok(unitLog, `${prefix}: the agent does not ship ${unit}.log`);
    const [logGroupId, logGroup] = resources('AWS::Logs::LogGroup').find(([k]) => k.startsWith(group));
    assert.equal(unitLog.log_group_name, `REF:${logGroupId}`);
    assert.equal(logGroup.Properties.RetentionInDays, 30);
    assert.match(script, /amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:\/opt\/aws\/amazon-cloudwatch-agent\/etc\/coinlake.json/);
  }
});

test('the ETL is watched from outside: 15 minutes without its heartbeat log line raise an alarm to an SNS topic, e-mail optional', () => {
  const [, filter] = one('AWS::Logs::MetricFilter');
  assert.equal(filter.Properties.FilterPattern, '{ $.msg = "heartbeat" }'); // the line `coinlake run` logs
  assert.deepEqual(filter.Properties.LogGroupName, { Ref: resourceId('EtlLogs') });
  const [transform] = filter.Properties.MetricTransformations;
  assert.deepEqual([transform.MetricNamespace, transform.MetricName, transform.MetricValue], ['coinlake', 'EtlHeartbeats', '1']);
  const [, alarm] = one('AWS::CloudWatch::Alarm');
  const p = alarm.Properties;
  assert.deepEqual([p.Namespace, p.MetricName, p.Statistic, p.Period, p.Threshold, p.ComparisonOperator],
    ['coinlake', 'EtlHeartbeats', 'Sum', 300, 1, 'LessThanThreshold']);
  // A dead host sends nothing at all: missing data must count as silence.
  assert.deepEqual([p.EvaluationPeriods, p.DatapointsToAlarm, p.TreatMissingData], [3, 3, 'breaching']);
  const [topicId] = one('AWS::SNS::Topic');
  assert.deepEqual(p.AlarmActions, [{ Ref: topicId }]);
  assert.deepEqual(p.OKActions, [{ Ref: topicId }]);
  const [, subscription] = one('AWS::SNS::Subscription');
  assert.equal(subscription.Condition, 'HasAlarmEmail');
  assert.deepEqual([subscription.Properties.Protocol, subscription.Properties.Endpoint], ['email', { Ref: 'AlarmEmail' }]);
  assert.equal(raw.Parameters.AlarmEmail.Default, '');
  const [, topicPolicy] = one('AWS::SNS::TopicPolicy');
  assert.ok(topicPolicy.Properties.PolicyDocument.Statement.some((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
    'the topic refuses publishing without TLS');
  assert.ok(raw.Outputs.EtlAlarmTopicArn);
});

test('coinlake alerts go to the alarm topic: the ETL may publish there (the dashboard may not), and its configuration names it as a channel', () => {
  const [topicId] = one('AWS::SNS::Topic');
  const publish = (role, resource) => decide(statements(role), { action: 'sns:Publish', resource });
  assert.equal(publish('EtlRole', `<${topicId}>`), 'allow');
  assert.equal(publish('EtlRole', 'arn:aws:sns:eu-west-1:123456789012:another-topic'), 'implicit-deny', 'that topic only');
  assert.equal(publish('DashboardRole', `<${topicId}>`), 'implicit-deny');
  const [, inst] = resources('AWS::EC2::Instance').find(([k]) => k.startsWith('Etl'));
  const join = inst.Properties.UserData['Fn::Base64']['Fn::Join'];
  const etl = join[1].map((p) => (typeof p === 'string' ? p : p.Ref ? `REF:${p.Ref}` : 'PLACEHOLDER')).join(join[0]);
  assert.match(etl, new RegExp(`\nALERT_TOPIC='REF:${topicId}'\n`));
  // run reads the file (and re-reads it on reload); one sns channel turns the default pipeline
  // rules on (docs/alerts.md, "Defaults").
  assert.match(etl, /\nCOINLAKE_CONFIG=\/etc\/coinlake\/coinlake\.toml\n/);
  const config = /cat > \/etc\/coinlake\/coinlake\.toml <<EOF\n([\s\S]*?)\nEOF\n/.exec(etl)[1];
  const settings = config.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(settings, ['alert-channel = "aws: sns ${ALERT_TOPIC}"']);
  const dash = userData('Dashboard');
  assert.ok(!dash.includes('coinlake.toml') && !dash.includes('ALERT_TOPIC'),
    'the dashboard host has no ETL configuration and sends no alerts');
});

test('cdk-nag fails synthesis on an unacknowledged finding', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coinlake-cdk-nag-'));
  try {
    const { app: bad, stack: s } = buildApp(dir);
    const sg = new ec2.SecurityGroup(s, 'WideOpen', { vpc: s.node.findChild('Vpc') });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    assert.throws(() => bad.synth(), /Validation failed|ValidationFailed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(cdk.Stack.isStack(stack));
});
