#!/usr/bin/env bash
# The CDK app's offline tests (synth, template assertions, cdk-nag), for ctest. A missing
# node_modules is a failure, never a skip: scripts/test installs it with `npm ci`
# (scripts/lib-deploy.sh).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/aws-cdk-lib ] || [ ! -d node_modules/cdk-nag ]; then
  echo "FAIL: deploy/aws/node_modules is missing: run 'npm ci' in deploy/aws (scripts/test does)" >&2
  exit 1
fi
exec node --test test/
