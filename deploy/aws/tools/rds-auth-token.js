'use strict';
// The reference RDS IAM authentication token, from AWS's own signer (@aws-sdk/rds-signer), at a
// fixed time, for coinlake's C++ cross-check (src/lake/rds_auth_token_test.cc).
// Usage: node tools/rds-auth-token.js '{"accessKeyId":..,"secretAccessKey":..,"sessionToken":..,
//   "region":..,"hostname":..,"port":5432,"username":..,"time":"2026-11-28T04:00:00Z"}'
// Prints the token on stdout. The signer takes the signing time from `new Date()`, so the clock
// is fixed by replacing Date for this process only.
const { Signer } = require('@aws-sdk/rds-signer');

const input = JSON.parse(process.argv[2]);
const fixed = Date.parse(input.time);
// Date.parse accepts days that do not exist (2026-02-29 becomes 1 March): refuse any time that
// does not come back unchanged, or the two signers would sign different instants.
if (Number.isNaN(fixed) || new Date(fixed).toISOString().replace('.000Z', 'Z') !== input.time) {
  throw new Error(`bad time ${input.time} (expected YYYY-MM-DDTHH:MM:SSZ, a real day)`);
}
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [fixed])); }
  static now() { return fixed; }
};

const credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
if (input.sessionToken) credentials.sessionToken = input.sessionToken;
new Signer({ credentials, region: input.region, hostname: input.hostname, port: input.port, username: input.username })
  .getAuthToken()
  .then((token) => process.stdout.write(`${token}\n`))
  .catch((e) => { console.error(e); process.exit(1); });
