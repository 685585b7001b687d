'use strict';
// coinlake on AWS, the cheap production layout: a VPC without NAT, an ETL instance that only
// reaches out, a dashboard instance with 8501 open to one CIDR, RDS PostgreSQL 15 reachable only
// from those two, and an S3 lake whose raw/ and quarantine/ objects cannot be overwritten or
// deleted.
// No assets and no custom resources, so the template deploys with `aws cloudformation deploy`.
const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const iam = require('aws-cdk-lib/aws-iam');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const cloudwatchActions = require('aws-cdk-lib/aws-cloudwatch-actions');
const logs = require('aws-cdk-lib/aws-logs');
const rds = require('aws-cdk-lib/aws-rds');
const s3 = require('aws-cdk-lib/aws-s3');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const sns = require('aws-cdk-lib/aws-sns');
const { Validations } = require('aws-cdk-lib');
const { etlUserData, dashboardUserData } = require('./user-data');

// Generated passwords go into URLs, environment files and HTTP basic auth: keep them free of
// the characters those formats treat specially.
const PASSWORD_EXCLUDE = ' "\'@/\\:%#?&+=`;,$|<>[]{}()*!~^';

function ack(construct, id, reason) {
  Validations.of(construct).acknowledge({ id, reason });
}

class CoinlakeStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);

    // ---- Parameters ----
    // The dashboard's network boundary: one IPv4 range no wider than a /16 (65,536 addresses:
    // an office, a VPN's egress, a provider's block). Anything wider is the Internet with extra
    // steps, so CloudFormation refuses it before creating or changing anything.
    const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
    const dashboardCidr = new cdk.CfnParameter(this, 'DashboardAllowedCidr', {
      type: 'String',
      description: 'The only IPv4 range that may reach the dashboard on port 8501 (e.g. your office /32); /16 to /32.',
      allowedPattern: `^(${octet}\\.){3}${octet}/(1[6-9]|2\\d|3[0-2])$`,
      constraintDescription: 'an IPv4 CIDR from /16 to /32, such as 203.0.113.7/32: the dashboard is never open to a wider range (docs/deploy.md)',
    });
    // HTTPS for the dashboard (docs/deploy.md, "The dashboard: a login, and HTTPS"): with a DNS
    // name of yours, Caddy serves 8501 over TLS with a Let's Encrypt certificate. Both values go
    // into the boot script and the Caddyfile, so their patterns admit names and addresses only,
    // nothing a shell or Caddy reads.
    const dashboardDomain = new cdk.CfnParameter(this, 'DashboardDomain', {
      type: 'String',
      default: '',
      description: 'Optional: your DNS name for the dashboard, a CNAME to the DashboardPublicDnsName output. Set: HTTPS on 8501 with a Let\'s Encrypt certificate (port 80 opens for the ACME challenge); empty: plain HTTP.',
      allowedPattern: '^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$',
      constraintDescription: 'empty, or a lower-case DNS name such as dashboard.example.com',
    });
    const acmeEmail = new cdk.CfnParameter(this, 'DashboardAcmeEmail', {
      type: 'String',
      default: '',
      description: 'With DashboardDomain: the email address of the Let\'s Encrypt account (expiry notices).',
      allowedPattern: '^$|^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\\.)+[A-Za-z]{2,63}$',
      constraintDescription: 'empty, or an email address such as ops@example.com',
    });
    const httpsExpression = cdk.Fn.conditionNot(cdk.Fn.conditionEquals(dashboardDomain.valueAsString, ''));
    const https = new cdk.CfnCondition(this, 'DashboardHttps', { expression: httpsExpression });
    new cdk.CfnRule(this, 'DashboardHttpsNeedsAnEmail', {
      ruleCondition: httpsExpression,
      assertions: [{
        assert: cdk.Fn.conditionNot(cdk.Fn.conditionEquals(acmeEmail.valueAsString, '')),
        assertDescription: 'DashboardDomain needs DashboardAcmeEmail, the Let\'s Encrypt account.',
      }],
    });
    const artifactBucket = new cdk.CfnParameter(this, 'ArtifactBucket', {
      type: 'String',
      description: 'S3 bucket holding the coinlake .deb (arm64: scripts/package-arm64) that the instances install.',
      minLength: 3,
    });
    const artifactKey = new cdk.CfnParameter(this, 'ArtifactKey', {
      type: 'String',
      description: 'Key of the coinlake .deb in ArtifactBucket, e.g. releases/coinlake_0.1.0_arm64.deb',
      minLength: 1,
    });
    // Debian publishes its AMIs as public SSM parameters /aws/service/debian/release/<12|bookworm>/
    // latest/<amd64|arm64> (wiki.debian.org/Cloud/AmazonEC2Image). Checked 2026-11-28 against
    // several independent public templates and scripts that resolve this exact name; not against
    // a live account (docs/deploy.md, "Checked facts").
    const imageId = new cdk.CfnParameter(this, 'DebianImageId', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      default: '/aws/service/debian/release/12/latest/arm64',
      description: 'Debian 12 arm64 AMI for the t4g instances (public SSM parameter published by Debian).',
    });

    // The migration window (docs/deploy.md, "Migrations"): until MigrationWindowEnd, and only
    // until then, the ETL host may read the RDS admin secret (to make the login roles) and sign in
    // as coinlake_migrator, the schema's owner. After it the host has the writer's rights and no
    // more, so a compromised ETL host cannot drop or rewrite the schema. Why a time: a plain
    // template cannot run a step once and then take its right away (no custom resources), and
    // IAM has no notion of a first boot, but it compares aws:CurrentTime with a value.
    const migrationWindowEnd = new cdk.CfnParameter(this, 'MigrationWindowEnd', {
      type: 'String',
      description: 'UTC time until which the ETL host may migrate the schema, e.g. $(date -u -d +1hour +%Y-%m-%dT%H:%M:%SZ); a past time closes the window (docs/deploy.md, Migrations).',
      allowedPattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
      constraintDescription: 'a UTC time such as 2026-12-01T18:00:00Z',
    });

    // Spot for the ETL instance (docs/deploy.md, "Options"): off by default. The ETL is
    // crash-safe (spool fsync'd to the root volume first, one transaction per lake object with
    // its ledger row, spool drained at start) and the volume survives a stop, so an interruption
    // costs a gap in the schedule, never data. Not the default because a persistent request
    // outlives its instance: terminating it (stack deletion, or a replacement when the Debian AMI
    // changed) re-opens the request, which launches an instance outside the stack unless it is
    // cancelled first.
    const etlSpot = new cdk.CfnParameter(this, 'EtlSpot', {
      type: 'String',
      default: 'false',
      allowedValues: ['false', 'true'],
      description: 'true: run the ETL instance on Spot (persistent request, stopped on interruption, started again when capacity returns; cancel the request before deleting or replacing the instance, docs/deploy.md).',
    });
    const useSpot = new cdk.CfnCondition(this, 'EtlOnSpot', { expression: cdk.Fn.conditionEquals(etlSpot.valueAsString, 'true') });
    const alarmEmail = new cdk.CfnParameter(this, 'AlarmEmail', {
      type: 'String',
      default: '',
      allowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      description: 'E-mail address told when the ETL stops (its heartbeat log line missing for 15 minutes) and when it is back, and of coinlake\'s pipeline alerts (stale data, a stopped endpoint, credits, outages); empty: subscribe to the EtlAlarmTopicArn output yourself. AWS sends a confirmation e-mail first.',
    });
    const hasAlarmEmail = new cdk.CfnCondition(this, 'HasAlarmEmail', { expression: cdk.Fn.conditionNot(cdk.Fn.conditionEquals(alarmEmail.valueAsString, '')) });

    // ---- Network: public + isolated subnets, no NAT gateway ----
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
    });
    vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
    });

    const etlSg = new ec2.SecurityGroup(this, 'EtlSg', {
      vpc, allowAllOutbound: false,
      description: 'coinlake ETL: no ingress at all; egress HTTPS/HTTP and PostgreSQL only',
    });
    const dashboardSg = new ec2.SecurityGroup(this, 'DashboardSg', {
      vpc, allowAllOutbound: false,
      description: 'coinlake dashboard: 8501 from DashboardAllowedCidr only',
    });
    const dbSg = new ec2.SecurityGroup(this, 'DatabaseSg', {
      vpc, allowAllOutbound: false,
      description: 'coinlake RDS: 5432 from the ETL and dashboard security groups only',
    });
    for (const sg of [etlSg, dashboardSg]) {
      // 443: CoinMarketCap, S3, Secrets Manager, SSM, CloudWatch Logs. 80: Debian's signed apt
      // mirror at first boot.
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: CMC and AWS APIs');
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'apt (signed packages)');
      sg.addEgressRule(dbSg, ec2.Port.tcp(5432), 'PostgreSQL');
      dbSg.addIngressRule(sg, ec2.Port.tcp(5432), 'PostgreSQL from coinlake');
    }
    dashboardSg.addIngressRule(ec2.Peer.ipv4(dashboardCidr.valueAsString), ec2.Port.tcp(8501),
      'dashboard from the allowed CIDR');
    // The ACME HTTP challenge comes from Let's Encrypt's servers, wherever they are; Caddy listens
    // on 80 only while a challenge runs and serves nothing else there.
    const acmeIngress = new ec2.CfnSecurityGroupIngress(this, 'DashboardAcmeChallenge', {
      groupId: dashboardSg.securityGroupId, ipProtocol: 'tcp', fromPort: 80, toPort: 80, cidrIp: '0.0.0.0/0',
      description: 'ACME HTTP challenge (DashboardDomain only)',
    });
    acmeIngress.cfnOptions.condition = https;
    ack(acmeIngress, 'AwsSolutions-EC23', 'Port 80 from anywhere, only with DashboardDomain: Let\'s Encrypt validates from addresses it does not publish, and Caddy answers ACME challenges there and nothing else.');

    // ---- The lake ----
    const accessLogs = new s3.Bucket(this, 'LakeAccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: cdk.Duration.days(90) }],
    });
    ack(accessLogs, 'AwsSolutions-S1', 'This is the access-log bucket of the lake; logging it again would loop.');
    const lake = new s3.Bucket(this, 'Lake', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          // Glacier Instant Retrieval: still readable at once by reprocess and Athena. S3 does
          // not transition objects under 128 KB (they would cost more there).
          id: 'raw-to-glacier-ir',
          prefix: 'raw/',
          transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: cdk.Duration.days(90) }],
        },
        { id: 'noncurrent-versions', noncurrentVersionExpiration: cdk.Duration.days(30) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: cdk.Duration.days(7) },
      ],
    });
    // raw/ is the source of truth and quarantine/ keeps every answer that could not go there
    // (docs/lake.md): in both, a PUT must carry If-None-Match (create only, never overwrite), and
    // nobody deletes an object or a version. coinlake sends If-None-Match on every PUT.
    const writeOnce = [lake.arnForObjects('raw/*'), lake.arnForObjects('quarantine/*')];
    lake.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RawAndQuarantineAreWriteOnce',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: writeOnce,
      conditions: { Null: { 's3:if-none-match': 'true' } },
    }));
    lake.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RawAndQuarantineAreNeverDeleted',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: writeOnce,
    }));

    // ---- Secrets ----
    const cmcSecret = new secretsmanager.Secret(this, 'CmcApiKey', {
      description: 'CoinMarketCap API key for coinlake. The generated value is a placeholder: set the real key with put-secret-value.',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    ack(cmcSecret, 'AwsSolutions-SMG4', 'The CoinMarketCap key is rotated at CoinMarketCap, then put here by hand: docs/deploy.md "Rotate secrets".');
    // The dashboard is private by default: HTTP basic auth, with a login generated here. Only the
    // dashboard role reads it (into a root-only file on its host); you read it with the command in
    // the DashboardLoginCommand output.
    const dashboardLogin = new secretsmanager.Secret(this, 'DashboardLogin', {
      description: 'coinlake dashboard login (HTTP basic auth): {"username", "password"}.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'coinlake' }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludeCharacters: PASSWORD_EXCLUDE,
      },
    });
    ack(dashboardLogin, 'AwsSolutions-SMG4', 'Rotated by hand (a new value, then restart coinlake-serve): docs/deploy.md "Rotate secrets"; automatic rotation needs a Lambda.');

    // ---- Database ----
    // rds.force_ssl=1 refuses every connection without TLS. It is already the default from
    // PostgreSQL 15 on ("By default, RDS for PostgreSQL uses and expects all clients to connect
    // using SSL/TLS", docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html),
    // set here so that it stays on whatever the default becomes. rds-ca-rsa2048-g1 is one of the
    // current RDS CAs (with rds-ca-rsa4096-g1 and rds-ca-ecc384-g1; UsingWithRDS.SSL.html), in
    // the global-bundle.pem the clients verify against. Checked 2026-11-28.
    const parameterGroup = new rds.ParameterGroup(this, 'DbParameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      description: 'coinlake: TLS required',
      parameters: { 'rds.force_ssl': '1' },
    });
    // The logins coinlake_migrator, coinlake_etl and coinlake_web have no password: they sign in
    // with IAM tokens (15 minutes, made from the instance role for every new connection), so
    // there is no long-lived password to store, pay for or rotate. Only the admin keeps a secret,
    // which the ETL host may read inside the migration window only.
    const db = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
      publiclyAccessible: false,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      multiAz: false,
      databaseName: 'coinlake',
      credentials: rds.Credentials.fromGeneratedSecret('coinlake_admin', { excludeCharacters: PASSWORD_EXCLUDE }),
      parameterGroup,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      backupRetention: cdk.Duration.days(7),
      deletionProtection: true,
      removalPolicy: cdk.RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
    });
    ack(db, 'AwsSolutions-RDS3', 'Single-AZ halves the cost; the lake is the source of truth and rebuilds the database (migrate + reprocess), and backups cover 7 days.');
    ack(db, 'AwsSolutions-RDS11', 'The default port is not a control: the database has no public address and its security group admits only the two coinlake instances.');
    ack(db, 'AwsSolutions-SMG4', 'Admin password rotation needs a Lambda reaching RDS (NAT or endpoints); rotate by hand, see docs/deploy.md.');

    // ---- Instances ----
    const etlLogs = new logs.LogGroup(this, 'EtlLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: cdk.RemovalPolicy.RETAIN });
    const dashboardLogs = new logs.LogGroup(this, 'DashboardLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: cdk.RemovalPolicy.RETAIN });
    const artifactArn = `arn:${this.partition}:s3:::${artifactBucket.valueAsString}/${artifactKey.valueAsString}`;

    const dbUserArn = (user) => this.formatArn({
      service: 'rds-db', resource: 'dbuser', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${db.instanceResourceId}/${user}`,
    });
    const role = (id, logGroup, secrets, dbUser) => {
      const r = new iam.Role(this, id, {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      });
      r.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [artifactArn] }));
      if (secrets.length > 0) {
        r.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: secrets.map((s) => s.secretArn) }));
      }
      // rds-db:connect as this one database user only (arn:...:dbuser:<DbiResourceId>/<user>).
      r.addToPolicy(new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [dbUserArn(dbUser)] }));
      r.addToPolicy(new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`],
      }));
      ack(r, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
        'AmazonSSMManagedInstanceCore is the documented minimum for Session Manager (no SSH, no key pair).');
      ack(r, `AwsSolutions-IAM5[Resource::<${this.getLogicalId(logGroup.node.defaultChild)}.Arn>:log-stream:*]`,
        'The agent writes one stream per instance into this instance\'s own log group; stream names are not known in advance.');
      return r;
    };
    const lakeWildcard = (prefix) => `AwsSolutions-IAM5[Resource::<${this.getLogicalId(lake.node.defaultChild)}.Arn>/${prefix}*]`;
    const ackLakePrefixes = (r) => {
      for (const p of ['raw/', 'quarantine/', 'curated/']) {
        ack(r, lakeWildcard(p), `Object keys under ${p} are made by the ETL (dates and times); put and get only, never delete.`);
      }
      return r;
    };
    const etlRole = role('EtlRole', etlLogs, [cmcSecret], 'coinlake_etl');
    const duringMigrationWindow = { DateLessThan: { 'aws:CurrentTime': migrationWindowEnd.valueAsString } };
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'MigrationWindowAdminSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [db.secret.secretArn],
      conditions: duringMigrationWindow,
    }));
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'MigrationWindowSchemaOwner',
      actions: ['rds-db:connect'],
      resources: [dbUserArn('coinlake_migrator')],
      conditions: duringMigrationWindow,
    }));
    const lakePrefixes = ['raw/', 'quarantine/', 'curated/'];
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'LakeObjectsNoDelete',
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: lakePrefixes.map((p) => lake.arnForObjects(`${p}*`)),
    }));
    // `compact` replaces a day's Parquet file when late objects arrive (docs/lake.md): the file
    // it replaced, and nothing outside curated/, may be deleted.
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'CuratedReplacedFilesDelete',
      actions: ['s3:DeleteObject'],
      resources: [lake.arnForObjects('curated/*')],
    }));
    // A day's Parquet file larger than 16 MiB goes up as a multipart upload (docs/lake.md, "S3"),
    // which coinlake aborts when it fails; the lifecycle rule aborts what a killed process left.
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'CuratedMultipartAbort',
      actions: ['s3:AbortMultipartUpload'],
      resources: [lake.arnForObjects('curated/*')],
    }));
    etlRole.addToPolicy(new iam.PolicyStatement({
      sid: 'LakeListWithinPrefixes',
      actions: ['s3:ListBucket'],
      resources: [lake.bucketArn],
      conditions: { StringLike: { 's3:prefix': lakePrefixes.flatMap((p) => [p, `${p}*`]) } },
    }));
    ackLakePrefixes(etlRole);
    const dashboardRole = role('DashboardRole', dashboardLogs, [dashboardLogin], 'coinlake_web');

    // ---- The alarm topic: the outside watcher's alarm and coinlake's own alerts ----
    // The ETL publishes its pipeline alerts here too (docs/alerts.md, "On AWS"): its user data
    // configures an sns channel on this topic, which turns the default pipeline rules on.
    const alarmTopic = new sns.Topic(this, 'EtlAlarmTopic', { displayName: 'coinlake ETL alarms', enforceSSL: true });
    ack(alarmTopic, 'AwsSolutions-SNS2', 'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key costs US$1 a month for messages that carry no data (an alarm name and state).');
    const emailSubscription = new sns.Subscription(this, 'EtlAlarmEmail', {
      topic: alarmTopic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: alarmEmail.valueAsString,
    });
    emailSubscription.node.defaultChild.cfnOptions.condition = hasAlarmEmail;
    alarmTopic.grantPublish(etlRole);

    const common = {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      associatePublicIpAddress: true,
      machineImage: { getImage: () => ({ imageId: imageId.valueAsString, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }) },
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      httpEndpoint: true,
      disableApiTermination: true,
      detailedMonitoring: false,
      // T4g instances start in "unlimited" mode, where a CPU average above the baseline (5% of a
      // vCPU for a nano) is billed extra; "standard" throttles to the baseline instead, so the
      // bill is what the cost table says.
      creditSpecification: ec2.CpuCredits.STANDARD,
      ssmSessionPermissions: false,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }),
      }],
    };
    const v = {
      region: this.region, artifactBucket: artifactBucket.valueAsString, artifactKey: artifactKey.valueAsString,
      dbHost: db.dbInstanceEndpointAddress, lakeBucket: lake.bucketName,
      adminUser: 'coinlake_admin',
      dashboardDomain: dashboardDomain.valueAsString, acmeEmail: acmeEmail.valueAsString,
    };
    const etl = new ec2.Instance(this, 'Etl', {
      ...common,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
      securityGroup: etlSg,
      role: etlRole,
      userData: etlUserData({ ...v, logGroup: etlLogs.logGroupName, cmcSecret: cmcSecret.secretArn, adminSecret: db.secret.secretArn, alertTopic: alarmTopic.topicArn }),
    });
    // With EtlSpot=true the instance takes its market options from a launch template; EC2 does
    // not allow termination protection on a Spot instance.
    const spotTemplate = new ec2.CfnLaunchTemplate(this, 'EtlSpotTemplate', {
      launchTemplateData: {
        instanceMarketOptions: {
          marketType: 'spot',
          spotOptions: { spotInstanceType: 'persistent', instanceInterruptionBehavior: 'stop' },
        },
      },
    });
    spotTemplate.cfnOptions.condition = useSpot;
    const etlInstance = etl.node.defaultChild;
    etlInstance.addPropertyOverride('LaunchTemplate', cdk.Fn.conditionIf(useSpot.logicalId,
      { LaunchTemplateId: spotTemplate.ref, Version: spotTemplate.attrLatestVersionNumber }, cdk.Aws.NO_VALUE));
    etlInstance.addPropertyOverride('DisableApiTermination', cdk.Fn.conditionIf(useSpot.logicalId, false, true));
    const dashboard = new ec2.Instance(this, 'Dashboard', {
      ...common,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
      securityGroup: dashboardSg,
      role: dashboardRole,
      userData: dashboardUserData({ ...v, logGroup: dashboardLogs.logGroupName, dashboardSecret: dashboardLogin.secretArn }),
    });
    for (const i of [etl, dashboard]) {
      ack(i, 'AwsSolutions-EC28', 'Detailed monitoring costs about US$2 per instance a month; 5-minute metrics and the JSON logs suffice.');
      ack(i, 'AwsSolutions::AwsSolutions-EC26', 'Both root volumes are encrypted (BlockDeviceMappings, asserted in test/stack.test.js); the rule cannot evaluate the conditional Spot launch template (EtlSpot).');
    }
    ack(dashboardSg, 'AwsSolutions-EC23', 'The only ingress source is the DashboardAllowedCidr parameter, which admits /16 to /32 only.');

    // ---- Someone outside watches the watcher ----
    // `coinlake run` logs a heartbeat line after each cycle and every 5 minutes between; the
    // CloudWatch agent ships it. No line for 15 minutes (the host dead, the service stopped, the
    // agent or the log pipeline broken) raises the alarm without the host's help.
    const heartbeats = new logs.MetricFilter(this, 'EtlHeartbeatFilter', {
      logGroup: etlLogs,
      metricNamespace: 'coinlake',
      metricName: 'EtlHeartbeats',
      filterPattern: logs.FilterPattern.stringValue('$.msg', '=', 'heartbeat'),
      metricValue: '1',
    });
    const heartbeatLost = new cloudwatch.Alarm(this, 'EtlHeartbeatLost', {
      alarmDescription: 'coinlake run has logged no heartbeat for 15 minutes: the ETL host is down, the service stopped, or its logs no longer reach CloudWatch (docs/operations.md, "Watching the ETL from outside").',
      metric: heartbeats.metric({ statistic: 'Sum', period: cdk.Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    heartbeatLost.addAlarmAction(new cloudwatchActions.SnsAction(alarmTopic));
    heartbeatLost.addOkAction(new cloudwatchActions.SnsAction(alarmTopic));

    new cdk.CfnOutput(this, 'EtlAlarmTopicArn', { value: alarmTopic.topicArn, description: 'SNS topic of the ETL heartbeat alarm and of coinlake\'s pipeline alerts: subscribe e-mail, SMS or a webhook to it.' });
    new cdk.CfnOutput(this, 'LakeBucketName', { value: lake.bucketName });
    new cdk.CfnOutput(this, 'DatabaseEndpoint', { value: db.dbInstanceEndpointAddress });
    new cdk.CfnOutput(this, 'EtlInstanceId', { value: etl.instanceId });
    new cdk.CfnOutput(this, 'DashboardInstanceId', { value: dashboard.instanceId });
    new cdk.CfnOutput(this, 'DashboardUrl', {
      value: cdk.Fn.conditionIf(https.logicalId, `https://${dashboardDomain.valueAsString}:8501`,
        `http://${dashboard.instancePublicDnsName}:8501`).toString(),
    });
    new cdk.CfnOutput(this, 'DashboardPublicDnsName', { value: dashboard.instancePublicDnsName, description: 'Point DashboardDomain here (CNAME).' });
    new cdk.CfnOutput(this, 'DashboardLoginSecretArn', { value: dashboardLogin.secretArn });
    new cdk.CfnOutput(this, 'DashboardLoginCommand', {
      description: 'Prints the dashboard login (username, password) as JSON; needs secretsmanager:GetSecretValue on it.',
      value: `aws secretsmanager get-secret-value --region ${this.region} --secret-id ${dashboardLogin.secretArn} --query SecretString --output text`,
    });
    new cdk.CfnOutput(this, 'CmcApiKeySecretArn', { value: cmcSecret.secretArn });
    new cdk.CfnOutput(this, 'AdminSecretArn', { value: db.secret.secretArn });
  }
}

module.exports = { CoinlakeStack };
