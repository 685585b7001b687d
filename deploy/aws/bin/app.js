'use strict';
// Builds the coinlake CDK app: one stack with a bootstrap-free synthesizer (no BootstrapVersion
// parameter, no assets) and cdk-nag's AwsSolutions checks, which fail synthesis on any finding
// that the stack does not acknowledge with a reason.
const cdk = require('aws-cdk-lib');
const { AwsSolutionsChecks } = require('cdk-nag');
const { CoinlakeStack } = require('../lib/coinlake-stack');

function buildApp(outdir) {
  const app = new cdk.App({ outdir, analyticsReporting: false });
  const stack = new CoinlakeStack(app, 'Coinlake', {
    synthesizer: new cdk.LegacyStackSynthesizer(),
    description: 'coinlake: CoinMarketCap -> S3 lake -> RDS PostgreSQL -> dashboard (cheap production layout)',
  });
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

module.exports = { buildApp };

if (require.main === module) {
  buildApp().app.synth();
}
